"""Periodic jobs of the evaluation service; each domain adds its own to `jobs`."""
from __future__ import annotations

from shared.jobs import Job

jobs: list[Job] = []
