"""The fast tier's isolation (shared.testing.RolledBack): what a test writes through a database's units
of work is seen inside the test, each unit of work commits and rolls back as it does on its own, and
nothing is left once the test ends."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from shared.db import Database
from shared.testing import RolledBack

NOTE = sa.text("SELECT count(*) FROM job_schedule WHERE name = :n")


def _write(database: Database, name: str) -> None:
    with database.unit_of_work() as session:
        session.execute(sa.text("INSERT INTO job_schedule (name, next_run_at) VALUES (:n, now())"), {"n": name})


def _seen(database: Database, name: str) -> int:
    with database.sessions() as session:
        return session.execute(NOTE, {"n": name}).scalar_one()


@pytest.fixture()
def database(service_app):
    service_app("training")  # its database, migrated
    db = Database.for_service("training", pool_size=1, max_overflow=1, name="test-rolled-back")
    yield db
    db.dispose()


def test_writes_are_seen_in_the_test_and_gone_after_it(database):
    kept, undone, failed = (f"rolled-back-{uuid.uuid4()}" for _ in range(3))
    engines: dict = {}
    scope = RolledBack(engines)
    scope.hold(database)
    try:
        _write(database, kept)
        assert _seen(database, kept) == 1  # committed as far as the test can tell
        with pytest.raises(RuntimeError):
            with database.unit_of_work() as session:
                session.execute(sa.text("INSERT INTO job_schedule (name, next_run_at) VALUES (:n, now())"),
                                {"n": failed})
                raise RuntimeError("the use case fails")
        assert _seen(database, failed) == 0  # its own rollback undid only its own work
        assert _seen(database, kept) == 1
        with pytest.raises(sa.exc.IntegrityError):
            _write(database, kept)  # a refused statement leaves the test's transaction usable
        _write(database, undone)
        assert _seen(database, undone) == 1
        with database.engine.connect() as other:  # another connection sees none of it
            assert other.execute(NOTE, {"n": kept}).scalar_one() == 0
    finally:
        scope.close()
    assert _seen(database, kept) == 0 and _seen(database, undone) == 0
    for engine in engines.values():
        engine.dispose()
