"""Fixtures of the evaluation tests: the evaluation app on this run's database, and a world of
institutions, mentors, mentees and mentorships made the way the service learns of them — by handling
the events (called with a real session) — with tokens minted by the test signing keys."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.evaluation import settings as settings_module
from services.evaluation.events import handlers
from shared.app import db_of
from shared.testing import Person, bearer, handle_event, outbox_events

PREFIX = "/api/v1/evaluation"

# Durations of the app under test: long enough that nothing falls due during a test unless it says so.
APP_CONFIG = {"EVALUATION_PERIOD": "P182D", "EVALUATION_FINAL_WINDOW": "P30D", "EVALUATION_PERIODIC_WINDOW": "P30D",
              "EVALUATION_OVERDUE_GRACE": "P14D"}
APP_SETTINGS = settings_module.load(APP_CONFIG)


@pytest.fixture(autouse=True)
def handler_settings(monkeypatch):
    """The event handlers plan with the settings a worker gives them: here the app's durations."""
    monkeypatch.setattr(handlers, "settings", APP_SETTINGS)
    return APP_SETTINGS


@pytest.fixture(scope="session")
def evaluation_app(service_app):
    return service_app("evaluation", **APP_CONFIG)


@pytest.fixture(scope="session")
def evaluation_db(evaluation_app):
    return db_of(evaluation_app)


@pytest.fixture()
def client(evaluation_app):
    return evaluation_app.test_client()


def apply(database, name: str, data: dict, *, time: datetime | None = None) -> None:
    """Handle one consumed event as the consumer would (a parsed CloudEvent, a real transaction)."""
    handle_event(database, handlers, name, data, time=time)


def now() -> datetime:
    return datetime.now(timezone.utc)


class World:
    """Institutions, members and mentorships known to evaluation through events; API calls with tokens."""

    def __init__(self, database, client, signing_keys):
        self.db = database
        self.c = client
        self.keys = signing_keys
        self.institution = self.new_institution()

    def new_institution(self, name: str | None = None, reward_policy: dict | None = None) -> uuid.UUID:
        inst = uuid.uuid4()
        apply(self.db, "InstitutionSubscribed", {
            "institution_id": inst, "name": name or f"Institution {inst.hex[:6]}", "kind": "academic",
            "class_size": 100, "minimum_mentors": 5, "subscription_status": "active",
            "reward_policy": reward_policy or {"promotion_recognition": {"offered": True, "details": "Counts as service"}},
        })
        return inst

    def person(self, role: str, institution: uuid.UUID | None = None, *, trained: bool = True) -> Person:
        uid, inst = uuid.uuid4(), institution or self.institution
        tag = uid.hex[:8]
        p = Person(uid, inst, role, f"{role.title()} {tag}", f"{role}-{tag}@example.org",
                   bearer(self.keys.mint(role, sub=uid, inst=inst)))
        apply(self.db, "MentorEnrolled" if role == "mentor" else "MenteeEnrolled",
              {"user_id": uid, "institution_id": inst, "name": p.name, "email": p.email})
        if trained:
            apply(self.db, "TrainingCompleted", {"user_id": uid, "institution_id": inst, "track": role,
                                                 "curriculum_version": 1, "completed_at": now()})
        return p

    def mentor(self, institution=None, **kw) -> Person:
        return self.person("mentor", institution, **kw)

    def mentee(self, institution=None, **kw) -> Person:
        return self.person("mentee", institution, **kw)

    def admin(self, institution=None) -> dict:
        return bearer(self.keys.mint("institution_admin", inst=institution or self.institution))

    def operator(self) -> dict:
        return bearer(self.keys.mint("operator"))

    def start(self, mentor: Person, mentee: Person, started_at: datetime | None = None) -> uuid.UUID:
        """A mentorship as MentorshipStarted tells it (its request created and accepted before)."""
        mid, rid = uuid.uuid4(), uuid.uuid4()
        at = started_at or now()
        created = at - timedelta(days=2)
        pair = {"request_id": rid, "mentee_id": mentee.id, "mentor_id": mentor.id}
        apply(self.db, "RequestCreated", {**pair, "mentee_institution_id": mentee.institution_id,
                                          "mentor_institution_id": mentor.institution_id, "created_at": created,
                                          "respond_by": created + timedelta(days=14)})
        apply(self.db, "RequestAccepted", {**pair, "mentorship_id": mid, "created_at": created, "responded_at": at})
        apply(self.db, "MentorshipStarted", {
            "mentorship_id": mid, "request_id": rid, "mentor_id": mentor.id, "mentee_id": mentee.id,
            "mentor_institution_id": mentor.institution_id, "mentee_institution_id": mentee.institution_id,
            "started_at": at})
        return mid

    def conclude(self, mentorship_id: uuid.UUID, concluded_at: datetime | None = None, by: str = "mentee") -> None:
        with self.db.sessions() as conn:
            row = conn.execute(sa.text("SELECT * FROM mentorships WHERE mentorship_id = :m"),
                               {"m": mentorship_id}).mappings().one()
        apply(self.db, "MentorshipConcluded", {
            "mentorship_id": mentorship_id, "mentor_id": row["mentor_id"], "mentee_id": row["mentee_id"],
            "mentor_institution_id": row["mentor_institution_id"], "mentee_institution_id": row["mentee_institution_id"],
            "reason": "goals met", "concluded_by": by, "started_at": row["started_at"],
            "concluded_at": concluded_at or now()})

    # -- HTTP --------------------------------------------------------------------------------------
    def _headers(self, who):
        return who.headers if isinstance(who, Person) else who or {}

    def post(self, path, body=None, who=None, expect=None):
        r = self.c.post(PREFIX + path, json=body if body is not None else {}, headers=self._headers(who))
        if expect is not None:
            assert r.status_code == expect, (path, r.status_code, r.get_json())
        return r

    def put(self, path, body=None, who=None, expect=None):
        r = self.c.put(PREFIX + path, json=body if body is not None else {}, headers=self._headers(who))
        if expect is not None:
            assert r.status_code in expect, (path, r.status_code, r.get_json())
        return r

    def get(self, path, who=None, expect=None, **params):
        r = self.c.get(PREFIX + path, headers=self._headers(who), query_string=params)
        if expect is not None:
            assert r.status_code == expect, (path, r.status_code, r.get_json() if r.is_json else r.data[:200])
        return r


@pytest.fixture()
def world(evaluation_db, client, signing_keys):
    return World(evaluation_db, client, signing_keys)


outbox = outbox_events  # the one in shared.testing; tests here import it from this module


def rows(database, sql: str, **params) -> list[dict]:
    with database.sessions() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


@pytest.fixture()
def schedule_to_ourselves(evaluation_db):
    """Tests that run the schedule's jobs with durations of seconds: every evaluation other tests left planned
    or due is cancelled first. The jobs work on the whole table, and a mentorship another test started years
    ago, with a period of 1.5 s, would fall due millions of times."""
    with evaluation_db.unit_of_work() as conn:
        conn.execute(sa.text("UPDATE evaluations SET status = 'cancelled' WHERE status IN ('scheduled', 'due')"))
