"""The consumer: one durable quorum queue per service, handled in batches of short transactions.

For each message: parse and validate the CloudEvent, record its id in the inbox and run its handler,
inside a savepoint of the batch's transaction; commit; only then acknowledge. An event already in the
inbox is skipped (acknowledged, no effect). A message that can never be handled (not JSON, not a
CloudEvent, unknown type, invalid data, PermanentError) goes to the dead-letter queue at once; a
handler failure is retried after a delay through the retry queue, and dead-lettered after
MMM_MAX_ATTEMPTS. Either way the message is acknowledged on the main queue, so the messages behind it
are handled: no message can stall the queue.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import pika
import sqlalchemy as sa
from pika import exceptions as amqp_errors

from shared import config, logs
from shared.db import DATABASE_DOWN, Database
from shared.events import broker, envelope
from shared.events.handlers import Handlers, PermanentError
from shared.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-mmm-attempts"
REASON_HEADER = "x-mmm-dead-letter-reason"

_INBOX = sa.text(
    "INSERT INTO inbox (event_id, event_type) VALUES (:id, :type) ON CONFLICT DO NOTHING RETURNING event_id"
)
_INBOX_MANY = sa.text(
    "INSERT INTO inbox (event_id, event_type) SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_DB_DOWN = DATABASE_DOWN  # PostgreSQL refusing or restarting, or the pool exhausted: keep the batch, retry


@dataclass
class _Message:
    delivery_tag: int
    properties: pika.BasicProperties
    body: bytes


class Consumer:
    def __init__(self, service: str, db: Database, handlers: Handlers, *, prefix: str | None = None,
                 prefetch: int = 100, batch_size: int = 50, max_attempts: int | None = None):
        self.service = service
        self.db = db
        self.handlers = handlers
        self.names = broker.names(prefix)
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.max_attempts = max_attempts or int(config.env("MMM_MAX_ATTEMPTS", "5"))
        self._buffer: list[_Message] = []

    @property
    def queue(self) -> str:
        return self.names.queue(self.service)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            conn = None
            try:
                conn = broker.connect()
                channel = conn.channel()
                broker.declare_service_queues(channel, self.names, self.service, self.handlers.routing_keys())
                publisher = conn.channel()
                publisher.confirm_delivery()
                channel.basic_qos(prefetch_count=self.prefetch)
                channel.basic_consume(self.queue, self._on_message)
                backoff = db_wait = 0.5
                while not stop.is_set():
                    conn.process_data_events(time_limit=0.5)
                    while self._buffer and not stop.is_set():
                        batch = self._buffer[:self.batch_size]
                        if self.handle_batch(channel, publisher, batch):
                            del self._buffer[:len(batch)]
                            db_wait = 0.5
                        else:
                            # Database down: keep the batch (unacknowledged, so nothing is lost and
                            # no redelivery is counted against it) and try again, waiting longer
                            # each time (up to 10 s) while serving the broker's heartbeats.
                            conn.process_data_events(time_limit=db_wait)
                            db_wait = min(db_wait * 2, 10.0)
                # Stopping: the in-flight batch has been handled and acknowledged; anything still
                # buffered is unacknowledged and returns to the queue when the connection closes.
            except (amqp_errors.AMQPError, OSError) as exc:
                log.warning("consumer: broker unavailable, retrying", extra={"error": repr(exc)})
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._buffer = []
                if conn is not None and conn.is_open:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001 - closing a broken connection
                        pass

    def _on_message(self, channel, method, properties, body) -> None:
        self._buffer.append(_Message(method.delivery_tag, properties, body))

    # -- one batch, one transaction -------------------------------------------------------------------
    def handle_batch(self, channel, publisher, batch: list[_Message]) -> bool:
        """Handle and acknowledge `batch`; False (nothing acknowledged) when the database is down.

        Fast path: the whole batch in one transaction with one inbox insert. If any handler fails,
        that transaction is rolled back and the batch is handled again message by message, each in
        its own savepoint, so that one failure touches only its own message.
        """
        parsed = [(message, *self._parse(message)) for message in batch]
        try:
            outcomes = self._fast_path(parsed)
            if outcomes is None:
                outcomes = self._one_by_one(parsed)
        except _DB_DOWN as exc:
            log.warning("consumer: database unavailable, will retry the batch", extra={"error": repr(exc)})
            return False
        finally:
            logs.correlation_id.set(None)
        for message, outcome, reason in outcomes:
            if outcome == "retry":
                self._republish(publisher, self.names.retry_queue(self.service), message, attempts_delta=1)
            elif outcome == "dead":
                self._republish(publisher, self.names.dead_letter_queue(self.service), message, reason=reason)
        # The batch is the oldest unacknowledged deliveries of this channel, in order: one ack with
        # `multiple` acknowledges all of it (and costs one frame instead of one per message).
        channel.basic_ack(batch[-1].delivery_tag, multiple=True)
        return True

    def _parse(self, message: _Message) -> tuple[envelope.Event | None, str | None]:
        try:
            event = envelope.parse(message.body)
        except envelope.InvalidMessage as exc:
            log.error("consumer: invalid message dead-lettered", extra={"reason": str(exc)})
            EVENTS_CONSUMED.labels(self.service, "invalid", "dead").inc()
            return None, str(exc)
        if self.handlers.get(event.type.type) is None:
            EVENTS_CONSUMED.labels(self.service, event.name, "dead").inc()
            return None, f"{self.service} has no handler for {event.type.type}"
        return event, None

    def _fast_path(self, parsed) -> list[tuple[_Message, str, str | None]] | None:
        events = [e for _, e, _ in parsed if e is not None]
        handled: list[str] = []
        with self.db.sessions() as session:
            new_ids = set()
            if events:
                new_ids = set(session.scalars(_INBOX_MANY, {
                    "ids": [e.id for e in events], "types": [e.type.type for e in events]}).all())
            todo = []
            for event in events:
                if event.id not in new_ids:
                    handled.append("duplicate")
                    continue
                new_ids.discard(event.id)  # the same event twice in one batch: handle it once
                todo.append(event)
                handled.append("handled")
            try:
                with self.handlers.batch(session, todo):
                    for event in todo:
                        logs.correlation_id.set(event.correlation_id)
                        self.handlers.get(event.type.type)(session, event)
            except _DB_DOWN:
                raise
            except Exception:  # noqa: BLE001 - redo the batch carefully, one savepoint each
                session.rollback()
                return None
            session.commit()
        outcomes, results = [], iter(handled)
        for message, event, reason in parsed:
            if event is None:
                outcomes.append((message, "dead", reason))
            else:
                EVENTS_CONSUMED.labels(self.service, event.name, next(results)).inc()
                outcomes.append((message, "ok", None))
        return outcomes

    def _one_by_one(self, parsed) -> list[tuple[_Message, str, str | None]]:
        with self.db.sessions() as session:
            outcomes = [self._handle_one(session, *item) for item in parsed]
            session.commit()
        return outcomes

    def _handle_one(self, session, message: _Message, event: envelope.Event | None,
                    reason: str | None) -> tuple[_Message, str, str | None]:
        if event is None:
            return message, "dead", reason
        handler = self.handlers.get(event.type.type)
        logs.correlation_id.set(event.correlation_id)
        savepoint = session.begin_nested()
        try:
            first_time = session.execute(_INBOX, {"id": event.id, "type": event.type.type}).first()
            if first_time:
                handler(session, event)
            savepoint.commit()
        except _DB_DOWN:
            raise
        except PermanentError as exc:
            savepoint.rollback()
            log.error("consumer: handler refused event permanently", extra={"event_id": str(event.id), "reason": str(exc)})
            EVENTS_CONSUMED.labels(self.service, event.name, "dead").inc()
            return message, "dead", f"permanent: {exc}"
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            savepoint.rollback()
            attempts = self._attempts(message) + 1
            if attempts >= self.max_attempts:
                log.error("consumer: handler failed, attempts exhausted", exc_info=True,
                          extra={"event_id": str(event.id), "attempts": attempts})
                EVENTS_CONSUMED.labels(self.service, event.name, "dead").inc()
                return message, "dead", f"failed {attempts} times: {exc!r}"[:500]
            log.warning("consumer: handler failed, will retry", exc_info=True,
                        extra={"event_id": str(event.id), "attempts": attempts})
            EVENTS_CONSUMED.labels(self.service, event.name, "retry").inc()
            return message, "retry", None
        EVENTS_CONSUMED.labels(self.service, event.name, "handled" if first_time else "duplicate").inc()
        return message, "ok", None

    @staticmethod
    def _attempts(message: _Message) -> int:
        headers = message.properties.headers or {}
        return int(headers.get(ATTEMPTS_HEADER, 0))

    def _republish(self, publisher, queue: str, message: _Message, *, attempts_delta: int = 0,
                   reason: str | None = None) -> None:
        props = message.properties
        headers = {k: v for k, v in (props.headers or {}).items() if not k.startswith("x-death")}
        headers[ATTEMPTS_HEADER] = self._attempts(message) + attempts_delta
        if reason:
            headers[REASON_HEADER] = reason[:1000]
        publisher.basic_publish("", queue, message.body, pika.BasicProperties(
            content_type=props.content_type, delivery_mode=pika.DeliveryMode.Persistent,
            message_id=props.message_id, type=props.type, correlation_id=props.correlation_id,
            timestamp=props.timestamp, headers=headers,
        ), mandatory=True)
