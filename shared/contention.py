"""Contention between transactions: hot rows locked last, and a transaction that PostgreSQL aborted to
break a deadlock or a serialization conflict retried, or answered 503 with Retry-After — never 500.

Hot rows. A row that many transactions update (directory's one `search_state` row, whose version every
change to a published profile moves) must be locked by every transaction at the same point, or two of
them deadlock: an API transaction holding a profile row and waiting for the hot row, a worker's batch
holding the hot row (from an earlier event of the batch) and waiting for that profile. `lock_last`
defers such an update to the end of the transaction: it runs once, just before the commit, after every
other statement, in key order. A transaction then holds a hot row only while it commits and waits for
no other lock meanwhile, so no cycle of waits can pass through it.

Conflicts. PostgreSQL aborts one transaction of a deadlock (SQLSTATE 40P01) or of a serialization
conflict (40001); trying it again is the documented answer. `install(app)` makes every API retry
the request's view, at most RETRY_ATTEMPTS times with a short random pause, when it failed with such a
conflict before any of its transactions committed (a view whose first transaction committed is not run
twice). A conflict that persists is answered 503 with Retry-After (shared/errors.py). Workers retry a
failed batch on their own (the consumer keeps it unacknowledged; jobs run again).
"""
from __future__ import annotations

import contextvars
import logging
import random
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

log = logging.getLogger(__name__)

CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
RETRY_ATTEMPTS = 3
RETRY_AFTER_SECONDS = 1

_LAST = "mmm_lock_last"
# Transactions committed (any engine) in this context: a request's view is retried only while none did.
_commits: contextvars.ContextVar[int] = contextvars.ContextVar("mmm_commits", default=0)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (SQLAlchemy's wrapper or the driver's own), else None."""
    for candidate in (exc, getattr(exc, "orig", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def conflict_state(exc: BaseException | None) -> str | None:
    """The SQLSTATE when `exc`, or what caused it, is a deadlock or a serialization failure; else None."""
    seen = 0
    while exc is not None and seen < 5:
        code = sqlstate(exc)
        if code in CONFLICT_SQLSTATES:
            return code
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def is_conflict(exc: BaseException | None) -> bool:
    return conflict_state(exc) is not None


def lock_last(session: orm.Session, key: str, statement: sa.Executable, params: dict[str, Any] | None = None) -> None:
    """Run `statement` once at the end of the session's transaction, just before it commits (several
    calls with one key: once). For updates of hot rows; see the module's documentation."""
    session.info.setdefault(_LAST, {})[key] = (statement, params)


@sa.event.listens_for(orm.Session, "before_commit")
def _run_last(session: orm.Session) -> None:
    if session.in_nested_transaction():  # a savepoint's commit: the transaction goes on
        return
    pending = session.info.pop(_LAST, None)
    for key in sorted(pending or {}):
        statement, params = pending[key]
        session.execute(statement, params)


@sa.event.listens_for(orm.Session, "after_transaction_end")
def _forget(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (rolled back): its deferred updates go too
        session.info.pop(_LAST, None)


@sa.event.listens_for(sa.engine.Engine, "commit")
def _count_commit(_conn) -> None:
    _commits.set(_commits.get() + 1)


def install(app) -> None:
    """Retry a view that failed with a conflict before anything it did was committed."""
    dispatch = app.dispatch_request

    def dispatch_request():
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            committed = _commits.get()
            try:
                return dispatch()
            except Exception as exc:
                if attempt == RETRY_ATTEMPTS or not is_conflict(exc) or _commits.get() != committed:
                    raise
                log.warning("transaction conflict, retrying the request",
                            extra={"sqlstate": conflict_state(exc), "attempt": attempt})
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # apart, so that they do not meet again
        raise AssertionError("unreachable")

    dispatch_request.retries_conflicts = True
    app.dispatch_request = dispatch_request


def conflict_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}
