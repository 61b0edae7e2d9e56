"""Configuration from environment variables, with safe local defaults. This module is the only one that
reads or sets the process environment: services build their frozen Settings from `setting`, `flag` and
`duration` once at start (services/<name>/settings.py); processes started from here get `environment()`."""
from __future__ import annotations

import contextlib
import os
import re
from datetime import timedelta

SERVICES = ("identity", "directory", "mentorship", "training", "evaluation", "notifications")

# Local ports: API of service i on BASE+1+i, its worker's health/metrics server on BASE+101+i, the
# local mail sink (`mmm mail`, SMTP) on BASE+25 (BASE = MMM_PORT_BASE, 8100 by default), so that a
# second platform (a test run) can run beside one. MAIL_SINK_PORT is also the notifications service's
# default NOTIFICATIONS_SMTP_PORT.
_PORT_BASE = int(os.environ.get("MMM_PORT_BASE") or 8100)
API_PORTS = {name: _PORT_BASE + 1 + i for i, name in enumerate(SERVICES)}
WORKER_PORTS = {name: _PORT_BASE + 101 + i for i, name in enumerate(SERVICES)}
MAIL_SINK_PORT = _PORT_BASE + 25  # the local run's SMTP server (mmm mail)
PGBOUNCER_PORT = _PORT_BASE + 32  # the local run's PgBouncer (MMM_PGBOUNCER=1 mmm up)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def setting(name: str, default: str | None, overrides=None) -> str | None:
    """A service setting: the app config (or overrides mapping) of that name, else the environment
    variable, else the default."""
    value = (overrides or {}).get(name)
    return str(value) if value not in (None, "") else env(name, default)


def flag(name: str, default: str, overrides=None) -> bool:
    """A setting read as on/off ("off", "0", "false", "no" are off)."""
    return setting(name, default, overrides).strip().lower() not in ("off", "0", "false", "no")


def environment(**overrides: str) -> dict[str, str]:
    """The environment of a process started from this one: a copy of this process's with `overrides`,
    without PYTEST_CURRENT_TEST (pytest's note of the test in hand, not the child's)."""
    merged = {**os.environ, **{name: str(value) for name, value in overrides.items()}}
    merged.pop("PYTEST_CURRENT_TEST", None)
    return merged


def export(**values: str) -> None:
    """Set variables of this process's environment: what it configures afterwards reads them, and the
    processes it starts inherit them (gunicorn's workers, a test run's platform)."""
    os.environ.update({name: str(value) for name, value in values.items()})


def export_default(**values: str) -> None:
    """`export` of the variables not set already (a value the caller's shell gives wins)."""
    for name, value in values.items():
        os.environ.setdefault(name, str(value))


@contextlib.contextmanager
def exported(**values: str):
    """`export` for the duration of a `with` block; the variables are as they were afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    export(**values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def log_level() -> str:
    return env("LOG_LEVEL", "INFO")


# prometheus-client's multiprocess mode reads this variable: the directory where the gunicorn workers of
# one API keep their metrics (shared/serve.py sets it in the master, before any worker starts).
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir() -> str | None:
    return env(METRICS_DIR_VARIABLE)


def set_metrics_dir(directory: str) -> None:
    export(**{METRICS_DIR_VARIABLE: directory})


def amqp_url() -> str:
    return env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def broker_prefix() -> str:
    """Prefix of every exchange and queue name, so that test runs never collide."""
    return env("MMM_BROKER_PREFIX", "mmm")


def postgres_url() -> str:
    """Server URL used to create missing databases."""
    return env("MMM_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pgbouncer_url() -> str | None:
    """Server URL of a PgBouncer in transaction mode (MMM_PGBOUNCER_URL), or None: when set, every
    pooled connection of the services goes through it, and what cannot (LISTEN, migrations, creating
    databases) goes straight to PostgreSQL (`direct_database_url`)."""
    return env("MMM_PGBOUNCER_URL")


def database_name(service: str) -> str:
    return f"{env('MMM_DATABASE_PREFIX', 'mmm')}_{service}"


def database_url(service: str) -> str:
    """The URL of a service's pooled connections (through PgBouncer when MMM_PGBOUNCER_URL is set)."""
    explicit = env(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    base = (pgbouncer_url() or postgres_url()).rsplit("/", 1)[0]
    return f"{base}/{database_name(service)}"


def direct_database_url(service: str) -> str:
    """The URL of a service's database on PostgreSQL itself, never through PgBouncer: for LISTEN,
    migrations and anything else that needs a session of its own."""
    explicit = env(f"{service.upper()}_DIRECT_DATABASE_URL")
    if explicit:
        return explicit
    if env(f"{service.upper()}_DATABASE_URL") and not pgbouncer_url():
        return env(f"{service.upper()}_DATABASE_URL")
    base = postgres_url().rsplit("/", 1)[0]
    return f"{base}/{database_name(service)}"


# The connection budget (docs/architecture.md, "Connection budget"): every engine of a process draws
# from a pool of MMM_DB_POOL_SIZE kept connections plus MMM_DB_MAX_OVERFLOW opened under load and
# closed when returned; a request waits at most MMM_DB_POOL_TIMEOUT seconds for one (then 503).
# Workers have their own sizes (MMM_WORKER_DB_*): their threads take turns on few connections.
POOL_DEFAULTS = {
    "api": {"MMM_DB_POOL_SIZE": "1", "MMM_DB_MAX_OVERFLOW": "1", "MMM_DB_POOL_TIMEOUT": "5"},
    "worker": {"MMM_WORKER_DB_POOL_SIZE": "1", "MMM_WORKER_DB_MAX_OVERFLOW": "2",
               "MMM_WORKER_DB_POOL_TIMEOUT": "30"},
}


def pool_settings(role: str = "api", overrides=None) -> dict:
    """{"pool_size", "max_overflow", "pool_timeout"} of a process's engines: role "api" or "worker"."""
    names = list(POOL_DEFAULTS[role].items())
    (size_name, size), (overflow_name, overflow), (timeout_name, timeout) = names
    return {"pool_size": int(setting(size_name, size, overrides)),
            "max_overflow": int(setting(overflow_name, overflow, overrides)),
            "pool_timeout": float(setting(timeout_name, timeout, overrides))}


def prepared_statements(overrides=None) -> bool:
    """Server-side prepared statements: off through PgBouncer in transaction mode (a statement
    prepared on one server connection is unknown on the next), otherwise on."""
    return flag("MMM_DB_PREPARED_STATEMENTS", "off" if pgbouncer_url() else "on", overrides)


def retry_after() -> str:
    """Seconds a client is told to wait (Retry-After) when the database is busy or unreachable."""
    return env("MMM_RETRY_AFTER", "2")


def service_url(service: str) -> str:
    """Internal base URL of a service's API (used for the rare synchronous read)."""
    return env(f"{service.upper()}_URL", f"http://127.0.0.1:{API_PORTS[service]}")


_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO-8601 duration without years or months (ambiguous lengths): P14D, PT2S, P1DT12H, P2W."""
    match = _ISO_DURATION.match(text.strip().upper())
    if not match:
        raise ValueError(f"not an ISO-8601 duration (weeks, days, hours, minutes, seconds): {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)


def duration(name: str, default: str, overrides=None) -> timedelta:
    """A setting read as an ISO-8601 duration (`parse_duration`)."""
    return parse_duration(setting(name, default, overrides))
