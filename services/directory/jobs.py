"""Periodic jobs of the directory service: none (the search index keeps itself current; see search_index.py)."""
from __future__ import annotations

from services.directory.settings import Settings
from shared.jobs import Job


def jobs(settings: Settings) -> list[Job]:
    return []
