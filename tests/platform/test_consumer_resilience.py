"""A worker never stops working when PostgreSQL goes away: its consumer, its outbox relay and its job
runner all come through 20 rounds of backends terminated and the server restarted, while events stream
in, with every effect applied once and every loop still working afterwards.

The cuts are made on a PostgreSQL server of the test's own (tests/platform/private_postgres.py), so that
restarting it twenty times disturbs neither the rest of the suite nor a platform running beside it.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared import config, db
from shared.db import DATABASE_DOWN
from shared.events import broker, record_event

from tests.platform import private_postgres, probe
from tests.platform.events_support import (
    REPO, consumers_attached, effect_counts, pending_outbox, queue_depth, stop_worker, wait_until,
)

ROUNDS = 20
CONSUMERS = 2

pytestmark = [
    pytest.mark.fault,
    pytest.mark.skipif(not private_postgres.available(), reason="needs PostgreSQL's server programs (initdb)"),
]


@pytest.fixture()
def server():
    pg = private_postgres.PrivatePostgres().start()
    yield pg
    pg.close()


@pytest.fixture()
def setting(server, run_id, monkeypatch):
    """This process and the worker on the private server, under broker names of their own."""
    prefix = f"{run_id}_cut"
    monkeypatch.setenv("MMM_POSTGRES_URL", server.url)
    monkeypatch.setenv("MMM_DATABASE_PREFIX", prefix)
    monkeypatch.setenv("MMM_BROKER_PREFIX", prefix)
    yield prefix
    try:
        broker.delete(prefix, [probe.NAME])
    except Exception:  # noqa: BLE001 - broker names left behind are removed by a later run's stale cleanup
        pass


class Stream:
    """Commits events (and work for the job) at a steady pace in a thread, whatever the database does.

    A commit cut by a restart may have happened or not: before trying again, it looks whether it did,
    so each key is committed exactly once — which is what lets the test count effects per key."""

    def __init__(self, database: db.Database):
        self.database = database
        self.events: list[str] = []
        self.work: list[str] = []
        self.failed_commits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Stream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            if n % 5 == 4:
                keys = [f"work{n:05d}-{i}" for i in range(3)]
                self._commit(keys, as_work=True)
                self.work += keys
            else:
                keys = [f"event{n:05d}-{i}" for i in range(10)]
                self._commit(keys, as_work=False)
                self.events += keys
            n += 1
            self._stop.wait(0.02)

    def _commit(self, keys: list[str], *, as_work: bool) -> None:
        tried = False
        while True:
            try:
                if tried and self._committed(keys[0], as_work):
                    return
                tried = True
                with self.database.unit_of_work() as s:
                    if as_work:
                        s.execute(sa.insert(probe.work), [{"key": k} for k in keys])
                    else:
                        for key in keys:
                            record_event(s, "ProbeHappened", {"key": key}, subject=key)
                return
            except DATABASE_DOWN:
                self.failed_commits += 1
                time.sleep(0.1)

    def _committed(self, key: str, as_work: bool) -> bool:
        with self.database.engine.connect() as c:
            if as_work:
                return c.scalar(sa.select(sa.func.count()).where(probe.work.c.key == key)) > 0
            return c.scalar(sa.text("SELECT count(*) FROM outbox WHERE body->'data'->>'key' = :k"), {"k": key}) > 0


def start_worker(log_path: Path) -> subprocess.Popen:
    env = config.environment(MMM_CONSUMERS=str(CONSUMERS), MMM_RELAYS="2", PYTHONUNBUFFERED="1")
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "tests.platform.probe"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def undone_work(database: db.Database) -> int:
    with database.engine.connect() as c:
        return c.scalar(sa.select(sa.func.count()).where(probe.work.c.done_at.is_(None)))


def state(database: db.Database, expected: set[str], queue: str) -> dict:
    """What is still on its way: keys without an effect, unpublished events, undone work, queued messages."""
    counts = effect_counts(database)
    missing = expected - set(counts)
    with database.engine.connect() as c:
        published = set(c.scalars(sa.text("SELECT body->'data'->>'key' FROM outbox")).all())
    return {"missing": len(missing), "missing_not_in_outbox": len(missing - published),
            "outbox_pending": pending_outbox(database), "work_undone": undone_work(database),
            "queued": queue_depth(queue), "consumers": consumers_attached(queue)}


def wait_settled(database: db.Database, expected: set[str], queue: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: dict | str = "not read yet"
    while time.monotonic() < deadline:
        try:
            last = state(database, expected, queue)
            if not any(last[k] for k in ("missing", "outbox_pending", "work_undone", "queued")):
                return
        except DATABASE_DOWN as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise AssertionError(f"not settled after {timeout} s: {last}")


def test_20_rounds_of_postgresql_cut_lose_nothing_double_nothing_and_silence_nothing(
        server, setting, infrastructure, tmp_path, capsys):
    seed = int(config.env("MMM_CUT_SEED") or random.SystemRandom().randrange(10**6))
    rnd = random.Random(seed)
    database = probe.prepare_database()
    names = broker.names(setting)
    queue = names.queue(probe.NAME)
    worker = start_worker(tmp_path / "worker.log")
    stream = None
    started = time.monotonic()
    terminated = 0
    try:
        wait_until(lambda: consumers_attached(queue) == CONSUMERS if _exists(queue) else False, 60,
                   what="the worker's consumers attached")
        stream = Stream(database).start()
        for round_ in range(ROUNDS):
            time.sleep(rnd.uniform(0.2, 0.8))  # events flowing, consumed, relayed, work done meanwhile
            terminated += server.terminate_backends()
            time.sleep(rnd.uniform(0.1, 0.6))
            # Half the restarts are clean (sessions ended), half are crashes (recovery at start).
            server.restart("fast" if round_ % 2 == 0 else "immediate")
        stream.stop()
        database.dispose()  # its pooled connections died with the last restart
        expected = set(stream.events) | set(stream.work)
        wait_settled(database, expected, queue, 120)
        assert worker.poll() is None, "the worker died"

        # Afterwards every loop still works: the consumers are attached and a fresh event and fresh work
        # go all the way through within seconds, not after a long back-off.
        assert consumers_attached(queue) == CONSUMERS
        after = [f"after-{i}" for i in range(100)]
        after_work = [f"after-work-{i}" for i in range(10)]
        with database.unit_of_work() as s:
            for key in after:
                record_event(s, "ProbeHappened", {"key": key}, subject=key)
            s.execute(sa.insert(probe.work), [{"key": k} for k in after_work])
        expected |= set(after) | set(after_work)
        wait_settled(database, expected, queue, 30)

        counts = effect_counts(database)
        lost = sorted(expected - set(counts))
        doubled = sorted(k for k, n in counts.items() if n > 1)
        for q in (names.retry_queue(probe.NAME), names.dead_letter_queue(probe.NAME)):
            assert queue_depth(q) == 0, f"{q} is not empty"
        log = (tmp_path / "worker.log").read_text()
        report = {"test": "consumer_resilience", "seed": seed, "rounds": ROUNDS, "restarts": server.restarts,
                  "backends_terminated": terminated, "events": len(stream.events) + len(after),
                  "work": len(stream.work) + len(after_work), "producer_commits_cut": stream.failed_commits,
                  "lost": len(lost), "doubled": len(doubled), "seconds": round(time.monotonic() - started, 1)}
        with capsys.disabled():
            print("\n" + json.dumps(report))
        assert not lost and not doubled, report
        # The cuts reached every loop (else this test would prove nothing about it).
        for loop in ("consumer: database unavailable", "relay: database unavailable", "jobs: database unavailable"):
            assert loop in log, f"no '{loop}' in the worker's log: the cuts missed that loop"
    finally:
        if stream is not None:
            stream.stop()
        stop_worker(worker)
        database.dispose()


def _exists(queue: str) -> bool:
    try:
        consumers_attached(queue)
        return True
    except Exception:  # noqa: BLE001 - not declared yet (pika raises ChannelClosedByBroker 404)
        return False
