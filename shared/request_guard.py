"""The guard of every request's input: what no field may hold is a 422 naming the field, never a 500 from
deep inside the parser, the ORM or PostgreSQL. It is the request-argument parser of every service's
blueprints (`shared.app.Blueprint`), so it runs where the arguments are read — after authentication and
the role check, which never look at the body — and a new endpoint gets it without a line of its own.

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
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.wsgi import get_input_stream

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


_DEEP = "This value is nested too deeply; at most {} levels of arrays and objects are accepted."
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|[^\s\[\]{},:"]+')


def _too_deep(text: str, limit: int) -> str:
    """The pointer of the first array or object nested `limit` levels deep, read token by token (the
    body's depth is beyond recursion)."""
    kinds: list[str] = []
    path: list = []  # per open container: the key or index of its current member
    expecting_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            if len(kinds) >= limit:
                return _pointer(path)
            kinds.append(token)
            path.append(0 if token == "[" else "")
            expecting_key = token == "{"
        elif token in ("]", "}"):
            if kinds:
                kinds.pop()
                path.pop()
            expecting_key = False
        elif token == "," and kinds:
            if kinds[-1] == "[":
                path[-1] += 1
            else:
                expecting_key = True
        elif token == ":":
            expecting_key = False
        elif expecting_key and token.startswith('"'):
            try:
                path[-1] = json.loads(token)
            except ValueError:
                path[-1] = token.strip('"')
    return "#"


def check_json(raw: bytes | str) -> Any:
    """The parsed body, or a 422 Problem naming every value no field may hold (the first 20)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        body = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:  # nested beyond what the parser can follow: found again without recursion
        raise _refusal([{"pointer": _too_deep(text, max_depth()), "detail": _DEEP.format(max_depth())}]) from None
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
                found.append({"pointer": _pointer(path), "detail": _DEEP.format(limit)})
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


class GuardedParser(FlaskParser):
    """webargs' Flask parser, with the checks above: a JSON body is parsed by check_json (one parse), a
    query string is checked before its schema reads it."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return missing
        raw = req.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug's 413
        return check_json(raw) if raw.strip() else missing

    def load_querystring(self, req: Request, schema) -> Any:
        check_query(req)
        return super().load_querystring(req, schema)



# A body the app answered without reading (a 413, a refusal before the body was parsed) is read to its
# end and dropped before the connection is reused, up to this many bytes (the gateway passes at most
# 1 MiB). Otherwise gunicorn, which drains at most 64 KiB of an unread body, closes the connection that
# its response announced as kept alive (an application cannot make it say "Connection: close"), and the
# gateway's next request on that connection — a POST, which nginx does not retry — came back 502.
DRAIN_MAX_BYTES = 2 * 1024 * 1024


def finish_body(request: Request) -> None:
    """Read and drop what is left of the request's body (up to DRAIN_MAX_BYTES)."""
    chunked = "chunked" in (request.headers.get("Transfer-Encoding") or "").lower()
    length = request.content_length
    if not (length or chunked) or (length and length > DRAIN_MAX_BYTES):
        return
    # the request's own stream when the app opened it (it knows what was read), else a new one bounded
    # by the body's length (the raw input of some servers runs on into the next request)
    stream = request.__dict__.get("stream") or get_input_stream(request.environ, max_content_length=None)
    drained = 0
    try:
        while drained <= DRAIN_MAX_BYTES:
            data = stream.read(64 * 1024)
            if not data:
                return
            drained += len(data)
    except Exception:  # noqa: BLE001 - a broken body: the server closes the connection itself
        return
