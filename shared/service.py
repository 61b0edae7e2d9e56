"""What a service declares about itself: name, app factory, event handlers, jobs, tables."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    jobs: list[Job] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Every service refuses revoked tokens: its worker keeps its revoked_subjects table from identity's
        # SessionsRevoked (shared/revocation.py), with no code of its own.
        revocation.install(self.handlers, self.name)

