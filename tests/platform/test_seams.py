"""No 5xx from the platform's own seams (issue 14, item 7):

- the gateway and an API under gunicorn: POSTs spaced around both idle timeouts (scaled down: the
  gateway keeps an idle upstream connection 1 s, the API 2 s — the same order as 30 s and 75 s)
  never meet a connection the API is closing (that was a 502);
- directory's one search_state row: publish/unpublish over the API while batches of events are handled
  in one transaction each (as the consumer does) — no deadlock, no 5xx;
- the shared unit of work's answer to a conflict PostgreSQL aborts (deadlock, serialization failure):
  the request is run again, or 503 with Retry-After when it cannot be — never 500;
- an API that started while identity was unreachable trusts identity's keys within about a second
  of identity answering again (it refused every valid token for 10 s);
- every gunicorn master has its own control socket (all bound ~/.gunicorn/gunicorn.ctl).
"""
from __future__ import annotations

import random
import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from shared import config, contention, db, gateway, serve
from shared.app import create_service_app, db_of
from shared.events import envelope
from shared.testing import ApiProcesses, JwksServer, free_port

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

try:
    gateway.nginx_binary()
    NGINX = True
except gateway.GatewayError:
    NGINX = False

GATEWAY_IDLE = 1  # s, the gateway's upstream keepalive_timeout in this test (30 s in the template)
API_IDLE = 2      # s, the API's --keep-alive in this test (75 s by default)


# --- the gateway and gunicorn: idle timeouts in order -------------------------------------------------------

def start_gateway(upstream: str, runtime: Path) -> tuple[str, subprocess.Popen]:
    """The real gateway (the template rendered as for a local run) with every service at `upstream` and
    the upstream idle timeout scaled down to GATEWAY_IDLE."""
    port = free_port()
    values = gateway.local_values(runtime, listen=f"127.0.0.1:{port}")
    for name in config.SERVICES:
        values[f"{name.upper()}_UPSTREAM"] = upstream
    values.update(GATEWAY_API_RATE="1000r/s", GATEWAY_API_BURST="1000")
    conf = gateway.render(values, out=runtime / "nginx.conf")
    text, replaced = re.subn(r"(upstream mmm_\w+ .*?keepalive_timeout )30s;", rf"\g<1>{GATEWAY_IDLE}s;",
                             conf.read_text())
    assert replaced == len(config.SERVICES)  # the template's order: 30 s, below the API's 75 s
    conf.write_text(text)
    gateway.check_config(runtime, conf)
    with (runtime / "stdout.log").open("wb") as out, (runtime / "stderr.log").open("wb") as err:
        proc = subprocess.Popen(gateway.nginx_command(runtime, conf), stdout=out, stderr=err)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return url, proc
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("nginx did not start:\n" + (runtime / "stderr.log").read_text())
        time.sleep(0.1)


def closed_first(port: int) -> tuple[int, int]:
    """Connections to `port` in TIME_WAIT, by who closed first: (the server on `port`, its peers).
    TCP leaves TIME_WAIT on the side that closed first (Linux /proc/net/tcp*, loopback: both sides)."""
    by_server = by_peer = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state != "06":  # TIME_WAIT
                continue
            if int(local.rsplit(":", 1)[1], 16) == port:
                by_server += 1
            elif int(remote.rsplit(":", 1)[1], 16) == port:
                by_peer += 1
    return by_server, by_peer


@pytest.fixture(scope="module")
def gateway_to_mentorship(service_app, signing_keys, tmp_path_factory) -> Iterator[str]:
    if not NGINX:
        pytest.skip("no nginx binary (scripts/bootstrap.sh installs it)")
    service_app("mentorship")  # migrated
    with JwksServer(signing_keys) as jwks, ApiProcesses(
            "mentorship", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1, workers=2, threads=4,
            keep_alive=API_IDLE, log_dir=str(tmp_path_factory.mktemp("seams-api"))) as api:
        url, proc = start_gateway(api.urls[0].removeprefix("http://"), tmp_path_factory.mktemp("seams-gateway"))
        try:
            yield url, int(api.urls[0].rsplit(":", 1)[1])
        finally:
            proc.terminate()
            proc.wait(10)


def test_posts_spaced_around_the_idle_timeouts_never_meet_a_closing_connection(gateway_to_mentorship,
                                                                             signing_keys):
    """Bursts of POSTs through the gateway, each burst after a pause just under, at and over the
    gateway's and the API's idle timeouts: nginx never retries a POST, so one sent on a kept-alive
    connection gunicorn was closing came back 502. Every one must reach the API (its 422 here), and
    every idle connection between them must have been closed by the gateway, none by the API: TCP
    leaves TIME_WAIT on the side that closed first (the race itself is too narrow to meet on demand;
    who closes is not)."""
    base, api_port = gateway_to_mentorship
    # Every upstream block of the gateway (all lead to this one API here: 404 outside its own paths).
    urls = [f"{base}/api/v1/{name}/requests" for name in config.SERVICES]
    expected = {name: 422 if name == "mentorship" else 404 for name in config.SERVICES}
    headers = {"Authorization": "Bearer " + signing_keys.mint("mentee")}
    pauses = [GATEWAY_IDLE - 0.05, GATEWAY_IDLE, GATEWAY_IDLE + 0.05,
              API_IDLE - 0.05, API_IDLE, API_IDLE + 0.05, API_IDLE + 0.5, API_IDLE + 1.0]
    wrong: list = []
    lock = threading.Lock()
    sessions = [requests.Session() for _ in range(6)]
    sent = [0]

    def post(session: requests.Session, name: str) -> None:
        r = session.post(f"{base}/api/v1/{name}/requests", json={"message": "no mentor named"}, headers=headers,
                         timeout=10)
        with lock:
            sent[0] += 1
            if r.status_code != expected[name]:
                wrong.append((name, r.status_code, r.text[:200]))

    for pause in pauses:
        time.sleep(pause)
        burst = [threading.Thread(target=post, args=(s, name))  # several connections per upstream
                 for s in sessions for name in config.SERVICES]
        for t in burst:
            t.start()
        for t in burst:
            t.join(15)
        for name in config.SERVICES:
            post(sessions[0], name)  # and one alone, on the connection used last
    for s in sessions:
        s.close()
    assert sent[0] == len(pauses) * len(urls) * (len(sessions) + 1)
    assert not wrong, wrong[:5]
    time.sleep(API_IDLE + 1.2)  # past the API's idle timeout and gunicorn's next look at its connections
    by_api, by_gateway = closed_first(api_port)
    assert by_api == 0 and by_gateway > 0, (by_api, by_gateway)


def test_every_service_runs_a_view_again_after_a_conflict(service_app):
    """The retry is the app factory's, so every service has it (tried on its own app below)."""
    for name in config.SERVICES:
        assert getattr(service_app(name).dispatch_request, "retries_conflicts", False), name


def test_api_processes_and_mmm_api_share_one_command_line():
    """The tests', the benchmarks' and `mmm api`'s API processes are started alike (keep-alive, hooks)."""
    from mmm.cli import api_argv

    argv = api_argv("mentorship")
    assert argv[argv.index("--keep-alive") + 1] == serve.keepalive() == "75"
    assert argv[argv.index("--config") + 1] == "python:shared.gunicorn_conf"
    ours = serve.gunicorn_argv("mentorship", argv[argv.index("--bind") + 1], workers=argv[argv.index("--workers") + 1],
                               threads=argv[argv.index("--threads") + 1])
    assert ours == argv


# --- directory: the search_state row between the API and the worker's batches ---------------------------------

DIRECTORY = "/api/v1/directory"
MENTORS = 8
ROUNDS = 30


def deadlocks(database: db.Database) -> int:
    """Deadlocks PostgreSQL has detected in this database (its statistics: closed connections have
    reported theirs)."""
    database.engine.dispose()
    time.sleep(0.7)
    with database.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        return conn.scalar(sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))


def test_publish_and_unpublish_while_event_batches_run_never_deadlock(service_app, signing_keys):
    from services.directory.events import handlers
    from tests.directory.conftest import World, profile

    app = service_app("directory")
    database = db_of(app)
    world = World(app, app.test_client(), signing_keys)
    inst = uuid.uuid4()
    mentors = [world.mentor(inst, name=f"Dr. Seam {i}", profile=profile(scope="local")) for i in range(MENTORS)]
    before = deadlocks(database)
    statuses: Counter = Counter()
    lock, stop, worker_errors, batches = threading.Lock(), threading.Event(), [], [0]

    def mentor_clicks(mentor: dict) -> None:
        client = app.test_client()
        for n in range(ROUNDS):
            if n % 2 == 0:
                r = client.post(DIRECTORY + "/me/profile/unpublish", headers=mentor["headers"])
            else:
                r = client.post(DIRECTORY + "/me/profile/publish", json={"consent_to_search": True},
                                headers=mentor["headers"])
            with lock:
                statuses[r.status_code] += 1

    def consumer() -> None:
        """Batches of events about these mentors, each batch one transaction, as the consumer's fast path."""
        rng = random.Random(14)
        while not stop.is_set():
            bodies = []
            for mentor in rng.sample(mentors, 5):
                now = datetime.now(timezone.utc)
                bodies.append(envelope.build("RequestAccepted", {
                    "request_id": uuid.uuid4(), "mentee_id": uuid.uuid4(), "mentor_id": mentor["uuid"],
                    "mentorship_id": uuid.uuid4(), "created_at": now, "responded_at": now}))
            try:
                with database.unit_of_work() as session:
                    for body in bodies:
                        event = envelope.parse(body)
                        handlers.get(event.type.type)(session, event)
                batches[0] += 1
            except Exception as exc:  # noqa: BLE001 - counted: the test wants none
                worker_errors.append(repr(exc)[:300])

    worker = threading.Thread(target=consumer)
    worker.start()
    threads = [threading.Thread(target=mentor_clicks, args=(m,)) for m in mentors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    worker.join(60)
    for mentor in mentors:  # out of other tests' searches
        world.call("post", "/me/profile/unpublish", mentor["headers"], expect=200)
    assert statuses == {200: MENTORS * ROUNDS}, statuses
    assert not worker_errors, worker_errors[:3]
    assert batches[0] > 0
    assert deadlocks(database) == before


def test_the_search_version_moves_last_and_once_per_transaction(service_app):
    """touch_search defers its update to the commit: several changes in one transaction move the
    version once; a rolled-back transaction moves nothing."""
    from services.directory import service

    database = db_of(service_app("directory"))
    read = sa.text("SELECT version FROM search_state WHERE id = 1")
    with database.unit_of_work() as session:
        start = session.scalar(read)
        service.touch_search(session)
        service.touch_search(session)
        assert session.scalar(read) == start  # not yet: at the commit
    with database.engine.connect() as conn:
        assert conn.scalar(read) == start + 1
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        service.touch_search(session)
        raise RuntimeError("rolled back")
    with database.unit_of_work() as session:
        pass
    with database.engine.connect() as conn:
        assert conn.scalar(read) == start + 1


# --- the shared answer to a conflict: retry, else 503 ------------------------------------------------------------

@pytest.fixture(scope="module")
def conflict_app(infrastructure):
    """A service app of its own (one blueprint) on a database of this run, with two rows to fight over."""
    url = config.database_url("seams")
    db.ensure_database(url)
    calls: Counter = Counter()
    bp = Blueprint("seams", __name__, url_prefix="/x")
    gate = threading.Barrier(2)

    @bp.route("/cross/<int:first>/<int:second>")
    class Cross(MethodView):
        def post(self, first: int, second: int):
            """Lock two rows in the order given; the first attempts of two such requests meet at a barrier."""
            calls[f"cross{first}{second}"] += 1
            with database.unit_of_work() as session:
                session.execute(sa.text("UPDATE seam_rows SET n = n + 1 WHERE id = :i"), {"i": first})
                if calls[f"cross{first}{second}"] == 1:
                    gate.wait(10)
                session.execute(sa.text("UPDATE seam_rows SET n = n + 1 WHERE id = :i"), {"i": second})
            return {"ok": True}

    @bp.route("/always")
    class Always(MethodView):
        def post(self):
            calls["always"] += 1
            with database.unit_of_work() as session:
                session.execute(sa.text("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$"))
            return {"ok": True}

    @bp.route("/after-commit")
    class AfterCommit(MethodView):
        def post(self):
            calls["after-commit"] += 1
            with database.unit_of_work() as session:
                session.execute(sa.text("UPDATE seam_rows SET n = n + 1 WHERE id = 1"))
            with database.unit_of_work() as session:
                session.execute(sa.text("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40P01'; END $$"))
            return {"ok": True}

    app = create_service_app("seams", [bp], title="seams", description="test", overrides={"DATABASE_URL": url})
    database = db_of(app)
    with database.unit_of_work() as session:
        session.execute(sa.text("DROP TABLE IF EXISTS seam_rows"))
        session.execute(sa.text("CREATE TABLE seam_rows (id int PRIMARY KEY, n int NOT NULL)"))
        session.execute(sa.text("INSERT INTO seam_rows VALUES (1, 0), (2, 0)"))
    yield app, calls, database
    database.dispose()


def test_a_request_that_lost_a_deadlock_is_run_again(conflict_app):
    app, calls, database = conflict_app
    results = []

    def cross(first: int, second: int) -> None:
        r = app.test_client().post(f"/api/v1/seams/x/cross/{first}/{second}")
        results.append(r.status_code)

    threads = [threading.Thread(target=cross, args=pair) for pair in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200, 200]
    assert calls["cross12"] + calls["cross21"] == 3  # PostgreSQL aborted one; it ran again
    with database.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM seam_rows ORDER BY id")).scalars().all() == [2, 2]


def test_a_conflict_that_persists_is_503_with_retry_after(conflict_app):
    app, calls, _ = conflict_app
    r = app.test_client().post("/api/v1/seams/x/always")
    assert r.status_code == 503 and r.headers["Retry-After"] == str(contention.RETRY_AFTER_SECONDS)
    assert r.content_type == "application/problem+json"
    assert r.get_json()["type"].endswith("/busy") and "try again" in r.get_json()["detail"]
    assert calls["always"] == contention.RETRY_ATTEMPTS


def test_a_request_is_not_run_again_once_it_committed_something(conflict_app):
    app, calls, database = conflict_app
    with database.engine.connect() as conn:
        before = conn.scalar(sa.text("SELECT n FROM seam_rows WHERE id = 1"))
    r = app.test_client().post("/api/v1/seams/x/after-commit")
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert calls["after-commit"] == 1
    with database.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT n FROM seam_rows WHERE id = 1")) == before + 1  # once, not twice


# --- identity's keys after identity was unreachable -----------------------------------------------------------

def test_an_api_started_while_identity_was_down_trusts_its_keys_within_a_second(service_app, tmp_path):
    """training starts while nothing answers at identity's address; identity starts there; a token
    identity issued is accepted within JWKS_MIN_REFRESH (1 s) and a bit — and while identity is down,
    a token is answered 503 with Retry-After (the sign-in service is unreachable), not 401."""
    from services.identity.cli import create_operator

    identity_app = service_app("identity")
    service_app("training")
    email, password = f"ops-{uuid.uuid4().hex[:8]}@example.org", "a long operator password"
    create_operator(email, "Seam Operator", password)
    # identity's token, signed with a key of its database (the identity process started below publishes it)
    token = identity_app.test_client().post("/api/v1/identity/auth/token",
                                            json={"email": email, "password": password}).get_json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    port = free_port()
    identity = f"http://127.0.0.1:{port}/api/v1/identity"
    quiet = {"LOG_LEVEL": "WARNING"}
    with ApiProcesses("training", {**quiet, "AUTH_JWKS_URL": identity + "/.well-known/jwks.json",
                                   "JWKS_MIN_REFRESH": "1"}, count=1, workers=1,
                      log_dir=str(tmp_path / "training")) as training:
        modules = training.urls[0] + "/api/v1/training/authoring/modules"
        down = requests.get(modules, headers=auth, timeout=10)
        assert down.status_code == 503, down.text
        assert down.headers["Retry-After"] and down.json()["type"].endswith("/keys-unavailable")
        with ApiProcesses("identity", quiet, count=1, ports=[port], log_dir=str(tmp_path / "identity")):
            up = time.monotonic()  # identity answers /healthz from here
            while True:
                r = requests.get(modules, headers=auth, timeout=10)
                if r.status_code == 200:
                    break
                assert r.status_code == 503, r.text  # never 401: the token is good
                assert time.monotonic() - up < 2.5, "training still refuses identity's token"
                time.sleep(0.05)
            assert time.monotonic() - up < 2.5


# --- gunicorn's control socket ----------------------------------------------------------------------------------------

def test_each_gunicorn_master_has_its_own_control_socket(service_app, signing_keys, tmp_path):
    from gunicorn.ctl.client import ControlClient

    service_app("training")
    with JwksServer(signing_keys) as jwks, ApiProcesses(
            "training", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=2, workers=1,
            log_dir=str(tmp_path)) as apis:
        sockets = []
        for url in apis.urls:
            port = url.rsplit(":", 1)[1]
            path = serve.run_dir() / "api" / f"mmm-training-api-{port}.ctl"
            deadline = time.monotonic() + 10  # the master opens it once its workers are spawned
            while not path.exists():
                assert time.monotonic() < deadline, f"no control socket at {path}"
                time.sleep(0.1)
            with ControlClient(str(path), timeout=10) as client:
                listeners = client.send_command("show listeners")
            assert any(port in str(item.get("address")) for item in listeners["listeners"]), listeners
            sockets.append(path)
        assert len(set(sockets)) == 2
    assert not any(p.exists() for p in sockets)  # removed when the master stops
