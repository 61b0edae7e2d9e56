"""The app factory every service uses: flask-smorest Api, problem+json errors, request ids, JSON logs,
/healthz, /readyz, /metrics, a request body size limit and the service's database."""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
import flask_smorest
from prometheus_client import CONTENT_TYPE_LATEST

from shared import config, contention, errors, logs, metrics as mmm_metrics, openapi, request_guard
from shared.db import Database
from shared.events import broker
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("mmm.http")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_JSON_TYPES = re.compile(r"^application/([a-z0-9.+-]*\+)?json$")


def accepts(*media_types: str):
    """Decorator of a MethodView method whose body is not JSON (e.g. `@accepts("text/csv")`): the
    request guard lets these media types through to it, and only to it. Put it under `@require`."""
    def wrap(fn):
        fn._mmm_media_types = frozenset(media_types)
        return fn

    return wrap


def _accepted_media(app: Flask) -> frozenset[str]:
    view = app.view_functions.get(request.endpoint or "")
    method = getattr(getattr(view, "view_class", None), request.method.lower(), None)
    return getattr(method, "_mmm_media_types", frozenset())


class Blueprint(flask_smorest.Blueprint):
    """The blueprint every service's API uses: its arguments are read by shared.request_guard's parser
    (depth, number, NUL and surrogate limits of every JSON body and query string)."""

    ARGUMENTS_PARSER = request_guard.GuardedParser()


@dataclass
class ServiceContext:
    name: str
    db: Database
    verifier: Any = None


def api_prefix(service: str) -> str:
    return f"/api/v1/{service}"


def create_service_app(name: str, blueprints: list[flask_smorest.Blueprint], *, title: str, description: str,
                       problem_types: errors.ProblemTypes | None = None, overrides: dict | None = None) -> Flask:
    """`problem_types`: the service's table of the refusals its rules and use cases raise (shared/errors.py)."""
    logs.configure(name)
    app = Flask(f"services.{name}")
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=api_prefix(name),
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=int(config.env("MMM_MAX_BODY_BYTES", str(256 * 1024))),
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "servers": [{"url": "/", "description": "through the gateway or directly"}],
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)"},
            }},
        },
        DATABASE_URL=config.database_url(name),
    )
    app.config.update(overrides or {})
    api = openapi.ProblemApi(app)  # errors documented as the RFC 9457 problems the services send
    openapi.install(api)  # before the blueprints: their document is built as they are registered
    errors.install(app, problem_types)  # after Api(): replaces flask-smorest's JSON errors with problem+json
    contention.install(app)  # a view that lost a deadlock is run again
    for bp in blueprints:
        api.register_blueprint(bp, url_prefix=api_prefix(name) + (bp.url_prefix or ""))
    app.extensions["mmm"] = ServiceContext(name=name, db=Database(
        app.config["DATABASE_URL"], role="api", name=f"{name}-api", overrides=app.config))
    app.extensions["mmm_api"] = api
    _install_request_context(app, name)
    _install_probes(app)
    return app


def db_of(app: Flask) -> Database:
    return app.extensions["mmm"].db


def _install_request_context(app: Flask, service: str) -> None:
    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-Id", "")
        rid = incoming if _SAFE_ID.match(incoming) else str(uuid.uuid4())
        cid = request.headers.get("X-Correlation-Id", "")
        g.request_id = rid
        g.started = time.perf_counter()
        logs.request_id.set(rid)
        logs.correlation_id.set(cid if _SAFE_ID.match(cid) else rid)
        if request.method in ("POST", "PUT", "PATCH") and request.content_length:
            accepted = _accepted_media(app)
            if accepted:
                if (request.mimetype or "") not in accepted:
                    raise errors.Problem(415, "unsupported-media-type", "Unsupported Media Type",
                                         f"Send the request body as {' or '.join(sorted(accepted))}.")
            elif not _JSON_TYPES.match(request.mimetype or ""):
                raise errors.Problem(415, "unsupported-media-type", "Unsupported Media Type",
                                     "Send the request body as application/json.")
        request_guard.check_path(request)  # bodies and query strings: Blueprint's parser below

    @app.after_request
    def _finish(response: Response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-Id"] = rid
        request_guard.finish_body(request)  # no unread body left on a kept-alive connection
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(service, request.method, endpoint, response.status_code).inc()
        HTTP_LATENCY.labels(service, endpoint).observe(elapsed)
        if endpoint not in ("/healthz", "/readyz", "/metrics"):
            log.info("request", extra={"method": request.method, "path": request.path,
                                       "status": response.status_code, "ms": round(elapsed * 1000, 1)})
        return response

    @app.teardown_request
    def _clear(_exc):
        logs.request_id.set(None)
        logs.correlation_id.set(None)


def _install_probes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        return readiness(db_of(app), app.extensions.get("mmm_readiness", {}))

    @app.get("/metrics")
    def metrics():
        return Response(mmm_metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)


def readiness(database: Database, extra: dict | None = None) -> tuple[dict, int]:
    """Database and broker reachable, and every check a service added to
    app.extensions["mmm_readiness"] (name -> callable returning "ok" or why not) answering "ok"."""
    checks = {}
    try:
        database.ping()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        broker.connect(heartbeat=0).close()
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"unreachable: {type(exc).__name__}"
    for name, check in (extra or {}).items():
        checks[name] = check()
    ok = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ok else "not ready", "checks": checks}, 200 if ok else 503
