"""The cap under a race (R11): 20 mentees' requests to one mentor, accepted concurrently over HTTP against
TWO API processes (two gunicorn processes on two ports, one database), leave exactly 3 active
mentorships — 50 rounds, a fresh mentor each round, one pair of processes for all of them."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from shared.testing import ApiProcesses, JwksServer
from tests.mentorship.conftest import PREFIX, count, outbox

pytestmark = pytest.mark.slow  # races: accepts on two API processes at once

ROUNDS = 50
MENTEES = 20


@pytest.fixture(scope="module")
def two_apis(mentorship_app, signing_keys, tmp_path_factory):
    """Two gunicorn processes serving the mentorship API on this run's database, trusting the test keys."""
    with JwksServer(signing_keys) as jwks, ApiProcesses(
            "mentorship", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=2, threads=12,
            log_dir=str(tmp_path_factory.mktemp("gunicorn"))) as apis:
        yield apis.urls


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
