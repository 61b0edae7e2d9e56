"""Whole metrics: an API runs several gunicorn worker processes and a scrape of /metrics reaches one of
them; the scrape must add up every worker's counters (prometheus-client's multiprocess mode, one
directory per master, shared/serve.py), those of a worker that was killed included."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shared import serve
from shared.testing import ApiProcesses, JwksServer

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

REQUESTS = 240


def healthz_count(url: str) -> float:
    """mmm_http_requests_total of GET /healthz 200 in one scrape."""
    text = requests.get(url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "mmm_http_requests":
            return sum(s.value for s in family.samples if s.name == "mmm_http_requests_total"
                       and s.labels.get("endpoint") == "/healthz" and s.labels.get("status") == "200")
    return 0.0


def get_many(url: str, n: int, clients: int = 16) -> None:
    """n GET /healthz, each on a new connection, `clients` at a time: both workers accept some."""
    left, lock, failures = [n], threading.Lock(), []

    def client():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            r = requests.get(url + "/healthz", headers={"Connection": "close"}, timeout=10)
            if r.status_code != 200:
                failures.append(r.status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(p) for p in children]


def pids_counted(directory: Path) -> set[int]:
    """Processes with a counter file in the multiprocess directory (counter_<pid>.db)."""
    return {int(f.stem.rsplit("_", 1)[1]) for f in directory.glob("counter_*.db")}


@pytest.fixture(scope="module")
def two_workers(service_app, signing_keys, tmp_path_factory):
    service_app("training")  # migrated
    with JwksServer(signing_keys) as jwks, ApiProcesses(
            "training", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1, workers=2, threads=4,
            log_dir=str(tmp_path_factory.mktemp("metrics-api"))) as api:
        url = api.urls[0]
        port = url.rsplit(":", 1)[1]
        directory = serve.run_dir() / "api" / f"mmm-training-api-{port}"
        yield url, api.procs[0].pid, directory


def test_one_scrape_adds_up_the_requests_of_both_worker_processes(two_workers):
    url, master, directory = two_workers
    assert directory.is_dir(), directory
    assert len(worker_pids(master)) == 2
    before = healthz_count(url)
    sent = 0
    for _ in range(5):  # until both workers have answered some (new connections go to either)
        get_many(url, REQUESTS)
        sent += REQUESTS
        if pids_counted(directory) >= set(worker_pids(master)):
            break
    assert pids_counted(directory) >= set(worker_pids(master)), "one worker answered every request"
    # Every scrape, whichever worker answers it, counts every request of both.
    for _ in range(6):
        assert healthz_count(url) - before == sent


def test_a_killed_worker_s_requests_stay_counted(two_workers):
    url, master, directory = two_workers
    get_many(url, 40)
    before = healthz_count(url)
    victim = worker_pids(master)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while victim in worker_pids(master) or len(worker_pids(master)) < 2:  # gunicorn starts another
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.1)
    get_many(url, 40)
    for _ in range(4):
        assert healthz_count(url) - before == 40
    assert victim in pids_counted(directory)  # its file is kept: its counts still add up


def test_the_metrics_directory_is_fresh_at_start_and_removed_at_exit(service_app, signing_keys, tmp_path):
    """A master empties its directory when it starts (an earlier run's counts are not this run's) and
    removes it when it stops."""
    from shared.testing import free_port

    service_app("training")
    port = free_port()
    directory = serve.run_dir() / "api" / f"mmm-training-api-{port}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "counter_1.db").write_bytes(b"stale")
    with JwksServer(signing_keys) as jwks, ApiProcesses(
            "training", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1, workers=1,
            ports=[port], log_dir=str(tmp_path)) as api:
        assert not (directory / "counter_1.db").exists()
        requests.get(api.urls[0] + "/healthz", timeout=5)
        assert healthz_count(api.urls[0]) >= 1
    assert not directory.exists()


def test_a_run_dir_it_cannot_write_leaves_metrics_whole(service_app, signing_keys, tmp_path):
    """An API whose run dir it may not write (a container's read-only checkout) still starts, with a
    private metrics directory: no crash, and a scrape still adds up its workers."""
    service_app("training")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the run dir would be")
    with JwksServer(signing_keys) as jwks, ApiProcesses(
            "training", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING", "MMM_RUN_DIR": str(blocked)},
            count=1, workers=2, log_dir=str(tmp_path / "logs")) as api:
        before = healthz_count(api.urls[0])
        get_many(api.urls[0], 60)
        for _ in range(4):
            assert healthz_count(api.urls[0]) - before == 60
