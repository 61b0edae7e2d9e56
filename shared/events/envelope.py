"""The CloudEvents 1.0 envelope (structured JSON mode) that the broker, feeds and webhooks carry."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError

from shared.events import registry

CONTENT_TYPE = "application/cloudevents+json"
REQUIRED = ("specversion", "id", "source", "type", "time", "datacontenttype", "data")


class InvalidMessage(ValueError):
    """A message that can never be handled: not JSON, not a CloudEvent, unknown type, invalid data."""


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    type: registry.EventType
    subject: str | None
    time: datetime
    correlation_id: str | None
    data: dict[str, Any]  # loaded through the event's schema
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.type.name


def build(name: str, data: dict, *, subject: str | None = None, correlation_id: str | None = None,
          event_id: uuid.UUID | None = None, time: datetime | None = None) -> dict:
    et = registry.by_name(name)
    eid = event_id or uuid.uuid4()
    return {
        "specversion": "1.0",
        "id": str(eid),
        "source": et.source,
        "type": et.type,
        "subject": subject,
        "time": (time or datetime.now(timezone.utc)).isoformat(),
        "datacontenttype": "application/json",
        "correlationid": correlation_id or str(eid),
        "data": et.dump(data),
    }


def parse(body: bytes | str | dict) -> Event:
    try:
        raw = body if isinstance(body, dict) else json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidMessage("not a JSON object")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise InvalidMessage(f"not a CloudEvent, missing {', '.join(missing)}")
    if raw["specversion"] != "1.0":
        raise InvalidMessage(f"unsupported specversion {raw['specversion']!r}")
    try:
        et = registry.by_type(raw["type"])
    except registry.UnknownEventType:
        raise InvalidMessage(f"unknown event type {raw['type']!r}") from None
    try:
        eid = uuid.UUID(str(raw["id"]))
        time = datetime.fromisoformat(str(raw["time"]).replace("Z", "+00:00"))
        data = et.load(raw["data"]) if isinstance(raw["data"], dict) else None
    except (ValueError, TypeError) as exc:
        raise InvalidMessage(f"invalid envelope: {exc}") from None
    except ValidationError as exc:
        raise InvalidMessage(f"invalid data for {et.name}: {exc.messages}") from None
    if data is None:
        raise InvalidMessage("data is not an object")
    return Event(id=eid, type=et, subject=raw.get("subject"), time=time,
                 correlation_id=raw.get("correlationid"), data=data, raw=raw)
