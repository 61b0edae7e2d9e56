"""The search version as PostgreSQL announces it, so that a search need not ask for it.

Every change that can alter a search result moves `search_state.version` (service.touch_search), and a
trigger (migration 0006) notifies channel `search_version` with the new version when that transaction
commits. The search's connection LISTENs on the channel: psycopg hands each notification to this class
whenever the connection reads from the server — during a search's own query, or, while the connection is
idle, when this class's thread sees data on its socket. Before a search trusts the known version it looks
at the socket once more without waiting (`version()`): PostgreSQL writes the notification to the listener
as the change commits, so a search that starts after a change committed knows of it (measured in
tests/directory/test_search_version.py) without a round trip.

`version()` is None while no connection listens (none opened yet, or the one there was is lost): the
search then reads the version from search_state as before, which opens a connection that listens again.
"""
from __future__ import annotations

import logging
import os
import select
import threading

import psycopg
import sqlalchemy as sa

log = logging.getLogger(__name__)

CHANNEL = "search_version"
_VERSION = "SELECT version FROM search_state WHERE id = 1"


class VersionWatch:
    """The newest search version announced to the connections of `engine` (one, in practice: the
    search's pool holds one connection)."""

    def __init__(self, engine: sa.Engine, idle_wait: float = 1.0) -> None:
        self.engine = engine
        self.idle_wait = idle_wait  # how often the idle thread looks whether the listening connection changed
        self._known: int | None = None
        self._listening = None  # the psycopg connection whose socket is watched (None: none listens)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()  # `stop` wakes the thread from its select at once
        sa.event.listen(engine, "connect", self._listen)
        sa.event.listen(engine, "invalidate", self._gone)
        sa.event.listen(engine, "close", self._gone)
        self._thread = threading.Thread(target=self._watch, name="search-version-watch", daemon=True)
        self._thread.start()

    def version(self) -> int | None:
        """The newest version announced, or None when no connection listens (read it from search_state)."""
        conn = self._listening
        if conn is None:
            return None
        if _readable(conn):
            self._drain(conn)
        return self._known

    def stop(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=2 * self.idle_wait)
        os.close(self._wake_r)
        os.close(self._wake_w)

    # --- the listening connection ------------------------------------------------------------------------

    def _listen(self, dbapi_connection, _record) -> None:
        """On every new connection of the engine: LISTEN, then read the version (a change committed
        after the LISTEN is announced; one before it is in what is read)."""
        dbapi_connection.add_notify_handler(lambda n: self._heard(dbapi_connection, n.payload))
        with dbapi_connection.cursor() as cur:
            cur.execute(f"LISTEN {CHANNEL}")
            dbapi_connection.commit()
            cur.execute(_VERSION)
            version = cur.fetchone()[0]
        dbapi_connection.commit()
        with self._lock:
            self._listening = dbapi_connection
            self._known = max(self._known or 0, version)

    def _heard(self, dbapi_connection, payload: str) -> None:
        with self._lock:
            if dbapi_connection is self._listening:  # not a late word from a connection already given up
                self._known = max(self._known or 0, int(payload))

    def _gone(self, dbapi_connection, _record, _exception=None) -> None:
        """A connection closed or found broken: if it was the listening one, the version is unknown
        until a new connection listens (what was announced meanwhile may be lost)."""
        with self._lock:
            if dbapi_connection is self._listening:
                self._listening, self._known = None, None

    def _drain(self, conn) -> None:
        """Read what the server sent (notifications go to `_heard`). Waits while a search's query holds
        the connection: that query reads them itself, but only once it is done."""
        try:
            with conn.lock:
                conn.pgconn.consume_input()
                while (notice := conn.pgconn.notifies()) is not None:
                    self._heard(conn, notice.extra.decode())
        except psycopg.Error as exc:  # broken: the next search opens another (Searcher's checkout)
            log.warning("search version: the listening connection is lost (%s)", str(exc).splitlines()[0])
            self._gone(conn, None)

    def _watch(self) -> None:
        """While no search uses the connection, read the notifications as they come, so that a search
        finds the version up to date rather than reading it off the socket itself."""
        while not self._stop.is_set():
            conn = self._listening
            if conn is None or conn.closed:
                select.select([self._wake_r], [], [], self.idle_wait)
                continue
            try:
                ready = select.select([conn.fileno(), self._wake_r], [], [], self.idle_wait)[0]
            except (OSError, ValueError, psycopg.Error):  # closed meanwhile: look again in a while
                select.select([self._wake_r], [], [], self.idle_wait)
                continue
            if ready and self._wake_r not in ready:
                self._drain(conn)


def _readable(conn) -> bool:
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError, psycopg.Error):  # closed meanwhile
        return False
