"""Recording events: in the caller's transaction, beside the state change that caused them."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from shared import logs
from shared.events import envelope, registry

NOTIFY_CHANNEL = "mmm_outbox"

_outbox = sa.table(
    "outbox",
    sa.column("id"), sa.column("event_type"), sa.column("routing_key"), sa.column("body"),
)


def record_event(session: orm.Session, name: str, data: dict, *, subject: str | None = None) -> uuid.UUID:
    """Write event `name` to the outbox; it is published only if the transaction commits.

    The data is validated against the event's schema here, so an invalid event fails the use case
    that produced it instead of reaching a consumer.
    """
    et = registry.by_name(name)
    body = envelope.build(name, data, subject=subject,
                          correlation_id=logs.correlation_id.get() or logs.request_id.get())
    session.execute(sa.insert(_outbox).values(
        id=uuid.UUID(body["id"]), event_type=et.type, routing_key=et.routing_key,
        body=sa.cast(sa.literal(body, sa.JSON), sa.dialects.postgresql.JSONB),
    ))
    # Delivered to listening relays at commit, never for a rolled-back transaction.
    session.execute(sa.text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
    return uuid.UUID(body["id"])
