"""The R13 schedule run by real worker processes (`python -m mmm.cli worker evaluation`, as `mmm up` starts
them) on this test run's database and broker names, durations shrunk to seconds: a worker killed with
SIGKILL before an evaluation falls due, the due time passing while none runs, then two workers started
again — each EvaluationDue and EvaluationOverdue is in the outbox exactly once."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from services.evaluation import settings
from services.evaluation.evaluations import rules
from services.evaluation.events import handlers
from shared import config
from tests.evaluation.conftest import now, outbox
from tests.evaluation.test_schedule import evaluations, events_per_evaluation, sleep_until

pytestmark = [pytest.mark.usefixtures("schedule_to_ourselves"),
              pytest.mark.slow]  # job runners in threads and worker processes, as replicas run them

REPO = Path(__file__).parents[2]
DURATIONS = {"EVALUATION_PERIOD": "PT3S", "EVALUATION_OVERDUE_GRACE": "PT2S", "EVALUATION_PERIODIC_WINDOW": "PT4S",
             "EVALUATION_FINAL_WINDOW": "PT4S"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker:
    """One evaluation worker process with the test run's environment (MMM_DATABASE_PREFIX and
    MMM_BROKER_PREFIX name this run's database and broker objects), its jobs every 0.2 s."""

    def __init__(self, log_dir: Path, name: str):
        self.port = _free_port()
        self.log_path = log_dir / f"{name}.log"
        env = config.environment(**DURATIONS, EVALUATION_JOB_INTERVAL="PT0.2S", WORKER_PORT=str(self.port),
                                 MMM_CONSUMERS="1", MMM_RELAYS="1", PYTHONUNBUFFERED="1")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "mmm.cli", "worker", "evaluation"], cwd=REPO, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"worker exited:\n{self.log_path.read_text()[-3000:]}"
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"worker not ready:\n{self.log_path.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture()
def workers(tmp_path):
    started: list[Worker] = []

    def start(name: str) -> Worker:
        w = Worker(tmp_path, name)
        started.append(w)
        return w

    yield start
    for w in started:
        w.kill()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_before_the_due_time_and_restarted_announces_each_once(world, workers, monkeypatch):
    monkeypatch.setattr(handlers, "settings", settings.load(DURATIONS))  # this process's: the workers' durations
    first = workers("first")
    first.wait_ready()
    mentor, mentee = world.mentor(), world.mentee()
    started = now()
    mid = world.start(mentor, mentee, started)
    [p1] = evaluations(world.db, mid)
    assert p1["due_at"] == rules.periodic(handlers.settings, started, 1).due_at

    time.sleep(0.8)  # the first worker runs its jobs a few times: nothing is due yet
    assert now() < p1["due_at"], "the test machine is too slow for this test's seconds"
    first.kill(signal.SIGKILL)
    killed_at = now()

    sleep_until(p1["due_at"] + timedelta(seconds=1))  # the due time passes while no worker runs
    assert evaluations(world.db, mid)[0]["status"] == "scheduled"
    assert outbox(world.db, "EvaluationDue", mentorship_id=mid) == []

    replicas = [workers("second"), workers("third")]  # restarted as two replicas
    for w in replicas:
        w.wait_ready()

    def p2_due_and_p1_overdue():
        evs = evaluations(world.db, mid)
        return len(evs) >= 2 and evs[0]["overdue_sent_at"] is not None and evs[1]["due_sent_at"] is not None

    wait_for(p2_due_and_p1_overdue, timeout=30, what="periodic 1 overdue and periodic 2 due")
    for w in replicas:
        w.kill(signal.SIGTERM)

    evs = evaluations(world.db, mid)
    assert evs[0]["due_sent_at"] > killed_at  # caught up by the restarted workers
    due = events_per_evaluation(world.db, "EvaluationDue", mid)
    overdue = events_per_evaluation(world.db, "EvaluationOverdue", mid)
    assert due == {str(e["evaluation_id"]): 1 for e in evs if e["due_sent_at"] is not None}
    assert overdue == {str(e["evaluation_id"]): 1 for e in evs if e["overdue_sent_at"] is not None}
    assert len(due) >= 2 and str(p1["evaluation_id"]) in overdue
