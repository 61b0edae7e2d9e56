"""The evaluation service's configuration: environment variables (or app config of the same name) with
safe local defaults. Durations are ISO-8601 (days, not months: a month has no fixed length), so tests
shrink six months to seconds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared import config


@dataclass(frozen=True)
class Settings:
    evaluation_period: timedelta  # R13: a periodic evaluation falls due every period of an active mentorship
    final_window: timedelta  # R13: the final evaluation may be submitted this long after the conclusion
    periodic_window: timedelta  # how long a periodic evaluation stays open after it falls due
    overdue_grace: timedelta  # EvaluationOverdue this long after the due time when nothing was submitted
    career_survey_every: timedelta  # R14: career-update surveys to mentees and alumni
    download_ttl: timedelta  # R16: a research export's download link expires after this
    job_interval: timedelta  # how often the schedule and survey jobs run


def load(overrides: dict | None = None) -> Settings:
    def dur(name: str, default: str) -> timedelta:
        return config.duration(name, default, overrides)

    settings = Settings(
        evaluation_period=dur("EVALUATION_PERIOD", "P182D"),
        final_window=dur("EVALUATION_FINAL_WINDOW", "P30D"),
        periodic_window=dur("EVALUATION_PERIODIC_WINDOW", "P30D"),
        overdue_grace=dur("EVALUATION_OVERDUE_GRACE", "P14D"),
        career_survey_every=dur("EVALUATION_CAREER_SURVEY_EVERY", "P365D"),
        download_ttl=dur("EVALUATION_DOWNLOAD_TTL", "PT15M"),
        job_interval=dur("EVALUATION_JOB_INTERVAL", "PT15S"),
    )
    if settings.evaluation_period <= timedelta(0):
        raise ValueError("EVALUATION_PERIOD must be positive")
    if settings.overdue_grace > settings.periodic_window or settings.overdue_grace > settings.final_window:
        raise ValueError("EVALUATION_OVERDUE_GRACE must not be longer than an evaluation's window")
    return settings
