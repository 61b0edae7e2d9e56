"""End to end through the gateway, on the platform as `make up` runs it, with the mentorship durations
shrunk to seconds (tests/mentorship/conftest.py): a mentor is admitted (identity), trained (training)
and publishes a profile (directory); a trained mentee requests them → RequestCreated on the broker →
no answer → RequestReminderDue, then RequestExpired → a second unanswered request → MentorUnresponsive
→ identity's MentorEjected → the mentor is gone from directory search, and signing in is told why (the
expiries, their dates) and whom to ask → an operator reinstates → the mentor signs in and their profile
states the next step (review and publish it again). A mentee who has not completed training is refused
with 409."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

import requests

from services.identity.rules import day
from shared.events import broker
from tests import journeys
from tests.journeys import admit_published_mentor, call as _call, demo_people, request_mentorship, until as _until

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


def test_unanswered_requests_get_a_mentor_ejected_and_out_of_search(platform):
    client, logins = demo_people(platform)
    tap = Tap()
    try:
        def sign_in(login):
            return journeys.sign_in(platform, login["email"], login["password"])

        # a new mentor of the HBCU, admitted by its admin on an R2 criterion, trained and published
        admitted = admit_published_mentor(platform, client, logins)
        mentor_user, name = {"id": admitted.id}, admitted.name

        operator = sign_in(logins["operator"])
        mentee = sign_in(logins["lakeside mentee1"])  # trained by the demo
        untrained = sign_in(logins["lakeside mentee2"])  # part-way through training

        def search_hits():
            body = _call(platform, "GET", "/api/v1/directory/mentors", mentee, params={"q": name}).json()
            return [h for h in body["results"] if h["id"] == mentor_user["id"]]

        assert _until(search_hits), "the published mentor never appeared in search"

        body = {"mentor_id": mentor_user["id"], "message": "Could you advise me on residency?", "goals": ["residency"]}

        def request_as(token):
            return request_mentorship(platform, token, mentor_user["id"])

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
            # no answer by a deadline an operator brought to a few seconds away: reminded, then expired
            journeys.expire_soon(platform, operator, rid)
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
        # the mentor signing in is told why (the two expiries, with their dates) and how to ask to come back
        refusal = _call(platform, "POST", "/api/v1/identity/auth/token", None, (403,),
                        json={"email": admitted.email, "password": admitted.password}).json()
        assert refusal["status_of_account"] == "ejected" and refusal["next_step"] == "ask-for-reinstatement"
        expiries = unresponsive["data"]["expiries"]
        assert sorted(e["request_id"] for e in expiries) == sorted(expired_ids)
        assert refusal["ejection"]["expiries"] == [
            {"request_id": e["request_id"], "expired_at": datetime.fromisoformat(e["expired_at"]).isoformat()}
            for e in expiries]
        detail = refusal["detail"]
        window = unresponsive["data"]["window_days"]
        assert f"because 2 of your mentorship requests expired unanswered within {window} days (on " in detail, detail
        for e in expiries:
            assert day(datetime.fromisoformat(e["expired_at"])) in detail
        assert "To ask for reinstatement, write to your institution's MentorMeMed program administrators" in detail
        assert refusal["contacts"] and all(c["email"] in detail for c in refusal["contacts"])
        refused = _until(lambda: (lambda r: r if r.json()["type"].endswith("/mentor-not-active") else None)(
            requests.post(platform + MENTORSHIP + "/requests", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {mentee}"})))
        assert refused.status_code == 409
        # the operator reinstates: the mentor signs in, and is told their profile waits to be published again
        _call(platform, "POST", f"/api/v1/identity/users/{mentor_user['id']}/reinstate", operator,
              json={"reason": "was on leave; will answer requests"})
        back = sign_in({"email": admitted.email, "password": admitted.password})

        def next_step():
            own = _call(platform, "GET", "/api/v1/directory/me/profile", back).json()
            return own if own["status"] == "active" else None
        own = _until(next_step)
        assert own and own["published"] is False, own
        assert own["next_step"]["code"] == "review-and-publish-profile"
        assert "publish it when you are ready to answer requests" in own["next_step"]["detail"]
    finally:
        tap.close()
