"""The registry of event types: name, owning service, version and the marshmallow schema of `data`."""
from __future__ import annotations

from dataclasses import dataclass

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
        """Serialise `data` to JSON types and validate it strictly (unknown fields refused)."""
        schema = self.schema()
        payload = schema.dump(data)
        errors = schema.validate(payload)
        if errors:
            raise ValidationError(errors)
        return payload

    def load(self, payload: dict) -> dict:
        """Validate consumed data; fields added by a newer publisher are ignored."""
        return self.schema(unknown=EXCLUDE).load(payload)


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
