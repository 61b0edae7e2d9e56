"""Periodic jobs of the directory service: none (the search index keeps itself current; see search_index.py)."""
from __future__ import annotations

jobs: list = []
