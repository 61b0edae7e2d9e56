"""Steps that end-to-end tests take through the gateway of the running platform, as people would."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import requests


def call(url, method, path, token=None, expect=(200,), **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.request(method, url + path, headers=headers, timeout=30, **kw)
    assert r.status_code in expect, (method, path, r.status_code, r.text[:500])
    return r


def until(fn, timeout=60.0, every=0.5):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def sign_in(url, email: str, password: str) -> str:
    return call(url, "POST", "/api/v1/identity/auth/token",
                json={"email": email, "password": password}).json()["access_token"]


TEST_PASSWORD = "a-long-test-password-1"


def new_operator(url, name: str = "Test Operator") -> str:
    """An operator of the test's own (created as `mmm operator` does), signed in: their token."""
    from services.identity.cli import create_operator

    email = f"ops-{uuid.uuid4().hex[:8]}@example.org"
    create_operator(email, name, TEST_PASSWORD)
    return sign_in(url, email, TEST_PASSWORD)


def institution_with_admin(url, operator: str, tag: str, *, name: str = "Test School",
                           class_size: int = 60) -> tuple[dict, str]:
    """A new academic institution, "<name> <tag>", subscribed by the operator, and its admin
    (admin-<tag>@example.org, invited and accepted): (the institution, the admin's token)."""
    identity = "/api/v1/identity"
    inst = call(url, "POST", f"{identity}/institutions", operator, (201,), json={
        "name": f"{name} {tag}", "kind": "academic", "class_size": class_size,
        "contact": {"name": "Dean's office", "email": f"dean-{tag}@example.org"}}).json()
    invitation = call(url, "POST", f"{identity}/institutions/{inst['id']}/admin-invitations", operator, (201,),
                      json={"email": f"admin-{tag}@example.org", "name": f"Ada Admin {tag}"}).json()
    call(url, "POST", f"{identity}/invitations/accept", None, (201,),
         json={"token": invitation["token"], "password": TEST_PASSWORD})
    return inst, sign_in(url, f"admin-{tag}@example.org", TEST_PASSWORD)


def demo_people(url):
    """The demo's institutions and people, trained as the demo trains them, loaded through the gateway
    (idempotent, as `make demo` does): (a demo Client, the logins by name)."""
    import demo.identity
    import demo.training
    from demo.client import Client
    from demo.loader import OPERATOR, ensure_operator

    ensure_operator()
    client = Client(url)
    logins = {"operator": dict(OPERATOR)}
    demo.identity.load(client, logins)
    demo.training.load(client, logins)
    return client, logins


@dataclass
class Mentor:
    id: str
    institution_id: str
    token: str
    name: str
    email: str
    password: str


def admit_published_mentor(url, client, logins, *, admin_login: str = "harbor admin", invitation_token=None) -> Mentor:
    """A new mentor of the admin's institution: invited on an R2 criterion, accepting the invitation
    (its token from the response, or `invitation_token(email)` — for example read from the mail), trained
    as the demo trains people, and published nationally in the directory."""
    mentor = admit_trained_mentor(url, client, logins, admin_login=admin_login, invitation_token=invitation_token)
    call(url, "PATCH", "/api/v1/directory/me/profile", mentor.token, json={
        "display_name": mentor.name, "academic_rank": "associate_professor", "specialties": ["Internal Medicine"],
        "languages": ["English"], "city": "Atlanta", "state": "GA", "bio": "Hospitalist who enjoys teaching.",
        "scope": "national", "accepting_new_mentees": True, "hours_per_month": 4, "meeting_modes": ["video"],
        "time_windows": [{"day": "tue", "start": "18:00", "end": "20:00"}], "timezone": "America/New_York"})
    assert until(lambda: requests.post(url + "/api/v1/directory/me/profile/publish",
                                       json={"consent_to_search": True}, timeout=30,
                                       headers={"Authorization": f"Bearer {mentor.token}"}).status_code == 200)
    return mentor


def admit_trained_mentor(url, client, logins, *, admin_login: str = "harbor admin", invitation_token=None) -> Mentor:
    """A new mentor of the admin's institution, invited, accepting and trained; their directory profile
    is still the draft their enrolment made."""
    import demo.training

    tag = uuid.uuid4().hex[:8]
    name, email, password = f"Dr. Quiet {tag}", f"e2e-mentor-{tag}@example.org", "a-long-e2e-password-1"
    admin = sign_in(url, logins[admin_login]["email"], logins[admin_login]["password"])
    me = call(url, "GET", "/api/v1/identity/me", admin).json()["user"]
    version = call(url, "GET", "/api/v1/identity/agreements/mentor/current").json()["version"]
    invitation = call(url, "POST", f"/api/v1/identity/institutions/{me['institution_id']}/mentor-invitations",
                      admin, (201,), json={"email": email, "name": name, "criteria": ["teaching_award"],
                                           "evidence": "Teaching award 2024"}).json()
    token = invitation_token(email) if invitation_token else invitation["token"]
    user = call(url, "POST", "/api/v1/identity/invitations/accept", None, (201,), json={
        "token": token, "password": password, "accept_agreement_version": version}).json()
    mentor = sign_in(url, email, password)
    operator = sign_in(url, logins["operator"]["email"], logins["operator"]["password"])
    answers = {(m["id"], v["version"]): [q["answer"] for q in v["questions"]]
               for m in call(url, "GET", "/api/v1/training/authoring/modules", operator).json()
               for v in m["versions"]}
    demo.training._train(client, mentor, answers, None)
    return Mentor(user["id"], me["institution_id"], mentor, name, email, password)


def expire_soon(url, operator_token: str, request_id: str, seconds: float = 6.0) -> None:
    """An operator moves an open request's deadline to a few seconds from now: the mentor is reminded at
    the jobs' next run (the reminder keeps its lead before the deadline) and the request expires after."""
    from datetime import datetime, timedelta, timezone

    respond_by = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    call(url, "PUT", f"/api/v1/mentorship/requests/{request_id}/deadline", operator_token,
         json={"respond_by": respond_by.isoformat()})


def request_mentorship(url, mentee_token: str, mentor_id: str):
    """POST a request; None while the platform's read models are still catching up (409 of that kind)."""
    body = {"mentor_id": mentor_id, "message": "Could you advise me on residency?", "goals": ["residency"]}
    r = requests.post(url + "/api/v1/mentorship/requests", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {mentee_token}"})
    slug = r.json().get("type", "").rsplit("/", 1)[-1]
    waiting = r.status_code == 409 and slug in ("mentee-not-enrolled", "mentor-not-active", "mentor-not-trained",
                                                "mentor-not-published")
    return None if waiting else r
