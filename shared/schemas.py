"""Base marshmallow schemas every service's API uses.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can carry
an id, a role, an institution, a status or a count that the server decides.

Every integer a request schema reads is bounded: a field that declares no upper (or lower) bound of its
own gets PostgreSQL's integer range, so that no number a client sends can overflow a column (a 500);
paging offsets stop at MAX_OFFSET.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

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
