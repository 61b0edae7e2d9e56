"""Fixtures of the notifications tests: the notifications app on this run's database; people, institutions
and happenings made the way the service learns of them — by handling events, with a real session — a real
SMTP server (aiosmtpd) that keeps what it receives, and a real HTTP receiver for webhooks."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from services.notifications import settings as settings_module
from services.notifications.events import handlers
from shared.app import db_of
from shared.events import envelope
from shared.testing import Person, bearer, free_port, handle_event

PREFIX = "/api/v1/notifications"

APP_CONFIG = {"NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE": "on", "NOTIFICATIONS_PUBLIC_URL": "https://mentormemed.test"}


@pytest.fixture(scope="session")
def notifications_app(service_app):
    return service_app("notifications", **APP_CONFIG)


@pytest.fixture(scope="session")
def notifications_db(notifications_app):
    return db_of(notifications_app)


@pytest.fixture()
def client(notifications_app):
    return notifications_app.test_client()


def settings_for(**overrides) -> settings_module.Settings:
    return settings_module.load({**APP_CONFIG, **overrides})


def event_body(name: str, data: dict, *, time: datetime | None = None, event_id: uuid.UUID | None = None) -> dict:
    return envelope.build(name, data, time=time, event_id=event_id)


def apply(database, name: str, data: dict, *, time: datetime | None = None, body: dict | None = None) -> dict:
    """Handle one consumed event as the consumer would (a parsed CloudEvent, a real transaction)."""
    return handle_event(database, handlers, name, data, time=time, body=body)


def now() -> datetime:
    return datetime.now(timezone.utc)


class World:
    """Institutions and people known to notifications through events; API calls with their tokens."""

    def __init__(self, database, client, signing_keys):
        self.db, self.c, self.keys = database, client, signing_keys

    def institution(self, name: str | None = None) -> uuid.UUID:
        inst = uuid.uuid4()
        apply(self.db, "InstitutionSubscribed", {
            "institution_id": inst, "name": name or f"School {inst.hex[:6]}", "kind": "academic", "class_size": 60,
            "minimum_mentors": 50, "subscription_status": "active"})
        return inst

    def person(self, role: str, institution: uuid.UUID, *, enrolled: bool = True) -> Person:
        uid = uuid.uuid4()
        tag = uid.hex[:8]
        p = Person(uid, institution, role, f"{role.replace('_', ' ').title()} {tag}", f"{role}-{tag}@example.org",
                   bearer(self.keys.mint(role, sub=uid, inst=institution)))
        if enrolled:
            self.enroll(p)
        return p

    def enroll(self, p: Person) -> None:
        name = {"mentor": "MentorEnrolled", "mentee": "MenteeEnrolled",
                "institution_admin": "InstitutionAdminEnrolled"}[p.role]
        apply(self.db, name, {"user_id": p.id, "institution_id": p.institution_id, "name": p.name, "email": p.email})

    def operator(self) -> dict:
        return bearer(self.keys.mint("operator"))

    def request(self, mentee: Person, mentor: Person, respond_in: timedelta = timedelta(days=14)) -> dict:
        data = {"request_id": uuid.uuid4(), "mentee_id": mentee.id, "mentor_id": mentor.id,
                "mentee_institution_id": mentee.institution_id, "mentor_institution_id": mentor.institution_id,
                "created_at": now(), "respond_by": now() + respond_in}
        apply(self.db, "RequestCreated", data)
        return data

    # -- HTTP ----------------------------------------------------------------------------------------
    def call(self, method: str, path: str, who=None, expect=None, **kw):
        headers = who.headers if isinstance(who, Person) else (who or {})
        r = self.c.open(PREFIX + path, method=method, headers=headers, **kw)
        if expect is not None:
            assert r.status_code == expect, (method, path, r.status_code, r.get_json())
        return r

    def inbox(self, who: Person, **params) -> dict:
        return self.call("GET", "/inbox", who, 200, query_string=params).get_json()


@pytest.fixture(autouse=True)
def service_settings(monkeypatch):
    """The event handlers get the service's settings as from the worker: here the app's."""
    monkeypatch.setattr(handlers, "settings", settings_for())


@pytest.fixture()
def world(notifications_db, client, signing_keys, service_settings):
    return World(notifications_db, client, signing_keys)


def count(database, sql: str, **params) -> int:
    with database.sessions() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def rows(database, sql: str, **params) -> list:
    with database.sessions() as conn:
        return conn.execute(sa.text(sql), params).all()


# --- a real SMTP server -----------------------------------------------------------------------------------

class SmtpServer:
    """aiosmtpd on a free loopback port, keeping every message it accepts (parsed), or refusing some."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.refuse: set[str] = set()
        outer = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
                if address in outer.refuse:
                    return "550 5.1.1 no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                msg = message_from_bytes(envelope.content, policy=policy.default)
                outer.messages.append((list(envelope.rcpt_tos), msg))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture()
def smtp():
    with SmtpServer() as server:
        yield server


# --- a real HTTP receiver for webhooks ----------------------------------------------------------------------

@dataclass
class Received:
    at: float
    headers: dict
    body: bytes


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request; answers `status` (a number, or a callable
    of the request count returning one)."""

    def __init__(self):
        self.requests: list[Received] = []
        self.status = 204
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append(Received(time.time(), {k.lower(): v for k, v in self.headers.items()}, body))
                    n = len(outer.requests)
                status = outer.status(n) if callable(outer.status) else outer.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/mentormemed"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(r.body) for r in self.requests]


@pytest.fixture()
def receiver():
    with Receiver() as r:
        yield r


def wait_until(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
