"""Helpers for the event backbone tests: the probe database, writing events, draining queues."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pika
import sqlalchemy as sa

from shared import config
from shared.events import broker, record_event


REPO = Path(__file__).resolve().parents[2]


def commit_events(database, keys: list[str], *, fail: bool = False, per_transaction: int = 50) -> None:
    for i in range(0, len(keys), per_transaction):
        with database.unit_of_work() as s:
            for key in keys[i:i + per_transaction]:
                record_event(s, "ProbeHappened", {"key": key, "fail": fail}, subject=key)


def effect_counts(database) -> dict[str, int]:
    with database.engine.connect() as c:
        return dict(c.execute(sa.text("SELECT key, count(*) FROM probe_effects GROUP BY key")).all())


def pending_outbox(database) -> int:
    with database.engine.connect() as c:
        return c.scalar(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _queue(name: str):
    conn = broker.connect()
    try:
        return conn.channel().queue_declare(name, passive=True).method
    finally:
        conn.close()


def queue_depth(name: str) -> int:
    return _queue(name).message_count


def consumers_attached(name: str) -> int:
    return _queue(name).consumer_count


def drain(name: str) -> list[tuple[pika.BasicProperties, bytes]]:
    conn = broker.connect()
    out = []
    try:
        ch = conn.channel()
        while True:
            method, props, body = ch.basic_get(name, auto_ack=True)
            if method is None:
                return out
            out.append((props, body))
    finally:
        conn.close()


def start_worker(extra_env: dict | None = None) -> subprocess.Popen:
    env = config.environment(**(extra_env or {}))
    return subprocess.Popen([sys.executable, "-m", "tests.platform.probe"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class InProcess:
    """Run consumer/relay loops in threads of the test process."""

    def __init__(self):
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, target) -> None:
        t = threading.Thread(target=target, args=(self.stop,), daemon=True)
        t.start()
        self.threads.append(t)

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)
