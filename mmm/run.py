"""`mmm up`: the whole platform on loopback under one process manager (honcho).

Gateway (nginx), six APIs (gunicorn) and six workers, each a line of a generated Procfile.
Ctrl-C or `mmm down` stops them all; `mmm up` refuses to start, naming what is missing, when
PostgreSQL or RabbitMQ cannot be reached.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import requests

from shared import config

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = Path(config.env("MMM_RUN_DIR", str(REPO / ".run")))
PID_FILE = RUN_DIR / "mmm.pid"


def gateway_listen() -> str:
    return config.env("MMM_GATEWAY_LISTEN", "127.0.0.1:8080")


def gateway_url() -> str:
    return f"http://{gateway_listen()}"


def _procfile(gateway_cmd: list[str], demo: bool) -> str:
    mmm = f"{sys.executable} -m mmm.cli"
    lines = ["gateway: " + " ".join(f"'{part}'" if " " in part else part for part in gateway_cmd)]
    for name in config.SERVICES:
        lines.append(f"{name}-api: {mmm} api {name}")
        lines.append(f"{name}-worker: {mmm} worker {name}")
    lines.append(f"ready: {mmm} announce" + (" --demo" if demo else ""))
    return "\n".join(lines) + "\n"


def up(demo: bool = False) -> int:
    from mmm import preflight
    from shared import gateway

    found = preflight.problems()
    if preflight.nginx_missing():
        found.append("nginx is not installed: run `make up` (it installs nginx from Debian's packages) "
                     "or `apt-get install nginx-light`.")
    if found:
        for line in found:
            print(f"mmm up: {line}", file=sys.stderr)
        return 1
    if PID_FILE.exists():
        try:
            os.kill(int(PID_FILE.read_text()), 0)
            print(f"mmm up: already running (pid {PID_FILE.read_text().strip()}); `make down` stops it.",
                  file=sys.stderr)
            return 1
        except (OSError, ValueError):
            PID_FILE.unlink()
    from mmm.cli import main as mmm_main

    print("== migrating databases")
    mmm_main(["migrate"])
    print("== declaring broker topology")
    mmm_main(["topology"])
    if demo:
        # The demo loader signs in some forty times; the production-like 10/min sign-in limit would
        # stretch that to minutes. A demo platform is local and throwaway: relax it unless set.
        os.environ.setdefault("GATEWAY_SIGNIN_RATE", "600r/m")
        os.environ.setdefault("GATEWAY_SIGNIN_BURST", "100")
    runtime = RUN_DIR / "gateway"
    runtime.mkdir(parents=True, exist_ok=True)
    conf = gateway.render(gateway.local_values(runtime, listen=gateway_listen()), out=runtime / "nginx.conf")
    gateway.check_config(runtime, conf)
    procfile = RUN_DIR / "Procfile"
    procfile.write_text(_procfile(gateway.nginx_command(runtime, conf), demo))
    PID_FILE.write_text(str(os.getpid()))
    print(f"== starting gateway, {len(config.SERVICES)} APIs and {len(config.SERVICES)} workers (Ctrl-C stops)")
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-d", str(REPO),
                              "--no-colour"])
    return 0


def down() -> int:
    if not PID_FILE.exists():
        print("mmm down: nothing is running (no .run/mmm.pid).")
        return 0
    pid = int(PID_FILE.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        PID_FILE.unlink(missing_ok=True)
        print("mmm down: it had already stopped.")
        return 0
    for _ in range(300):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    PID_FILE.unlink(missing_ok=True)
    print("mmm down: stopped.")
    return 0


def wait_ready(timeout: float = 120.0) -> list[str]:
    """Wait until the gateway and every API and worker answer /readyz; returns what never did."""
    targets = {"gateway": gateway_url() + "/healthz"}
    for name in config.SERVICES:
        targets[f"{name}-api"] = f"http://127.0.0.1:{config.API_PORTS[name]}/readyz"
        targets[f"{name}-worker"] = f"http://127.0.0.1:{config.WORKER_PORTS[name]}/readyz"
    pending = dict(targets)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, url in list(pending.items()):
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    del pending[key]
            except requests.RequestException:
                pass
        if pending:
            time.sleep(0.5)
    return sorted(pending)


def announce(demo: bool = False) -> int:
    """The Procfile's last line: says where to go once everything answers, then waits."""
    missing = wait_ready()
    if missing:
        print(f"not ready after 120 s: {', '.join(missing)} (see their lines above)", flush=True)
        return 1
    lines = ["", "MentorMeMed is running.", f"  Gateway:  {gateway_url()}/",
             *(f"  {name:<14} {gateway_url()}/api/v1/{name}/openapi.json" for name in config.SERVICES),
             "  Stop:     Ctrl-C here, or `make down` from another terminal", ""]
    print("\n".join(lines), flush=True)
    if demo:
        load_demo()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        time.sleep(1)
    return 0


def load_demo() -> int:
    from demo import loader

    return loader.main(gateway_url())
