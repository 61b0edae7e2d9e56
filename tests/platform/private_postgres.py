"""A PostgreSQL server of one test's own, which it may restart and crash at will without touching the
machine's server (shared by the rest of the suite and by a `make up` platform beside it).

Made with the machine's initdb/pg_ctl (Debian's postgresql package), in a temporary directory, on a free
loopback port; removed when the test ends. As root, the server runs as the `postgres` user, as initdb
refuses to run as root.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from shared.testing import free_port


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    # Debian keeps the server's programs off PATH, one directory per major version: take the newest.
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(dirs[-1]).parent if dirs else None


def available() -> bool:
    return _bin_dir() is not None


class PrivatePostgres:
    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError("initdb/pg_ctl not found: install Debian's postgresql package")
        self.bin = bin_dir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mmm-private-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.restarts = 0

    @property
    def url(self) -> str:
        """The server URL in the platform's form (MMM_POSTGRES_URL)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PrivatePostgres:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str, mode: str | None = None) -> None:
        # The operating system never crashes here, so the server may skip fsync (restarts take a fraction of
        # a second); synchronous_commit stays on, or a crash would lose transactions already committed.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60 "
                   "-c fsync=off -c full_page_writes=off")
        args = ["pg_ctl", action, "-D", str(self.data), "-w", "-t", "60", "-l", str(self.log), "-o", options]
        if mode:
            args += ["-m", mode]
        self._run(*args, timeout=90)

    def restart(self, mode: str = "fast") -> None:
        """Stop and start the server: `fast` ends every session cleanly first; `immediate` is a crash
        (every backend killed at once, recovery from the WAL at the next start)."""
        self._pg_ctl("restart", mode)
        self.restarts += 1

    def terminate_backends(self) -> int:
        """pg_terminate_backend of every client backend but the caller's own: what an operator or a
        failover does to the sessions in flight. Returns how many were terminated."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            return conn.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()").fetchone()[0]

    def close(self) -> None:
        try:
            self._pg_ctl("stop", "immediate")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
