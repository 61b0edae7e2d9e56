"""Revocation: every service refuses, within seconds, the access tokens of a user deactivated, ejected or
exited, or of a session signed out — not only identity.

- identity calls `revoke()` in the transaction that deactivates, ejects, exits, changes a role, signs
  out or detects a stolen refresh token: it writes the subject (a user id, or a session id — the refresh
  token family that the access token's `sid` claim names) with `not_before` into its own
  `revoked_subjects` table and records SessionsRevoked.
- every other service consumes SessionsRevoked with `handle_sessions_revoked` into its own
  `revoked_subjects` table (`shared.service.Service` installs the handler), so no service reads
  another's database and none calls identity per request.
- `shared.auth` asks `RevocationList.refuses(principal)` after verifying a token: a token whose `iat`
  is before its user's or its session's `not_before` is refused with a 401. Each process keeps the
  table in memory and reads only the rows changed since its last read, at most once per
  AUTH_REVOCATION_REFRESH seconds (1), in one statement: no database round trip per request.

Rows changed since the last read are found by the writing transaction's id (`change_xid`): a read
takes the rows written by transactions at or after the oldest one still running at the previous read
(`pg_snapshot_xmin`), so a revocation committed late is never skipped.

A revocation matters only while tokens issued before it can still be valid: rows and copies older than
AUTH_REVOCATION_KEEP (PT1H; it must exceed identity's access-token lifetime, IDENTITY_ACCESS_TOKEN_TTL,
PT15M) are dropped, so that sign-outs do not pile up.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import orm

from shared import config

log = logging.getLogger(__name__)

EVENT = "SessionsRevoked"
DETAIL = "You were signed out; sign in again."

_UPSERT = sa.text(
    "INSERT INTO revoked_subjects (subject_id, not_before, change_xid) "
    "VALUES (:subject, :not_before, pg_current_xact_id()::text::bigint) "
    "ON CONFLICT (subject_id) DO UPDATE SET "
    "not_before = GREATEST(revoked_subjects.not_before, EXCLUDED.not_before), change_xid = EXCLUDED.change_xid"
)
_FORGET = sa.text("DELETE FROM revoked_subjects WHERE not_before < :cutoff")
# One statement, so the horizon and the rows come from one snapshot.
_CHANGED = sa.text(
    "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon) "
    "SELECT h.horizon, r.subject_id, EXTRACT(EPOCH FROM r.not_before)::float8 AS not_before "
    "FROM h LEFT JOIN revoked_subjects r ON r.change_xid >= :since AND r.not_before >= :cutoff"
)


def keep() -> timedelta:
    """How long a revocation is kept: longer than any access token lives."""
    return config.duration("AUTH_REVOCATION_KEEP", "PT1H")


def store(session: orm.Session, subject_id: uuid.UUID, not_before: datetime) -> None:
    """Tokens of `subject_id` (a user or a session) issued before `not_before` are refused from the
    commit on. A later not_before wins; an earlier one (an event arriving late) changes nothing.
    Revocations older than keep() are deleted on the way (an index range, empty most of the time)."""
    session.execute(_UPSERT, {"subject": subject_id, "not_before": not_before})
    session.execute(_FORGET, {"cutoff": datetime.now(timezone.utc) - keep()})


def revoke(session: orm.Session, *, user_id: uuid.UUID, reason: str, session_id: uuid.UUID | None = None,
           at: datetime | None = None) -> datetime:
    """In the publisher's (identity's) transaction: the tokens of the user — or of one of their
    sessions — issued before `at` (now) are refused here at once and by every service once the event
    arrives. Returns the not_before recorded."""
    from shared.events import record_event

    not_before = at or datetime.now(timezone.utc)
    store(session, session_id or user_id, not_before)
    record_event(session, EVENT, {"user_id": user_id, "session_id": session_id, "not_before": not_before,
                                  "reason": reason}, subject=f"users/{user_id}")
    return not_before


def handle_sessions_revoked(session: orm.Session, event) -> None:
    """The consumers' handler (the same in every service)."""
    data = event.data
    store(session, data.get("session_id") or data["user_id"], data["not_before"])


def install(handlers, service: str) -> None:
    """Bind SessionsRevoked to `handlers` of a consuming service (not of its publisher, identity, which
    writes its table in the revoking transaction). Idempotent."""
    from shared.events import registry

    et = registry.by_name(EVENT)
    if service == et.service or handlers.get(et.type) is not None:
        return
    handlers.on(EVENT)(handle_sessions_revoked)


class RevocationList:
    """A process's copy of `revoked_subjects`: subject id -> not_before (epoch seconds), refreshed from
    the database at most once per `refresh_every` seconds, by the request that finds it stale (others
    keep using the copy meanwhile). A failed read keeps the copy and is retried after `refresh_every`."""

    def __init__(self, engine: sa.Engine, refresh_every: float | None = None):
        self._engine = engine
        self.refresh_every = float(config.env("AUTH_REVOCATION_REFRESH", "1")) if refresh_every is None \
            else refresh_every
        self._keep = keep().total_seconds()
        self._not_before: dict[uuid.UUID, float] = {}
        self._pruned_at = time.monotonic()
        self._since = 0  # transactions with ids below this had all finished at the last read
        self._read_at = float("-inf")
        self._loaded = False
        self._lock = threading.Lock()

    def not_before(self, subject_id: uuid.UUID | None) -> float | None:
        return self._not_before.get(subject_id) if subject_id is not None else None

    def refuses(self, user_id: uuid.UUID, session_id: uuid.UUID | None, issued_at: float | None) -> bool:
        """True when a token of `user_id` (in `session_id`) issued at `issued_at` was revoked."""
        self.refresh_if_due()
        if issued_at is None:
            return False
        for subject in (user_id, session_id):
            cutoff = self.not_before(subject)
            if cutoff is not None and issued_at < cutoff:
                return True
        return False

    def refresh_if_due(self) -> None:
        if time.monotonic() - self._read_at < self.refresh_every:
            return
        # The first read waits for whoever is doing it; later ones never make a request wait for another's.
        if not self._lock.acquire(blocking=not self._loaded):
            return
        try:
            if time.monotonic() - self._read_at >= self.refresh_every:
                self.refresh()
        finally:
            self._lock.release()

    def refresh(self) -> int:
        """Read the rows changed since the last read; returns how many subjects it revoked anew or
        later than known (-1 when the database could not be read)."""
        self._read_at = time.monotonic()
        cutoff = time.time() - self._keep
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(_CHANGED, {"since": self._since,
                                               "cutoff": datetime.fromtimestamp(cutoff, timezone.utc)}).all()
        except Exception as exc:  # noqa: BLE001 - database unreachable: keep what we know, try again later
            log.warning("could not read revoked tokens", extra={"error": repr(exc)})
            return -1
        changed = 0
        for horizon, subject, not_before in rows:
            self._since = horizon
            if subject is not None:
                known = self._not_before.get(subject)
                if known is None or not_before > known:
                    self._not_before[subject] = not_before
                    changed += 1
        if self._read_at - self._pruned_at >= 60:  # forget what no valid token can predate any more
            self._pruned_at = self._read_at
            self._not_before = {k: v for k, v in self._not_before.items() if v >= cutoff}
        self._loaded = True
        return changed


def for_app(app) -> RevocationList:
    """The app's RevocationList (one per process), made at first use."""
    ext = app.extensions
    revocations = ext.get("mmm_revocations")
    if revocations is None:
        with _MAKE_LOCK:
            revocations = ext.get("mmm_revocations")
            if revocations is None:
                revocations = ext["mmm_revocations"] = RevocationList(ext["mmm"].db.engine)
    return revocations


_MAKE_LOCK = threading.Lock()
