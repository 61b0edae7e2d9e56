"""What every service's OpenAPI document says about fields whose JSON differs from apispec's defaults,
fixed once here so the document describes the bytes the service sends.

- A `fields.Decimal(as_string=True)` is sent as a JSON string ("1.50": exact, as on the certificate),
  so it is documented as a string of digits (`format: decimal`), not as a number.
- Range bounds of a decimal field are numbers in the document (apispec writes them through the field,
  which gives a Decimal, or a string with `as_string`: invalid OpenAPI). A decimal sent as a string
  carries no bounds (JSON Schema's bounds apply to numbers only).
"""
from __future__ import annotations

from decimal import Decimal

from flask_smorest import Api
from marshmallow import fields

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


def install(api: Api) -> None:
    """Call after Api(app) and before any blueprint is registered (the document is built then)."""
    api.ma_plugin.converter.add_attribute_function(decimal2properties)
