"""The run command's preflight: it names what is missing, where, and how to start it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared import config

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_up_refuses_to_start_when_the_broker_and_database_are_unreachable(tmp_path):
    pg, amqp = _free_port(), _free_port()
    env = config.environment(MMM_POSTGRES_URL=f"postgresql+psycopg://postgres@127.0.0.1:{pg}/postgres",
                             AMQP_URL=f"amqp://guest:guest@127.0.0.1:{amqp}/%2F", MMM_RUN_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "mmm.cli", "up"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert f"PostgreSQL is not reachable at 127.0.0.1:{pg}" in result.stderr
    assert f"RabbitMQ is not reachable at 127.0.0.1:{amqp}" in result.stderr
    assert "pg_ctlcluster" in result.stderr and "rabbitmq-server -detached" in result.stderr
    assert not (tmp_path / "Procfile").exists()


def test_check_passes_against_this_runs_servers(infrastructure):
    result = subprocess.run([sys.executable, "-m", "mmm.cli", "check"], cwd=REPO, capture_output=True,
                            text=True, timeout=60, env=config.environment())
    assert result.returncode == 0, result.stderr


def test_the_procfile_runs_the_mail_sink_on_a_port_that_follows_the_port_base():
    from mmm import run

    lines = run._procfile(["nginx", "-g", "daemon off;"], demo=False).splitlines()
    assert f"mail: {sys.executable} -m mmm.cli mail" in lines
    assert lines[-1].startswith("ready: ")  # the announcement waits for the sink as for the rest
    result = subprocess.run([sys.executable, "-c", "from shared import config; print(config.MAIL_SINK_PORT)"],
                            cwd=REPO, env=config.environment(MMM_PORT_BASE="30000"), capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip() == "30025", result.stderr
