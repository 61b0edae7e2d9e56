"""Periodic jobs, safe with several worker replicas.

Each job has a row in `job_schedule`; a replica runs the job only after moving `next_run_at` forward
in one UPDATE ... WHERE next_run_at <= now(), which exactly one replica can win per period. Jobs
themselves change state and record their events in one transaction, and claim rows with
FOR UPDATE SKIP LOCKED, so even overlapping runs would not act twice.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from shared.db import DATABASE_DOWN, Database
from shared.metrics import JOB_RUNS

log = logging.getLogger(__name__)

_ENSURE = sa.text("INSERT INTO job_schedule (name, next_run_at) VALUES (:n, now()) ON CONFLICT DO NOTHING")
_CLAIM = sa.text(
    "UPDATE job_schedule SET next_run_at = now() + :every, last_started_at = now(), last_owner = :owner "
    "WHERE name = :n AND next_run_at <= now() RETURNING name"
)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta  # from the service's settings, read once when its worker starts
    run: Callable[[Database], int | None]  # returns how many items it handled


class JobRunner:
    def __init__(self, service: str, db: Database, jobs: list[Job], tick: float = 0.25):
        self.service = service
        self.db = db
        self.jobs = jobs
        self.tick = tick
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    def claim(self, job: Job) -> bool:
        with self.db.engine.begin() as conn:
            conn.execute(_ENSURE, {"n": job.name})
            return conn.execute(_CLAIM, {"n": job.name, "every": job.every, "owner": self.owner}).first() is not None

    def run_once(self) -> None:
        for job in self.jobs:
            if not self.claim(job):
                continue
            try:
                handled = job.run(self.db)
                JOB_RUNS.labels(self.service, job.name, "ok").inc()
                if handled:
                    log.info("job ran", extra={"job": job.name, "handled": handled})
            except Exception:  # noqa: BLE001 - a failing job is logged and runs again next period
                JOB_RUNS.labels(self.service, job.name, "error").inc()
                log.exception("job failed", extra={"job": job.name})

    def run(self, stop: threading.Event) -> None:
        # The database refusing or the pool exhausted: wait, longer each time (up to 10 s), and resume
        # by itself. Anything else is logged and the loop goes on: a job runner never stops running.
        backoff = 0.5
        while not stop.is_set():
            try:
                self.run_once()
                backoff = 0.5
            except DATABASE_DOWN as exc:
                log.warning("jobs: database unavailable, retrying", extra={"error": repr(exc), "wait_s": backoff})
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception:  # noqa: BLE001 - see above
                log.exception("jobs: unexpected error, retrying")
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            stop.wait(self.tick)
