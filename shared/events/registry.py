"""The registry of event types: name, owning service, version and the marshmallow schema of `data`."""
from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError


class UnknownEventType(LookupError):
    pass


@dataclass(frozen=True)
class EventType:
    name: str  # PascalCase, past tense: "RequestCreated"
    service: str  # the only publisher
    version: int
    schema: type[Schema]

    @property
    def type(self) -> str:
        return f"org.mentormemed.{self.service}.{self.name}.v{self.version}"

    @property
    def routing_key(self) -> str:
        return f"{self.service}.{self.name}.v{self.version}"

    @property
    def source(self) -> str:
        return f"/services/{self.service}"

    def dump(self, data: dict) -> dict:
        """`data` as JSON types (UUIDs and datetimes as ISO strings), validated strictly: a wrong type
        or an unknown field is an error."""
        schema = self._strict
        # Validate what the caller gave (as JSON would carry it) so that a wrong type or an unknown
        # field is an error rather than something dump() silently coerces or drops.
        as_json = json.loads(json.dumps(data, default=_json_default))
        errors = schema.validate(as_json)
        if errors:
            raise ValidationError(errors)
        return as_json

    @functools.cached_property
    def secret_fields(self) -> tuple[str, ...]:
        """Fields marked metadata={"secret": True}: kept in the outbox only until published."""
        return tuple(name for name, f in self._strict.fields.items() if f.metadata.get("secret"))

    def load(self, payload: dict) -> dict:
        """Validate consumed data; fields added by a newer publisher are ignored."""
        return self._lenient.load(payload)

    # Schema instances hold no per-call state: one of each per event type saves building one per event.
    @functools.cached_property
    def _strict(self) -> Schema:
        return self.schema()

    @functools.cached_property
    def _lenient(self) -> Schema:
        return self.schema(unknown=EXCLUDE)


def _json_default(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_by_name: dict[str, EventType] = {}
_by_type: dict[str, EventType] = {}


def register(service: str, name: str, schema: type[Schema], version: int = 1) -> EventType:
    et = EventType(name=name, service=service, version=version, schema=schema)
    existing = _by_name.get(name)
    if existing and (existing.service, existing.version) != (service, version):
        raise ValueError(f"event {name} already registered by {existing.service}")
    _by_name[name] = et
    _by_type[et.type] = et
    return et


def event(service: str, name: str | None = None, version: int = 1):
    """Class decorator: `@event("identity") class MentorEnrolled(Schema): ...`."""

    def wrap(schema: type[Schema]) -> type[Schema]:
        register(service, name or schema.__name__, schema, version)
        return schema

    return wrap


def by_name(name: str) -> EventType:
    _load_contracts()
    try:
        return _by_name[name]
    except KeyError:
        raise UnknownEventType(name) from None


def by_type(type_: str) -> EventType:
    _load_contracts()
    try:
        return _by_type[type_]
    except KeyError:
        raise UnknownEventType(type_) from None


def all_types() -> list[EventType]:
    _load_contracts()
    return sorted(_by_name.values(), key=lambda e: e.routing_key)


def _load_contracts() -> None:
    import shared.events.contracts  # noqa: F401  (registers the platform's events)
