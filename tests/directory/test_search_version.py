"""The search version announced by PostgreSQL (search_version.py, migration 0006): a remembered search
costs no database round trip; a change is heard as it commits; a lost listening connection falls back
to reading the version, and listens again."""
from __future__ import annotations

import json
import statistics
import time

import pytest
import sqlalchemy as sa

from services.directory import schemas, search
from tests.directory.conftest import deliver, heard, profile, token
from tests.platform.events_support import wait_until

pytestmark = pytest.mark.slow  # the search reads what was committed, on connections and processes of its own

load = schemas.SearchQuery().load


@pytest.fixture()
def searcher(world):
    s = search.Searcher(world.db.engine.url, cache_size=64)
    yield s
    s.dispose()


def statements_of(engine):
    """The statements `engine` sends, as a list that grows."""
    sent = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_a_remembered_search_asks_the_database_nothing_and_a_change_is_heard_as_it_commits(world, searcher):
    word, inst = token(), world.institution()
    mentor = world.mentor(inst, profile=profile(bio=f"Heard {word}"))
    me = world.institution()
    assert searcher.search(load({"q": word}), me, False).remembered is False
    sent = statements_of(searcher.engine)
    for _ in range(20):
        assert searcher.search(load({"q": word}), me, False).remembered is True
    assert sent == []  # no version read: the version is known from notifications

    delays, first_look = [], 0
    for i in range(50):
        before = heard(searcher, world.db)
        if i % 2:
            world.start_mentorships(mentor, 1)
        else:
            world.call("patch", "/me/profile", mentor["headers"], {"hours_per_month": 1 + i % 8}, expect=200)
        committed, looks = time.perf_counter(), 0
        while (searcher.watch.version() or 0) <= before:  # each change moves the version by one
            looks += 1
            assert time.perf_counter() - committed < 10, "a change not heard in 10 s"
        delays.append((time.perf_counter() - committed) * 1000)
        first_look += looks == 0
        assert searcher.watch.version() == before + 1 == heard(searcher, world.db)
    print(f"heard {statistics.median(delays):.3f} ms (median), {max(delays):.3f} ms (max) after the commit "
          f"returned; already at the first look in {first_look}/50")
    # every search after hearing it shows the change (the open slots moved with each mentorship)
    slots = {r["id"]: r["availability"]["open_slots"]
             for r in json.loads(searcher.search(load({"q": word}), me, False).body)["results"]}
    assert slots[mentor["id"]] == 0


def test_a_lost_listening_connection_reads_the_version_and_listens_again(world, searcher):
    word, inst = token(), world.institution()
    mentor = world.mentor(inst, profile=profile(bio=f"Lost {word}"))
    me = world.institution()
    searcher.search(load({"q": word}), me, False)
    assert searcher.watch.version() is not None
    pid = searcher.watch._listening.info.backend_pid
    with world.db.sessions() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    wait_until(lambda: searcher.watch.version() is None, 10, interval=0.05, what="the lost connection noticed")

    # meanwhile nothing is announced to this process; the next search reads the version, on a new connection
    deliver(world.db, "MentorEjected", {"user_id": mentor["uuid"], "institution_id": inst, "reason": "unresponsive"})
    assert json.loads(searcher.search(load({"q": word}), me, False).body)["total"] == 0
    assert searcher.watch.version() is not None and searcher.watch._listening.info.backend_pid != pid
    # and listens again: a change is heard without reading the version
    world.call("post", "/me/profile/publish", mentor["headers"], {"consent_to_search": True})
    version = heard(searcher, world.db)
    assert searcher.watch.version() >= version


def test_a_change_rolled_back_is_not_announced(world, searcher):
    searcher.search(load({}), world.institution(), False)
    before = searcher.watch.version()
    with pytest.raises(RuntimeError):
        with world.db.unit_of_work() as session:
            session.execute(sa.text("UPDATE search_state SET version = version + 1 WHERE id = 1"))
            raise RuntimeError("rolled back")
    time.sleep(0.2)
    assert searcher.watch.version() == before
