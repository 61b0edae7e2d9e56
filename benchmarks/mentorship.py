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
and reports per phase: operations, errors, responses 5xx, operations per second, p50/p95/p99 latency.
The database is dropped at the end.

    --gateway                 every request through the real gateway (nginx, the template rendered as
                              for a local run), so that the gateway's own 502/504 are counted too
    --directory-clients N     meanwhile, N mentors publish and unpublish their directory profile in a
                              loop (the directory API under gunicorn on a database of its own) while
                              batches of events about them are handled, one transaction a batch, as
                              the directory's consumer does (the deadlock seen on its search_state row)

The issue-14 measurement (no fault injected, at least 20,000 requests, 0 responses 5xx):

    python benchmarks/mentorship.py --mentors 3000 --gateway --directory-clients 8

"responses_5xx" in the JSON is the count over everything sent (both services).
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
from shared import config  # noqa: E402 - the run's prefixes are set before anything reads them

config.export(MMM_DATABASE_PREFIX=PREFIX, MMM_BROKER_PREFIX=PREFIX)

import contextlib  # noqa: E402
import subprocess  # noqa: E402
from collections import Counter  # noqa: E402

import requests  # noqa: E402

from shared import db, gateway, migrations, testing  # noqa: E402
from shared.events import envelope  # noqa: E402

DIRECTORY_PROFILE = {
    "display_name": "Dr. Bench Mentor", "academic_rank": "associate_professor", "specialties": ["Internal Medicine"],
    "clinical_interests": ["health equity"], "languages": ["English"], "city": "Chicago", "state": "IL",
    "bio": "A mentor of the benchmark, publishing and unpublishing.", "scope": "national",
    "accepting_new_mentees": True, "hours_per_month": 4, "meeting_modes": ["video"],
    "time_windows": [{"day": "tue", "start": "18:00", "end": "20:00"}], "timezone": "America/Chicago",
}


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
    statuses: Counter = Counter()
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
                statuses[r.status_code] += 1
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
        "requests": sum(statuses.values()), "responses_5xx": sum(n for code, n in statuses.items() if code >= 500),
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "duration_s": round(wall, 2), "ops_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
                       "mean": round(statistics.fmean(ms), 1), "max": round(ms[-1], 1)},
    }, results


class DirectoryLoad:
    """Mentors publishing and unpublishing their directory profile in a loop (`clients` threads, one
    mentor each), while one thread handles batches of events about them (RequestAccepted, 5 mentors a
    batch, one transaction a batch, as the directory's consumer does). Runs until `stop` is set."""

    def __init__(self, base: str, database: db.Database, keys: testing.SigningKeys, clients: int) -> None:
        from services.directory.events import handlers

        self.base, self.database, self.handlers = base, database, handlers
        self.stop = threading.Event()
        self.statuses: Counter = Counter()
        self.first_errors: list[str] = []
        self.batches = 0
        self.batch_errors: list[str] = []
        self.lock = threading.Lock()
        inst = uuid.uuid4()
        self.mentors = [uuid.uuid4() for _ in range(clients)]
        now = datetime.now(timezone.utc)
        with database.unit_of_work() as session:
            for uid in self.mentors:
                for name, data in (("MentorEnrolled", {"user_id": uid, "institution_id": inst, "name": "Dr. Bench",
                                                       "email": f"bench-{uid.hex[:10]}@example.org"}),
                                   ("TrainingCompleted", {"user_id": uid, "institution_id": inst, "track": "mentor",
                                                          "curriculum_version": 1, "completed_at": now})):
                    event = envelope.parse(envelope.build(name, data))
                    handlers.get(event.type.type)(session, event)
        self.headers = {uid: {"Authorization": "Bearer " + keys.mint("mentor", sub=uid, inst=inst,
                                                                      ttl=config.parse_duration("PT2H"))}
                        for uid in self.mentors}
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for uid in self.mentors:
            r = requests.patch(f"{self.base}/me/profile", json=DIRECTORY_PROFILE, headers=self.headers[uid], timeout=30)
            r.raise_for_status()
        self.threads = [threading.Thread(target=self._clicks, args=(uid,)) for uid in self.mentors]
        self.threads.append(threading.Thread(target=self._consumer))
        for t in self.threads:
            t.start()

    def finish(self) -> dict:
        self.stop.set()
        for t in self.threads:
            t.join()
        return {"mentors": len(self.mentors), "requests": sum(self.statuses.values()),
                "responses_5xx": sum(n for code, n in self.statuses.items() if code >= 500),
                "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
                "first_errors": self.first_errors[:3], "event_batches": self.batches,
                "event_batch_errors": len(self.batch_errors), "first_batch_errors": self.batch_errors[:3]}

    def _clicks(self, uid: uuid.UUID) -> None:
        http = requests.Session()
        n = 0
        while not self.stop.is_set():
            if n % 2 == 0:
                r = http.post(f"{self.base}/me/profile/publish", json={"consent_to_search": True},
                              headers=self.headers[uid], timeout=60)
            else:
                r = http.post(f"{self.base}/me/profile/unpublish", headers=self.headers[uid], timeout=60)
            n += 1
            with self.lock:
                self.statuses[r.status_code] += 1
                if r.status_code != 200 and len(self.first_errors) < 3:
                    self.first_errors.append(f"{r.status_code} {r.text[:200]}")

    def _consumer(self) -> None:
        rng = random.Random(14)
        while not self.stop.is_set():
            now = datetime.now(timezone.utc)
            bodies = [envelope.build("RequestAccepted", {
                "request_id": uuid.uuid4(), "mentee_id": uuid.uuid4(), "mentor_id": uid,
                "mentorship_id": uuid.uuid4(), "created_at": now, "responded_at": now})
                for uid in rng.sample(self.mentors, min(5, len(self.mentors)))]
            try:
                with self.database.unit_of_work() as session:
                    for body in bodies:
                        event = envelope.parse(body)
                        self.handlers.get(event.type.type)(session, event)
                self.batches += 1
            except Exception as exc:  # noqa: BLE001 - counted (the real consumer retries the batch)
                self.batch_errors.append(repr(exc)[:300])


def start_gateway(upstreams: dict[str, str], runtime: Path) -> tuple[str, subprocess.Popen]:
    """The real gateway in front of the given services (the others lead nowhere); limits lifted."""
    port = testing.free_port()
    values = gateway.local_values(runtime, listen=f"127.0.0.1:{port}")
    values.update({name: "127.0.0.1:9" for name in values if name.endswith("_UPSTREAM")})
    values.update({f"{name.upper()}_UPSTREAM": address for name, address in upstreams.items()})
    values.update(GATEWAY_API_RATE="1000000r/s", GATEWAY_API_BURST="1000000")
    conf = gateway.render(values, out=runtime / "nginx.conf")
    conf.write_text(conf.read_text().replace("access_log /dev/stdout mmm_json;", "access_log off;"))
    gateway.check_config(runtime, conf)
    proc = subprocess.Popen(gateway.nginx_command(runtime, conf), stdout=subprocess.DEVNULL,
                            stderr=open(runtime / "error.log", "wb"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return url, proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the gateway did not start: " + (runtime / "error.log").read_text()[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentors", type=int, default=150, help="mentors (each gets 3 requests)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--api-threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--gateway", action="store_true", help="every request through the real gateway (nginx)")
    parser.add_argument("--directory-clients", type=int, default=0,
                        help="mentors publishing and unpublishing on directory meanwhile (0: no directory load)")
    args = parser.parse_args()

    import tempfile

    url = config.database_url("mentorship")
    migrations.upgrade("mentorship")
    database = db.Database(url)
    directory_url = config.database_url("directory")
    directory_db = None
    keys = testing.SigningKeys()
    runtime = Path(tempfile.mkdtemp(prefix="mmm-bench-"))
    directory_figures = None
    try:
        pairs = seed(database, args.mentors)
        stack = contextlib.ExitStack()
        with stack:
            jwks = stack.enter_context(testing.JwksServer(keys))
            api = stack.enter_context(testing.ApiProcesses(
                "mentorship", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1,
                workers=args.api_workers, threads=args.api_threads, log_dir=str(runtime)))
            upstreams = {"mentorship": api.urls[0].removeprefix("http://")}
            load = None
            if args.directory_clients:
                migrations.upgrade("directory")
                directory_db = db.Database(directory_url)
                directory_api = stack.enter_context(testing.ApiProcesses(
                    "directory", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1,
                    workers=args.api_workers, threads=args.api_threads, log_dir=str(runtime / "directory")))
                upstreams["directory"] = directory_api.urls[0].removeprefix("http://")
            if args.gateway:
                gateway_url, nginx = start_gateway(upstreams, runtime)
                stack.callback(lambda: (nginx.terminate(), nginx.wait(10)))
                bases = {name: f"{gateway_url}/api/v1/{name}" for name in upstreams}
            else:
                bases = {name: f"http://{address}/api/v1/{name}" for name, address in upstreams.items()}
            if args.directory_clients:
                load = DirectoryLoad(bases["directory"], directory_db, keys, args.directory_clients)
                load.start()
            base = bases["mentorship"]
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
            if load is not None:
                directory_figures = load.finish()
        parts = [created, accepted] + ([directory_figures] if directory_figures else [])
        print(json.dumps({
            "benchmark": "mentorship requests: create and accept over HTTP",
            "mentors": args.mentors, "requests": len(creates), "concurrent_clients": args.clients,
            "api": {"gunicorn_workers": args.api_workers, "threads": args.api_threads},
            "through_gateway": args.gateway,
            "create": created, "accept": accepted, "directory_publish_unpublish": directory_figures,
            "requests_total": sum(p["requests"] for p in parts),
            "responses_5xx": sum(p["responses_5xx"] for p in parts),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }, indent=2))
    finally:
        database.dispose()
        db.drop_database(url)
        if directory_db is not None:
            directory_db.dispose()
            db.drop_database(directory_url)


if __name__ == "__main__":
    main()
