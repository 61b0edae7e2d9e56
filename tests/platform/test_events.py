"""The event backbone against the real PostgreSQL and RabbitMQ: outbox, relay, consumer, faults."""
from __future__ import annotations

import json
import signal
import uuid

import pika
import pytest
import sqlalchemy as sa

from shared.events import broker, envelope, record_event
from shared.events.consumer import REASON_HEADER, Consumer
from shared.events.relay import OutboxRelay

from tests.platform import probe
from tests.platform.events_support import (
    InProcess, commit_events, drain, effect_counts, pending_outbox, queue_depth, start_worker, stop_worker,
    wait_until,
)

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

ROUTING_KEY = "probe.ProbeHappened.v1"


@pytest.fixture()
def probe_db(infrastructure):
    database = probe.prepare_database()
    with database.engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, inbox, probe_effects"))
    yield database
    database.dispose()


@pytest.fixture()
def names(infrastructure):
    n = broker.names()
    conn = broker.connect()
    ch = conn.channel()
    broker.declare_service_queues(ch, n, probe.NAME, [ROUTING_KEY])
    for q in (n.queue(probe.NAME), n.retry_queue(probe.NAME), n.dead_letter_queue(probe.NAME)):
        ch.queue_purge(q)
    conn.close()
    return n


@pytest.fixture()
def observer(names):
    """A plain queue bound to the probe events, to count what reaches the broker."""
    queue = f"{names.prefix}.observer.{uuid.uuid4().hex[:6]}"
    conn = broker.connect()
    ch = conn.channel()
    ch.queue_declare(queue, durable=False, auto_delete=False)
    ch.queue_bind(queue, names.exchange, ROUTING_KEY)
    conn.close()
    yield queue
    conn = broker.connect()
    conn.channel().queue_delete(queue)
    conn.close()


def test_rolled_back_event_is_never_published_and_committed_ones_once_with_two_relays(probe_db, observer):
    with pytest.raises(RuntimeError):
        with probe_db.unit_of_work() as s:
            record_event(s, "ProbeHappened", {"key": "rolled-back"})
            raise RuntimeError("use case failed after recording its event")
    keys = [f"k{i}" for i in range(600)]
    commit_events(probe_db, keys, per_transaction=7)

    loops = InProcess()
    for _ in range(2):
        loops.start(OutboxRelay(probe_db, batch_size=25, service="probe").run)
    try:
        wait_until(lambda: pending_outbox(probe_db) == 0, 60, what="outbox drained")
        wait_until(lambda: queue_depth(observer) >= len(keys), 30, what="messages on the broker")
    finally:
        loops.close()
    messages = drain(observer)
    seen = [json.loads(body)["data"]["key"] for _, body in messages]
    assert sorted(seen) == sorted(keys)  # each committed event once, the rolled-back one never
    assert "rolled-back" not in seen
    first = json.loads(messages[0][1])
    assert first["specversion"] == "1.0" and first["source"] == "/services/probe"
    assert first["type"] == "org.mentormemed.probe.ProbeHappened.v1"
    assert messages[0][0].content_type == "application/cloudevents+json"


def test_invalid_event_data_is_refused_at_record_time(probe_db):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        with probe_db.unit_of_work() as s:
            record_event(s, "ProbeHappened", {"key": 5, "unexpected": True})
    assert pending_outbox(probe_db) == 0


def test_malformed_and_poison_messages_are_dead_lettered_and_do_not_block_the_queue(probe_db, names):
    conn = broker.connect()
    ch = conn.channel()
    ch.confirm_delivery()
    ch.basic_publish(names.exchange, ROUTING_KEY, b"{not json", pika.BasicProperties(delivery_mode=2))
    ch.basic_publish(names.exchange, ROUTING_KEY, json.dumps({"specversion": "1.0"}).encode())
    conn.close()
    commit_events(probe_db, ["poison"], fail=True)
    commit_events(probe_db, [f"after{i}" for i in range(50)])

    loops = InProcess()
    loops.start(OutboxRelay(probe_db, service="probe").run)
    loops.start(Consumer(probe.NAME, probe_db, probe.handlers, max_attempts=3).run)
    try:
        wait_until(lambda: len(effect_counts(probe_db)) == 50, 30, what="good events handled")
        dlq = names.dead_letter_queue(probe.NAME)
        wait_until(lambda: queue_depth(dlq) == 3, 30, what="three dead letters")
    finally:
        loops.close()
    counts = effect_counts(probe_db)
    assert set(counts) == {f"after{i}" for i in range(50)} and set(counts.values()) == {1}
    reasons = sorted(props.headers[REASON_HEADER].split(":")[0] for props, _ in drain(dlq))
    assert reasons == ["failed 3 times", "invalid envelope", "not JSON"] or len(reasons) == 3
    assert queue_depth(names.queue(probe.NAME)) == 0


def test_duplicate_deliveries_apply_their_effect_once(probe_db, names):
    body = envelope.build("ProbeHappened", {"key": "dup"})
    conn = broker.connect()
    ch = conn.channel()
    ch.confirm_delivery()
    for _ in range(5):
        ch.basic_publish(names.exchange, ROUTING_KEY, json.dumps(body).encode())
    conn.close()
    loops = InProcess()
    loops.start(Consumer(probe.NAME, probe_db, probe.handlers).run)
    try:
        wait_until(lambda: queue_depth(names.queue(probe.NAME)) == 0 and effect_counts(probe_db), 20,
                   what="duplicates consumed")
    finally:
        loops.close()
    assert effect_counts(probe_db) == {"dup": 1}


@pytest.mark.fault
def test_broker_stopped_while_1000_events_commit_then_all_consumed_exactly_once(probe_db, names, infrastructure):
    worker = start_worker()
    try:
        commit_events(probe_db, ["warm-up"])
        wait_until(lambda: effect_counts(probe_db).get("warm-up") == 1, 30, what="worker running")
        infrastructure.stop_broker()
        try:
            keys = [f"outage{i}" for i in range(1000)]
            commit_events(probe_db, keys)
            assert pending_outbox(probe_db) == 1000  # nothing could be published meanwhile
        finally:
            infrastructure.start_broker()
        wait_until(lambda: sum(effect_counts(probe_db).values()) == 1001, 120, interval=0.5,
                   what="all 1000 events handled after the broker came back")
    finally:
        stop_worker(worker)
    counts = effect_counts(probe_db)
    assert len(counts) == 1001 and set(counts.values()) == {1}
    assert pending_outbox(probe_db) == 0


@pytest.mark.fault
def test_kill_9_of_a_worker_mid_handling_then_restart_applies_every_effect_once(probe_db, names):
    keys = [f"kill{i}" for i in range(600)]
    worker = start_worker({"PROBE_HANDLER_SECONDS": "0.004"})
    try:
        commit_events(probe_db, keys, per_transaction=100)
        wait_until(lambda: sum(effect_counts(probe_db).values()) >= 100, 60, what="handling under way")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        handled_at_kill = sum(effect_counts(probe_db).values())
        assert handled_at_kill < len(keys), "the worker finished before it was killed; the test proved nothing"
        worker = start_worker()
        wait_until(lambda: sum(effect_counts(probe_db).values()) >= len(keys), 120, interval=0.5,
                   what="every event handled after the restart")
        # Give redeliveries a moment to show up if any were applied twice.
        wait_until(lambda: queue_depth(names.queue(probe.NAME)) == 0, 30, what="queue empty")
    finally:
        stop_worker(worker)
    counts = effect_counts(probe_db)
    assert len(counts) == len(keys) and set(counts.values()) == {1}


def test_sigterm_finishes_in_flight_work_and_loses_nothing(probe_db, names):
    keys = [f"term{i}" for i in range(300)]
    worker = start_worker({"PROBE_HANDLER_SECONDS": "0.004"})
    try:
        commit_events(probe_db, keys, per_transaction=100)
        wait_until(lambda: sum(effect_counts(probe_db).values()) >= 50, 60, what="handling under way")
        worker.terminate()
        assert worker.wait(timeout=30) == 0
        worker = start_worker()
        wait_until(lambda: sum(effect_counts(probe_db).values()) >= len(keys), 120, interval=0.5,
                   what="every event handled")
    finally:
        stop_worker(worker)
    counts = effect_counts(probe_db)
    assert len(counts) == len(keys) and set(counts.values()) == {1}


def test_relay_is_woken_by_the_commit_not_by_its_poll(probe_db, observer):
    import time

    loops = InProcess()
    loops.start(OutboxRelay(probe_db, idle_wait=30.0, service="probe").run)
    try:
        time.sleep(1.0)  # the relay is now asleep on LISTEN with a 30 s poll
        started = time.monotonic()
        commit_events(probe_db, ["wake-up"])
        wait_until(lambda: queue_depth(observer) == 1, 10, interval=0.01, what="the event published")
        assert time.monotonic() - started < 2.0
    finally:
        loops.close()


def test_an_event_no_queue_is_bound_for_is_marked_unroutable(probe_db, names):
    from shared.events.publisher import ACK, UNROUTABLE, ConfirmingPublisher

    publisher = ConfirmingPublisher()
    try:
        props = lambda: pika.BasicProperties(message_id=str(uuid.uuid4()))  # noqa: E731
        outcomes = publisher.publish(names.exchange, [("nobody.Listens.v1", b"{}", props()),
                                                      (ROUTING_KEY, b"{}", props())])
    finally:
        publisher.close()
    assert outcomes == [UNROUTABLE, ACK]
    drain(names.queue(probe.NAME))


def test_correlation_id_travels_from_request_to_handler_to_the_next_event(probe_db, names):
    from shared import logs

    followed = f"{names.prefix}.followed.{uuid.uuid4().hex[:6]}"
    conn = broker.connect()
    ch = conn.channel()
    ch.queue_declare(followed)
    ch.queue_bind(followed, names.exchange, "probe.ProbeFollowed.v1")
    conn.close()
    token = logs.correlation_id.set("req-42")  # as the app factory sets it from an HTTP request
    try:
        commit_events(probe_db, ["chain-1"])
    finally:
        logs.correlation_id.reset(token)
    loops = InProcess()
    loops.start(OutboxRelay(probe_db, service="probe").run)
    loops.start(Consumer(probe.NAME, probe_db, probe.handlers).run)
    try:
        wait_until(lambda: queue_depth(followed) == 1, 20, what="the follow-up event")
    finally:
        loops.close()
    (props, body), = drain(followed)
    assert json.loads(body)["correlationid"] == "req-42" and props.correlation_id == "req-42"
    conn = broker.connect()
    conn.channel().queue_delete(followed)
    conn.close()
