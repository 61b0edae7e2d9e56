"""The directory service's configuration: environment variables (or app config of the same name) with
safe local defaults."""
from __future__ import annotations

from dataclasses import dataclass

from services.directory import search_index
from shared import config


@dataclass(frozen=True)
class Settings:
    # One search index per machine, mapped by every API process; None ("off"): each process builds its own.
    search_index_dir: str | None
    search_cache_size: int  # search responses each API process keeps (0: none)
    search_cache_mb: float  # MiB of their gzipped bodies, at most
    search_shared_slots: int  # search responses shared by the API processes of a machine (0: none)
    name_similarity: float  # pg_trgm's word-similarity threshold (partial names)
    # Map (or build) the search index at start rather than on the first search (a build takes seconds at a
    # million profiles).
    search_warm: bool


def load(overrides: dict | None = None) -> Settings:
    def get(name: str, default: str) -> str:
        return config.setting(name, default, overrides)

    index_dir = get("DIRECTORY_SEARCH_INDEX_DIR", search_index.default_directory())
    return Settings(
        search_index_dir=None if index_dir.strip().lower() == "off" else index_dir,
        search_cache_size=int(get("DIRECTORY_SEARCH_CACHE_SIZE", "4096")),
        search_cache_mb=float(get("DIRECTORY_SEARCH_CACHE_MB", "8")),
        search_shared_slots=int(get("DIRECTORY_SEARCH_SHARED_SLOTS", "8192")),
        name_similarity=float(get("DIRECTORY_NAME_SIMILARITY", "0.6")),
        search_warm=config.flag("DIRECTORY_SEARCH_WARM", "on", overrides),
    )
