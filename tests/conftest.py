"""Fixtures for every test: this run's own databases and broker names, removed at the end."""
from __future__ import annotations

import os
import shutil
import tempfile
import weakref

import pytest

from shared import testing
from shared.config import environment, export, export_default

RUN_ID = testing.new_run_id()
SEARCH_INDEX_DIR = os.path.join(tempfile.gettempdir(), f"mmm-search-index-{RUN_ID}")


# The fast tier (`make test-fast`, `pytest -m "not slow"`): rules and use-case tests, each in a
# transaction rolled back at its end. Tests that need what they write committed — because another
# connection, thread, process, the broker or the running platform must see it — are marked slow.
SLOW_FIXTURES = {"running_platform"}


def pytest_collection_modifyitems(config, items):
    """A test that runs the whole platform, or stops the broker or kills processes, is slow by that alone."""
    for item in items:
        if SLOW_FIXTURES & set(item.fixturenames) or item.get_closest_marker("fault"):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    # Set before any service module reads its configuration.
    export(MMM_DATABASE_PREFIX=RUN_ID, MMM_BROKER_PREFIX=RUN_ID)
    export_default(MMM_RETRY_DELAY="PT0.5S", JWKS_MIN_REFRESH="0")
    # Tests accept invitations with the token from the inviter's response (off in production, where only
    # the invitation e-mail carries it); the test platform inherits this too.
    export_default(IDENTITY_INVITATION_TOKEN_IN_RESPONSE="on")
    # The directory's search index snapshots: this run's own directory, removed at the end.
    export(DIRECTORY_SEARCH_INDEX_DIR=SEARCH_INDEX_DIR)


@pytest.fixture(scope="session")
def infrastructure():
    infra = testing.start_infrastructure()
    export(MMM_POSTGRES_URL=infra.postgres_url, AMQP_URL=infra.amqp_url)
    testing.remove_stale(infra.postgres_url)
    yield infra
    for engine in _ROLLBACK_ENGINES.values():
        engine.dispose()
    testing.drop_run_databases(infra.postgres_url, RUN_ID)
    shutil.rmtree(SEARCH_INDEX_DIR, ignore_errors=True)
    from shared import config
    from shared.events import broker

    try:
        broker.delete(RUN_ID, list(config.SERVICES) + ["probe", "probe2"])
    except Exception:  # noqa: BLE001 - broker stopped by a failed fault test; stale cleanup gets it later
        pass
    infra.close()


@pytest.fixture(scope="session")
def run_id():
    return RUN_ID


@pytest.fixture(scope="session")
def signing_keys():
    return testing.SigningKeys()


_SERVICE_DATABASES = weakref.WeakSet()  # the database of every app service_app made, held by each fast test
_ROLLBACK_ENGINES: dict = {}  # the rolled-back tests' connections, one engine per database for the run
_rolled_back: list = []  # the running fast test's RolledBack, while it runs


@pytest.fixture(autouse=True)
def rolled_back(request):
    """Unless the test is marked slow: everything it writes through the service apps' sessions is undone
    at its end (shared.testing.RolledBack), so fast tests share the run's databases without a trace."""
    if request.node.get_closest_marker("slow"):
        yield None
        return
    scope = testing.RolledBack(_ROLLBACK_ENGINES)
    for database in list(_SERVICE_DATABASES):
        scope.hold(database)
    _rolled_back.append(scope)
    try:
        yield scope
    finally:
        _rolled_back.remove(scope)
        scope.close()


@pytest.fixture(scope="session")
def service_app(infrastructure, signing_keys):
    """`service_app("training")`: that service's app on this run's migrated database, test keys trusted."""
    from shared import migrations
    from mmm.services import load

    apps = {}

    def make(name: str, **overrides):
        # An app built with overrides is the caller's own: caching it would hand other tests an app
        # configured for someone else (a different JWKS, shrunk durations).
        if name in apps and not overrides:
            return apps[name]
        migrations.upgrade(name)
        config = {"AUTH_JWKS_LOADER": lambda: signing_keys.jwks, "TESTING": True, **overrides}
        app = load(name).create_app(config)
        if not overrides:
            apps[name] = app
        from shared.app import db_of

        _SERVICE_DATABASES.add(db_of(app))
        for scope in _rolled_back:  # made during a fast test: its writes are undone too
            scope.hold(db_of(app))
        return app

    return make


PLATFORM_PREFIX = RUN_ID + "_p"


@pytest.fixture()
def platform(running_platform, monkeypatch):
    """The gateway's base URL of the running platform. During the test, this process's database and
    broker prefix are the platform's, so a test can look into its databases and broker."""
    monkeypatch.setenv("MMM_DATABASE_PREFIX", PLATFORM_PREFIX)
    monkeypatch.setenv("MMM_BROKER_PREFIX", PLATFORM_PREFIX)
    return running_platform


@pytest.fixture(scope="session")
def platform_base():
    """MMM_PORT_BASE of the running platform: its APIs on base+1.., workers on base+101.., mail sink
    (its config.MAIL_SINK_PORT) on base+25, gateway on base+180 — ports free when it is chosen."""
    import socket

    for base in range(20000 + (os.getpid() % 200) * 200, 60000, 200):
        ports = [base + 1 + i for i in range(6)] + [base + 101 + i for i in range(6)] + [base + 25, base + 180]
        ok = True
        for port in ports:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports for the platform")


@pytest.fixture(scope="session")
def platform_run_dir(tmp_path_factory):
    """The running platform's MMM_RUN_DIR (its Procfile, gateway files, log and mail)."""
    return tmp_path_factory.mktemp("platform")


@pytest.fixture(scope="session")
def platform_mail_dir(running_platform, platform_run_dir):
    """The Maildir where the running platform's mail sink keeps every mail its services send; read it
    with shared.testing.read_mails / wait_for_mail."""
    return platform_run_dir / "mail"


@pytest.fixture(scope="session")
def platform_smtp(running_platform, platform_base) -> tuple[str, int]:
    """(host, port) of the running platform's mail sink."""
    return "127.0.0.1", platform_base + 25


def _terminate_with_parent() -> None:
    """In the platform's first process (which becomes honcho): SIGTERM when the test run dies, however it
    dies (kill -9, a timeout), so that a crashed run leaves no platform holding the database's
    connections and ports (Linux prctl PR_SET_PDEATHSIG; kept across exec)."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


@pytest.fixture(scope="session")
def running_platform(infrastructure, platform_base, platform_run_dir):
    """The whole platform as `mmm up` starts it (gateway, six APIs, six workers, the mail sink), on ports
    and on databases and a broker prefix of its own — apart from the in-process service tests, whose
    outbox and jobs its workers would otherwise handle. Yields the gateway's base URL."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    base, run_dir = platform_base, platform_run_dir
    env = {"MMM_DATABASE_PREFIX": PLATFORM_PREFIX, "MMM_BROKER_PREFIX": PLATFORM_PREFIX,
           "MMM_PORT_BASE": str(base), "MMM_GATEWAY_LISTEN": f"127.0.0.1:{base + 180}",
           "MMM_RUN_DIR": str(run_dir), "API_WORKERS": "1", "GATEWAY_SIGNIN_RATE": "600r/m",
           "GATEWAY_SIGNIN_BURST": "100", "PYTHONUNBUFFERED": "1",
           # Its mails go to its own sink, whatever this shell sets for the notifications service.
           "MMM_SMTP_LISTEN": f"127.0.0.1:{base + 25}", "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
           "NOTIFICATIONS_SMTP_PORT": str(base + 25), "NOTIFICATIONS_SMTP_SECURITY": "none",
           # The program's own deadlines (14 days); its jobs run often, so that a test which moves a
           # deadline (journeys.expire_soon) sees the reminder and the expiry within seconds.
           "MENTORSHIP_RESPOND_BY": "P14D", "MENTORSHIP_REMIND_AFTER": "P7D", "MENTORSHIP_JOB_INTERVAL": "PT0.5S",
           "EVALUATION_JOB_INTERVAL": "PT0.5S"}
    log = open(run_dir / "platform.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "mmm.cli", "up"], cwd=Path(__file__).parents[1],
                            env=environment(**env),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_terminate_with_parent)
    url = f"http://127.0.0.1:{base + 180}"
    deadline = time.monotonic() + 180
    try:
        while True:
            text = (run_dir / "platform.log").read_text()
            if "MentorMeMed is running." in text:
                break
            if proc.poll() is not None or "not ready after" in text or time.monotonic() > deadline:
                raise RuntimeError(f"the platform did not start:\n{text[-5000:]}")
            time.sleep(0.5)
        yield url
    finally:
        testing.stop_process_group(proc, timeout=30)
        log.close()
        from shared import config
        from shared.events import broker

        try:
            broker.delete(PLATFORM_PREFIX, list(config.SERVICES))
        except Exception:  # noqa: BLE001 - removed by a later run's stale cleanup
            pass
