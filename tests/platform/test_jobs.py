"""The periodic-job runner: with several replicas, a job runs once per period."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared.jobs import Job, JobRunner

from tests.platform import probe

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end


def test_two_replicas_run_a_job_once_per_period(infrastructure):
    database = probe.prepare_database()
    with database.engine.begin() as c:
        c.execute(sa.text("DELETE FROM job_schedule"))
    runs: list[str] = []
    lock = threading.Lock()

    def job(_db):
        with lock:
            runs.append(threading.current_thread().name)
        return 1

    every = timedelta(seconds=1)
    stop = threading.Event()
    replicas = [JobRunner("probe", database, [Job("tick", every, job)], tick=0.01) for _ in range(2)]
    threads = [threading.Thread(target=r.run, args=(stop,), name=f"replica-{i}") for i, r in enumerate(replicas)]
    for t in threads:
        t.start()
    stop.wait(3.5)
    stop.set()
    for t in threads:
        t.join()
    database.dispose()
    # 3.5 s at one run per second: 4 runs (t=0, 1, 2, 3), never two in one period.
    assert 3 <= len(runs) <= 4, runs


def test_a_failing_job_does_not_stop_the_runner(infrastructure):
    database = probe.prepare_database()
    calls = []

    def failing(_db):
        calls.append(1)
        raise RuntimeError("job failed")

    runner = JobRunner("probe", database, [Job("failing", timedelta(0), failing)])
    runner.run_once()
    runner.run_once()
    database.dispose()
    assert len(calls) == 2
