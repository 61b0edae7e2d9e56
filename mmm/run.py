"""`mmm up`: the whole platform on loopback under one process manager (honcho).

Gateway (nginx), six APIs (gunicorn), six workers and the mail sink (`mmm mail`, a real SMTP server
keeping every mail in <run dir>/mail), each a line of a generated Procfile.
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


def _procfile(gateway_cmd: list[str], demo: bool, pgbouncer_cmd: list[str] | None = None) -> str:
    mmm = f"{sys.executable} -m mmm.cli"
    lines = ["gateway: " + " ".join(f"'{part}'" if " " in part else part for part in gateway_cmd)]
    if pgbouncer_cmd:
        lines.append("pgbouncer: " + " ".join(pgbouncer_cmd))
    for name in config.SERVICES:
        lines.append(f"{name}-api: {mmm} api {name}")
        lines.append(f"{name}-worker: {mmm} worker {name}")
    lines.append(f"mail: {mmm} mail")
    lines.append(f"ready: {mmm} announce" + (" --demo" if demo else ""))
    return "\n".join(lines) + "\n"


def up(demo: bool = False) -> int:
    from mmm import preflight
    from shared import gateway

    from mmm import pgbouncer

    found = preflight.problems()
    if pgbouncer.enabled() and not pgbouncer.binary():
        found.append("MMM_PGBOUNCER is on but pgbouncer is not installed: `apt-get install pgbouncer`.")
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
        config.export_default(GATEWAY_SIGNIN_RATE="600r/m", GATEWAY_SIGNIN_BURST="100")
    # Inherited by every process of the Procfile. Links in mails lead to this gateway. Webhook URLs
    # may name loopback and private addresses: on a local run the receivers an integrator tries out
    # are local too (in production such URLs are refused, against requests into the private network).
    config.export_default(NOTIFICATIONS_PUBLIC_URL=gateway_url(), NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE="on")
    if not config.env("NOTIFICATIONS_SMTP_HOST") and not config.env("NOTIFICATIONS_SMTP_PORT"):
        # No mail server configured: mails go to the local sink, wherever MMM_SMTP_LISTEN put it.
        host, port = smtp_address()
        config.export(NOTIFICATIONS_SMTP_HOST=host, NOTIFICATIONS_SMTP_PORT=str(port))
    runtime = RUN_DIR / "gateway"
    runtime.mkdir(parents=True, exist_ok=True)
    conf = gateway.render(gateway.local_values(runtime, listen=gateway_listen()), out=runtime / "nginx.conf")
    gateway.check_config(runtime, conf)
    pgbouncer_cmd = None
    if pgbouncer.enabled():
        # The services' pooled connections go through PgBouncer (transaction mode); migrations (above)
        # and the relays' LISTEN connect to PostgreSQL directly.
        pgbouncer_cmd = pgbouncer.command(pgbouncer.render(RUN_DIR / "pgbouncer"))
        config.export(MMM_PGBOUNCER_URL=pgbouncer.client_url())
    procfile = RUN_DIR / "Procfile"
    procfile.write_text(_procfile(gateway.nginx_command(runtime, conf), demo, pgbouncer_cmd))
    PID_FILE.write_text(str(os.getpid()))
    print(f"== starting gateway, {len(config.SERVICES)} APIs, {len(config.SERVICES)} workers and the mail sink "
          "(Ctrl-C stops)")
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


def smtp_address() -> tuple[str, int]:
    """Where a client on this machine reaches the mail sink."""
    from mmm import mailsink

    host, port = mailsink.listen_address()
    return ("127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host), port


def smtp_host_port() -> str:
    host, port = smtp_address()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def smtp_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Does an SMTP server answer there with its 220 greeting?"""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            greeting = sock.recv(512)
            sock.sendall(b"QUIT\r\n")
            return greeting.startswith(b"220")
    except OSError:
        return False


def wait_ready(timeout: float = 120.0) -> list[str]:
    """Wait until the gateway and every API and worker answer /readyz and the mail sink greets;
    returns what never did."""
    targets = {"gateway": gateway_url() + "/healthz"}
    for name in config.SERVICES:
        targets[f"{name}-api"] = f"http://127.0.0.1:{config.API_PORTS[name]}/readyz"
        targets[f"{name}-worker"] = f"http://127.0.0.1:{config.WORKER_PORTS[name]}/readyz"
    targets["mail"] = smtp_address()
    pending = dict(targets)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, target in list(pending.items()):
            if isinstance(target, tuple):
                if smtp_answers(*target):
                    del pending[key]
                continue
            try:
                if requests.get(target, timeout=2).status_code == 200:
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
    from shared import gateway

    web = (f"  Open:     {gateway_url()}/ in a browser (the web client; sign in there)"
           if gateway.web_root() == gateway.WEB_DIST else
           f"  Gateway:  {gateway_url()}/ (the web client is not built: run scripts/build-web.sh)")
    lines = ["", "MentorMeMed is running.", web,
             "  APIs (OpenAPI documents):",
             *(f"  {name:<14} {gateway_url()}/api/v1/{name}/openapi.json" for name in config.SERVICES),
             f"  Mail:     every mail sent is kept in {_shown(mail_dir())} (Maildir; SMTP on {smtp_host_port()})",
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


def mail_dir() -> Path:
    return RUN_DIR / "mail"


def _shown(path: Path) -> str:
    """A path as a reader in the repository would type it."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def load_demo() -> int:
    from demo import loader

    return loader.main(gateway_url())
