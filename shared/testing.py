"""Test support: per-run databases and broker prefix, testcontainers where a Docker engine answers,
test signing keys, control of the broker for fault tests, and reading the mails a mail sink kept.

Every test run gets a run id; its databases are `mmmt_<epoch>_<hex>_<service>` and its exchanges and
queues start with `mmmt_<epoch>_<hex>`. Both are removed at the end of the run, and leftovers of runs
that crashed more than MMM_TEST_STALE_HOURS ago (default 6) are removed at the start of the next.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import jwt
import sqlalchemy as sa
from sqlalchemy import orm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import config

TEST_PREFIX = "mmmt_"


def new_run_id() -> str:
    return f"{TEST_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"


def docker_engine_answers() -> bool:
    if config.env("MMM_TEST_NO_CONTAINERS"):
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - no engine: use the local servers
        return False


@dataclass
class TestInfrastructure:
    """Where the servers are for this run, and how to stop and start the broker."""

    postgres_url: str
    amqp_url: str
    rabbit_container: object | None = None
    containers: list = field(default_factory=list)

    def stop_broker(self) -> None:
        self._rabbitmqctl("stop_app")

    def start_broker(self) -> None:
        self._rabbitmqctl("start_app")
        self._rabbitmqctl("await_startup")

    def _rabbitmqctl(self, *args: str) -> None:
        if self.rabbit_container is not None:
            self.rabbit_container.exec(["rabbitmqctl", *args])
            return
        ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
        subprocess.run([ctl, *args], check=True, capture_output=True, timeout=120)

    def close(self) -> None:
        for c in self.containers:
            c.stop()


def start_infrastructure() -> TestInfrastructure:
    if docker_engine_answers():
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        pg = PostgresContainer("postgres:15", driver="psycopg").start()
        rabbit = RabbitMqContainer("rabbitmq:3.13").start()
        amqp = f"amqp://guest:guest@{rabbit.get_container_host_ip()}:{rabbit.get_exposed_port(5672)}/%2F"
        pg_url = pg.get_connection_url().rsplit("/", 1)[0] + "/postgres"
        return TestInfrastructure(pg_url, amqp, rabbit_container=rabbit, containers=[pg, rabbit])
    return TestInfrastructure(config.postgres_url(), config.amqp_url())


def remove_stale(postgres_url: str, older_than: timedelta | None = None) -> None:
    """Drop databases and broker objects of test runs that crashed long ago."""
    hours = float(config.env("MMM_TEST_STALE_HOURS", "6"))
    cutoff = time.time() - (older_than or timedelta(hours=hours)).total_seconds()

    def stale(name: str) -> bool:
        try:
            return int(name[len(TEST_PREFIX):].split("_", 1)[0]) < cutoff
        except ValueError:
            return False

    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        names = conn.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'mmmt\\_%'")).all()
        for name in names:
            if stale(name):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        return
    listed = []
    for what in ("list_queues", "list_exchanges"):
        out = subprocess.run([ctl, what, "name", "-q"], capture_output=True, text=True, timeout=60)
        listed.append([n for n in out.stdout.split() if n.startswith(TEST_PREFIX) and stale(n)])
    if any(listed):
        from shared.events import broker

        conn = broker.connect()
        ch = conn.channel()
        for q in listed[0]:
            ch.queue_delete(q)
        for x in listed[1]:
            ch.exchange_delete(x)
        conn.close()


def drop_run_databases(postgres_url: str, run_id: str) -> None:
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        names = conn.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": run_id.replace("_", "\\_") + "%"}).all()
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class SigningKeys:
    """An Ed25519 key pair for tests that need tokens without running identity."""

    def __init__(self, kid: str | None = None):
        self.private_key = Ed25519PrivateKey.generate()
        self.kid = kid or secrets.token_hex(8)

    @property
    def jwks(self) -> dict:
        jwk = jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def mint(self, role: str, *, sub: uuid.UUID | None = None, inst: uuid.UUID | None = None,
             ttl: timedelta = timedelta(minutes=15), **overrides) -> str:
        now = datetime.now(timezone.utc)
        claims = {
            "iss": config.env("AUTH_ISSUER", "mentormemed-identity"),
            "aud": config.env("AUTH_AUDIENCE", "mentormemed"),
            "sub": str(sub or uuid.uuid4()), "role": role, "inst": str(inst) if inst else None,
            "iat": now, "exp": now + ttl, "jti": secrets.token_hex(8),
        }
        claims.update(overrides)
        return jwt.encode({k: v for k, v in claims.items() if v is not None}, self.private_key,
                          algorithm="EdDSA", headers={"kid": self.kid})


class JwksServer:
    """Serves a SigningKeys' JWKS over HTTP on a free loopback port, so that API processes started by a
    test or a benchmark (AUTH_JWKS_URL=server.url) trust its tokens. Use as a context manager."""

    def __init__(self, keys: SigningKeys):
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        body = json.dumps(keys.jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"

    def __enter__(self) -> JwksServer:
        import threading

        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def stop_process_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True and everything it started: SIGTERM to its
    group, then SIGKILL when it has not ended within `timeout` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiProcesses:
    """`count` gunicorn processes serving one service's API on their own loopback ports (free ones, or
    `ports`), with the environment given (e.g. AUTH_JWKS_URL of a JwksServer); `urls` once they answer
    /healthz. The command line is `mmm api`'s (shared/serve.py: keep-alive, hooks, metrics). Use as a
    context manager; each process is stopped with SIGTERM (then SIGKILL) at the end."""

    def __init__(self, service: str, env: dict, *, count: int = 2, workers: int = 1, threads: int = 8,
                 log_dir: str | None = None, timeout: float = 60.0, ports: list[int] | None = None,
                 keep_alive: int | None = None):
        self.service, self.env, self.count = service, env, count
        self.workers, self.threads, self.timeout = workers, threads, timeout
        self.log_dir = log_dir
        self.ports = list(ports) if ports else None
        self.keep_alive = keep_alive
        self.procs: list = []
        self.urls: list[str] = []

    def __enter__(self) -> ApiProcesses:
        import tempfile
        from pathlib import Path

        import requests

        from shared import serve

        root = Path(__file__).parents[1]
        log_dir = Path(self.log_dir or tempfile.mkdtemp(prefix=f"{self.service}-api-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self.logs = [log_dir / f"api{n}.log" for n in range(self.count)]
        env = config.environment(**self.env)
        try:
            for n, log in enumerate(self.logs):
                port = self.ports[n] if self.ports else free_port()
                with open(log, "w") as out:
                    self.procs.append(subprocess.Popen(
                        serve.gunicorn_argv(self.service, f"127.0.0.1:{port}", workers=self.workers,
                                            threads=self.threads, keep_alive=self.keep_alive),
                        cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
                self.urls.append(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + self.timeout
            for url in self.urls:
                while True:
                    try:
                        if requests.get(url + "/healthz", timeout=2).status_code == 200:
                            break
                    except requests.RequestException:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("API processes did not start:\n" + "\n".join(
                            log.read_text()[-2000:] for log in self.logs))
                    time.sleep(0.2)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def publish_events(bodies: list[dict]) -> None:
    """Publish CloudEvents bodies to this run's exchange as a relay would (confirmed, mandatory), for
    tests that deliver events to a consumer through the real broker."""
    import json

    import pika

    from shared.events import broker

    names = broker.names()
    conn = broker.connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        for body in bodies:
            key = body["type"].split(".", 2)[2]  # org.mentormemed.<svc>.<Name>.v1 → <svc>.<Name>.v1
            ch.basic_publish(names.exchange, key, json.dumps(body).encode(),
                             pika.BasicProperties(content_type="application/cloudevents+json"), mandatory=True)
    finally:
        conn.close()


def run_together(fn, n: int = 2, timeout: float = 60.0) -> None:
    """Run fn in n threads released at the same moment (as n replicas would); re-raise any failure."""
    barrier, errors = threading.Barrier(n), []

    def run():
        barrier.wait()
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not errors, errors


def outbox_events(database, name: str, **match) -> list[dict]:
    """Bodies of the events `name` in a service's outbox, oldest first, whose data has the given values
    (compared as the JSON text has them: ids as strings, true/false). Filtered in SQL: a test's outbox may
    hold tens of thousands of events."""
    def text(value) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    clauses = "".join(f" AND body->'data'->>'{k}' = :m_{k}" for k in match)
    with database.sessions() as conn:  # a session, so that a test's own rolled-back transaction is read too
        return list(conn.execute(sa.text(f"SELECT body FROM outbox WHERE event_type LIKE :t{clauses} ORDER BY seq"),
                                 {"t": f"%.{name}.v1", **{f"m_{k}": text(v) for k, v in match.items()}}).scalars())


def read_mails(maildir_path, to: str | None = None) -> list[EmailMessage]:
    """The messages in a Maildir (e.g. the platform's mail sink's), oldest first, as
    `email.message.EmailMessage` (parsed with `email.policy.default`: `msg["Subject"]`,
    `msg.get_body(("plain",)).get_content()`). With `to`, only those delivered to that address: the
    envelope recipients the sink records (`X-RcptTo`, so Bcc counts), else To/Cc; case-insensitive.
    A Maildir not created yet holds no mail."""
    from email import policy
    from email.parser import BytesParser
    from email.utils import getaddresses
    from pathlib import Path

    root = Path(maildir_path)
    files = []
    for sub in ("new", "cur"):  # tmp/ holds messages still being written
        try:
            entries = list(os.scandir(root / sub))
        except FileNotFoundError:  # no Maildir yet
            continue
        for entry in entries:
            try:
                if not entry.name.startswith("."):
                    files.append((entry.stat().st_mtime_ns, entry.name, entry.path))
            except FileNotFoundError:  # moved from new/ to cur/ meanwhile
                pass
    files.sort()
    wanted = to.strip().lower() if to else None
    mails = []
    for _, _, path in files:
        try:
            with open(path, "rb") as f:
                msg = BytesParser(policy=policy.default).parse(f)
        except FileNotFoundError:  # moved from new/ to cur/ meanwhile
            continue
        if wanted is not None:
            headers = msg.get_all("X-RcptTo") or [*(msg.get_all("To") or []), *(msg.get_all("Cc") or [])]
            if wanted not in {addr.lower() for _, addr in getaddresses([str(h) for h in headers])}:
                continue
        mails.append(msg)
    return mails


def wait_for_mail(maildir_path, to: str, predicate=None, timeout: float = 30.0) -> EmailMessage:
    """The oldest mail in the Maildir delivered to `to` for which `predicate(msg)` is true (any such
    mail without one), waiting up to `timeout` seconds for it to arrive; AssertionError naming the
    subjects of the mails to `to` that did arrive, if none matches by then."""
    deadline = time.monotonic() + timeout
    while True:
        mails = read_mails(maildir_path, to)
        for msg in mails:
            if predicate is None or predicate(msg):
                return msg
        if time.monotonic() > deadline:
            subjects = [str(m["Subject"]) for m in mails]
            raise AssertionError(f"no matching mail to {to} in {maildir_path} after {timeout:g} s; "
                                 f"mails to {to}: {subjects or 'none'}")
        time.sleep(0.2)


def bearer(token: str) -> dict:
    """The Authorization header of an access token."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Person:
    """Someone a service knows from events, with the headers of their access token."""
    id: uuid.UUID
    institution_id: uuid.UUID
    role: str
    name: str
    email: str
    headers: dict = field(repr=False, default_factory=dict)


def handle_event(database, handlers, name: str, data: dict, *, time: datetime | None = None,
                 body: dict | None = None) -> dict:
    """Handle one event as the consumer would — a parsed CloudEvent, the service's handler, a real
    transaction — without the broker. Returns the event's body (pass it again to handle a repeat)."""
    from shared.events import envelope

    body = body or envelope.build(name, data, time=time)
    event = envelope.parse(body)
    with database.unit_of_work() as session:
        handlers.get(event.type.type)(session, event)
    return body


class RolledBack:
    """One test's writes, undone at its end: while it is open, every session of the databases it holds
    (`Database.sessions`, so every unit of work of the apps and handlers under test) runs on one
    connection per database, inside a transaction that is rolled back when the test ends. A unit of
    work's commit releases a savepoint instead (SQLAlchemy's join_transaction_mode "create_savepoint"),
    and its rollback returns to that savepoint, so the code under test behaves as it does on its own.

    What reads through `Database.engine` on a connection of its own (the revocation list, the job
    runner's schedule, the outbox relay, the directory's search) sees none of it: tests that need that
    are marked slow and commit. The connections come from an engine per database kept for the run, so
    a test pays no connection set-up."""

    def __init__(self, engines: dict):
        self._engines = engines  # url -> engine of one connection, kept across tests
        self._transactions: dict = {}  # url -> (connection, transaction): databases of one URL share them
        self._held: list = []  # (database, its own session factory)

    def hold(self, database) -> None:
        """From now on, `database`'s sessions run inside the test's transaction; its connection is opened at
        the first session, so that a database the test never uses (an app of an earlier test, through a
        server gone since) costs nothing."""
        if any(held is database for held, _ in self._held):
            return
        self._held.append((database, database.sessions))
        url = database.engine.url

        def sessions() -> orm.Session:
            return orm.Session(bind=self._connection(url), expire_on_commit=False,
                               join_transaction_mode="create_savepoint")

        database.sessions = sessions

    def _connection(self, url):
        if url not in self._transactions:
            engine = self._engines.get(url)
            if engine is None:
                engine = self._engines[url] = sa.create_engine(url, pool_size=1, max_overflow=0)
            connection = engine.connect()
            self._transactions[url] = (connection, connection.begin())
        return self._transactions[url][0]

    def close(self) -> None:
        for database, sessions in self._held:
            database.sessions = sessions
        self._held.clear()
        for connection, transaction in self._transactions.values():
            try:
                transaction.rollback()
            finally:
                connection.close()
        self._transactions.clear()
