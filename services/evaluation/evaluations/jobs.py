"""The R13 schedule's jobs: EvaluationDue when an evaluation falls due, EvaluationOverdue when its grace
has passed unsubmitted. Each runs in batches of service.BATCH rows per transaction until nothing is left,
so a run catches up everything that came due while workers were down, and two replicas running at once
claim disjoint rows (FOR UPDATE SKIP LOCKED): every event is written exactly once."""
from __future__ import annotations

from functools import partial

from services.evaluation.evaluations import service
from services.evaluation.settings import Settings
from shared.db import Database
from shared.jobs import Job


def send_due(database: Database, settings: Settings) -> int:
    """EvaluationDue for every scheduled evaluation whose due time has come, planning the next periodic
    one of each active mentorship; loops until a batch finds nothing, since a catch-up may plan a next
    evaluation that is itself already due."""
    total = 0
    while True:
        with database.unit_of_work() as session:
            n = service.announce_due(session, settings, service.now())
        if not n:
            return total
        total += n


def send_overdue(database: Database, settings: Settings) -> int:
    """EvaluationOverdue for every due evaluation past its grace and not submitted."""
    total = 0
    while True:
        with database.unit_of_work() as session:
            n = service.announce_overdue(session, service.now())
        if not n:
            return total
        total += n


def jobs(settings: Settings) -> list[Job]:
    """The jobs as the worker runs them, with the settings it built at its start."""
    return [
        Job("evaluation.send-due", settings.job_interval, partial(send_due, settings=settings)),
        Job("evaluation.send-overdue", settings.job_interval, partial(send_overdue, settings=settings)),
    ]
