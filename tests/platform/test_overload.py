"""Overload gives 503, never 500, and the platform fits its database (issue 14, item 4).

- Every service, every GET operation of its OpenAPI document: with the pool's only connection held,
  and with PostgreSQL refusing the connection, the answer is 503 problem+json with Retry-After (or
  an answer that needs no database), never a 500.
- A worker whose database refuses connections backs off, and handles every event once (consumer,
  relays, jobs) when the database accepts again.
- A running platform at rest holds no more connections than its budget (30 for `make up`).
- Through PgBouncer in transaction mode, every service answers (no server-side prepared statements).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared import config, db
from shared.app import db_of
from shared.events import broker, envelope
from shared.jobs import Job
from shared.service import Service
from tests.platform import probe
from shared.testing import publish_events
from tests.platform.events_support import commit_events, effect_counts, pending_outbox, wait_until

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

TINY_POOL = {"MMM_DB_POOL_SIZE": "1", "MMM_DB_MAX_OVERFLOW": "0", "MMM_DB_POOL_TIMEOUT": "0.2",
             "DIRECTORY_SEARCH_WARM": "off"}


def _get_operations(app) -> list[str]:
    """Every GET path of the service's OpenAPI document, path parameters filled with a fresh uuid."""
    with app.app_context():
        spec = app.extensions["mmm_api"].spec.to_dict()
    paths = []
    for path, item in sorted(spec["paths"].items()):
        if "get" in item and not path.endswith("openapi.json"):
            paths.append(re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path))
    return paths


def _sweep(app, token: str) -> list[tuple[str, int, object]]:
    client = app.test_client()
    out = []
    for path in _get_operations(app):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        out.append((path, response.status_code, response))
    return out


def _assert_overload_answers(name: str, answers) -> None:
    """No 500; every 5xx a 503 problem+json with Retry-After; at least one operation needed the
    database and said so."""
    assert answers, f"{name}: no GET operation in its OpenAPI document"
    failures = [(p, s) for p, s, r in answers if s >= 500 and s != 503]
    assert not failures, f"{name}: {failures}"
    busy = [r for _p, s, r in answers if s == 503]
    assert busy, f"{name}: no operation touched the database: {[(p, s) for p, s, _ in answers]}"
    for response in busy:
        assert response.mimetype == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0
        body = response.get_json()
        assert body["status"] == 503 and body["type"].rsplit("/", 1)[-1] in ("database-busy", "database-unavailable")
        assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", config.SERVICES)
def test_an_exhausted_pool_answers_503_with_retry_after_on_every_operation(service_app, signing_keys, name):
    app = service_app(name, **TINY_POOL)
    engines = [db_of(app).engine]
    if name == "directory":
        engines.append(app.extensions["directory"]["search"].engine)
    held = [engine.connect() for engine in engines]  # the only connection of each pool
    try:
        answers = _sweep(app, signing_keys.mint("operator"))
    finally:
        for conn in held:
            conn.close()
    _assert_overload_answers(name, answers)
    busy = [r.get_json() for _p, s, r in answers if s == 503]
    assert {b["type"].rsplit("/", 1)[-1] for b in busy} == {"database-busy"}
    # the connection back: the same operations answer again
    after = _sweep(app, signing_keys.mint("operator"))
    assert not [(p, s) for p, s, _ in after if s >= 500]


@pytest.fixture(scope="module")
def refused_role(infrastructure):
    """A role PostgreSQL lets connect zero times (CONNECTION LIMIT 0): 'too many connections for role'."""
    role = f"mmm_refused_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(config.postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))
    yield role
    with admin.connect() as c:
        c.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


@pytest.mark.parametrize("name", config.SERVICES)
def test_a_database_that_refuses_connections_answers_503_not_500(service_app, signing_keys, refused_role, name):
    service_app(name)  # migrated
    url = sa.engine.make_url(config.database_url(name)).set(username=refused_role, password=None)
    app = service_app(name, DATABASE_URL=url.render_as_string(hide_password=False), DIRECTORY_SEARCH_WARM="off")
    answers = _sweep(app, signing_keys.mint("operator"))
    _assert_overload_answers(name, answers)
    busy = [r.get_json() for _p, s, r in answers if s == 503]
    assert {b["type"].rsplit("/", 1)[-1] for b in busy} == {"database-unavailable"}


def test_nothing_listening_at_the_database_address_answers_503(service_app, signing_keys):
    service_app("mentorship")
    from shared.testing import free_port

    url = sa.engine.make_url(config.database_url("mentorship")).set(host="127.0.0.1", port=free_port())
    app = service_app("mentorship", DATABASE_URL=url.render_as_string(hide_password=False))
    _assert_overload_answers("mentorship", _sweep(app, signing_keys.mint("operator")))


# -- a worker while the database refuses it --------------------------------------------------------------

def _allow_connections(admin, database: str, allow: bool) -> None:
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                              "AND pid <> pg_backend_pid()"), {"d": database})


def test_a_worker_refused_by_its_database_backs_off_and_resumes_by_itself(infrastructure, monkeypatch):
    from shared import worker

    name = f"{config.database_name('probe')}_refused"
    url = f"{config.postgres_url().rsplit('/', 1)[0]}/{name}"
    db.ensure_database(url)
    database = db.Database(url)
    probe.metadata.create_all(database.engine)
    database.dispose()
    monkeypatch.setenv("PROBE_DATABASE_URL", url)  # the worker's database (config.database_url("probe"))
    names = broker.names()
    conn = broker.connect()
    ch = conn.channel()
    broker.declare_service_queues(ch, names, probe.NAME, ["probe.ProbeHappened.v1"])
    for q in (names.queue(probe.NAME), names.retry_queue(probe.NAME), names.dead_letter_queue(probe.NAME)):
        ch.queue_purge(q)
    conn.close()

    runs: list[float] = []

    def tick(_db) -> int:
        runs.append(time.monotonic())
        return 0

    service = Service(name=probe.NAME, create_app=probe._no_app, metadata=probe.metadata, handlers=probe.handlers,
                      jobs=lambda settings: [Job("overload.tick", timedelta(seconds=0.2), tick)])
    admin = sa.create_engine(config.postgres_url(), isolation_level="AUTOCOMMIT")
    database = db.Database(url)
    stop = threading.Event()
    thread = None
    try:
        # events in the outbox (for the relays) and on the broker (for the consumers), then the door shut
        commit_events(database, [f"outbox-{i}" for i in range(30)])
        database.dispose()
        _allow_connections(admin, name, False)
        publish_events([envelope.build("ProbeHappened", {"key": f"broker-{i}"}) for i in range(30)])
        thread = threading.Thread(target=worker.run, args=(service,), kwargs={"probe_port": 0, "stop": stop},
                                  daemon=True)
        thread.start()
        time.sleep(4.0)  # refused all along: consumers, relays and jobs retrying with back-off
        assert thread.is_alive()
        refused_runs = len(runs)
        with pytest.raises(sa.exc.OperationalError):
            database.ping()
        assert refused_runs == 0

        _allow_connections(admin, name, True)
        expected = {f"outbox-{i}": 1 for i in range(30)} | {f"broker-{i}": 1 for i in range(30)}
        wait_until(lambda: effect_counts(database) == expected, 45, what="every event handled once after the refusal")
        assert pending_outbox(database) == 0
        wait_until(lambda: len(runs) > refused_runs, 15, what="the job running again")
        assert thread.is_alive()
        # and it goes on: a new event after the recovery is handled too
        commit_events(database, ["after"])
        wait_until(lambda: effect_counts(database).get("after") == 1, 15, what="an event after the recovery")
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=30)
        _allow_connections(admin, name, True)
        database.dispose()
        db.drop_database(url)
        admin.dispose()


# -- the platform's connections at rest --------------------------------------------------------------------

def _platform_connections(prefix: str) -> list[tuple[str, str, str]]:
    admin = sa.create_engine(config.postgres_url(), poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(
                "SELECT datname, coalesce(application_name, ''), state FROM pg_stat_activity "
                "WHERE datname LIKE :p AND pid <> pg_backend_pid()"), {"p": prefix + "\\_%"}).all()]
    finally:
        admin.dispose()


def test_the_platform_at_rest_holds_no_more_connections_than_its_budget(platform):
    from tests.conftest import PLATFORM_PREFIX

    # at rest: no request for a few seconds; the workers' loops tick on as always
    samples = []
    for _ in range(10):
        samples.append(_platform_connections(PLATFORM_PREFIX))
        time.sleep(0.5)
    # every process of the platform names itself (application_name "mmm-<process>:<pid>"); connections
    # without a name are this test process's own (tests that looked into the platform's databases)
    mine = f":{os.getpid()}"
    samples = [[row for row in sample if row[1].startswith("mmm-") and not row[1].endswith(mine)]
               for sample in samples]
    worst = max(samples, key=len)
    counted = [Counter(app_name.rsplit(":", 1)[0] for _db, app_name, _state in sample) for sample in samples]
    by_process = counted[samples.index(worst)]
    print(f"\nplatform at rest (API_WORKERS=1): {len(worst)} connections (samples: {sorted(len(s) for s in samples)}): "
          f"{json.dumps(by_process, sort_keys=True)}")
    api = config.pool_settings("api")
    worker = config.pool_settings("worker")
    for process in set().union(*counted):
        # What a process keeps is what it holds in most samples: a worker's job threads ticking at the same
        # moment open an overflow connection for an instant, which a sample may catch.
        held = sorted(c[process] for c in counted)[len(counted) // 2]
        if process.endswith("-api") or process == "mmm-directory-search":
            assert held <= api["pool_size"] * 1, (process, held)  # API_WORKERS=1 here
            assert by_process[process] <= api["pool_size"] + api["max_overflow"], (process, by_process[process])
        elif process.endswith("-worker"):
            assert held <= worker["pool_size"], (process, held)
            assert by_process[process] <= worker["pool_size"] + worker["max_overflow"], (process, by_process[process])
    assert by_process.get("mmm-relay-listen", 0) <= len(config.SERVICES)  # one LISTEN per worker
    # `make up` runs two gunicorn workers per API: each API process's share counted twice
    api_share = sum(n for p, n in by_process.items() if p.endswith("-api") or p == "mmm-directory-search")
    at_rest_make_up = len(worst) + api_share
    print(f"at rest with API_WORKERS=2 (make up): at most {at_rest_make_up}")
    assert at_rest_make_up <= 30


def test_the_platform_under_load_stays_within_its_budget_and_never_answers_500(platform, platform_base):
    """Every GET operation of every service (OpenAPI), straight to the APIs from 24 threads for a few
    seconds, while pg_stat_activity is sampled: no 500, and no more connections than the budget."""
    import requests

    from demo.loader import OPERATOR, ensure_operator
    from tests.conftest import PLATFORM_PREFIX
    from tests.journeys import sign_in

    ensure_operator()
    token = sign_in(platform, OPERATOR["email"], OPERATOR["password"])
    targets = []
    for i, name in enumerate(config.SERVICES):
        spec = requests.get(f"{platform}/api/v1/{name}/openapi.json", timeout=10).json()
        base = f"http://127.0.0.1:{platform_base + 1 + i}"
        targets += [base + path for path, item in spec["paths"].items()
                    if "get" in item and "{" not in path and not path.endswith("openapi.json")]
    statuses: dict[int, int] = {}
    stop_at = time.monotonic() + 6.0
    lock = threading.Lock()

    def hammer(offset: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        k = offset
        while time.monotonic() < stop_at:
            status = session.get(targets[k % len(targets)], timeout=30).status_code
            k += 1
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=hammer, args=(i * 7,)) for i in range(24)]
    for t in threads:
        t.start()
    mine = f":{os.getpid()}"
    peak: list = []
    while any(t.is_alive() for t in threads):
        sample = [r for r in _platform_connections(PLATFORM_PREFIX) if r[1].startswith("mmm-") and not r[1].endswith(mine)]
        peak = max(peak, sample, key=len)
        time.sleep(0.1)
    by_process: dict[str, int] = {}
    for _db, app_name, _state in peak:
        by_process[app_name.rsplit(":", 1)[0]] = by_process.get(app_name.rsplit(":", 1)[0], 0) + 1
    print(f"\nplatform under load (API_WORKERS=1, {sum(statuses.values())} requests, statuses {statuses}): "
          f"peak {len(peak)} connections: {json.dumps(by_process, sort_keys=True)}")
    assert 500 not in statuses and not [s for s in statuses if s > 503]
    api = config.pool_settings("api")
    worker = config.pool_settings("worker")
    for process, count in by_process.items():
        if process.endswith("-api") or process == "mmm-directory-search":
            assert count <= api["pool_size"] + api["max_overflow"], (process, count)
        elif process.endswith("-worker"):
            assert count <= worker["pool_size"] + worker["max_overflow"], (process, count)
    api_share = sum(n for p, n in by_process.items() if p.endswith("-api") or p == "mmm-directory-search")
    print(f"under load with API_WORKERS=2 (make up): at most {len(peak) + api_share}")
    assert len(peak) + api_share <= 60


# -- PgBouncer in transaction mode ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pgbouncer(infrastructure):
    from mmm import pgbouncer as bouncer
    from shared.testing import free_port

    if not bouncer.binary():
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    directory = tempfile.mkdtemp(prefix="mmm-pgbouncer-")
    port = free_port()
    ini = bouncer.render(__import__("pathlib").Path(directory), port=port, pool_size=1)
    proc = subprocess.Popen(bouncer.command(ini), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = sa.engine.make_url(bouncer.client_url(port))
        deadline = time.monotonic() + 15
        while True:
            try:
                probe_engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
                with probe_engine.connect() as c:
                    c.execute(sa.text("SELECT 1"))
                probe_engine.dispose()
                break
            except sa.exc.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start: {proc.stdout.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield port
    finally:
        proc.send_signal(signal.SIGINT)  # fast shutdown: SIGTERM waits for every client to leave
        proc.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("name", config.SERVICES)
def test_every_service_answers_through_pgbouncer_in_transaction_mode(service_app, signing_keys, pgbouncer, name):
    service_app(name)  # migrated, straight to PostgreSQL
    url = sa.engine.make_url(config.database_url(name)).set(host="127.0.0.1", port=pgbouncer)
    app = service_app(name, DATABASE_URL=url.render_as_string(hide_password=False),
                      MMM_DB_PREPARED_STATEMENTS="off", MMM_DB_POOL_SIZE="3", MMM_DB_MAX_OVERFLOW="0")
    token = signing_keys.mint("operator")
    # Three clients at once, each running every operation more often than psycopg's prepare threshold
    # (5), on one server connection per database (pool_size 1 below): a statement prepared by one
    # client would collide on it with the same-named statement of another ("already exists"), or be
    # missing on it ("does not exist").
    statuses: list = []

    def client_loop() -> None:
        for _ in range(6):
            statuses.extend((p, s) for p, s, _r in _sweep(app, token))

    threads = [threading.Thread(target=client_loop) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [(p, s) for p, s in statuses if s >= 500], sorted(set(statuses))
    assert [s for _p, s in statuses if s == 200], f"{name}: nothing answered 200 through PgBouncer"


def test_the_local_run_puts_pgbouncer_in_its_procfile_in_transaction_mode(tmp_path, monkeypatch):
    from mmm import pgbouncer as bouncer
    from mmm import run

    monkeypatch.setenv("MMM_PGBOUNCER", "1")
    assert bouncer.enabled()
    ini = bouncer.render(tmp_path / "pgbouncer", port=7654)
    text = ini.read_text()
    assert "pool_mode = transaction" in text and "listen_port = 7654" in text
    assert f"{config.database_name('directory')} = " in text and "pg_trgm.word_similarity_threshold" in text
    lines = run._procfile(["nginx"], demo=False, pgbouncer_cmd=bouncer.command(ini)).splitlines()
    assert [line for line in lines if line.startswith("pgbouncer: ") and str(ini) in line]
    # the services then connect through it, without prepared statements; LISTEN and migrations do not
    monkeypatch.setenv("MMM_PGBOUNCER_URL", bouncer.client_url(7654))
    assert sa.engine.make_url(config.database_url("mentorship")).port == 7654
    assert sa.engine.make_url(config.direct_database_url("mentorship")).port != 7654
    assert db.engine_options("api")["connect_args"]["prepare_threshold"] is None
