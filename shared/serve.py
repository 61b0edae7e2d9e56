"""How an API process is served: gunicorn's command line and its hooks, the same for `mmm api`, the tests'
and the benchmarks' API processes (shared/testing.py ApiProcesses).

- Keep-alive: an API keeps an idle connection open longer (API_KEEPALIVE, 75 s) than the gateway keeps
  an idle upstream connection (its `keepalive_timeout`, 30 s), so the gateway always closes first and
  never sends a request on a connection the API is closing (that request came back 502).
- Metrics: gunicorn runs several worker processes; each counts its own requests. Every master gets its
  own directory for prometheus-client's multiprocess mode, emptied when the master starts, so that a
  scrape of /metrics (answered by any worker) adds up every worker's counters, those of workers that
  exited included (`child_exit` marks them dead).
- Control socket: gunicorn's control socket (`gunicornc`) would be ~/.gunicorn/gunicorn.ctl for every
  master on the machine, each taking it from the one before. Each master gets its own beside its
  metrics directory, or none with API_CONTROL_SOCKET=off.

Both live under <run dir>/api/<name>-<port>[.ctl] (run dir: MMM_RUN_DIR, else .run in the checkout).
"""
from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from pathlib import Path

from shared import config

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
# A Unix socket's path has at most 107 bytes on Linux; beyond that the master runs without one.
_MAX_SOCKET_PATH = 100


def run_dir() -> Path:
    return Path(config.env("MMM_RUN_DIR", str(REPO_ROOT / ".run")))


def keepalive() -> str:
    return config.env("API_KEEPALIVE", "75")


def gunicorn_argv(service: str, bind: str, *, workers: int | str, threads: int | str,
                  keep_alive: int | str | None = None, name: str | None = None) -> list[str]:
    """The command line of a service's API: gunicorn (gthread) with this module's hooks."""
    return [sys.executable, "-m", "gunicorn", "--config", "python:shared.gunicorn_conf",
            "--bind", bind, "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--graceful-timeout", "20", "--timeout", "60", "--error-logfile", "-",
            # longer than the gateway's upstream keepalive_timeout (30 s): the gateway, not the API,
            # closes an idle kept-alive connection, so no request is sent on one being closed
            "--keep-alive", str(keep_alive if keep_alive is not None else keepalive()),
            "--name", name or f"mmm-{service}-api", f"services.{service}.app:create_app()"]


def _instance(server) -> str:
    """<proc name>-<port of the first address bound>: one per master on a machine."""
    bind = (server.cfg.bind or ["api"])[0]
    port = bind.rsplit(":", 1)[-1] if ":" in bind else Path(bind).name
    name = server.cfg.proc_name or "gunicorn"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{name}-{port}")


def metrics_dir(server) -> Path:
    return run_dir() / "api" / _instance(server)


def on_starting(server) -> None:
    """In the master, before any worker: a fresh metrics directory (workers inherit its environment
    variable and import prometheus-client after it is set), and this master's own control socket."""
    directory = metrics_dir(server)
    shutil.rmtree(directory, ignore_errors=True)  # counters of an earlier run of this API: not this one's
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a run dir this user may not write: a private directory keeps metrics whole
        directory = Path(tempfile.mkdtemp(prefix=f"{_instance(server)}-"))
        server.log.warning("cannot write %s (%s); metrics in %s", metrics_dir(server), exc, directory)
    config.set_metrics_dir(str(directory))
    if not config.flag("API_CONTROL_SOCKET", "on"):
        server.cfg.set("control_socket_disable", True)
        return
    socket_path = directory.with_name(directory.name + ".ctl")
    if len(str(socket_path)) > _MAX_SOCKET_PATH:
        server.log.warning("control socket path too long, none: %s", socket_path)
        server.cfg.set("control_socket_disable", True)
    else:
        server.cfg.set("control_socket", str(socket_path))


def child_exit(server, worker) -> None:
    """A worker exited (stopped, killed, restarted): its counters stay counted; its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    directory = config.metrics_dir()
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
