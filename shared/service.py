"""What a service declares about itself: name, app factory, event handlers, jobs, tables."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask

from shared import config
from shared.events.handlers import Handlers
from shared.jobs import Job


@dataclass
class Service:
    name: str
    create_app: Callable[..., Flask]
    metadata: sa.MetaData
    handlers: Handlers = field(default_factory=Handlers)
    jobs: list[Job] = field(default_factory=list)


def load(name: str) -> Service:
    """The `service` object of services/<name>/app.py."""
    if name not in config.SERVICES:
        raise ValueError(f"unknown service {name!r}; one of {', '.join(config.SERVICES)}")
    return importlib.import_module(f"services.{name}.app").service
