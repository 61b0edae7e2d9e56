"""Event handlers of a service, dispatched by event name."""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import orm

from shared.events import registry
from shared.events.envelope import Event

Handler = Callable[[orm.Session, Event], None]


class PermanentError(Exception):
    """Raised by a handler for an event it can never handle: the message goes to the dead-letter queue."""


class Handlers:
    """`handlers = Handlers()`, then `@handlers.on("MentorUnresponsive") def eject(session, event)`."""

    def __init__(self) -> None:
        self._by_type: dict[str, Handler] = {}
        # The service's frozen Settings, for handlers that need them: its worker's, given once at its start
        # (shared/worker.py); tests give theirs.
        self.settings: Any = None
        self._batch: Callable[[orm.Session, list[Event]], contextlib.AbstractContextManager] | None = None

    def around_batch(self, fn: Callable[[orm.Session, list[Event]], contextlib.AbstractContextManager]):
        """Decorator: a context manager the consumer enters around a batch of events handled in one
        transaction (its fast path), so that a service can read what the batch needs in one query and
        write its rows in one statement. It must leave the session as the handlers alone would; when any
        handler fails, the consumer rolls the batch back and handles each event alone, outside it."""
        self._batch = fn
        return fn

    def batch(self, session: orm.Session, events: list[Event]) -> contextlib.AbstractContextManager:
        return self._batch(session, events) if self._batch is not None else contextlib.nullcontext()

    def on(self, name: str) -> Callable[[Handler], Handler]:
        et = registry.by_name(name)

        def wrap(fn: Handler) -> Handler:
            if et.type in self._by_type:
                raise ValueError(f"two handlers for {name}")
            self._by_type[et.type] = fn
            return fn

        return wrap

    def routing_keys(self) -> list[str]:
        return sorted(registry.by_type(t).routing_key for t in self._by_type)

    def get(self, type_: str) -> Handler | None:
        return self._by_type.get(type_)

    def __bool__(self) -> bool:
        return bool(self._by_type)
