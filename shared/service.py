"""What a service declares about itself: name, app factory, event handlers, jobs, tables, settings."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask

from shared import revocation
from shared.events.handlers import Handlers
from shared.jobs import Job


@dataclass
class Service:
    name: str
    create_app: Callable[..., Flask]
    metadata: sa.MetaData
    handlers: Handlers = field(default_factory=Handlers)
    # Its periodic jobs, made from its settings (those its worker builds once at start; None without any).
    jobs: Callable[[Any], list[Job]] = lambda settings: []
    # Its settings.load: app config overrides (or None) -> its frozen Settings. None: it has no settings.
    load_settings: Callable[[Mapping | None], Any] | None = None

    def __post_init__(self) -> None:
        # Every service refuses revoked tokens: its worker keeps its revoked_subjects table from identity's
        # SessionsRevoked (shared/revocation.py), with no code of its own.
        revocation.install(self.handlers, self.name)

