"""RFC 9457 problem details for every error: never HTML, never a stack trace.

Two kinds of refusal reach the client the same way. Rules and use cases raise shared.domain_errors.Refused
— a kind ("mentor-no-open-slot"), a sentence for the person and any facts a client can act on, nothing of
HTTP; each service maps its kinds to a status and a title in one table, `PROBLEM_TYPES` in
services/<service>/errors.py, given to shared.app.create_service_app. The HTTP layer raises `Problem`
directly for what only HTTP knows: authentication, media types, malformed bodies, and fields of the request
it names by JSON pointer or parameter (`invalid_field`, `invalid_fields`)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import Flask, Response, json, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from shared import contention
from shared.domain_errors import Refused

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://mentormemed.org/problems/"


class Problem(Exception):
    """A refusal the client can act on: `raise Problem(409, "no-open-slot", "Mentor has no open slot")`."""

    def __init__(self, status: int, slug: str, title: str, detail: str | None = None, *,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail or title)
        self.headers = dict(headers or {})
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extra = extra


@dataclass(frozen=True)
class ProblemType:
    """How the HTTP API answers one kind of refusal; `headers` derives any response headers from it."""
    status: int
    title: str
    headers: Callable[[Refused], dict[str, str]] | None = None


CONFLICT = ProblemType(409, "Conflict")
FORBIDDEN = ProblemType(403, "Forbidden")
GONE = ProblemType(410, "Gone")
NOT_FOUND = ProblemType(404, "Not Found")
# Kinds every service's table has: shared.auth.visible_or_404 refuses with "not-found".
COMMON_PROBLEM_TYPES = {"not-found": NOT_FOUND, "forbidden": FORBIDDEN}


class ProblemTypes:
    """A service's table: kind of refusal -> problem type, the common kinds included."""

    def __init__(self, types: Mapping[str, ProblemType]):
        self.types = {**COMMON_PROBLEM_TYPES, **types}

    def __contains__(self, kind: str) -> bool:
        return kind in self.types

    def problem(self, refused: Refused) -> Problem:
        """The problem that answers `refused`; a kind missing from the table is a bug, raised as one."""
        try:
            found = self.types[refused.kind]
        except KeyError:
            raise LookupError(f"refusal kind {refused.kind!r} is not in the service's table of problem types "
                              "(PROBLEM_TYPES in services/<service>/errors.py)") from None
        headers = found.headers(refused) if found.headers else None
        return Problem(found.status, refused.kind, found.title, refused.detail, headers=headers, **refused.extra)


def invalid_field(detail: str, *, pointer: str | None = None, parameter: str | None = None,
                  location: str = "query") -> Problem:
    """A 422 naming one invalid field the schema could not judge: a body field by JSON pointer
    ("email/request_received"), or a query parameter by name — the same shape as schema errors."""
    error = {"pointer": f"#/{pointer}", "detail": detail} if pointer is not None else \
        {"parameter": parameter, "in": location, "detail": detail}
    return Problem(422, "validation-error", "Validation failed", "One or more fields are invalid.", errors=[error])


def invalid_fields(errors: list[dict[str, str]]) -> Problem:
    """A 422 naming several invalid fields ({pointer, detail} or {parameter, in, detail} each)."""
    return Problem(422, "validation-error", "Validation failed", "One or more fields are invalid.", errors=errors)


def problem_response(status: int, title: str, detail: str | None = None, slug: str | None = None,
                     headers: dict | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    from shared.logs import request_id

    if request_id.get():
        body["request_id"] = request_id.get()
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _pointers(messages: Any, base: str = "") -> list[dict[str, str]]:
    """webargs/marshmallow messages → one {pointer, detail} per invalid field (JSON Pointer, RFC 6901)."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            if key == "_schema":
                out.extend(_pointers(value, base))
            else:
                out.extend(_pointers(value, f"{base}/{token}"))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            for m in messages:
                out.append({"pointer": "#" + base, "detail": m})
        else:
            for m in messages:
                out.extend(_pointers(m, base))
    else:
        out.append({"pointer": "#" + base, "detail": str(messages)})
    return out


def _validation_problem(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    errors: list[dict[str, str]] = []
    for location, fields in messages.items():
        if location == "json":
            if fields == ["Invalid JSON body."] or fields == {"_schema": ["Invalid JSON body."]}:
                return problem_response(422, "Malformed JSON", "The request body is not valid JSON.",
                                        "malformed-json")
            errors.extend(_pointers(fields))
        else:  # query, headers, path: name the parameter rather than a pointer into a body
            for item in _pointers(fields):
                errors.append({"parameter": item["pointer"].lstrip("#/"), "detail": item["detail"],
                               "in": location})
    return problem_response(422, "Validation failed", "One or more fields are invalid.",
                            "validation-error", errors=errors)


def database_overload(exc: BaseException) -> Response | None:
    """503 with Retry-After when the database is busy or out of reach, not the request at fault: the
    pool had no connection free within its timeout, PostgreSQL refused or dropped the connection
    ("too many clients already", restarting, a terminated backend), or a transaction lost a deadlock
    or serialization race (safe to send again). None for any other error."""
    from shared import config

    if isinstance(exc, sa_exc.TimeoutError):
        slug, detail = "database-busy", "The service is busy; try again in a few seconds."
    elif isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | psycopg.OperationalError
                    | psycopg.InterfaceError) or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated):
        slug, detail = "database-unavailable", "The service cannot reach its data just now; try again in a few seconds."
    else:
        return None
    orig = getattr(exc, "orig", None)
    log.warning("database overloaded or unreachable: answered 503", extra={
        "error": type(orig or exc).__name__, "sqlstate": getattr(orig, "sqlstate", None)})
    return problem_response(503, "Service Unavailable", detail, slug, headers={"Retry-After": config.retry_after()})


def install(app: Flask, problem_types: ProblemTypes | None = None) -> None:
    """problem+json for every error; `problem_types` is the service's table for the refusals it raises."""
    table = problem_types or ProblemTypes({})

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        headers = dict(exc.headers)
        if exc.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="mentormemed"')
        return problem_response(exc.status, exc.title, exc.detail, exc.slug, headers=headers, **exc.extra)

    @app.errorhandler(Refused)
    def _refused(exc: Refused):
        return _problem(table.problem(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code in (400, 422) and getattr(exc, "data", None) and "messages" in exc.data:
            return _validation_problem(exc)
        headers = {}
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        if exc.code == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="mentormemed"'
        detail = exc.description if isinstance(exc.description, str) else None
        return problem_response(exc.code or 500, exc.name, detail, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        if contention.is_conflict(exc):  # retried already (shared/contention.py): load, not a bug
            log.warning("transaction conflict persisted", extra={"sqlstate": contention.conflict_state(exc)})
            return problem_response(503, "Service Unavailable", "The service is busy with conflicting changes; "
                                    "try again in a moment.", "busy", headers=contention.conflict_headers())
        overload = database_overload(exc)
        if overload is not None:
            return overload
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error",
                                "Something went wrong on our side; the request id identifies it in our logs.")
