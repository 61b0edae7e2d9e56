"""Recording events: in the caller's transaction, beside the state change that caused them."""
from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from shared import logs
from shared.events import envelope, registry

NOTIFY_CHANNEL = "mmm_outbox"

_INSERT = sa.text(
    "INSERT INTO outbox (id, event_type, routing_key, body) VALUES (:id, :type, :key, CAST(:body AS jsonb))"
)
_NOTIFY = sa.text(f"NOTIFY {NOTIFY_CHANNEL}")


def record_event(session: orm.Session, name: str, data: dict, *, subject: str | None = None) -> uuid.UUID:
    """Write event `name` to the outbox; it is published only if the transaction commits.

    The data is validated against the event's schema here, so an invalid event fails the use case
    that produced it instead of reaching a consumer.
    """
    et = registry.by_name(name)
    body = envelope.build(name, data, subject=subject,
                          correlation_id=logs.correlation_id.get() or logs.request_id.get())
    event_id = uuid.UUID(body["id"])
    session.execute(_INSERT, {"id": event_id, "type": et.type, "key": et.routing_key, "body": json.dumps(body)})
    # Wakes the relays at commit (never for a rolled-back transaction); once per transaction.
    transaction = session.get_transaction()
    if session.info.get("outbox_notified") is not transaction:
        session.execute(_NOTIFY)
        session.info["outbox_notified"] = transaction
    return event_id
