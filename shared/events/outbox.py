"""Recording events: in the caller's transaction, beside the state change that caused them."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm

from shared import db, logs
from shared.events import envelope, registry

NOTIFY_CHANNEL = "mmm_outbox"

_INSERT = sa.text(
    "INSERT INTO outbox (id, event_type, routing_key, body) VALUES (:id, :type, :key, CAST(:body AS jsonb))"
)
_NOTIFY = sa.text(f"NOTIFY {NOTIFY_CHANNEL}")
_OUTBOX = db.platform_metadata().tables["outbox"]


def record_event(session: orm.Session, name: str, data: dict, *, subject: str | None = None) -> uuid.UUID:
    """Write event `name` to the outbox; it is published only if the transaction commits.

    The data is validated against the event's schema here, so an invalid event fails the use case
    that produced it instead of reaching a consumer.
    """
    return record_events(session, name, [(data, subject)])[0]


def record_events(session: orm.Session, name: str, items: list[tuple[dict, str | None]]) -> list[uuid.UUID]:
    """record_event for many events of one kind, `(data, subject)` each, validated the same way and
    written in one multi-row INSERT (a survey opened to 20,000 people is 20 statements, not 20,000)."""
    if not items:
        return []
    et = registry.by_name(name)
    correlation = logs.correlation_id.get() or logs.request_id.get()
    if len(items) == 1:
        data, subject = items[0]
        body = envelope.build(name, data, subject=subject, correlation_id=correlation)
        session.execute(_INSERT, {"id": uuid.UUID(body["id"]), "type": et.type, "key": et.routing_key,
                                  "body": json.dumps(body)})
        notify_relays(session)
        return [uuid.UUID(body["id"])]
    rows = []
    for data, subject in items:
        body = envelope.build(name, data, subject=subject, correlation_id=correlation)
        rows.append({"id": uuid.UUID(body["id"]), "event_type": et.type, "routing_key": et.routing_key, "body": body})
    session.execute(sa.insert(_OUTBOX).values(rows))
    notify_relays(session)
    return [row["id"] for row in rows]


def notify_relays(session: orm.Session) -> None:
    """Wakes the relays at commit (never for a rolled-back transaction); once per transaction."""
    transaction = session.get_transaction()
    if session.info.get("outbox_notified") is not transaction:
        session.execute(_NOTIFY)
        session.info["outbox_notified"] = transaction


def outbox_insert(name: str, query: str, *, time: datetime | None = None) -> tuple[str, dict]:
    """The SQL `INSERT INTO outbox ... SELECT` that writes one event `name` per row of the SQL `query`
    (columns `subject` text and `data` jsonb), and its parameters: a data-modifying CTE (or a statement of
    its own) of a job that changes thousands of rows and announces them at once, where building and
    validating each envelope in Python (record_event) would cost more than the change itself. Call
    notify_relays in the same transaction.

    The envelope is record_event's (CloudEvents 1.0, a fresh id, the correlation id of the current
    request or job, else the event's own id). The query must give `data` in the contract's JSON form —
    UUIDs as text, times as `iso_time` below — since it is not validated here: the caller's tests parse
    the bodies with envelope.parse. Parameters are named after the event, so that one statement may write
    several kinds."""
    et = registry.by_name(name)
    p = f"mmm_{name}_"
    sql = (
        "INSERT INTO outbox (id, event_type, routing_key, body) "
        f"SELECT e.id, CAST(:{p}type AS text), CAST(:{p}key AS text), jsonb_build_object("
        f"'specversion', '1.0', 'id', e.id::text, 'source', CAST(:{p}source AS text), "
        f"'type', CAST(:{p}type AS text), 'subject', CAST(e.subject AS text), 'time', CAST(:{p}time AS text), "
        "'datacontenttype', 'application/json', "
        f"'correlationid', coalesce(CAST(:{p}correlation AS text), e.id::text), 'data', e.data) "
        f"FROM (SELECT gen_random_uuid() AS id, r.subject, r.data FROM ({query}) AS r) AS e"
    )
    params = {f"{p}type": et.type, f"{p}key": et.routing_key, f"{p}source": et.source,
              f"{p}time": (time or datetime.now(timezone.utc)).isoformat(),
              f"{p}correlation": logs.correlation_id.get() or logs.request_id.get()}
    return sql, params


def iso_time(column: str) -> str:
    """SQL for a timestamptz column as the contracts' JSON time (UTC, ISO-8601, microseconds)."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
