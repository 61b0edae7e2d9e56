"""Demo data of the mentorship service, through the gateway's public API, as its users would do it.

    demo.mentorship.load(client, logins)   # the platform loader (demo/loader.py), after identity,
                                           # training and directory

Requests only go between trained people (demo/training.py trains mentor1, mentor2 and mentee1 of each
institution) to mentors with a published profile (demo/directory.py), each within one institution:
- lakeside mentee1 → lakeside mentor1: accepted (a mentorship; each side now sees the other's contact)
- lakeside mentee1 → lakeside mentor2, riverside mentee1 → riverside mentor2: pending
- riverside mentee1 → riverside mentor1: declined, with a reason
- metropolitan mentee1 → metropolitan mentor1: expired — an operator moves the request's deadline to now through the
  documented operator endpoint (PUT /requests/<id>/deadline), and the worker's expiry job expires it
  at its next run (MENTORSHIP_JOB_INTERVAL, 15 s by default). That is one strike on metropolitan mentor1, below
  the threshold of 2.
Each request carries an Idempotency-Key, so running the loader again creates nothing new. Enrollment,
training and publication reach mentorship as events; the loader waits for them (up to a minute) and
skips a pair, saying why, when they never arrive (for example without the directory's demo).
"""
from __future__ import annotations

import time

from demo.client import Client, DemoError

PREFIX = "/api/v1/mentorship"
WAITING_FOR_EVENTS = ("mentee-not-enrolled", "mentee-not-trained", "mentor-not-active", "mentor-not-trained",
                      "mentor-not-published")

PLAN = [  # (institution, mentee, mentor, outcome)
    ("lakeside", "mentee1", "mentor1", "accepted"),
    ("lakeside", "mentee1", "mentor2", "pending"),
    ("riverside", "mentee1", "mentor1", "declined"),
    ("riverside", "mentee1", "mentor2", "pending"),
    ("metropolitan", "mentee1", "mentor1", "expired"),
]


def _sign_in(client: Client, login: dict) -> tuple[str, str]:
    token = client.sign_in(login["email"], login["password"])
    return token, client.get("/api/v1/identity/me", token=token, expect=(200,))["user"]["id"]


def _request(client: Client, mentee: str, mentor_id: str, key: str, wait: float) -> dict | str:
    """The request (created, or found again by its Idempotency-Key), or why it could not be made."""
    deadline = time.monotonic() + wait
    body = {"mentor_id": mentor_id, "message": "I am applying to residency next year and would value your "
                                              "guidance on choosing programs and on research.",
            "goals": ["residency applications", "research mentorship", "work-life balance"]}
    while True:
        r = client.http.post(client.base + PREFIX + "/requests", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {mentee}", "Idempotency-Key": key})
        if r.status_code in (200, 201):
            return r.json()
        slug = r.json().get("type", "").rsplit("/", 1)[-1] if r.content else ""
        if r.status_code != 409 or slug not in WAITING_FOR_EVENTS:
            raise DemoError(f"POST {PREFIX}/requests -> {r.status_code}: {r.text[:300]}")
        if time.monotonic() > deadline:
            return slug
        time.sleep(1)


def _wait_expired(client: Client, token: str, request_id: str, wait: float = 90.0) -> str:
    deadline = time.monotonic() + wait
    while True:
        status = client.get(f"{PREFIX}/requests/{request_id}", token=token, expect=(200,))["status"]
        if status != "open" or time.monotonic() > deadline:
            return status
        time.sleep(1)


def load(client: Client, logins: dict) -> dict:
    operator, _ = _sign_in(client, logins["operator"])
    summary: dict[str, str] = {}
    wait = 60.0
    for inst, mentee_key, mentor_key, outcome in PLAN:
        mentee_login, mentor_login = logins.get(f"{inst} {mentee_key}"), logins.get(f"{inst} {mentor_key}")
        name = f"{inst} {mentee_key} -> {mentor_key}"
        if not mentee_login or not mentor_login:
            summary[name] = "skipped: no such demo login"
            continue
        mentee, _ = _sign_in(client, mentee_login)
        mentor, mentor_id = _sign_in(client, mentor_login)
        req = _request(client, mentee, mentor_id, f"demo-{inst}-{mentee_key}-{mentor_key}", wait)
        if isinstance(req, str):
            summary[name] = f"skipped: {req} (its event has not reached mentorship)"
            wait = 5.0  # the events are not coming: do not wait a minute for every pair
            print(f"  mentorship: {name:<36} {summary[name]}", flush=True)
            continue
        rid = req["id"]
        if outcome == "accepted":
            client.post(f"{PREFIX}/requests/{rid}/accept", token=mentor, json={}, expect=(200, 409))
        elif outcome == "declined":
            client.post(f"{PREFIX}/requests/{rid}/decline", token=mentor, expect=(200, 409),
                        json={"reason": "I am on clinical service abroad this semester; please ask a colleague."})
        elif outcome == "expired":
            client.put(f"{PREFIX}/requests/{rid}/deadline", token=operator, expect=(200, 409),
                       json={"respond_by": req["created_at"]})
            _wait_expired(client, mentee, rid)
        summary[name] = client.get(f"{PREFIX}/requests/{rid}", token=mentee, expect=(200,))["status"]
        print(f"  mentorship: {name:<36} {summary[name]}", flush=True)
    return summary
