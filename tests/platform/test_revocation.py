"""Revocation through the gateway, on the platform as `make up` runs it: a user deactivated (by their
admin), ejected (MentorUnresponsive, as mentorship reports it) or exited (a mentee, by their admin), and
a session signed out, are refused by all six services within 5 s of the change — one authenticated GET
per service — while other people's tokens (and the person's other sessions, after a sign-out) keep
working; a reinstated mentor signs in again and is served everywhere."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import jwt
import pytest
import requests

from shared.db import Database
from shared.events import record_event
from shared.revocation import DETAIL
from tests.journeys import call, demo_people, until

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

# One authenticated GET per service that a mentor and a mentee may make.
READS = {
    "identity": "/api/v1/identity/me",
    "directory": "/api/v1/directory/mentors",
    "mentorship": "/api/v1/mentorship/requests",
    "training": "/api/v1/training/modules",
    "evaluation": "/api/v1/evaluation/evaluation-form",
    "notifications": "/api/v1/notifications/inbox",
}
WITHIN = 5.0
PASSWORD = "a-long-revocation-password-1"


def _status(url: str, token: str) -> dict[str, int]:
    return {svc: requests.get(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code
            for svc, path in READS.items()}


def served_everywhere(url: str, token: str, timeout: float = 30.0) -> None:
    """Every service answers 200 (waiting for read models that learn of a new person from events)."""
    last = {}

    def ok():
        last.update(_status(url, token))
        return all(code == 200 for code in last.values())

    assert until(ok, timeout=timeout, every=0.3), f"not served everywhere: {last}"


def refused_everywhere(url: str, token: str, since: float, within: float = WITHIN) -> dict[str, float]:
    """Each service refuses the token with the revocation's 401 within `within` seconds of `since`
    (time.monotonic()); returns the seconds each took."""
    took: dict[str, float] = {}
    deadline = since + within
    while len(took) < len(READS):
        for svc, path in READS.items():
            if svc in took:
                continue
            r = requests.get(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            if r.status_code == 401:
                assert r.headers["Content-Type"].startswith("application/problem+json"), (svc, r.text)
                # identity may first refuse a person no longer active in its own words
                allowed = (DETAIL, "This account is not active.") if svc == "identity" else (DETAIL,)
                assert r.json()["detail"] in allowed, (svc, r.json())
                took[svc] = time.monotonic() - since
            else:
                assert r.status_code == 200, (svc, r.status_code, r.text[:300])
        if len(took) < len(READS):
            assert time.monotonic() < deadline, f"still served after {within} s: {set(READS) - set(took)}"
            time.sleep(0.1)
    return took


def _tokens(url: str, email: str, password: str = PASSWORD) -> dict:
    return call(url, "POST", "/api/v1/identity/auth/token", json={"email": email, "password": password}).json()


class People:
    def __init__(self, url: str):
        self.url = url
        _client, logins = demo_people(url)
        self.admin = _tokens(url, logins["harbor admin"]["email"], logins["harbor admin"]["password"])["access_token"]
        self.operator = _tokens(url, logins["operator"]["email"], logins["operator"]["password"])["access_token"]
        self.institution_id = call(url, "GET", "/api/v1/identity/me", self.admin).json()["user"]["institution_id"]

    def mentor(self) -> tuple[str, str]:
        """A new mentor of the admin's institution: (user id, e-mail)."""
        tag = uuid.uuid4().hex[:8]
        email = f"revoke-mentor-{tag}@example.org"
        version = call(self.url, "GET", "/api/v1/identity/agreements/mentor/current").json()["version"]
        invitation = call(self.url, "POST", f"/api/v1/identity/institutions/{self.institution_id}/mentor-invitations",
                          self.admin, (201,), json={"email": email, "name": f"Dr. Revoke {tag}",
                                                    "criteria": ["teaching_award"], "evidence": "Award 2024"}).json()
        user = call(self.url, "POST", "/api/v1/identity/invitations/accept", None, (201,), json={
            "token": invitation["token"], "password": PASSWORD, "accept_agreement_version": version}).json()
        return user["id"], email

    def mentee(self) -> tuple[str, str]:
        """A new, approved mentee of the admin's institution: (user id, e-mail)."""
        tag = uuid.uuid4().hex[:8]
        email = f"revoke-mentee-{tag}@example.org"
        version = call(self.url, "GET", "/api/v1/identity/agreements/mentee/current").json()["version"]
        invitation = call(self.url, "POST", f"/api/v1/identity/institutions/{self.institution_id}/mentee-invitations",
                          self.admin, (201,), json={"email": email, "name": f"Rae Revoke {tag}"}).json()
        user = call(self.url, "POST", "/api/v1/identity/invitations/accept", None, (201,), json={
            "token": invitation["token"], "password": PASSWORD, "accept_agreement_version": version,
            "profile": {"demographics": {"training_stage": "medical_student"}, "contact": {"phone": "+1 555 0100"}},
            "eligibility": ["first_generation"], "attested": True}).json()
        call(self.url, "POST", f"/api/v1/identity/mentees/{user['id']}/approve", self.admin,
             json={"note": "revocation"})
        return user["id"], email


@pytest.fixture()
def people(platform):
    return People(platform)


@pytest.fixture()
def bystander(platform, people):
    """Someone else, signed in throughout: never refused."""
    _id, email = people.mentee()
    token = _tokens(platform, email)["access_token"]
    served_everywhere(platform, token)
    return token


def test_a_deactivated_user_is_refused_by_every_service_within_seconds(platform, people, bystander):
    user_id, email = people.mentor()
    signed_in = _tokens(platform, email)
    token = signed_in["access_token"]
    assert isinstance(jwt.decode(token, options={"verify_signature": False})["iat"], float)
    served_everywhere(platform, token)
    call(platform, "POST", f"/api/v1/identity/users/{user_id}/deactivate", people.admin,
         json={"reason": "left the faculty"})
    took = refused_everywhere(platform, token, time.monotonic())
    print("deactivation refused after", {k: round(v, 2) for k, v in took.items()})
    served_everywhere(platform, bystander, timeout=0)
    call(platform, "POST", "/api/v1/identity/auth/refresh", None, (401,),
         json={"refresh_token": signed_in["refresh_token"]})


def test_an_ejected_mentor_is_refused_everywhere_and_once_reinstated_signs_in_again(platform, people, bystander):
    user_id, email = people.mentor()
    token = _tokens(platform, email)["access_token"]
    served_everywhere(platform, token)
    # As mentorship reports a mentor whose requests expired unanswered: its outbox, its relay, identity's worker.
    expired = [uuid.uuid4(), uuid.uuid4()]
    database = Database.for_service("mentorship")
    try:
        with database.unit_of_work() as session:
            record_event(session, "MentorUnresponsive", {
                "mentor_id": user_id, "institution_id": people.institution_id, "strikes": 2, "window_days": 180,
                "expired_request_ids": expired,
                "expiries": [{"request_id": r, "expired_at": datetime.now(timezone.utc)} for r in expired]},
                subject=f"mentors/{user_id}")
    finally:
        database.dispose()
    # identity refuses once it has ejected the mentor; every other service within 5 s of that
    me = "/api/v1/identity/me"
    assert until(lambda: requests.get(platform + me, headers={"Authorization": f"Bearer {token}"},
                                      timeout=30).status_code == 401, timeout=60, every=0.1), "never ejected"
    took = refused_everywhere(platform, token, time.monotonic())
    print("ejection refused after", {k: round(v, 2) for k, v in took.items()})
    served_everywhere(platform, bystander, timeout=0)
    # signing in is refused with the reason; an operator reinstates; a new sign-in is served everywhere
    r = call(platform, "POST", "/api/v1/identity/auth/token", None, (403,), json={"email": email, "password": PASSWORD})
    assert r.json()["next_step"] == "ask-for-reinstatement"
    call(platform, "POST", f"/api/v1/identity/users/{user_id}/reinstate", people.operator,
         json={"reason": "on leave, now back"})
    fresh = _tokens(platform, email)["access_token"]
    served_everywhere(platform, fresh)
    assert set(_status(platform, token).values()) == {401}  # the old token stays refused


def test_an_exited_mentee_is_refused_by_every_service_within_seconds(platform, people, bystander):
    user_id, email = people.mentee()
    token = _tokens(platform, email)["access_token"]
    served_everywhere(platform, token)
    call(platform, "POST", f"/api/v1/identity/mentees/{user_id}/exit", people.admin, json={"reason": "graduated"})
    took = refused_everywhere(platform, token, time.monotonic())
    print("exit refused after", {k: round(v, 2) for k, v in took.items()})
    served_everywhere(platform, bystander, timeout=0)


def test_signing_out_revokes_that_session_everywhere_and_no_other(platform, people):
    _user_id, email = people.mentor()
    laptop, phone = _tokens(platform, email), _tokens(platform, email)
    served_everywhere(platform, laptop["access_token"])
    served_everywhere(platform, phone["access_token"])
    call(platform, "POST", "/api/v1/identity/auth/signout", None, (204,),
         json={"refresh_token": laptop["refresh_token"]})
    took = refused_everywhere(platform, laptop["access_token"], time.monotonic())
    print("sign-out refused after", {k: round(v, 2) for k, v in took.items()})
    served_everywhere(platform, phone["access_token"], timeout=0)  # the other session is not signed out
    call(platform, "POST", "/api/v1/identity/auth/refresh", None, (401,),
         json={"refresh_token": laptop["refresh_token"]})
    renewed = call(platform, "POST", "/api/v1/identity/auth/refresh", None,
                   json={"refresh_token": phone["refresh_token"]}).json()
    served_everywhere(platform, renewed["access_token"], timeout=0)
    # signing in again after signing out is served at once
    served_everywhere(platform, _tokens(platform, email)["access_token"], timeout=0)
