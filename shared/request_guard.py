"""The guard every request passes before any view or schema sees it: input no field may hold is a 422
naming the field, never a 500 from deep inside the parser, the ORM or PostgreSQL.

- a JSON body is parsed once here with limits: nesting at most `MMM_MAX_JSON_DEPTH` levels (32), integers
  within PostgreSQL's bigint, finite numbers only (no NaN or Infinity, no 1e999), and no NUL character or
  lone surrogate in any string or member name (PostgreSQL cannot store a NUL; a lone surrogate cannot
  be encoded) — each refusal with a JSON pointer to the value;
- every query parameter (its name and its values) likewise holds no NUL or lone surrogate;
- a path holding either is a 400.

The body size limit is Flask's MAX_CONTENT_LENGTH (`MMM_MAX_BODY_BYTES`, 413). Schema-level bounds
(integers of every request schema, paging) are in shared/schemas.py. Non-JSON bodies (the CSV imports)
are read by their own view, which refuses a NUL or bytes that are not UTF-8 itself.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request

from shared import config, errors

BIGINT_MIN, BIGINT_MAX = -(2 ** 63), 2 ** 63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def max_depth() -> int:
    return int(config.env("MMM_MAX_JSON_DEPTH", "32") or 32)


class _Refused:
    """A value the parser met but must not hand on: the walk reports it with its pointer."""

    def __init__(self, detail: str):
        self.detail = detail


_TOO_LARGE = "This number is too large; give a number between -9223372036854775808 and 9223372036854775807."


def _parse_int(text: str) -> Any:
    # 19 digits are within bigint or close to it; longer ones are refused without converting them
    # (Python refuses to convert more than 4,300 digits at all).
    if len(text.lstrip("-")) > 19:
        return _Refused(_TOO_LARGE)
    value = int(text)
    return value if BIGINT_MIN <= value <= BIGINT_MAX else _Refused(_TOO_LARGE)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Refused("This number is too large.")


def _parse_constant(_text: str) -> Any:
    return _Refused("Give a number; NaN and Infinity are not numbers here.")


def _pointer(path: list) -> str:
    return "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _text_problem(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if not found:
        return None
    if found.group() == "\x00":
        return "This text holds a NUL character, which no text here may hold."
    return "This text holds a lone surrogate (an invalid character); send it as valid UTF-8."


def _refusal(errors_found: list[dict]) -> errors.Problem:
    return errors.Problem(422, "validation-error", "Validation failed", "One or more fields are invalid.",
                          errors=errors_found)


def check_json(raw: bytes | str) -> Any:
    """The parsed body, or a 422 Problem naming every value no field may hold (the first 20)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        body = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:
        raise _refusal([{"pointer": "#", "detail": f"The body is nested too deeply; at most {max_depth()} "
                                                    "levels of arrays and objects are accepted."}]) from None
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        raise errors.Problem(422, "malformed-json", "Malformed JSON", "The request body is not valid JSON.") \
            from None
    limit = max_depth()
    found: list[dict] = []
    stack: list[tuple[Any, list, int]] = [(body, [], 0)]
    while stack and len(found) < 20:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= limit:
                found.append({"pointer": _pointer(path), "detail": f"This value is nested too deeply; at most "
                                                                   f"{limit} levels of arrays and objects are "
                                                                   "accepted."})
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and (why := _text_problem(key)):
                    found.append({"pointer": _pointer(path + [key]), "detail": "This member's name: " + why})
                    continue
                stack.append((item, path + [key], depth + 1))
        elif isinstance(value, str):
            if why := _text_problem(value):
                found.append({"pointer": _pointer(path), "detail": why})
        elif isinstance(value, _Refused):
            found.append({"pointer": _pointer(path), "detail": value.detail})
    if found:
        found.sort(key=lambda e: e["pointer"])
        raise _refusal(found)
    return body


def check_query(request: Request) -> None:
    """A 422 naming each query parameter whose name or value holds a NUL or a lone surrogate."""
    found = []
    for name, values in request.args.lists():
        for value in [name, *values]:
            if why := _text_problem(value):
                found.append({"parameter": _UNSTORABLE.sub("?", name), "in": "query", "detail": why})
                break
    if found:
        raise _refusal(found)


def check_path(request: Request) -> None:
    if _UNSTORABLE.search(request.path):
        raise errors.Problem(400, "bad-request", "Bad Request",
                             "The address holds a NUL character or an invalid one; no address here does.")


def check(request: Request, *, json_body: bool) -> None:
    """Everything above, for the request being served (`json_body`: its body is JSON)."""
    check_path(request)
    check_query(request)
    if json_body and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug's 413
        if raw.strip():
            check_json(raw)
