"""Recording events: in the caller's transaction, beside the state change that caused them."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

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
    _notify(session)
    return event_id


def _notify(session: orm.Session) -> None:
    """Wakes the relays at commit (never for a rolled-back transaction); once per transaction."""
    transaction = session.get_transaction()
    if session.info.get("outbox_notified") is not transaction:
        session.execute(_NOTIFY)
        session.info["outbox_notified"] = transaction


def record_events_from(session: orm.Session, name: str, query: str, params: dict | None = None,
                       *, time: datetime | None = None) -> int:
    """Write one event `name` per row of the SQL `query` (columns `subject` text and `data` jsonb), in
    one INSERT ... SELECT: for jobs that announce thousands of state changes at once, where building
    and validating each envelope in Python (record_event) would cost more than the change itself.

    The envelope is record_event's (CloudEvents 1.0, a fresh id, the correlation id of the current
    request or job, else the event's own id). The query must give `data` in the contract's JSON form —
    UUIDs as text, times as ISO-8601 (`iso_time` below) — since it is not validated here; the caller's
    tests parse the bodies with envelope.parse. Returns how many events were written."""
    et = registry.by_name(name)
    at = (time or datetime.now(timezone.utc)).isoformat()
    insert = sa.text(
        "INSERT INTO outbox (id, event_type, routing_key, body) "
        "SELECT e.id, CAST(:mmm_type AS text), CAST(:mmm_key AS text), jsonb_build_object("
        "'specversion', '1.0', 'id', e.id::text, 'source', CAST(:mmm_source AS text), "
        "'type', CAST(:mmm_type AS text), 'subject', CAST(e.subject AS text), 'time', CAST(:mmm_time AS text), "
        "'datacontenttype', 'application/json', "
        "'correlationid', coalesce(CAST(:mmm_correlation AS text), e.id::text), 'data', e.data) "
        f"FROM (SELECT gen_random_uuid() AS id, r.subject, r.data FROM ({query}) AS r) AS e"
    )
    result = session.execute(insert, {**(params or {}), "mmm_type": et.type, "mmm_key": et.routing_key,
                                      "mmm_source": et.source, "mmm_time": at,
                                      "mmm_correlation": logs.correlation_id.get() or logs.request_id.get()})
    written = result.rowcount or 0
    if written:
        _notify(session)
    return written


def iso_time(column: str) -> str:
    """SQL for a timestamptz column as the contracts' JSON time (UTC, ISO-8601, microseconds)."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
