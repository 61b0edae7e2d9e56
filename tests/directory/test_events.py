"""The directory's handlers through the real broker: enrolment, training, ejection (out of search as
soon as it is handled), duplicates and out-of-order delivery; responsiveness from request outcomes."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.directory.events import handlers
from shared.events import broker, envelope
from shared.events.consumer import Consumer
from shared.testing import outbox_events, publish_events
from tests.directory.conftest import FULL_PROFILE, deliver, now, profile


def wait_for(predicate, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def consumer(directory_db):
    broker.declare("directory", handlers.routing_keys())
    stop = threading.Event()
    thread = threading.Thread(target=Consumer("directory", directory_db, handlers).run, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.mark.slow  # through the broker
def test_through_the_broker_enrolled_trained_published_then_ejected(world, consumer):
    inst, user_id = uuid.uuid4(), uuid.uuid4()
    word = "zq" + uuid.uuid4().hex[:10]
    enrolled = envelope.build("MentorEnrolled", {"user_id": user_id, "institution_id": inst, "name": "Dr. Broker",
                                                 "email": "broker@example.org"})
    trained = envelope.build("TrainingCompleted", {"user_id": user_id, "institution_id": inst, "track": "mentor",
                                                   "curriculum_version": 1, "completed_at": now()})
    publish_events([trained, enrolled, enrolled])  # out of order, and a duplicate
    headers = world.headers("mentor", sub=user_id, inst=inst)

    def known_and_trained():
        r = world.call("get", "/me/profile", headers)
        return r.status_code == 200 and r.get_json()["trained"] and r.get_json()["display_name"] == "Dr. Broker"

    assert wait_for(known_and_trained)
    world.call("patch", "/me/profile", headers, profile(bio=f"Broker test {word}"), expect=200)
    world.call("post", "/me/profile/publish", headers, {"consent_to_search": True}, expect=200)
    mentee = world.mentee(inst)
    assert world.search(mentee, q=word)["total"] == 1

    ejected = envelope.build("MentorEjected", {"user_id": user_id, "institution_id": inst, "reason": "unresponsive"})
    stale = envelope.build("MentorReinstated", {"user_id": user_id, "institution_id": inst, "reason": "old"},
                           time=datetime.now(timezone.utc) - timedelta(hours=1))
    publish_events([ejected, ejected, stale])  # a repeat, and a reinstatement older than the ejection
    assert wait_for(lambda: world.search(mentee, q=word)["total"] == 0)
    time.sleep(0.5)
    own = world.call("get", "/me/profile", headers, expect=200).get_json()
    assert own["status"] == "ejected" and own["published"] is False
    [unpublished] = outbox_events(world.db, "MentorProfileUnpublished", mentor_id=str(user_id))
    assert unpublished["data"]["reason"] == "ejected"
    assert unpublished["correlationid"] == ejected["correlationid"]


@pytest.mark.slow  # searches: the search reads what was committed
def test_responsiveness_from_request_outcomes(world):
    inst = world.institution()
    m = world.mentor(inst, profile=FULL_PROFILE)
    base = now() - timedelta(days=2)
    world.outcome(m, "accepted", hours=4, created=base)
    world.outcome(m, "declined", hours=8, created=base + timedelta(minutes=1))
    world.outcome(m, "expired", created=base + timedelta(minutes=2))
    world.outcome(m, "declined", automatic=True, created=base + timedelta(minutes=3))  # not the mentor's answer
    rid = world.outcome(m, "accepted", hours=6, created=base + timedelta(minutes=4))
    deliver(world.db, "RequestExpired", {"request_id": rid, "mentee_id": uuid.uuid4(), "mentor_id": m["uuid"],
                                         "created_at": base, "respond_by": base})  # a second outcome: ignored
    got = world.call("get", f"/mentors/{m['id']}", world.mentee(inst), expect=200).get_json()["responsiveness"]
    assert got["requests_considered"] == 4
    assert got["response_rate"] == 0.75 and got["median_response_hours"] == 6.0
    assert got["score"] == pytest.approx(0.75 * (0.5 + 0.5 / (1 + 6 / 72)), abs=1e-3)


def test_outcomes_and_mentorships_before_the_mentor_is_known_are_counted_later(world):
    inst, user_id = uuid.uuid4(), uuid.uuid4()
    mentor = {"uuid": user_id, "inst": inst}
    world.outcome(mentor, "expired")
    world.start_mentorships(mentor, 1)  # creates the row (it names the mentor's institution)
    deliver(world.db, "MentorEnrolled", {"user_id": user_id, "institution_id": inst, "name": "Dr. Late",
                                         "email": "late@example.org"})
    own = world.call("get", "/me/profile", world.headers("mentor", sub=user_id, inst=inst), expect=200).get_json()
    assert own["active_mentees"] == 1 and own["open_slots"] == 2
    assert own["requests_considered"] == 1 and own["response_rate"] == 0.0


def test_deactivation_of_other_roles_is_ignored(world):
    deliver(world.db, "UserDeactivated", {"user_id": uuid.uuid4(), "institution_id": uuid.uuid4(), "role": "mentee"})
    deliver(world.db, "UserDeactivated", {"user_id": uuid.uuid4(), "institution_id": None, "role": "mentor"})
