"""Loading the six services by name."""
from __future__ import annotations

import importlib

from shared import config
from shared.service import Service


def load(name: str) -> Service:
    """The `service` object of services/<name>/app.py."""
    if name not in config.SERVICES:
        raise SystemExit(f"unknown service {name!r}; one of: {', '.join(config.SERVICES)}")
    return importlib.import_module(f"services.{name}.app").service
