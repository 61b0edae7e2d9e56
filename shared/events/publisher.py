"""Publishing a batch with publisher confirms, pipelined: every message of the batch is sent, then
the confirms (and returns of unroutable `mandatory` messages) are awaited together.

pika's BlockingChannel waits for each confirm before sending the next message, which caps a relay at
about one message per broker round trip; this publisher runs a SelectConnection on its own I/O
thread instead, so a batch costs one round trip.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

import pika
from pika import exceptions as amqp_errors
from pika import spec

from shared import config

ACK, NACK, UNROUTABLE = "ack", "nack", "unroutable"


@dataclass
class _Batch:
    size: int
    outcomes: list[str | None] = field(default_factory=list)
    tags: dict[int, int] = field(default_factory=dict)  # delivery tag → index in the batch
    by_message_id: dict[str, int] = field(default_factory=dict)
    returned: set[int] = field(default_factory=set)
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None


class ConfirmingPublisher:
    def __init__(self, url: str | None = None, *, connect_timeout: float = 10.0):
        params = pika.URLParameters(url or config.amqp_url())
        params.heartbeat = 30
        params.connection_attempts = 1
        self._ready = threading.Event()
        self._error: Exception | None = None
        self._batch: _Batch | None = None
        self._tag = 0
        self._channel = None
        self._conn = pika.SelectConnection(params, on_open_callback=self._on_open,
                                           on_open_error_callback=self._on_open_error,
                                           on_close_callback=self._on_closed)
        self._thread = threading.Thread(target=self._conn.ioloop.start, name="amqp-publisher", daemon=True)
        self._thread.start()
        if not self._ready.wait(connect_timeout) or self._error is not None:
            error = self._error or amqp_errors.AMQPConnectionError("timed out connecting to RabbitMQ")
            self.close()
            raise error if isinstance(error, Exception) else amqp_errors.AMQPConnectionError(str(error))

    @property
    def is_open(self) -> bool:
        return self._error is None and self._conn.is_open and self._channel is not None and self._channel.is_open

    def publish(self, exchange: str, messages: list[tuple[str, bytes, pika.BasicProperties]],
                timeout: float = 30.0) -> list[str]:
        """Publish `messages` (routing key, body, properties with message_id) with `mandatory`; return
        for each one ACK, NACK or UNROUTABLE. Raises an AMQP error if the connection fails meanwhile."""
        if not self.is_open:
            raise amqp_errors.AMQPConnectionError(f"publisher connection is closed: {self._error!r}")
        batch = _Batch(size=len(messages), outcomes=[None] * len(messages))
        if not messages:
            return []
        self._conn.ioloop.add_callback_threadsafe(functools.partial(self._send, exchange, messages, batch))
        if not batch.done.wait(timeout):
            self._fail(amqp_errors.AMQPError(f"no confirms within {timeout}s"))
            raise amqp_errors.AMQPError(f"no confirms within {timeout}s")
        if batch.error is not None:
            raise batch.error
        return [UNROUTABLE if i in batch.returned and outcome == ACK else outcome
                for i, outcome in enumerate(batch.outcomes)]

    def close(self) -> None:
        try:
            if self._conn.is_open or self._conn.is_opening:
                self._conn.ioloop.add_callback_threadsafe(self._conn.close)
        except Exception:  # noqa: BLE001 - the I/O loop is already gone
            pass
        self._thread.join(timeout=5)

    # -- on the I/O thread ---------------------------------------------------------------------------
    def _send(self, exchange: str, messages, batch: _Batch) -> None:
        self._batch = batch
        try:
            for i, (key, body, props) in enumerate(messages):
                self._tag += 1
                batch.tags[self._tag] = i
                batch.by_message_id[props.message_id] = i
                self._channel.basic_publish(exchange, key, body, props, mandatory=True)
        except Exception as exc:  # noqa: BLE001 - surfaced to the caller
            batch.error = exc
            batch.done.set()

    def _on_open(self, conn) -> None:
        conn.channel(on_open_callback=self._on_channel)

    def _on_channel(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=lambda _frame: self._ready.set())

    def _on_open_error(self, conn, error) -> None:
        self._error = error if isinstance(error, Exception) else amqp_errors.AMQPConnectionError(str(error))
        self._ready.set()
        conn.ioloop.stop()

    def _on_closed(self, conn, reason) -> None:
        self._fail(reason)
        conn.ioloop.stop()

    def _on_channel_closed(self, _channel, reason) -> None:
        self._fail(reason)
        if self._conn.is_open:
            self._conn.close()

    def _fail(self, reason) -> None:
        self._error = reason if isinstance(reason, Exception) else amqp_errors.AMQPError(str(reason))
        batch = self._batch
        if batch is not None and not batch.done.is_set():
            batch.error = self._error
            batch.done.set()

    def _on_return(self, _channel, _method, props, _body) -> None:
        batch = self._batch
        if batch is not None and props.message_id in batch.by_message_id:
            batch.returned.add(batch.by_message_id[props.message_id])

    def _on_confirm(self, frame) -> None:
        batch = self._batch
        if batch is None:
            return
        method = frame.method
        outcome = ACK if isinstance(method, spec.Basic.Ack) else NACK
        if method.multiple:
            tags = [t for t in batch.tags if t <= method.delivery_tag]
        else:
            tags = [method.delivery_tag] if method.delivery_tag in batch.tags else []
        for t in tags:
            batch.outcomes[batch.tags.pop(t)] = outcome
        if not batch.tags:
            batch.done.set()
