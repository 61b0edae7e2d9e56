"""Fixtures of the directory tests: the directory app on this run's database, tokens from the test
signing keys, and a world builder that makes mentors known the way production does — by handling
identity's, training's and mentorship's events with the directory's own handlers."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.directory.events import handlers
from shared.app import db_of
from shared.events import envelope

PREFIX = "/api/v1/directory"

FULL_PROFILE = {
    "display_name": "Dr. Alicia Moreno", "pronouns": "she/her", "academic_rank": "associate_professor",
    "specialties": ["Internal Medicine"], "subspecialty": "Hospital medicine",
    "clinical_interests": ["health equity"], "research_interests": ["community health workers"],
    "education_interests": ["residency applications"], "languages": ["English", "spanish"],
    "city": "Chicago", "state": "IL", "career_highlights": "Clerkship director",
    "bio": "First-generation physician who loves helping students navigate the clerkship year.",
    "shared_background": ["first_generation"], "scope": "national", "accepting_new_mentees": True,
    "hours_per_month": 4, "meeting_modes": ["video", "phone"],
    "time_windows": [{"day": "tue", "start": "18:00", "end": "20:00"}], "timezone": "America/Chicago",
}


@pytest.fixture(scope="session")
def directory_app(service_app):
    return service_app("directory")


@pytest.fixture(scope="session")
def directory_db(directory_app):
    return db_of(directory_app)


@pytest.fixture()
def client(directory_app):
    return directory_app.test_client()


def deliver(database, name: str, data: dict, *, at: datetime | None = None) -> None:
    """Handle one event as the consumer would (parsed envelope, the service's handler, one transaction)."""
    event = envelope.parse(envelope.build(name, data, time=at))
    with database.unit_of_work() as session:
        handlers.get(event.type.type)(session, event)


def now() -> datetime:
    return datetime.now(timezone.utc)


def token() -> str:
    """A word no other test's profile contains, so each test searches its own mentors."""
    return "zq" + uuid.uuid4().hex[:10]


def heard(searcher, database, timeout: float = 10.0) -> int:
    """Wait until `searcher`'s process has heard of every change committed so far, and return that
    version. A search knows the version by PostgreSQL's notification, which reaches it as the change
    commits but may land a few milliseconds at most after the committer returns (search_version.py,
    test_search_version.py): a test asserting what "the next search" shows starts it once heard."""
    with database.sessions() as conn:
        version = conn.execute(sa.text("SELECT version FROM search_state WHERE id = 1")).scalar_one()
    deadline = time.monotonic() + timeout
    while True:
        known = searcher.watch.version()
        if known is None or known >= version:  # None: not listening, so the search reads the version itself
            return version
        assert time.monotonic() < deadline, f"search version {version} not heard in {timeout} s (known {known})"
        time.sleep(0.0005)


class World:
    def __init__(self, app, client, keys):
        self.app = app
        self.c = client
        self.keys = keys
        self.db = db_of(app)

    def headers(self, role: str, sub=None, inst=None) -> dict:
        return {"Authorization": f"Bearer {self.keys.mint(role, sub=sub or uuid.uuid4(), inst=inst)}"}

    def call(self, method, path, who=None, json=None, expect=None, **params):
        if path.startswith("/mentors"):
            heard(self.app.extensions["directory"]["search"], self.db)
        r = self.c.open(PREFIX + path, method=method.upper(), json=json, headers=who, query_string=params or None)
        if expect is not None:
            assert r.status_code == expect, (method, path, r.status_code, r.get_json())
        return r

    def institution(self) -> uuid.UUID:
        return uuid.uuid4()

    def mentee(self, inst) -> dict:
        return self.headers("mentee", inst=inst)

    def admin(self, inst) -> dict:
        return self.headers("institution_admin", inst=inst)

    def operator(self) -> dict:
        return self.headers("operator")

    def mentor(self, inst, *, name="Dr. Test Mentor", trained=True, profile=None, publish=True) -> dict:
        """A mentor enrolled (and trained) through events, their profile filled and published."""
        user_id = uuid.uuid4()
        deliver(self.db, "MentorEnrolled", {"user_id": user_id, "institution_id": inst, "name": name,
                                            "email": f"m-{user_id.hex[:8]}@example.org"})
        if trained:
            deliver(self.db, "TrainingCompleted", {"user_id": user_id, "institution_id": inst, "track": "mentor",
                                                   "curriculum_version": 1, "completed_at": now()})
        headers = self.headers("mentor", sub=user_id, inst=inst)
        if profile is not None:
            self.call("patch", "/me/profile", headers, profile, expect=200)
            if publish:
                self.call("post", "/me/profile/publish", headers, {"consent_to_search": True}, expect=200)
        return {"id": str(user_id), "uuid": user_id, "inst": inst, "headers": headers}

    def search(self, who, expect=200, **params) -> dict:
        return self.call("get", "/mentors", who, expect=expect, **params).get_json()

    def start_mentorships(self, mentor: dict, n: int) -> list[uuid.UUID]:
        ids = []
        for _ in range(n):
            ms = uuid.uuid4()
            deliver(self.db, "MentorshipStarted", {
                "mentorship_id": ms, "mentor_id": mentor["uuid"], "mentee_id": uuid.uuid4(),
                "mentor_institution_id": mentor["inst"], "mentee_institution_id": mentor["inst"],
                "request_id": uuid.uuid4(), "started_at": now()})
            ids.append(ms)
        return ids

    def outcome(self, mentor: dict, kind: str, hours: float = 1.0, *, automatic=False, created=None) -> uuid.UUID:
        rid = uuid.uuid4()
        created = created or now() - timedelta(days=1)
        base = {"request_id": rid, "mentee_id": uuid.uuid4(), "mentor_id": mentor["uuid"], "created_at": created}
        if kind == "accepted":
            deliver(self.db, "RequestAccepted", {**base, "mentorship_id": uuid.uuid4(),
                                                 "responded_at": created + timedelta(hours=hours)})
        elif kind == "declined":
            deliver(self.db, "RequestDeclined", {**base, "reason": "busy", "automatic": automatic,
                                                 "responded_at": created + timedelta(hours=hours)})
        else:
            deliver(self.db, "RequestExpired", {**base, "respond_by": created + timedelta(days=14)})
        return rid


@pytest.fixture()
def world(directory_app, client, signing_keys):
    return World(directory_app, client, signing_keys)


def profile(**changes) -> dict:
    return {**FULL_PROFILE, **changes}
