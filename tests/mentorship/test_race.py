"""The cap under a race (R11): 20 mentees' requests to one mentor, accepted concurrently over HTTP against
TWO API processes (two gunicorn processes on two ports, one database), leave exactly 3 active
mentorships — 50 rounds, a fresh mentor each round, one pair of processes for all of them."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.mentorship.conftest import PREFIX, count, outbox

ROUNDS = 50
MENTEES = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jwks_url(signing_keys):
    body = json.dumps(signing_keys.jwks).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


@pytest.fixture(scope="module")
def two_apis(mentorship_app, jwks_url, tmp_path_factory):
    """Two gunicorn processes serving the mentorship API on this run's database."""
    root = Path(__file__).parents[2]
    env = {**os.environ, "AUTH_JWKS_URL": jwks_url, "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    env.pop("PYTEST_CURRENT_TEST", None)
    logs = tmp_path_factory.mktemp("gunicorn")
    procs, urls = [], []
    for n in range(2):
        port = _free_port()
        out = open(logs / f"api{n}.log", "w")
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread",
             "--threads", "12", "services.mentorship.app:create_app()"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True), out))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start: " + "".join(
                        (logs / f"api{n}.log").read_text()[-2000:] for n in range(2)))
                time.sleep(0.2)
        yield urls
    finally:
        for proc, out in procs:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            out.close()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_twenty_concurrent_accepts_on_two_processes_leave_exactly_three(world, mentorship_db, two_apis, round_):
    mentor = world.mentor()
    ids = [world.create(world.mentee(), mentor) for _ in range(MENTEES)]
    barrier = threading.Barrier(MENTEES)
    http = [requests.Session() for _ in range(MENTEES)]

    def accept(i: int):
        url = f"{two_apis[i % 2]}{PREFIX}/requests/{ids[i]}/accept"
        barrier.wait()
        r = http[i].post(url, json={}, headers=mentor.headers, timeout=30)
        return r.status_code, r.json()

    with ThreadPoolExecutor(MENTEES) as pool:
        results = list(pool.map(accept, range(MENTEES)))
    for s in http:
        s.close()
    statuses = sorted(code for code, _ in results)
    assert statuses == [200] * 3 + [409] * (MENTEES - 3), results
    refusals = {body["type"].rsplit("/", 1)[1] for code, body in results if code == 409}
    assert refusals <= {"mentor-no-open-slot", "request-not-open"}, refusals
    assert count(mentorship_db, "SELECT count(*) FROM mentorships WHERE mentor_id = :m AND status = 'active'",
                 m=mentor.id) == 3
    assert count(mentorship_db, "SELECT active_mentees FROM members WHERE user_id = :m", m=mentor.id) == 3
    assert count(mentorship_db, "SELECT count(*) FROM requests WHERE mentor_id = :m AND status = 'declined' "
                                "AND declined_automatically AND decline_reason = 'at capacity'",
                 m=mentor.id) == MENTEES - 3
    assert len(outbox(mentorship_db, "MentorshipStarted", mentor_id=mentor.id)) == 3
    assert len(outbox(mentorship_db, "RequestAccepted", mentor_id=mentor.id)) == 3
    assert len(outbox(mentorship_db, "RequestDeclined", mentor_id=mentor.id)) == MENTEES - 3
