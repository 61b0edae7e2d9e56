"""End to end through the gateway, on the platform as `make up` runs it, with the mentorship durations
shrunk to seconds (tests/mentorship/conftest.py): a mentor is admitted (identity), trained (training)
and publishes a profile (directory); a trained mentee requests them → RequestCreated on the broker →
no answer → RequestReminderDue, then RequestExpired → a second unanswered request → MentorUnresponsive
→ identity's MentorEjected → the mentor is gone from directory search. A mentee who has not completed
training is refused with 409."""
from __future__ import annotations

import json
import time
import uuid

import requests

from shared.events import broker

MENTORSHIP = "/api/v1/mentorship"
KEYS = ["mentorship.RequestCreated.v1", "mentorship.RequestReminderDue.v1", "mentorship.RequestExpired.v1",
        "mentorship.MentorUnresponsive.v1", "identity.MentorEjected.v1"]


class Tap:
    """A queue of this test's own, bound to the events it watches."""

    def __init__(self):
        self.names = broker.names()
        self.queue = f"{self.names.prefix}.e2e-mentorship.{uuid.uuid4().hex[:6]}"
        self.conn = broker.connect()
        self.ch = self.conn.channel()
        self.ch.queue_declare(self.queue, auto_delete=True)
        for key in KEYS:
            self.ch.queue_bind(self.queue, self.names.exchange, key)
        self.seen: list[dict] = []

    def wait_for(self, name: str, timeout: float = 60.0, **match) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for body in self.seen:
                if body["type"].endswith(f".{name}.v1") and all(body["data"].get(k) == v for k, v in match.items()):
                    return body
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} {match} never reached the broker; saw {[b['type'] for b in self.seen]}")
            method, _props, raw = self.ch.basic_get(self.queue, auto_ack=True)
            if method is None:
                time.sleep(0.2)
            else:
                self.seen.append(json.loads(raw))

    def close(self):
        self.ch.queue_delete(self.queue)
        self.conn.close()


def _call(url, method, path, token=None, expect=(200,), **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.request(method, url + path, headers=headers, timeout=30, **kw)
    assert r.status_code in expect, (method, path, r.status_code, r.text[:500])
    return r


def _until(fn, timeout=60.0, every=0.5):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def test_unanswered_requests_get_a_mentor_ejected_and_out_of_search(platform):
    import demo.identity
    import demo.training
    from demo.client import Client
    from demo.loader import OPERATOR, ensure_operator

    ensure_operator()
    client = Client(platform)
    logins = {"operator": dict(OPERATOR)}
    demo.identity.load(client, logins)
    demo.training.load(client, logins)
    tap = Tap()
    try:
        def sign_in(login):
            return _call(platform, "POST", "/api/v1/identity/auth/token",
                         json={"email": login["email"], "password": login["password"]}).json()["access_token"]

        # a new mentor of the HBCU, admitted by its admin on an R2 criterion
        tag = uuid.uuid4().hex[:8]
        admin = sign_in(logins["harbor admin"])
        me = _call(platform, "GET", "/api/v1/identity/me", admin).json()["user"]
        version = _call(platform, "GET", "/api/v1/identity/agreements/mentor/current").json()["version"]
        invitation = _call(platform, "POST", f"/api/v1/identity/institutions/{me['institution_id']}/mentor-invitations",
                           admin, (201,), json={"email": f"e2e-mentor-{tag}@example.org", "name": f"Dr. Quiet {tag}",
                                                "criteria": ["teaching_award"], "evidence": "Teaching award 2024"}).json()
        mentor_user = _call(platform, "POST", "/api/v1/identity/invitations/accept", None, (201,), json={
            "token": invitation["token"], "password": "a-long-e2e-password-1",
            "accept_agreement_version": version}).json()
        mentor = sign_in({"email": f"e2e-mentor-{tag}@example.org", "password": "a-long-e2e-password-1"})
        # ... trained (training), as the demo trains people
        operator = sign_in(logins["operator"])
        answers = {(m["id"], v["version"]): [q["answer"] for q in v["questions"]]
                   for m in _call(platform, "GET", "/api/v1/training/authoring/modules", operator).json()
                   for v in m["versions"]}
        demo.training._train(client, mentor, answers, None)
        # ... and published in the directory, nationally
        name = f"Dr. Quiet {tag}"
        _call(platform, "PATCH", "/api/v1/directory/me/profile", mentor, json={
            "display_name": name, "academic_rank": "associate_professor", "specialties": ["Internal Medicine"],
            "languages": ["English"], "city": "Atlanta", "state": "GA", "bio": "Hospitalist who enjoys teaching.",
            "scope": "national", "accepting_new_mentees": True, "hours_per_month": 4, "meeting_modes": ["video"],
            "time_windows": [{"day": "tue", "start": "18:00", "end": "20:00"}], "timezone": "America/New_York"})
        assert _until(lambda: requests.post(platform + "/api/v1/directory/me/profile/publish",
                                            json={"consent_to_search": True}, timeout=30,
                                            headers={"Authorization": f"Bearer {mentor}"}).status_code == 200)

        mentee = sign_in(logins["lakeside mentee1"])  # trained by the demo
        untrained = sign_in(logins["lakeside mentee2"])  # part-way through training

        def search_hits():
            body = _call(platform, "GET", "/api/v1/directory/mentors", mentee, params={"q": name}).json()
            return [h for h in body["results"] if h["id"] == mentor_user["id"]]

        assert _until(search_hits), "the published mentor never appeared in search"

        body = {"mentor_id": mentor_user["id"], "message": "Could you advise me on residency?", "goals": ["residency"]}

        def request_as(token):
            r = requests.post(platform + MENTORSHIP + "/requests", json=body, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})
            slug = r.json().get("type", "").rsplit("/", 1)[-1]
            waiting = r.status_code == 409 and slug in ("mentee-not-enrolled", "mentor-not-active",
                                                        "mentor-not-trained", "mentor-not-published")
            return None if waiting else r

        # R6: a mentee without TrainingCompleted is refused with 409
        refused = _until(lambda: request_as(untrained))
        assert refused.status_code == 409 and refused.json()["type"].endswith("/mentee-not-trained")
        assert refused.headers["Content-Type"].startswith("application/problem+json")

        expired_ids = []
        for attempt in range(2):
            created = _until(lambda: request_as(mentee))
            assert created.status_code == 201, created.text
            rid = created.json()["id"]
            ev = tap.wait_for("RequestCreated", request_id=rid)
            assert ev["data"]["mentor_id"] == mentor_user["id"]
            # no answer: reminded, then expired
            tap.wait_for("RequestReminderDue", request_id=rid)
            tap.wait_for("RequestExpired", request_id=rid)
            got = _call(platform, "GET", f"{MENTORSHIP}/requests/{rid}", mentee).json()
            assert got["status"] == "expired" and got["mentor_contact"] is None
            expired_ids.append(rid)
            if attempt == 0:
                time.sleep(1)
                assert not [b for b in tap.seen if b["type"].endswith(".MentorUnresponsive.v1")
                            and b["data"]["mentor_id"] == mentor_user["id"]]
        unresponsive = tap.wait_for("MentorUnresponsive", mentor_id=mentor_user["id"])
        assert sorted(unresponsive["data"]["expired_request_ids"]) == sorted(expired_ids)
        ejected = tap.wait_for("MentorEjected", user_id=mentor_user["id"])
        assert ejected["data"]["reason"].startswith("unresponsive")
        # out of the directory, out of the program
        assert _until(lambda: not search_hits()), "the ejected mentor is still in search"
        _call(platform, "GET", f"/api/v1/directory/mentors/{mentor_user['id']}", mentee, (404,))
        _call(platform, "POST", "/api/v1/identity/auth/token", None, (403,),
              json={"email": f"e2e-mentor-{tag}@example.org", "password": "a-long-e2e-password-1"})
        refused = _until(lambda: (lambda r: r if r.json()["type"].endswith("/mentor-not-active") else None)(
            requests.post(platform + MENTORSHIP + "/requests", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {mentee}"})))
        assert refused.status_code == 409
    finally:
        tap.close()
