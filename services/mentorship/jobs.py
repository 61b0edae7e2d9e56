"""Periodic jobs of the mentorship service (R12): reminders and expiry. Both are safe with several
worker replicas running them at once: reminders claim rows with FOR UPDATE SKIP LOCKED, and expiry
locks each mentor's row before that mentor's requests (the lock order of locks.py), so every request is
reminded once and expired once. Durations are configuration (settings.py), read once by the worker and
given to `jobs`."""
from __future__ import annotations

from functools import partial

from services.mentorship import service
from services.mentorship.settings import Settings
from shared.db import Database
from shared.jobs import Job


def send_reminders(database: Database, settings: Settings) -> int:
    """RequestReminderDue for each open request whose reminder time has come."""
    total = 0
    while True:
        with database.unit_of_work() as session:
            n = service.remind_due(session, service.now())
        total += n
        if n < 500:
            return total


def expire_requests(database: Database, settings: Settings) -> int:
    """RequestExpired for each open request past its deadline, one transaction per mentor; a mentor
    reaching the strike threshold is reported once (MentorUnresponsive)."""
    at = service.now()
    with database.unit_of_work() as session:
        mentors = service.mentors_with_due_requests(session, at)
    total = 0
    for mentor_id in mentors:
        with database.unit_of_work() as session:
            total += service.expire_due_of(session, settings, mentor_id, at)
    return total


def jobs(settings: Settings) -> list[Job]:
    """The jobs as the worker runs them, with the settings it built at its start."""
    return [
        Job("mentorship.send-reminders", settings.job_interval, partial(send_reminders, settings=settings)),
        Job("mentorship.expire-requests", settings.job_interval, partial(expire_requests, settings=settings)),
    ]
