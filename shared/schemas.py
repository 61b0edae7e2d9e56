"""Base marshmallow schemas every service's API uses.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can carry
an id, a role, an institution, a status or a count that the server decides.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class In(Schema):
    """A request body or query: unknown fields are a 422."""


class Out(Schema):
    """A response: fields in declaration order."""

    class Meta:
        ordered = True


class Page(In):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
