"""What mentorship learns from other services' events: idempotent and order-tolerant handlers, the
ejection of a mentor (open requests declined, mentorships concluded), a mentee's exit, deactivation,
publication and scope — and the same through the real broker with duplicate deliveries."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.mentorship.events import handlers
from shared.events import broker, envelope
from shared.events.consumer import Consumer
from shared.testing import publish_events
from tests.mentorship.conftest import Person, apply, bearer, count, outbox


def _member(db, user_id) -> dict:
    with db.sessions() as conn:
        return dict(conn.execute(sa.text("SELECT * FROM members WHERE user_id = :u"), {"u": user_id}).mappings().one())


def test_out_of_order_and_repeated_status_events(world, mentorship_db):
    uid, inst = uuid.uuid4(), uuid.uuid4()
    t0 = datetime.now(timezone.utc)
    enrolled = {"user_id": uid, "institution_id": inst, "name": "Dr. Late", "email": "late@example.org"}
    status = {"user_id": uid, "institution_id": inst, "reason": "r"}
    # the ejection overtakes the enrollment: the mentor stays ejected
    apply(mentorship_db, "MentorEjected", status, time=t0 + timedelta(seconds=2))
    apply(mentorship_db, "MentorEnrolled", enrolled, time=t0)
    m = _member(mentorship_db, uid)
    assert m["status"] == "ejected" and m["name"] == "Dr. Late" and m["enrolled_at"] is not None
    # a reinstatement older than the ejection changes nothing; a later one applies; a repeat is harmless
    apply(mentorship_db, "MentorReinstated", status, time=t0 + timedelta(seconds=1))
    assert _member(mentorship_db, uid)["status"] == "ejected"
    apply(mentorship_db, "MentorReinstated", status, time=t0 + timedelta(seconds=3))
    apply(mentorship_db, "MentorReinstated", status, time=t0 + timedelta(seconds=3))
    assert _member(mentorship_db, uid)["status"] == "active"
    # training before enrollment is remembered; publication: the latest event wins
    mentee = uuid.uuid4()
    apply(mentorship_db, "TrainingCompleted", {"user_id": mentee, "institution_id": inst, "track": "mentee",
                                               "curriculum_version": 1, "completed_at": t0})
    assert _member(mentorship_db, mentee)["status"] == "pending"
    apply(mentorship_db, "MenteeEnrolled", {**enrolled, "user_id": mentee, "email": "m@example.org"})
    assert _member(mentorship_db, mentee)["status"] == "active" and _member(mentorship_db, mentee)["trained_at"]
    pub = {"mentor_id": uid, "institution_id": inst, "scope": "local"}
    apply(mentorship_db, "MentorProfileUnpublished", {"mentor_id": uid, "institution_id": inst, "reason": "mentor"},
          time=t0 + timedelta(seconds=5))
    apply(mentorship_db, "MentorProfilePublished", pub, time=t0 + timedelta(seconds=4))
    assert _member(mentorship_db, uid)["published"] is False
    apply(mentorship_db, "MentorProfilePublished", {**pub, "scope": "national"}, time=t0 + timedelta(seconds=6))
    m = _member(mentorship_db, uid)
    assert m["published"] is True and m["scope"] == "national"
    # exited and deactivated are final
    apply(mentorship_db, "MenteeExited", {"user_id": mentee, "institution_id": inst, "reason": "graduated"})
    apply(mentorship_db, "MenteeEnrolled", {**enrolled, "user_id": mentee, "email": "m@example.org"},
          time=t0 + timedelta(days=1))
    assert _member(mentorship_db, mentee)["status"] == "exited"


def test_ejection_closes_open_requests_and_concludes_mentorships(world, mentorship_db):
    mentor = world.mentor()
    a, b, c = world.mentee(), world.mentee(), world.mentee()
    ms = world.accept(mentor, world.request(a, mentor)["id"])["mentorship_id"]
    rb, rc = world.request(b, mentor), world.request(c, mentor)
    data = {"user_id": mentor.id, "institution_id": mentor.institution_id, "reason": "unresponsive"}
    apply(mentorship_db, "MentorEjected", data)
    apply(mentorship_db, "MentorEjected", data)  # a second, later ejection event: nothing more
    for r, who in ((rb, b), (rc, c)):
        got = world.get(f"/requests/{r['id']}", who).get_json()
        assert got["status"] == "declined" and got["decline_reason"] == "mentor ejected"
        late = world.post(f"/requests/{r['id']}/withdraw", {}, who, expect=409).get_json()
        assert late["detail"] == "This request was declined automatically when the mentor was removed from the program."
        [ev] = outbox(mentorship_db, "RequestDeclined", request_id=r["id"])
        assert ev["data"]["automatic"] is True
    [ev] = outbox(mentorship_db, "MentorshipConcluded", mentorship_id=ms)
    assert ev["data"]["reason"] == "mentor ejected" and ev["data"]["concluded_by"] == "platform"
    assert _member(mentorship_db, mentor.id)["active_mentees"] == 0
    world.request(world.mentee(), mentor, expect=409)


def test_mentee_exit_and_deactivations(world, mentorship_db):
    mentor1, mentor2, mentee = world.mentor(), world.mentor(), world.mentee()
    ms = world.accept(mentor1, world.request(mentee, mentor1)["id"])["mentorship_id"]
    open_req = world.request(mentee, mentor2)
    apply(mentorship_db, "MenteeExited", {"user_id": mentee.id, "institution_id": mentee.institution_id,
                                          "reason": "graduated"})
    [ev] = outbox(mentorship_db, "MentorshipConcluded", mentorship_id=ms)
    assert ev["data"]["reason"] == "mentee exited: graduated" and ev["data"]["concluded_by"] == "platform"
    assert world.get(f"/requests/{open_req['id']}", mentor2).get_json()["status"] == "withdrawn"
    late = world.post(f"/requests/{open_req['id']}/accept", {}, mentor2, expect=409).get_json()
    assert late["detail"] == "This request was withdrawn when the mentee left the program."
    assert late["reason"] == "mentee-left"
    assert len(outbox(mentorship_db, "RequestWithdrawn", request_id=open_req["id"])) == 1
    assert _member(mentorship_db, mentor1.id)["active_mentees"] == 0
    # a deactivated mentor: like an ejection; a deactivated mentee: like an exit
    m3, e3 = world.mentor(), world.mentee()
    ms3 = world.accept(m3, world.request(e3, m3)["id"])["mentorship_id"]
    apply(mentorship_db, "UserDeactivated", {"user_id": m3.id, "institution_id": m3.institution_id, "role": "mentor"})
    assert outbox(mentorship_db, "MentorshipConcluded", mentorship_id=ms3)[0]["data"]["reason"] == "mentor deactivated"
    e4 = world.mentee()
    r4 = world.request(e4, mentor2)
    apply(mentorship_db, "UserDeactivated", {"user_id": e4.id, "institution_id": e4.institution_id, "role": "mentee"})
    assert world.get(f"/requests/{r4['id']}", mentor2).get_json()["status"] == "withdrawn"
    # admins and operators are no members of mentorship
    apply(mentorship_db, "UserDeactivated", {"user_id": uuid.uuid4(), "institution_id": None, "role": "operator"})


def test_exited_mentee_admitted_as_mentor_is_counted_as_one(world, mentorship_db):
    """R17: identity admits an exited mentee as a mentor of another institution under the same user id.
    The row becomes a mentor's and counts as an enrolled mentor there, even when the admission overtakes
    the exit: the mentee side is closed as the exit would close it, and the late exit changes nothing."""
    old_mentor, alumna = world.mentor(), world.mentee()
    ms = world.accept(old_mentor, world.request(alumna, old_mentor)["id"])["mentorship_id"]
    inst = uuid.uuid4()
    t0 = datetime.now(timezone.utc)
    counts = lambda: world.get(f"/institutions/{inst}/counts", world.admin(inst), expect=200).get_json()["mentors"]
    assert counts()["enrolled_mentors"] == 0
    apply(mentorship_db, "MentorEnrolled", {"user_id": alumna.id, "institution_id": inst, "name": "Dr. Alumna",
                                            "email": alumna.email}, time=t0 + timedelta(seconds=2))
    m = _member(mentorship_db, alumna.id)
    assert (m["role"], m["status"], m["institution_id"], m["trained_at"]) == ("mentor", "active", inst, None)
    assert counts()["enrolled_mentors"] == 1
    [ev] = outbox(mentorship_db, "MentorshipConcluded", mentorship_id=ms)
    assert ev["data"]["reason"] == "mentee exited" and _member(mentorship_db, old_mentor.id)["active_mentees"] == 0
    apply(mentorship_db, "MenteeExited", {"user_id": alumna.id, "institution_id": alumna.institution_id,
                                          "reason": "graduated"}, time=t0)
    apply(mentorship_db, "MentorEnrolled", {"user_id": alumna.id, "institution_id": inst, "name": "Dr. Alumna",
                                            "email": alumna.email}, time=t0 + timedelta(seconds=2))
    assert _member(mentorship_db, alumna.id)["status"] == "active" and counts()["enrolled_mentors"] == 1
    assert len(outbox(mentorship_db, "MentorshipConcluded", mentorship_id=ms)) == 1
    # as a mentor now: trained on the mentor track, published, requested
    as_mentor = type(alumna)(alumna.id, inst, "mentor", "Dr. Alumna", alumna.email,
                             bearer(world.keys.mint("mentor", sub=alumna.id, inst=inst)))
    world.train(as_mentor)
    world.publish(as_mentor)
    world.accept(as_mentor, world.request(world.mentee(), as_mentor)["id"])
    assert counts() | {"requests": None, "mentorships": None} == {
        "requests": None, "mentorships": None, "enrolled_mentors": 1, "mentors_in_mentorships": 1,
        "mentors_at_capacity": 0}


def test_unpublished_mentor_gets_no_new_requests(world, mentorship_db):
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)
    apply(mentorship_db, "MentorProfileUnpublished", {"mentor_id": mentor.id, "institution_id": mentor.institution_id,
                                                      "reason": "mentor"})
    r = world.request(world.mentee(), mentor, expect=409)
    assert r["type"].endswith("/mentor-not-published")
    world.accept(mentor, req["id"])  # what was asked before goes on


@pytest.mark.slow  # through the broker
def test_through_the_broker_with_duplicates(world, mentorship_db):
    """Enrollment, training and publication events (each delivered twice) make a requestable mentor;
    MentorEjected then closes what was open."""
    broker.declare("mentorship", handlers.routing_keys())
    inst, mentor_id, mentee_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(timezone.utc)
    events = [
        envelope.build("MentorEnrolled", {"user_id": mentor_id, "institution_id": inst, "name": "Dr. Broker",
                                          "email": "broker@example.org"}),
        envelope.build("MenteeEnrolled", {"user_id": mentee_id, "institution_id": inst, "name": "Mia",
                                          "email": "mia@example.org"}),
        envelope.build("TrainingCompleted", {"user_id": mentor_id, "institution_id": inst, "track": "mentor",
                                             "curriculum_version": 1, "completed_at": now}),
        envelope.build("TrainingCompleted", {"user_id": mentee_id, "institution_id": inst, "track": "mentee",
                                             "curriculum_version": 1, "completed_at": now}),
        envelope.build("MentorProfilePublished", {"mentor_id": mentor_id, "institution_id": inst, "scope": "local"}),
    ]
    stop = threading.Event()
    consumer = Consumer("mentorship", mentorship_db, handlers)
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        publish_events(events + list(reversed(events)))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and count(
                mentorship_db, "SELECT count(*) FROM members WHERE user_id IN (:a, :b) AND status = 'active' "
                               "AND trained_at IS NOT NULL", a=mentor_id, b=mentee_id) < 2:
            time.sleep(0.1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _member(mentorship_db, mentor_id)["published"]:
            time.sleep(0.1)
        mentee = Person(mentee_id, inst, "mentee", "Mia", "mia@example.org",
                        bearer(world.keys.mint("mentee", sub=mentee_id, inst=inst)))
        mentor = Person(mentor_id, inst, "mentor", "Dr. Broker", "broker@example.org", {})
        req = world.request(mentee, mentor)
        publish_events([envelope.build("MentorEjected", {"user_id": mentor_id, "institution_id": inst,
                                                   "reason": "unresponsive"})] * 2)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and world.get(f"/requests/{req['id']}", mentee).get_json()["status"] == "open":
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert world.get(f"/requests/{req['id']}", mentee).get_json()["decline_reason"] == "mentor ejected"
    assert len(outbox(mentorship_db, "RequestDeclined", request_id=req["id"])) == 1
    assert count(mentorship_db, "SELECT count(*) FROM inbox WHERE event_id = ANY(CAST(:ids AS uuid[]))",
                 ids=[e["id"] for e in events]) == len(events)
