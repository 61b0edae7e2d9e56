"""The outbox relay: publishes committed events with publisher confirms and `mandatory`.

Several relays may run side by side (in one worker or in several replicas): each claims a batch of
pending rows with FOR UPDATE SKIP LOCKED, so a row is published by one relay at a time, and marks the
rows it published in the same transaction. A crash between publish and commit publishes a row again
(at least once); consumers drop the duplicate through their inbox. Relays sleep on PostgreSQL
LISTEN/NOTIFY, so a committed event is picked up at once rather than at the next poll.
"""
from __future__ import annotations

import logging
import threading
import time

import pika
import psycopg
import sqlalchemy as sa
from pika import exceptions as amqp_errors
from sqlalchemy.engine import make_url

from shared.db import Database
from shared.events import broker
from shared.events.envelope import CONTENT_TYPE
from shared.events.outbox import NOTIFY_CHANNEL
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
_MARK_FAILED = sa.text("UPDATE outbox SET attempts = attempts + 1, last_error = :err WHERE id = ANY(:ids)")

AMQP_ERRORS = (amqp_errors.AMQPError, OSError)


class OutboxRelay:
    def __init__(self, db: Database, *, prefix: str | None = None, batch_size: int = 200,
                 idle_wait: float = 1.0, service: str = "?"):
        self.db = db
        self.names = broker.names(prefix)
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.service = service
        self._conn: pika.BlockingConnection | None = None
        self._channel = None

    # -- broker ----------------------------------------------------------------------------------
    def _channel_or_connect(self):
        if self._channel is None or not self._channel.is_open:
            self._close_broker()
            self._conn = broker.connect()
            ch = self._conn.channel()
            broker.declare_exchange(ch, self.names)
            ch.confirm_delivery()
            self._channel = ch
        return self._channel

    def _close_broker(self) -> None:
        try:
            if self._conn is not None and self._conn.is_open:
                self._conn.close()
        except Exception:  # noqa: BLE001 - already broken; nothing to release
            pass
        self._conn = self._channel = None

    # -- one batch ---------------------------------------------------------------------------------
    def publish_pending(self) -> int:
        """Publish one batch of pending events; returns how many rows were claimed."""
        channel = self._channel_or_connect()
        with self.db.engine.begin() as conn:
            rows = conn.execute(_CLAIM, {"n": self.batch_size}).all()
            sent, unroutable, failure = [], [], None
            for row in rows:
                props = pika.BasicProperties(
                    content_type=CONTENT_TYPE, delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=str(row.id), type=row.event_type, correlation_id=row.correlation_id,
                    timestamp=int(time.time()),
                )
                try:
                    channel.basic_publish(self.names.exchange, row.routing_key, row.body.encode(),
                                          props, mandatory=True)
                    sent.append(row.id)
                except amqp_errors.UnroutableError:
                    unroutable.append(row.id)
                    log.warning("event unroutable", extra={"event_id": str(row.id), "routing_key": row.routing_key})
                except amqp_errors.NackError as exc:
                    failure = exc
                    conn.execute(_MARK_FAILED, {"ids": [row.id], "err": "nacked by broker"})
                    break
                except AMQP_ERRORS as exc:
                    failure = exc
                    break
            if sent:
                conn.execute(_MARK_SENT, {"ids": sent})
                OUTBOX_PUBLISHED.labels(self.service).inc(len(sent))
            if unroutable:
                conn.execute(_MARK_UNROUTABLE, {"ids": unroutable})
                OUTBOX_UNROUTABLE.labels(self.service).inc(len(unroutable))
        if failure is not None:
            raise failure
        return len(rows)

    # -- loop --------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        listener: psycopg.Connection | None = None
        while not stop.is_set():
            try:
                if listener is None or listener.closed:
                    listener = self._listen()
                claimed = self.publish_pending()
                backoff = 0.5
                if claimed < self.batch_size:
                    self._wait(listener, stop)
            except AMQP_ERRORS as exc:
                log.warning("relay: broker unavailable, retrying", extra={"error": repr(exc)})
                self._close_broker()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except (sa.exc.OperationalError, sa.exc.InterfaceError, psycopg.OperationalError) as exc:
                log.warning("relay: database unavailable, retrying", extra={"error": repr(exc)})
                if listener is not None:
                    listener.close()
                listener = None
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        if listener is not None:
            listener.close()
        self._close_broker()

    def _listen(self) -> psycopg.Connection:
        url = make_url(self.db.url).set(drivername="postgresql")
        conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def _wait(self, listener: psycopg.Connection, stop: threading.Event) -> None:
        # Wake on the first NOTIFY (an event committed) or after idle_wait, whichever comes first;
        # keep the broker connection's heartbeats flowing meanwhile.
        for _ in listener.notifies(timeout=self.idle_wait, stop_after=1):
            pass
        if self._conn is not None and self._conn.is_open:
            self._conn.process_data_events(time_limit=0)
