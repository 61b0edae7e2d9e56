"""TrainingCompleted exactly once per user: the final attestation sent several times at the same time
over real HTTP (a threaded server, real PostgreSQL transactions), two different final modules attested
at once, and enrollment events delivered twice (and late) through the real broker."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from services.training.events import handlers
from services.training.models import Learner
from shared.events import broker
from shared.testing import publish_events
from shared.events.consumer import Consumer
from tests.platform.events_support import wait_until
from tests.training.conftest import PREFIX, enrollment_event, outbox_events

pytestmark = pytest.mark.slow  # deliveries at once, in threads and through the broker


@pytest.fixture(scope="module")
def served(training_app):
    server = make_server("127.0.0.1", 0, training_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _at_once(calls) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _attest_call(url, who, module):
    return lambda: requests.post(f"{url}{PREFIX}/modules/{module['id']}/attestation", headers=who["headers"],
                                 json={"version": module["version"]}, timeout=30)


def test_the_final_attestation_sent_at_the_same_time_completes_once(learning, served, training_db):
    for _ in range(3):
        mentor = learning.learner("mentor")
        required = learning.complete(mentor, leave_out=1)
        last = required[-1]
        if last["has_knowledge_check"]:
            learning.check(mentor, last)
        responses = _at_once([_attest_call(served, mentor, last) for _ in range(4)])
        assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
        assert len({r.json()["progress"]["attested_at"] for r in responses}) == 1
        assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(mentor["id"]))) == 1
        assert len(outbox_events(training_db, "TrainingModuleCompleted", user_id=str(mentor["id"]),
                                 module_id=last["id"])) == 1
        assert len(outbox_events(training_db, "CmeCreditAwarded", user_id=str(mentor["id"]),
                                 module_id=last["id"])) == (1 if last["cme_credit_hours"] else 0)


def test_two_different_final_modules_attested_at_once_complete_once(learning, served, training_db):
    for _ in range(3):
        mentee = learning.learner("mentee")
        required = learning.complete(mentee, leave_out=2)
        last_two = required[-2:]
        for m in last_two:
            if m["has_knowledge_check"]:
                learning.check(mentee, m)
        responses = _at_once([_attest_call(served, mentee, m) for m in last_two])
        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        # neither transaction may miss the other's attestation: the learner is complete, once
        assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(mentee["id"]))) == 1


def _learners(database, user_id) -> list[Learner]:
    with database.sessions() as session:
        return list(session.scalars(sa.select(Learner).where(Learner.user_id == user_id)))


def test_enrollment_delivered_twice_and_late_through_the_broker(learning, training_db, signing_keys):
    broker.declare("training", handlers.routing_keys())
    user_id, inst = uuid.uuid4(), uuid.uuid4()
    enrolled = enrollment_event("mentor", user_id=user_id, institution_id=inst, name="Dr. Current Name")
    # the same fact published again under a new event id (a relay that crashed before marking it
    # sent publishes the same row; a replayed export makes a new id), and an older one arriving late
    replayed = {**enrolled, "id": str(uuid.uuid4())}
    older = enrollment_event("mentor", user_id=user_id, institution_id=inst, name="Dr. Old Name",
                             time=datetime.now(timezone.utc) - timedelta(days=1))
    mentee_side = enrollment_event("mentee", user_id=user_id, institution_id=inst, name="Dr. Current Name")
    stop = threading.Event()
    consumer = Consumer("training", training_db, handlers)
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        publish_events([enrolled, enrolled, replayed, older])
        wait_until(lambda: _learners(training_db, user_id), 20, what="the enrollment")
        time.sleep(1.0)  # let the repeats and the late one be handled too
        [learner] = _learners(training_db, user_id)
        assert (learner.track, learner.institution_id, learner.name) == ("mentor", inst, "Dr. Current Name")

        mentor = {"id": user_id, "institution_id": inst, "track": "mentor",
                  "headers": {"Authorization": "Bearer " + signing_keys.mint("mentor", sub=user_id, inst=inst)}}
        learning.complete(mentor)
        assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(user_id))) == 1

        # enrollment arriving yet again after completion changes nothing; a later mentee enrollment of
        # the same person (R17 goes the other way, but tracks are independent) is a separate track
        publish_events([enrolled, replayed, mentee_side])
        wait_until(lambda: len(_learners(training_db, user_id)) == 2, 20, what="the mentee enrollment")
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=10)
    [done] = outbox_events(training_db, "TrainingCompleted", user_id=str(user_id))
    assert done["data"]["track"] == "mentor"
    status = learning.c.get(PREFIX + "/me/training", headers=mentor["headers"]).get_json()
    assert status["completed"] is True
