"""Periodic jobs of the evaluation service; each domain adds its own to `jobs`."""
from __future__ import annotations

from services.evaluation.evaluations.jobs import jobs as evaluation_jobs
from services.evaluation.settings import Settings
from services.evaluation.surveys import jobs as survey_jobs
from shared.jobs import Job


def jobs(settings: Settings) -> list[Job]:
    return [*evaluation_jobs(settings), *survey_jobs.jobs(settings)]
