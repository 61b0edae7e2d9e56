"""Before starting anything: can we reach PostgreSQL and RabbitMQ? If not, say which, where and how."""
from __future__ import annotations

import shutil
import socket
from urllib.parse import urlparse

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shared import config

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
                  "   (or: docker compose up -d postgres)",
    "RabbitMQ": "rabbitmq-server -detached   (or: docker compose up -d rabbitmq)",
}


def _tcp(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def problems() -> list[str]:
    found = []
    pg = make_url(config.postgres_url())
    pg_host, pg_port = pg.host or "127.0.0.1", pg.port or 5432
    if not _tcp(pg_host, pg_port):
        found.append(f"PostgreSQL is not reachable at {pg_host}:{pg_port} (MMM_POSTGRES_URL). "
                     f"Start it: {HOW_TO_START['PostgreSQL']}")
    else:
        try:
            engine = sa.create_engine(pg, pool_pre_ping=True)
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - reported to the operator
            found.append(f"PostgreSQL at {pg_host}:{pg_port} refused the connection: {exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0]}")
    amqp = urlparse(config.amqp_url())
    a_host, a_port = amqp.hostname or "127.0.0.1", amqp.port or 5672
    if not _tcp(a_host, a_port):
        found.append(f"RabbitMQ is not reachable at {a_host}:{a_port} (AMQP_URL). Start it: {HOW_TO_START['RabbitMQ']}")
    else:
        from shared.events import broker

        try:
            broker.connect(heartbeat=0).close()
        except Exception as exc:  # noqa: BLE001
            found.append(f"RabbitMQ at {a_host}:{a_port} refused the connection: {exc!r}")
    return found


def nginx_missing() -> bool:
    return not (shutil.which("nginx") or shutil.which("/usr/sbin/nginx"))
