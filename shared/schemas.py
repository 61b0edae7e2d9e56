"""Base marshmallow schemas every service's API uses.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can carry
an id, a role, an institution, a status or a count that the server decides.

Every integer a request schema reads is bounded: a field that declares no upper (or lower) bound of its
own gets PostgreSQL's integer range, so that no number a client sends can overflow a column (a 500);
paging offsets stop at MAX_OFFSET.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, missing, validate

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
MAX_OFFSET = 1_000_000


def _bounded(field: fields.Field) -> None:
    """Give an integer field (or the integers inside a list, tuple or dict field) the integer range on
    the sides its own validators leave open."""
    if isinstance(field, fields.Integer):
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        has_min = any(v.min is not None for v in ranges)
        has_max = any(v.max is not None for v in ranges)
        if not (has_min and has_max):
            if has_min:
                bound = validate.Range(max=INT_MAX, error="Give a whole number of at most {max}.")
            elif has_max:
                bound = validate.Range(min=INT_MIN, error="Give a whole number of at least {min}.")
            else:
                bound = validate.Range(min=INT_MIN, max=INT_MAX, error="Give a whole number from {min} to {max}.")
            field.validators.append(bound)
    elif isinstance(field, fields.List):
        _bounded(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _bounded(inner)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        _bounded(field.value_field)


class In(Schema):
    """A request body or query: unknown fields are a 422; integers bounded (see above)."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _bounded(field_obj)


class Out(Schema):
    """A response: fields in declaration order."""

    class Meta:
        ordered = True


class Page(In):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(
        min=0, max=MAX_OFFSET, error="Give an offset from {min} to {max}; narrow the list rather than page further."))


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
