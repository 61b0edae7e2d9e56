"""Periodic jobs of the directory service."""
from __future__ import annotations

from services.directory import search
from shared import config
from shared.db import Database
from shared.jobs import Job


def purge_search_cache(database: Database) -> int:
    """Drop cached search bodies of past search versions, and any older than DIRECTORY_SEARCH_CACHE_TTL."""
    return search.purge_cache(database.engine, config.duration("DIRECTORY_SEARCH_CACHE_TTL", "PT15M"))


jobs = [
    Job("directory.purge-search-cache", lambda: config.duration("DIRECTORY_SEARCH_CACHE_PURGE_EVERY", "PT1M"),
        purge_search_cache),
]
