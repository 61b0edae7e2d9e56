"""End to end through the gateway, on the platform as `make up` runs it: operator creates an
institution → invites its admin → the admin invites a mentor with a criterion → the mentor accepts →
MentorEnrolled arrives on the broker, with no criterion data in it."""
from __future__ import annotations

import json
import time
import uuid

import requests

from shared.events import broker
from tests.journeys import institution_with_admin, new_operator

PASSWORD = "a-long-test-password-1"


def _post(url, path, body, token=None, expect=201):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.post(url + "/api/v1/identity" + path, json=body, headers=headers, timeout=30)
    assert r.status_code == expect, (path, r.status_code, r.text)
    return r.json()


def _sign_in(url, email, password=PASSWORD):
    return _post(url, "/auth/token", {"email": email, "password": password}, expect=200)["access_token"]


def test_mentor_admission_through_the_gateway_publishes_mentor_enrolled_without_criteria(platform):
    names = broker.names()
    queue = f"{names.prefix}.e2e.{uuid.uuid4().hex[:6]}"
    conn = broker.connect()
    ch = conn.channel()
    ch.queue_declare(queue)
    ch.queue_bind(queue, names.exchange, "identity.MentorEnrolled.v1")
    conn.close()

    tag = uuid.uuid4().hex[:8]
    op = new_operator(platform, "Gateway Operator")
    inst, admin = institution_with_admin(platform, op, tag, name="Gateway School", class_size=60)
    mentor_version = requests.get(platform + "/api/v1/identity/agreements/mentor/current", timeout=10).json()["version"]
    evidence = f"Teaching award evidence {tag}"
    invitation = _post(platform, f"/institutions/{inst['id']}/mentor-invitations",
                       {"email": f"mentor-{tag}@example.org", "name": "Dr. Test Mentor",
                        "criteria": ["teaching_award"], "evidence": evidence}, admin)
    mentor = _post(platform, "/invitations/accept", {"token": invitation["token"], "password": PASSWORD,
                                                     "accept_agreement_version": mentor_version})

    conn = broker.connect()
    ch = conn.channel()
    deadline = time.monotonic() + 30
    body = None
    while body is None and time.monotonic() < deadline:
        method, props, raw = ch.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.2)
            continue
        body = json.loads(raw)
    ch.queue_delete(queue)
    conn.close()
    assert body is not None, "MentorEnrolled never reached the broker"
    assert body["type"] == "org.mentormemed.identity.MentorEnrolled.v1"
    assert set(body["data"]) == {"user_id", "institution_id", "name", "email"}
    assert body["data"]["user_id"] == mentor["id"] and body["data"]["institution_id"] == inst["id"]
    text = json.dumps(body)
    assert "teaching_award" not in text and evidence not in text and "criteria" not in text
