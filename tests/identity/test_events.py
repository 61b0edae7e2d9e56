"""Events through the real broker: MentorUnresponsive → ejection (MentorEjected once) and operator
reinstatement; and the end-to-end admission of a mentor whose MentorEnrolled reaches the broker
without any admission-criterion data."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from marshmallow import ValidationError

from services.identity.events import handlers
from shared.events import broker, envelope
from shared.events.consumer import Consumer
from shared.events.relay import OutboxRelay
from shared.testing import outbox_events, publish_events
from tests.identity.conftest import PASSWORD, PREFIX, World, unique_email


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow  # through the broker
def test_unresponsive_mentor_is_ejected_once_and_can_be_reinstated(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    mentor = world.mentor(inst, admin)
    tokens = world.sign_in(mentor["email"])
    broker.declare("identity", handlers.routing_keys())
    ids = [str(uuid.uuid4()) for _ in range(3)]
    dates = ["2025-03-01T09:00:00+00:00", "2025-03-05T09:00:00+00:00", "2025-03-12T16:30:00+00:00"]
    data = {"mentor_id": mentor["id"], "institution_id": inst["id"], "strikes": 3, "window_days": 30,
            "expired_request_ids": ids,
            "expiries": [{"request_id": i, "expired_at": d} for i, d in zip(ids, dates)]}
    first = envelope.build("MentorUnresponsive", data)
    later = envelope.build("MentorUnresponsive", {**data, "strikes": 4})
    stop = threading.Event()
    consumer = Consumer("identity", identity_db, handlers)
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        publish_events([first, first, later])  # a duplicate delivery and a second, later report
        assert _wait_for(lambda: world.get(f"/users/{mentor['id']}", admin["headers"]).get_json()["status"] == "ejected")
        time.sleep(1.0)  # let the duplicate and the later event be handled too
    finally:
        stop.set()
        thread.join(timeout=10)
    user = world.get(f"/users/{mentor['id']}", admin["headers"], expect=200).get_json()
    assert user["status_reason"].startswith("unresponsive: 3 requests expired")
    [ejected] = outbox_events(identity_db, "MentorEjected", user_id=mentor["id"])
    assert ejected["data"]["institution_id"] == inst["id"] and ejected["correlationid"] == first["correlationid"]
    # an ejected mentor is out: no sign-in, no refresh, and the compliance count drops
    refusal = world.post("/auth/token", {"email": mentor["email"], "password": PASSWORD}, expect=403).get_json()
    # ... and is told why (the expiries and their dates) and how to ask for reinstatement
    assert refusal["status_of_account"] == "ejected" and refusal["next_step"] == "ask-for-reinstatement"
    detail = refusal["detail"]
    assert "3 of your mentorship requests expired unanswered within 30 days" in detail, detail
    assert "(on 1 March 2025, 5 March 2025 and 12 March 2025)" in detail, detail
    assert "To ask for reinstatement, write to your institution's MentorMeMed program administrators" in detail
    assert f"Ada Admin <{admin['email']}>" in detail and "The program's operators decide" in detail
    assert "unresponsive:" not in detail and "R12" not in detail  # words for the person, not codes
    assert refusal["ejection"]["strikes"] == 3 and refusal["ejection"]["window_days"] == 30
    assert [e["request_id"] for e in refusal["ejection"]["expiries"]] == ids
    assert refusal["contacts"] == [{"name": "Ada Admin", "email": admin["email"], "role": "institution_admin"}]
    # a wrong password tells nothing of the account
    bad = world.post("/auth/token", {"email": mentor["email"], "password": "wrong-" + PASSWORD}, expect=401)
    assert "ejection" not in bad.get_json()
    world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)
    c = world.get(f"/institutions/{inst['id']}/compliance", admin["headers"], expect=200).get_json()
    assert c["enrolled_mentors"] == 0
    # only operators reinstate
    world.post(f"/users/{mentor['id']}/reinstate", {"reason": "explained: on leave"}, admin["headers"], expect=403)
    r = world.post(f"/users/{mentor['id']}/reinstate", {"reason": "explained: on leave"}, world.operator["headers"],
                   expect=200)
    assert r.get_json()["status"] == "active"
    [reinstated] = outbox_events(identity_db, "MentorReinstated", user_id=mentor["id"])
    assert reinstated["data"]["reason"] == "explained: on leave"
    world.post(f"/users/{mentor['id']}/reinstate", {"reason": "again"}, world.operator["headers"], expect=409)
    world.sign_in(mentor["email"])


def test_an_ejection_reported_without_dates_still_says_why(world, identity_db):
    """An older MentorUnresponsive (no expiries) still parses; the refusal says why, without dates."""
    from services.identity.events import eject_unresponsive_mentor

    inst = world.institution()
    admin = world.admin(inst)
    mentor = world.mentor(inst, admin)
    event = envelope.parse(envelope.build("MentorUnresponsive", {
        "mentor_id": mentor["id"], "institution_id": inst["id"], "strikes": 2, "window_days": 180,
        "expired_request_ids": [str(uuid.uuid4()), str(uuid.uuid4())]}))
    with identity_db.unit_of_work() as session:
        eject_unresponsive_mentor(session, event)
    refusal = world.post("/auth/token", {"email": mentor["email"], "password": PASSWORD}, expect=403).get_json()
    assert "because 2 of your mentorship requests expired unanswered within 180 days." in refusal["detail"]
    assert refusal["next_step"] == "ask-for-reinstatement" and refusal["ejection"]["expiries"] == []


def test_mentor_unresponsive_parses_with_and_without_the_expiry_dates():
    """Contract: `expiries` is optional, so events from an older mentorship service still parse."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    base = {"mentor_id": str(uuid.uuid4()), "institution_id": str(uuid.uuid4()), "strikes": 2, "window_days": 30,
            "expired_request_ids": ids}
    old = envelope.parse(envelope.build("MentorUnresponsive", base))
    assert old.data["expiries"] == []
    new = envelope.parse(envelope.build("MentorUnresponsive", {**base, "expiries": [
        {"request_id": ids[0], "expired_at": "2025-03-01T09:00:00+00:00"},
        {"request_id": ids[1], "expired_at": "2025-03-05T09:00:00Z"}]}))
    assert [e["request_id"] for e in new.data["expiries"]] == [uuid.UUID(i) for i in ids]
    assert new.data["expiries"][1]["expired_at"].isoformat() == "2025-03-05T09:00:00+00:00"
    # a date that is not one is refused at record time
    with pytest.raises(ValidationError):
        envelope.build("MentorUnresponsive", {**base, "expiries": [{"request_id": ids[0], "expired_at": "soon"}]})


def test_handler_ignores_unknown_or_inactive_mentors(identity_db):
    from services.identity.events import eject_unresponsive_mentor

    event = envelope.parse(envelope.build("MentorUnresponsive", {
        "mentor_id": str(uuid.uuid4()), "institution_id": str(uuid.uuid4()), "strikes": 3, "window_days": 30,
        "expired_request_ids": []}))
    with identity_db.unit_of_work() as session:
        eject_unresponsive_mentor(session, event)  # no such mentor: nothing happens, nothing raised


@pytest.mark.slow  # through the broker
def test_end_to_end_mentor_admission_reaches_the_broker_without_criteria(identity_app, identity_db):
    """operator creates an institution → invites its admin → the admin invites a mentor with a criterion →
    the mentor accepts → the relay publishes → MentorEnrolled on the broker, with no criterion data."""
    w = World(identity_app, identity_app.test_client())
    op = w.operator["headers"]
    inst = w.post("/institutions", {"name": "Meharry-like HBCU", "kind": "hbcu", "class_size": 115,
                                    "contact": {"name": "Dean", "email": unique_email("dean")}}, op,
                  expect=201).get_json()
    admin_email = unique_email("admin")
    admin_inv = w.post(f"/institutions/{inst['id']}/admin-invitations", {"email": admin_email, "name": "Ada"}, op,
                       expect=201).get_json()
    w.post("/invitations/accept", {"token": admin_inv["token"], "password": PASSWORD}, expect=201)
    admin_h = w.headers(admin_email)
    evidence = f"teaching award letter {uuid.uuid4().hex}"
    mentor_inv = w.post(f"/institutions/{inst['id']}/mentor-invitations",
                        {"email": unique_email("mentor"), "name": "Dr. Mentor",
                         "criteria": ["teaching_award", "urim_identity"], "evidence": evidence}, admin_h,
                        expect=201).get_json()
    version = w.get("/agreements/mentor/current", expect=200).get_json()["version"]
    mentor = w.post("/invitations/accept", {"token": mentor_inv["token"], "password": PASSWORD,
                                            "accept_agreement_version": version}, expect=201).get_json()

    names = broker.names()
    queue = f"{names.prefix}.test.mentor-enrolled.{uuid.uuid4().hex[:6]}"
    conn = broker.connect()
    try:
        ch = conn.channel()
        broker.declare_exchange(ch, names)
        ch.queue_declare(queue, auto_delete=True)
        ch.queue_bind(queue, names.exchange, routing_key="identity.MentorEnrolled.v1")
        relay = OutboxRelay(identity_db, service="identity")
        while relay.publish_pending():
            pass
        relay._close_broker()
        found = None
        deadline = time.monotonic() + 10
        while found is None and time.monotonic() < deadline:
            method, props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                time.sleep(0.1)
                continue
            message = json.loads(body)
            if message["data"]["user_id"] == mentor["id"]:
                found = (props, body.decode(), message)
        ch.queue_delete(queue)
    finally:
        conn.close()
    assert found is not None, "MentorEnrolled never reached the broker"
    props, raw, message = found
    assert message["type"] == "org.mentormemed.identity.MentorEnrolled.v1"
    assert message["source"] == "/services/identity" and message["subject"] == f"users/{mentor['id']}"
    assert message["data"] == {"user_id": mentor["id"], "institution_id": inst["id"], "name": "Dr. Mentor",
                               "email": mentor["email"]}
    for forbidden in ("criteria", "criterion", "teaching_award", "urim_identity", evidence, "evidence"):
        assert forbidden not in raw
    assert props.message_id == message["id"]
    assert f"{PREFIX}" not in raw
