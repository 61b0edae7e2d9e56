"""RabbitMQ connections and the topology, declared idempotently at start.

One durable topic exchange `<prefix>.events`; routing key `<svc>.<EventName>.v<n>`. Each consuming
service has a durable quorum queue `<prefix>.<svc>` bound to the events it handles, a retry queue
`<prefix>.<svc>.retry` whose messages return to the main queue after a delay, and a dead-letter queue
`<prefix>.<svc>.dlq`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import pika

from shared import config

log = logging.getLogger(__name__)


def connect(url: str | None = None, *, heartbeat: int = 30) -> pika.BlockingConnection:
    params = pika.URLParameters(url or config.amqp_url())
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 60
    params.connection_attempts = 1
    params.client_properties = {"connection_name": "mentormemed"}
    return pika.BlockingConnection(params)


@dataclass(frozen=True)
class Names:
    prefix: str

    @property
    def exchange(self) -> str:
        return f"{self.prefix}.events"

    def queue(self, service: str) -> str:
        return f"{self.prefix}.{service}"

    def retry_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.retry"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.dlq"


def names(prefix: str | None = None) -> Names:
    return Names(prefix or config.broker_prefix())


def retry_delay_ms() -> int:
    return int(config.duration("MMM_RETRY_DELAY", "PT5S").total_seconds() * 1000)


# A message redelivered this many times (for example because it kills the worker each time it is
# handled) is dead-lettered by the broker itself, so it cannot stall the queue forever.
DELIVERY_LIMIT = 20


def declare_exchange(channel, n: Names) -> None:
    channel.exchange_declare(n.exchange, exchange_type="topic", durable=True)


def declare_service_queues(channel, n: Names, service: str, routing_keys: list[str]) -> None:
    declare_exchange(channel, n)
    dlq = n.dead_letter_queue(service)
    channel.queue_declare(dlq, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_declare(n.queue(service), durable=True, arguments={
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dlq,
    })
    channel.queue_declare(n.retry_queue(service), durable=True, arguments={
        "x-queue-type": "quorum",
        "x-message-ttl": retry_delay_ms(),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": n.queue(service),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    })
    for key in routing_keys:
        channel.queue_bind(n.queue(service), n.exchange, routing_key=key)


def declare(service: str, routing_keys: list[str], prefix: str | None = None) -> None:
    """Declare the exchange and, when the service handles events, its queues and bindings."""
    n = names(prefix)
    conn = connect()
    try:
        ch = conn.channel()
        if routing_keys:
            declare_service_queues(ch, n, service, routing_keys)
        else:
            declare_exchange(ch, n)
    finally:
        conn.close()


def delete(prefix: str, services: list[str]) -> None:
    """Remove every exchange and queue of `prefix` (used by tests)."""
    n = names(prefix)
    conn = connect()
    try:
        ch = conn.channel()
        for svc in services:
            for q in (n.queue(svc), n.retry_queue(svc), n.dead_letter_queue(svc)):
                ch.queue_delete(q)
        ch.exchange_delete(n.exchange)
    finally:
        conn.close()
