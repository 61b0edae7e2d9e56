"""What every service's OpenAPI document says where flask-smorest's and apispec's defaults differ from
the bytes the services send, fixed once here so that the document is true.

- Errors: every refusal is an RFC 9457 problem (`application/problem+json`, shared/errors.py), so the
  default and 422 responses of every operation are documented as `Problem`, not as flask-smorest's
  `{code, status, message, errors}`, which no service sends.
- A `fields.Decimal(as_string=True)` is sent as a JSON string ("1.50": exact, as on the certificate),
  so it is documented as a string of digits (`format: decimal`), not as a number.
- Range bounds of a decimal field are numbers in the document (apispec writes them through the field,
  which gives a Decimal, or a string with `as_string`: invalid OpenAPI). A decimal sent as a string
  carries no bounds (JSON Schema's bounds apply to numbers only).
"""
from __future__ import annotations

import http
from decimal import Decimal

from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields

from shared.errors import PROBLEM_JSON

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "x-minimum", "x-maximum")


def _number(value):
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def decimal2properties(self, field, ret, **_kw) -> dict:
    """apispec attribute function (runs after the built-in ones): the true type and bounds of a decimal."""
    if not isinstance(field, fields.Decimal):
        return {}
    for key in _BOUNDS:
        ret.pop(key, None)
    bounds = _bounds([v for v in field.validators if hasattr(v, "min") and hasattr(v, "max")])
    if not field.as_string:
        return bounds
    types = ret.get("type", "number")
    return {"type": [("string" if t == "number" else t) for t in types] if isinstance(types, list) else "string",
            "format": "decimal", "pattern": DECIMAL_PATTERN}


def _bounds(validators) -> dict:
    out: dict = {}
    for v in validators:
        if v.min is not None:
            out["exclusiveMinimum" if not getattr(v, "min_inclusive", True) else "minimum"] = _number(v.min)
        if v.max is not None:
            out["exclusiveMaximum" if not getattr(v, "max_inclusive", True) else "maximum"] = _number(v.max)
    return out


class FieldProblem(Schema):
    class Meta:
        ordered = True
        unknown = INCLUDE

    pointer = fields.String(metadata={"description": "JSON pointer of an invalid body field (RFC 6901), as #/a/b"})
    parameter = fields.String(metadata={"description": "Name of an invalid query, path or header parameter"})
    detail = fields.String(metadata={"description": "What is wrong with it, in words for the person"})


class Problem(Schema):
    """RFC 9457 problem details: `type` carries the code, `detail` a sentence for the person; some problems
    add members of their own (such as `missing_fields`)."""

    class Meta:
        ordered = True
        unknown = INCLUDE  # documented as additionalProperties: true

    type = fields.String(metadata={"description": "https://mentormemed.org/problems/<code>, or about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String(allow_none=True)
    request_id = fields.String()
    errors = fields.List(fields.Nested(FieldProblem), metadata={"description": "One entry per invalid field"})


class ProblemApi(Api):
    """flask-smorest's Api whose documented errors are the problems the services send."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def install(api: Api) -> None:
    """Call after Api(app) and before any blueprint is registered (the document is built then)."""
    api.ma_plugin.converter.add_attribute_function(decimal2properties)
