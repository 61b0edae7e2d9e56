"""The mentorship service's configuration: environment variables (or app config of the same name) with
safe local defaults. Durations are ISO-8601, so tests shrink 14 days to seconds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared import config


@dataclass(frozen=True)
class Settings:
    respond_by: timedelta  # R12: a request's deadline after its creation
    remind_after: timedelta  # R12: when the mentor is reminded (RequestReminderDue)
    strikes: int  # R12: expired requests within strike_window that make a mentor unresponsive
    strike_window: timedelta
    job_interval: timedelta  # how often the reminder and expiry jobs run


def load(overrides: dict | None = None) -> Settings:
    def get(name: str, default: str) -> str:
        return config.setting(name, default, overrides)

    def dur(name: str, default: str) -> timedelta:
        return config.duration(name, default, overrides)

    settings = Settings(
        respond_by=dur("MENTORSHIP_RESPOND_BY", "P14D"),
        remind_after=dur("MENTORSHIP_REMIND_AFTER", "P7D"),
        strikes=int(get("MENTORSHIP_STRIKES", "2")),
        strike_window=dur("MENTORSHIP_STRIKE_WINDOW", "P180D"),
        job_interval=dur("MENTORSHIP_JOB_INTERVAL", "PT15S"),
    )
    if settings.strikes < 1:
        raise ValueError("MENTORSHIP_STRIKES must be at least 1")
    return settings
