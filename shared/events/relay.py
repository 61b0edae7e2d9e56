"""The outbox relay: publishes committed events with publisher confirms and `mandatory`.

Several relays may run side by side (in one worker or in several replicas): each claims a batch of
pending rows with FOR UPDATE SKIP LOCKED, so a row is published by one relay at a time, and marks the
rows it published in the same transaction. A crash between publish and commit publishes a row again
(at least once); consumers drop the duplicate through their inbox. Relays sleep on PostgreSQL
LISTEN/NOTIFY, so a committed event is picked up at once rather than at the next poll: the relays of a
worker share one LISTEN connection (`Wakeup`), straight to PostgreSQL even where their pool goes
through PgBouncer.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import pika
import psycopg
import sqlalchemy as sa
from pika import exceptions as amqp_errors
from sqlalchemy.engine import make_url

from shared.db import DATABASE_DOWN, Database
from shared.events import broker, registry
from shared.events.envelope import CONTENT_TYPE
from shared.events.outbox import NOTIFY_CHANNEL
from shared.events.publisher import ACK, NACK, UNROUTABLE, ConfirmingPublisher
from shared.metrics import OUTBOX_PUBLISHED, OUTBOX_UNROUTABLE

log = logging.getLogger(__name__)

_CLAIM = sa.text(
    "SELECT id, routing_key, event_type, body::text AS body, body->>'correlationid' AS correlation_id "
    "FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT :n FOR UPDATE SKIP LOCKED"
)
_MARK_SENT = sa.text("UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(:ids)")
_MARK_UNROUTABLE = sa.text(
    "UPDATE outbox SET published_at = now(), attempts = attempts + 1, "
    "last_error = 'unroutable: no queue is bound to its routing key' WHERE id = ANY(:ids)"
)
# A secret field (a contract field with metadata {"secret": True}, such as an invitation's token) is kept
# only until the event is published: then its value in the outbox row is replaced.
_REDACT = sa.text("UPDATE outbox SET body = jsonb_set(body, ARRAY['data', :field], '\"(redacted once published)\"') "
                  "WHERE id = ANY(:ids) AND body->'data' ? :field")
REDACTED = "(redacted once published)"
_MARK_FAILED = sa.text("UPDATE outbox SET attempts = attempts + 1, last_error = :err WHERE id = ANY(:ids)")

AMQP_ERRORS = (amqp_errors.AMQPError, OSError)


class OutboxRelay:
    def __init__(self, db: Database, *, prefix: str | None = None, batch_size: int = 200,
                 idle_wait: float = 1.0, service: str = "?", wakeup: Wakeup | None = None,
                 listen_url: str | None = None):
        self.db = db
        self.names = broker.names(prefix)
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.service = service
        # The relays of one worker share one LISTEN connection (a Wakeup); a relay made alone has its own.
        self.wakeup = wakeup
        self._own_wakeup = wakeup is None
        self.listen_url = listen_url
        self._publisher: ConfirmingPublisher | None = None

    # -- broker ----------------------------------------------------------------------------------
    def _publisher_or_connect(self) -> ConfirmingPublisher:
        if self._publisher is None or not self._publisher.is_open:
            self._close_broker()
            conn = broker.connect()
            try:
                broker.declare_exchange(conn.channel(), self.names)
            finally:
                conn.close()
            self._publisher = ConfirmingPublisher()
        return self._publisher

    def _close_broker(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
        self._publisher = None

    # -- one batch ---------------------------------------------------------------------------------
    def publish_pending(self) -> int:
        """Publish one batch of pending events; returns how many rows were claimed."""
        publisher = self._publisher_or_connect()
        with self.db.engine.begin() as conn:
            rows = conn.execute(_CLAIM, {"n": self.batch_size}).all()
            if not rows:
                return 0
            now = int(time.time())
            outcomes = publisher.publish(self.names.exchange, [
                (row.routing_key, row.body.encode(), pika.BasicProperties(
                    content_type=CONTENT_TYPE, delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=str(row.id), type=row.event_type, correlation_id=row.correlation_id,
                    timestamp=now))
                for row in rows
            ])
            sent = [row.id for row, o in zip(rows, outcomes) if o == ACK]
            unroutable = [row.id for row, o in zip(rows, outcomes) if o == UNROUTABLE]
            nacked = [row.id for row, o in zip(rows, outcomes) if o == NACK]
            if sent:
                conn.execute(_MARK_SENT, {"ids": sent})
                OUTBOX_PUBLISHED.labels(self.service).inc(len(sent))
            if unroutable:
                log.warning("events unroutable: no queue bound", extra={"count": len(unroutable)})
                conn.execute(_MARK_UNROUTABLE, {"ids": unroutable})
                OUTBOX_UNROUTABLE.labels(self.service).inc(len(unroutable))
            if nacked:  # the broker refused them: they stay pending and are tried again
                conn.execute(_MARK_FAILED, {"ids": nacked, "err": "nacked by broker"})
            done = set(sent) | set(unroutable)
            for field, ids in _secret_fields([row for row in rows if row.id in done]).items():
                conn.execute(_REDACT, {"field": field, "ids": ids})
        return len(rows)

    # -- loop --------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        if self.wakeup is None:
            self.wakeup = Wakeup(self.listen_url or self.db.url)
        if self._own_wakeup:
            self.wakeup.start(stop)
        backoff = 0.5
        while not stop.is_set():
            try:
                seen = self.wakeup.seen()
                claimed = self.publish_pending()
                backoff = 0.5
                if claimed < self.batch_size:
                    self.wakeup.wait(seen, self.idle_wait, stop)
            except AMQP_ERRORS as exc:
                log.warning("relay: broker unavailable, retrying", extra={"error": repr(exc)})
                self._close_broker()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except DATABASE_DOWN as exc:
                # PostgreSQL refusing or restarting, or the pool exhausted: back off, then resume.
                log.warning("relay: database unavailable, retrying", extra={"error": repr(exc)})
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # noqa: BLE001 - a relay never stops relaying: log, wait, go on
                log.exception("relay: unexpected error, retrying")
                self._close_broker()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self._close_broker()


class Wakeup:
    """One LISTEN connection, straight to PostgreSQL (LISTEN/NOTIFY needs a session of its own, which
    PgBouncer in transaction mode does not give), waking every relay of the process when an event is
    committed. Relays also poll every idle_wait, so while this connection is down they only wake later."""

    def __init__(self, url: str):
        self.url = url
        self._cond = threading.Condition()
        self._count = 0
        self._thread: threading.Thread | None = None

    def start(self, stop: threading.Event) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, args=(stop,), name="relay-listen", daemon=True)
            self._thread.start()

    def seen(self) -> int:
        with self._cond:
            return self._count

    def wait(self, seen: int, timeout: float, stop: threading.Event) -> None:
        """Until a NOTIFY arrives after `seen`, `timeout` passes, or `stop` (looked at every second)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._count == seen and not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(min(remaining, 1.0))

    def _notify(self) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            conn = None
            try:
                url = make_url(self.url).set(drivername="postgresql")
                conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                                       application_name=f"mmm-relay-listen:{os.getpid()}")
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                backoff = 0.5
                self._notify()  # events committed while not listening: look now
                while not stop.is_set():
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        self._notify()
            except (psycopg.Error, OSError) as exc:
                log.warning("relay: LISTEN connection lost, reconnecting", extra={"error": repr(exc)})
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                if conn is not None:
                    conn.close()


def _secret_fields(rows) -> dict[str, list]:
    """{field: [outbox ids]} of the secret fields of these rows' event types."""
    out: dict[str, list] = {}
    for row in rows:
        try:
            fields = registry.by_type(row.event_type).secret_fields
        except registry.UnknownEventType:
            continue
        for field in fields:
            out.setdefault(field, []).append(row.id)
    return out
