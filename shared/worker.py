"""One worker process per service: its consumer, its outbox relay(s) and its periodic jobs.

SIGTERM or SIGINT stops it cleanly: the consumer finishes and acknowledges the batch in hand (what it
had prefetched but not started returns to the queue), relays finish their batch, jobs their run.
A kill -9 loses nothing either: unacknowledged messages are redelivered and the inbox drops repeats.
"""
from __future__ import annotations

import json
import logging
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import config, logs
from shared.app import readiness
from shared.db import Database
from shared.events.consumer import Consumer
from shared.events.relay import OutboxRelay, Wakeup
from shared.jobs import JobRunner
from shared.service import Service

log = logging.getLogger(__name__)


def _probe_server(database: Database, port: int) -> ThreadingHTTPServer:
    class Probe(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            if self.path == "/healthz":
                body, status, ctype = json.dumps({"status": "ok"}).encode(), 200, "application/json"
            elif self.path == "/readyz":
                result, status = readiness(database)
                body, ctype = json.dumps(result).encode(), "application/json"
            elif self.path == "/metrics":
                body, status, ctype = generate_latest(), 200, CONTENT_TYPE_LATEST
            else:
                body = json.dumps({"type": "about:blank", "title": "Not Found", "status": 404}).encode()
                status, ctype = 404, "application/problem+json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep probes out of the logs
            pass

    server = ThreadingHTTPServer(("127.0.0.1" if config.env("WORKER_BIND_ALL") is None else "0.0.0.0", port), Probe)
    threading.Thread(target=server.serve_forever, name="probes", daemon=True).start()
    return server


def run(service: Service, *, relays: int | None = None, probe_port: int | None = None,
        stop: threading.Event | None = None) -> None:
    logs.configure(f"{service.name}-worker")
    database = Database(config.database_url(service.name), role="worker", name=f"{service.name}-worker")
    # Read once, here: the consumers' handlers and the jobs all run with these.
    settings = service.load_settings() if service.load_settings else None
    service.handlers.settings = settings
    stop = stop or threading.Event()

    def _stop(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    threads: list[threading.Thread] = []
    # Several consumers and relays per process overlap their waits on PostgreSQL and on the broker's
    # confirms; the inbox and FOR UPDATE SKIP LOCKED make them safe side by side.
    if service.handlers:
        for i in range(int(config.env("MMM_CONSUMERS", "2"))):
            consumer = Consumer(service.name, database, service.handlers)
            threads.append(threading.Thread(target=consumer.run, args=(stop,), name=f"consumer-{i}"))
    # The relays share one LISTEN connection, straight to PostgreSQL (never through PgBouncer).
    wakeup = Wakeup(config.direct_database_url(service.name))
    wakeup.start(stop)
    for i in range(relays or int(config.env("MMM_RELAYS", "2"))):
        relay = OutboxRelay(database, service=service.name, wakeup=wakeup)
        threads.append(threading.Thread(target=relay.run, args=(stop,), name=f"relay-{i}"))
    # One thread per job, so that a long run of one (mails to a slow server) never delays another.
    for job in service.jobs(settings):
        runner = JobRunner(service.name, database, [job])
        threads.append(threading.Thread(target=runner.run, args=(stop,), name=f"job-{job.name}"))
    port = probe_port if probe_port is not None else int(config.env("WORKER_PORT", str(config.WORKER_PORTS[service.name])))
    server = _probe_server(database, port) if port else None
    for t in threads:
        t.start()
    log.info("worker started", extra={"threads": [t.name for t in threads], "probe_port": port})
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.5)
        if stop.is_set():
            for t in threads:
                t.join()
            break
    if server:
        server.shutdown()
    database.dispose()
    log.info("worker stopped")
