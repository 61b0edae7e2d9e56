"""Fixtures of the mentorship tests: the mentorship app on this run's database, and a world of mentors and
mentees made the way the service learns of them — by handling the enrollment, training and publication
events (called with a real session) — with tokens minted by the test signing keys."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from services.mentorship.events import handlers
from shared.app import db_of
from shared.testing import Person, bearer, handle_event, outbox_events

PREFIX = "/api/v1/mentorship"

# Durations of the app under test: long enough that nothing expires during a test unless it says so.
APP_CONFIG = {"MENTORSHIP_RESPOND_BY": "P14D", "MENTORSHIP_REMIND_AFTER": "P7D", "MENTORSHIP_STRIKES": 2,
              "MENTORSHIP_STRIKE_WINDOW": "P180D"}


@pytest.fixture(scope="session")
def mentorship_app(service_app):
    return service_app("mentorship", **APP_CONFIG)


@pytest.fixture(scope="session")
def mentorship_db(mentorship_app):
    return db_of(mentorship_app)


@pytest.fixture()
def client(mentorship_app):
    return mentorship_app.test_client()


def apply(database, name: str, data: dict, *, time: datetime | None = None) -> None:
    """Handle one consumed event as the consumer would (a parsed CloudEvent, a real transaction)."""
    handle_event(database, handlers, name, data, time=time)


class World:
    """Mentors and mentees known to mentorship through events; API calls with their tokens."""

    def __init__(self, database, client, signing_keys):
        self.db = database
        self.c = client
        self.keys = signing_keys
        self.institution = uuid.uuid4()

    def person(self, role: str, institution: uuid.UUID | None = None, *, enrolled=True, trained=True,
               enrollment: dict | None = None) -> Person:
        """`enrollment`: optional fields of the enrollment event (a mentee's institution_name,
        training_stage, expected_graduation_year); without them the event is as older publishers sent it."""
        uid, inst = uuid.uuid4(), institution or self.institution
        tag = uid.hex[:8]
        p = Person(uid, inst, role, f"{role.title()} {tag}", f"{role}-{tag}@example.org",
                   bearer(self.keys.mint(role, sub=uid, inst=inst)))
        if enrolled:
            apply(self.db, "MentorEnrolled" if role == "mentor" else "MenteeEnrolled",
                  {"user_id": uid, "institution_id": inst, "name": p.name, "email": p.email, **(enrollment or {})})
        if trained:
            self.train(p)
        return p

    def train(self, p: Person) -> None:
        apply(self.db, "TrainingCompleted", {"user_id": p.id, "institution_id": p.institution_id, "track": p.role,
                                             "curriculum_version": 1, "completed_at": datetime.now(timezone.utc)})

    def publish(self, p: Person, scope: str = "national") -> None:
        apply(self.db, "MentorProfilePublished", {"mentor_id": p.id, "institution_id": p.institution_id,
                                                  "scope": scope})

    def mentor(self, institution=None, *, scope="national", published=True, **kw) -> Person:
        p = self.person("mentor", institution, **kw)
        if published:
            self.publish(p, scope)
        return p

    def mentee(self, institution=None, **kw) -> Person:
        return self.person("mentee", institution, **kw)

    def admin(self, institution=None) -> dict:
        return bearer(self.keys.mint("institution_admin", inst=institution or self.institution))

    def operator(self) -> dict:
        return bearer(self.keys.mint("operator"))

    # -- HTTP --------------------------------------------------------------------------------------
    def post(self, path, body=None, who=None, expect=None, headers=None):
        r = self.c.post(PREFIX + path, json=body if body is not None else {},
                        headers={**(who.headers if isinstance(who, Person) else who or {}), **(headers or {})})
        if expect is not None:
            assert r.status_code == expect, (path, r.status_code, r.get_json())
        return r

    def get(self, path, who=None, expect=None, **params):
        r = self.c.get(PREFIX + path, headers=who.headers if isinstance(who, Person) else who, query_string=params)
        if expect is not None:
            assert r.status_code == expect, (path, r.status_code, r.get_json())
        return r

    def request(self, mentee: Person, mentor: Person, expect=201, **extra) -> dict:
        body = {"mentor_id": str(mentor.id), "message": "I would value your guidance on residency applications.",
                "goals": ["residency applications", "research"], **extra}
        return self.post("/requests", body, mentee, expect=expect).get_json()

    def create(self, mentee: Person, mentor: Person, settings=None) -> str:
        """A request made through the service layer (fast seeding; `settings` may shrink its deadlines)."""
        from services.mentorship import service, settings as settings_module
        from shared.auth import Principal

        with self.db.unit_of_work() as session:
            req, _ = service.create_request(session, settings or settings_module.load(APP_CONFIG),
                                            Principal(mentee.id, "mentee", mentee.institution_id),
                                            {"mentor_id": mentor.id, "message": "hello", "goals": ["career"]})
            return str(req.id)

    def accept(self, mentor: Person, request_id, expect=200) -> dict:
        return self.post(f"/requests/{request_id}/accept", {}, mentor, expect=expect).get_json()


@pytest.fixture()
def world(mentorship_db, client, signing_keys):
    return World(mentorship_db, client, signing_keys)


outbox = outbox_events  # the one in shared.testing; tests here import it from this module


def count(database, sql: str, **params) -> int:
    with database.sessions() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()
