"""Mentorship benchmark: request-create and accept throughput and latency percentiles against the
mentorship API served by gunicorn, on a database of its own. Prints JSON. Not a pass/fail test.

    python benchmarks/mentorship.py [--mentors 150] [--clients 8] [--api-workers 2] [--api-threads 4]

It creates a scratch database (`mmmb_<time>_<hex>_mentorship`), migrates it, and seeds mentors and
mentees the way the service learns of them: by handling MentorEnrolled/MenteeEnrolled,
TrainingCompleted and MentorProfilePublished events. It starts the API (gunicorn, gthread) trusting a
throw-away signing key served over a local JWKS endpoint. Then:
1. create: 3 mentees per mentor each POST /requests to their mentor (with an Idempotency-Key),
   `--clients` at a time;
2. accept: each mentor accepts their 3 requests (POST /requests/<id>/accept), the third one moving
   the mentor to capacity (the cap's conditional UPDATE under the mentor's row lock);
and reports per phase: operations, errors, operations per second, p50/p95/p99 latency.
The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PREFIX = f"mmmb_{int(time.time())}_{secrets.token_hex(3)}"
os.environ["MMM_DATABASE_PREFIX"] = PREFIX
os.environ["MMM_BROKER_PREFIX"] = PREFIX

import requests  # noqa: E402

from shared import config, db, migrations, testing  # noqa: E402
from shared.events import envelope  # noqa: E402


def seed(database: db.Database, mentors: int) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    """`mentors` published, trained mentors, each with 3 trained mentees; events handled in batches."""
    from services.mentorship.events import handlers

    now = datetime.now(timezone.utc)
    pairs = [(uuid.uuid4(), [uuid.uuid4() for _ in range(3)]) for _ in range(mentors)]
    inst = uuid.uuid4()
    events = []
    for mentor, mentees in pairs:
        for uid, role in [(mentor, "mentor")] + [(m, "mentee") for m in mentees]:
            events.append(("MentorEnrolled" if role == "mentor" else "MenteeEnrolled",
                           {"user_id": uid, "institution_id": inst, "name": f"{role} {uid.hex[:6]}",
                            "email": f"{role}-{uid.hex[:10]}@example.org"}))
            events.append(("TrainingCompleted", {"user_id": uid, "institution_id": inst, "track": role,
                                                 "curriculum_version": 1, "completed_at": now}))
        events.append(("MentorProfilePublished", {"mentor_id": mentor, "institution_id": inst, "scope": "national"}))
    for start in range(0, len(events), 500):
        with database.unit_of_work() as session:
            for name, data in events[start:start + 500]:
                event = envelope.parse(envelope.build(name, data))
                handlers.get(event.type.type)(session, event)
    return pairs


def phase(name: str, calls: list[tuple[str, dict, dict]], clients: int) -> tuple[dict, list[dict]]:
    """POST each (url, headers, body) with `clients` threads; latency per call, bodies in order."""
    latencies: list[float] = []
    errors: list[str] = []
    results: list[dict] = [{} for _ in calls]
    lock = threading.Lock()
    cursor = iter(range(len(calls)))

    def client() -> None:
        http = requests.Session()
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            url, headers, body = calls[i]
            t0 = time.perf_counter()
            r = http.post(url, json=body, headers=headers, timeout=60)
            elapsed = time.perf_counter() - t0
            with lock:
                if r.status_code in (200, 201):
                    latencies.append(elapsed)
                    results[i] = r.json()
                else:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "phase": name, "operations": len(latencies), "errors": len(errors), "first_errors": errors[:3],
        "duration_s": round(wall, 2), "ops_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
                       "mean": round(statistics.fmean(ms), 1), "max": round(ms[-1], 1)},
    }, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentors", type=int, default=150, help="mentors (each gets 3 requests)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--api-threads", type=int, default=4, help="threads per gunicorn process")
    args = parser.parse_args()

    url = config.database_url("mentorship")
    migrations.upgrade("mentorship")
    database = db.Database(url)
    keys = testing.SigningKeys()
    try:
        pairs = seed(database, args.mentors)
        with testing.JwksServer(keys) as jwks, testing.ApiProcesses(
                "mentorship", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1,
                workers=args.api_workers, threads=args.api_threads) as api:
            base = api.urls[0] + "/api/v1/mentorship"
            auth = {uid: {"Authorization": "Bearer " + keys.mint(role, sub=uid, ttl=config.parse_duration("PT1H"))}
                    for mentor, mentees in pairs
                    for uid, role in [(mentor, "mentor")] + [(m, "mentee") for m in mentees]}
            creates = [(f"{base}/requests", {**auth[mentee], "Idempotency-Key": uuid.uuid4().hex},
                        {"mentor_id": str(mentor), "message": "I would value your guidance.",
                         "goals": ["residency", "research"]})
                       for mentor, mentees in pairs for mentee in mentees]
            created, bodies = phase("create (POST /requests)", creates, args.clients)
            accepts = [(f"{base}/requests/{b['id']}/accept", auth[uuid.UUID(b["mentor_id"])], {})
                       for b in bodies if b]
            random.Random(6).shuffle(accepts)  # mentors answer at different times, not all of one's at once
            accepted, _ = phase("accept (POST /requests/<id>/accept)", accepts, args.clients)
        print(json.dumps({
            "benchmark": "mentorship requests: create and accept over HTTP",
            "mentors": args.mentors, "requests": len(creates), "concurrent_clients": args.clients,
            "api": {"gunicorn_workers": args.api_workers, "threads": args.api_threads},
            "create": created, "accept": accepted,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }, indent=2))
    finally:
        database.dispose()
        db.drop_database(url)


if __name__ == "__main__":
    main()
