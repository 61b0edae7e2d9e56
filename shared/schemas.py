"""Base marshmallow schemas every service's API uses.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can carry
an id, a role, an institution, a status or a count that the server decides.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, missing, validate


class In(Schema):
    """A request body or query: unknown fields are a 422."""


class Out(Schema):
    """A response: fields in declaration order."""

    class Meta:
        ordered = True


class Page(In):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))  # bounded: OFFSET is a bigint


HIDDEN = missing
"""A field's value in `shown(...)` that leaves the field out of the answer."""


class _Shown:
    __slots__ = ("_obj", "_extra")

    def __init__(self, obj: Any, extra: dict[str, Any]):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_extra", extra)

    def __getattr__(self, name: str) -> Any:
        extra = object.__getattribute__(self, "_extra")
        if name in extra:
            return extra[name]
        obj = object.__getattribute__(self, "_obj")
        if isinstance(obj, Mapping):
            try:
                return obj[name]
            except KeyError:
                raise AttributeError(name) from None
        return getattr(obj, name)


def shown(obj: Any, **extra: Any) -> Any:
    """`obj` (a model or a dict) as a view's response schema should dump it, with fields added or replaced —
    `shown(request, mentorship_id=..., mentee=card)`; `HIDDEN` leaves a field out
    (`shown(institution, enrollment_code=HIDDEN)`). A view returns it and its `@blp.response` schema writes
    the answer, so the OpenAPI document and the bytes sent come from the same schema and cannot drift."""
    return _Shown(obj, extra)
