"""The career-update job (R14): the open career-update survey goes to every mentee and alumnus of its
audience whose last career-update assignment is at least EVALUATION_CAREER_SURVEY_EVERY old (or who never
had one). Members are walked in user_id batches; each batch is one set-based INSERT ... SELECT in its own
short transaction. Two replicas running it at once compute the same next cycle for a user, and the unique
(user, cycle) index lets only one of them insert it (the other's ON CONFLICT DO NOTHING returns no row, so
records no event). A run after downtime simply finds more users due."""
from __future__ import annotations

from functools import partial

from services.evaluation.settings import Settings
from services.evaluation.surveys import service
from shared.db import Database
from shared.jobs import Job


def assign_career_surveys(database: Database, settings: Settings, batch: int = service.BATCH) -> int:
    """SurveyAssigned for each user due a career update; returns how many were assigned. One short
    transaction per batch of members, so a long run holds no lock for long and keeps what it did."""
    total, after = 0, None
    while True:
        with database.unit_of_work() as session:
            survey = service.open_career_survey(session)
            if survey is None:
                return total
            n, after = service.assign_career_batch(session, survey, settings, service.now(), after, batch)
        total += n
        if after is None:
            return total


def jobs(settings: Settings) -> list[Job]:
    """The job as the worker runs it, with the settings it built at its start."""
    return [Job("evaluation.assign-career-surveys", settings.job_interval,
                partial(assign_career_surveys, settings=settings))]
