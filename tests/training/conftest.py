"""Fixtures of the training tests: the training app on this run's database (tokens from the test
signing keys), learners enrolled by calling the real event handlers with a real session, and helpers
that take knowledge checks and attest through the API."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from services.training.events import handlers
from services.training.models import ModuleVersion
from shared.app import db_of
from shared.events import envelope
from shared.testing import handle_event
from shared.testing import outbox_events  # noqa: F401 - the tests import it from here

PREFIX = "/api/v1/training"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="session")
def training_app(service_app):
    return service_app("training")


@pytest.fixture(scope="session")
def training_db(training_app):
    return db_of(training_app)


@pytest.fixture()
def client(training_app):
    return training_app.test_client()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def enrollment_event(track: str, user_id=None, institution_id=None, name="Dr. Test Learner", **kw) -> dict:
    name_of_event = "MentorEnrolled" if track == "mentor" else "MenteeEnrolled"
    data = {"user_id": str(user_id or uuid.uuid4()), "institution_id": str(institution_id or uuid.uuid4()),
            "name": name, "email": f"{uuid.uuid4().hex[:8]}@example.org"}
    return envelope.build(name_of_event, data, **kw)


class Learning:
    """Learners and operators, and the learner's way through the API."""

    def __init__(self, app, client, keys):
        self.app = app
        self.db = db_of(app)
        self.c = client
        self.keys = keys
        self.operator = bearer(keys.mint("operator"))

    # -- people -----------------------------------------------------------------------------------
    def deliver(self, body: dict) -> None:
        """Hand an event to the service's real handler with a real session (unit level)."""
        handle_event(self.db, handlers, "", {}, body=body)

    def status(self, who: dict, name: str, **data) -> None:
        """A status event about the learner (MentorEjected, MenteeExited, UserDeactivated …)."""
        handle_event(self.db, handlers, name, {"user_id": who["id"], "institution_id": who["institution_id"], **data})

    def learner(self, track="mentor", institution_id=None, name="Dr. Test Learner", enrolled=True) -> dict:
        body = enrollment_event(track, institution_id=institution_id, name=name)
        if enrolled:
            self.deliver(body)
        user_id, inst = uuid.UUID(body["data"]["user_id"]), uuid.UUID(body["data"]["institution_id"])
        return {"id": user_id, "institution_id": inst, "name": name, "track": track, "event": body,
                "headers": bearer(self.keys.mint(track, sub=user_id, inst=inst))}

    def admin(self, institution_id) -> dict:
        return bearer(self.keys.mint("institution_admin", inst=institution_id))

    # -- the learner's way ---------------------------------------------------------------------------
    def modules(self, who) -> list[dict]:
        r = self.c.get(PREFIX + "/modules", headers=who["headers"])
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def answers(self, module_id, version, correct=True) -> list[int]:
        with self.db.sessions() as conn:
            questions = conn.scalar(sa.select(ModuleVersion.questions).where(
                ModuleVersion.module_id == module_id, ModuleVersion.version == version))
        return [q["answer"] if correct else (q["answer"] + 1) % len(q["choices"]) for q in questions]

    def check(self, who, module, correct=True, expect=200):
        r = self.c.post(f"{PREFIX}/modules/{module['id']}/check", headers=who["headers"],
                        json={"version": module["version"], "answers": self.answers(module["id"], module["version"],
                                                                                     correct)})
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def attest(self, who, module, expect=(200, 201)):
        r = self.c.post(f"{PREFIX}/modules/{module['id']}/attestation", headers=who["headers"],
                        json={"version": module["version"]})
        assert r.status_code in ((expect,) if isinstance(expect, int) else expect), r.get_json()
        return r

    def take(self, who, module):
        if module["has_knowledge_check"]:
            self.check(who, module)
        return self.attest(who, module)

    def complete(self, who, *, leave_out: int = 0) -> list[dict]:
        """Take and attest every required module (but the last `leave_out`); returns them."""
        required = [m for m in self.modules(who) if m["required"]]
        for m in required[:len(required) - leave_out]:
            self.take(who, m)
        return required


@pytest.fixture()
def learning(training_app, client, signing_keys):
    return Learning(training_app, client, signing_keys)


def count(database, table: str) -> int:
    with database.sessions() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
