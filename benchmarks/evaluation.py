"""Evaluation benchmark: the schedule job (R13) over 100,000 active mentorships, and the participation
report (R15) over HTTP against the evaluation API served by gunicorn, on a database of its own. Prints JSON.
Not a pass/fail test.

    python benchmarks/evaluation.py [--sections schedule,report] [--schedule-mentorships 100000] [--replicas 1]
                                    [--mentors 500] [--mentorships 5000]
                                    [--clients 4] [--json-requests 200] [--csv-requests 40]

It creates a scratch database (`mmmb_<time>_<hex>_evaluation`) and migrates it, runs each section asked
for (`--sections`, comma-separated; each section is one function in SECTIONS, seeding what it needs and
returning its figures), prints them, and drops the database at the end.

Section `schedule` (target ≤ 10 s per run): `--schedule-mentorships` active mentorships whose first periodic
evaluation fell due 18 days ago, written with two INSERT ... SELECT statements; one run of the due job
(EvaluationDue for each, the next periodic evaluation planned), then of the overdue job (EvaluationOverdue
for each), by `--replicas` threads at once as worker replicas would; its rows are removed after.

Section `report`: an institution of `--mentors` mentors and `--mentorships` mentorships over three years,
with their requests (each mentorship's accepted one and as many others: declined, expired, withdrawn,
declined by the platform, open), about two evaluations per mentorship (most submitted, with answers) and
three CME credits per mentor — and a second institution of the same size, so that the queries must pick
one institution out of twice its data. Institutions and mentors are seeded through the event handlers,
the facts with bulk inserts. The API (gunicorn, gthread) trusts a throw-away signing key served over a
local JWKS endpoint; an institution admin then GETs the JSON report (default period: the year ending
today), the CSV and a mentor's PDF, `--clients` at a time (and the JSON one at a time, for its cost without
queueing), and the section reports per phase: requests,
errors, requests per second, p50/p95/p99 latency — and the report query's own time in-process.
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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PREFIX = f"mmmb_{int(time.time())}_{secrets.token_hex(3)}"
from shared import config  # noqa: E402 - the run's prefixes are set before anything reads them

config.export(MMM_DATABASE_PREFIX=PREFIX, MMM_BROKER_PREFIX=PREFIX)

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from shared import db, migrations, testing  # noqa: E402
from shared.events import envelope  # noqa: E402


@dataclass
class Context:
    """What every section shares: the migrated scratch database, the signing keys, the options."""
    database: db.Database
    keys: testing.SigningKeys
    args: argparse.Namespace


def handle(database: db.Database, events: list[tuple[str, dict]], batch: int = 500) -> None:
    """Handle consumed events as the consumer would, `batch` to a transaction."""
    from services.evaluation import settings as settings_module
    from services.evaluation.events import handlers

    handlers.settings = settings_module.load()  # as a worker gives them at its start

    for start in range(0, len(events), batch):
        with database.unit_of_work() as session:
            for name, data in events[start:start + batch]:
                event = envelope.parse(envelope.build(name, data))
                handlers.get(event.type.type)(session, event)


def bulk(database: db.Database, table, rows: list[dict], batch: int = 5000) -> None:
    with database.unit_of_work() as session:
        for start in range(0, len(rows), batch):
            session.execute(sa.insert(table), rows[start:start + batch])


def latency(name: str, calls: list[tuple[str, dict]], clients: int, check=None) -> dict:
    """GET each (url, headers) with `clients` threads; latency percentiles of the successful ones."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(calls)))

    def client() -> None:
        http = requests.Session()
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            url, headers = calls[i]
            t0 = time.perf_counter()
            r = http.get(url, headers=headers, timeout=60)
            elapsed = time.perf_counter() - t0
            problem = None if r.status_code == 200 else f"{r.status_code} {r.text[:200]}"
            if problem is None and check is not None:
                problem = check(r)
            with lock:
                if problem is None:
                    latencies.append(elapsed)
                else:
                    errors.append(problem)

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
        "phase": name, "requests": len(latencies), "errors": len(errors), "first_errors": errors[:3],
        "duration_s": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 1) if wall else None,
        "latency_ms": {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
                       "mean": round(statistics.fmean(ms), 1), "max": round(ms[-1], 1)} if ms else None,
    }


# --- section: the participation report ----------------------------------------------------------------------

RATING = [1, 2, 3, 3, 4, 4, 4, 5, 5, 5]  # ratings drawn from this: mostly good, some poor


def seed_institution(ctx: Context, rng: random.Random, mentors: int,
                     mentorships: int) -> tuple[uuid.UUID, list[uuid.UUID], dict]:
    """One institution, its mentors (events), and their mentorships, requests, evaluations and CME (bulk)."""
    from services.evaluation.models import CmeCredit, Evaluation, EvaluationAnswers, Mentorship, RequestFact

    now = datetime.now(timezone.utc)
    inst = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(mentors)]
    events: list[tuple[str, dict]] = [("InstitutionSubscribed", {
        "institution_id": inst, "name": f"Benchmark School {inst.hex[:6]}", "kind": "academic", "class_size": 120,
        "minimum_mentors": 75, "subscription_status": "active",
        "reward_policy": {"promotion_recognition": {"offered": True, "details": "Counts as teaching service"},
                          "cme_credit": {"offered": True, "details": "Mentor training modules carry CME credit"}}})]
    for uid in ids:
        events.append(("MentorEnrolled", {"user_id": uid, "institution_id": inst, "name": f"Mentor {uid.hex[:8]}",
                                          "email": f"mentor-{uid.hex[:10]}@example.org"}))
        if rng.random() < 0.9:
            events.append(("TrainingCompleted", {"user_id": uid, "institution_id": inst, "track": "mentor",
                                                 "curriculum_version": 1,
                                                 "completed_at": now - timedelta(days=rng.uniform(30, 1200))}))
    handle(ctx.database, events)

    ms_rows, req_rows, ev_rows, ans_rows, cme_rows = [], [], [], [], []
    period = timedelta(days=182)
    for _ in range(mentorships):
        mentor, mentee, mid = rng.choice(ids), uuid.uuid4(), uuid.uuid4()
        started = now - timedelta(days=rng.uniform(1, 3 * 365))
        concluded = started + timedelta(days=rng.uniform(30, 540)) if rng.random() < 0.6 else None
        concluded = concluded if concluded and concluded < now else None
        ms_rows.append({"mentorship_id": mid, "request_id": uuid.uuid4(), "mentor_id": mentor, "mentee_id": mentee,
                        "mentor_institution_id": inst, "mentee_institution_id": inst, "started_at": started,
                        "concluded_at": concluded, "concluded_by": "mentee" if concluded else None})
        req_rows.append({"request_id": ms_rows[-1]["request_id"], "mentor_id": mentor, "mentee_id": mentee,
                         "created_at": started - timedelta(hours=rng.uniform(0.5, 240)), "outcome": "accepted",
                         "responded_at": started, "automatic": False})
        created = started - timedelta(days=rng.uniform(1, 60))  # another request, to the same mentor
        outcome = rng.choices(["declined", "expired", "withdrawn", "auto", "open"], [40, 25, 15, 10, 10])[0]
        req_rows.append({"request_id": uuid.uuid4(), "mentor_id": mentor, "mentee_id": uuid.uuid4(),
                         "created_at": created, "outcome": "declined" if outcome == "auto" else outcome,
                         "responded_at": created + timedelta(hours=rng.uniform(1, 300)) if outcome == "declined"
                         else None, "automatic": outcome == "auto"})
        end = concluded or now
        due, sequence = started + period, 1
        while due < end:
            ev_rows.append(_evaluation(rng, ms_rows[-1], "periodic", sequence, due, now, ans_rows))
            due, sequence = due + period, sequence + 1
        if concluded:
            ev_rows.append(_evaluation(rng, ms_rows[-1], "final", 0, concluded, now, ans_rows))
    for uid in ids:
        for _ in range(3):
            cme_rows.append({"certificate_code": f"CME-{uuid.uuid4().hex[:12]}", "user_id": uid, "institution_id": inst,
                             "module_id": uuid.uuid4(), "module_version": 1, "credit_hours": rng.choice([0.5, 1, 1.5]),
                             "awarded_at": now - timedelta(days=rng.uniform(1, 3 * 365))})
    for table, rows in ((Mentorship, ms_rows), (RequestFact, req_rows), (Evaluation, ev_rows),
                        (EvaluationAnswers, ans_rows), (CmeCredit, cme_rows)):
        bulk(ctx.database, table, rows)
    counts = {"mentors": mentors, "mentorships": len(ms_rows), "requests": len(req_rows),
              "evaluations": len(ev_rows), "submitted_evaluations": len(ans_rows), "cme_credits": len(cme_rows)}
    return inst, ids, counts


def _evaluation(rng: random.Random, ms: dict, kind: str, sequence: int, due: datetime, now: datetime,
                answers: list[dict]) -> dict:
    """An evaluation of the schedule, submitted 80% of the time once due (its answers appended)."""
    submitted = due + timedelta(days=rng.uniform(0, 20)) if rng.random() < 0.8 else None
    submitted = submitted if submitted and submitted < now else None
    row = {"evaluation_id": uuid.uuid4(), "mentorship_id": ms["mentorship_id"], "mentee_id": ms["mentee_id"],
           "mentor_id": ms["mentor_id"], "mentee_institution_id": ms["mentee_institution_id"],
           "mentor_institution_id": ms["mentor_institution_id"], "kind": kind, "sequence": sequence, "due_at": due,
           "overdue_at": due + timedelta(days=14), "closes_at": due + timedelta(days=30),
           "status": "submitted" if submitted else ("overdue" if due + timedelta(days=14) < now else "due"),
           "due_sent_at": due, "overdue_sent_at": None, "submitted_at": submitted}
    if submitted:
        answers.append({"evaluation_id": row["evaluation_id"], "form_version": 1,
                        **{k: rng.choice(RATING) for k in ("availability", "responsiveness", "guidance", "overall")},
                        "would_recommend": rng.random() < 0.8, "program_text": None, "shared_text": None,
                        "submitted_at": submitted})
    return row


def query_time(ctx: Context, inst: uuid.UUID, runs: int = 15) -> dict:
    """The report's query alone, in-process (no HTTP, no serialization): median and max in ms."""
    from services.evaluation.reports import rules, service

    today = datetime.now(timezone.utc).date()
    start, end = rules.period(None, None, today)
    times = []
    for _ in range(runs):
        with ctx.database.unit_of_work() as session:
            t0 = time.perf_counter()
            service._figures(session, inst, start, end)
            times.append((time.perf_counter() - t0) * 1000)
    return {"runs": runs, "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def warm_up(url: str, headers: dict, clients: int, rounds: int = 10) -> None:
    """Concurrent GETs until a round has no error. A gunicorn worker's first requests, when concurrent,
    can be refused 401 'unknown key' while that worker loads the JWKS (shared.auth.JwksCache answers the
    others from the still-empty cache meanwhile); this keeps that start-up effect out of the figures."""
    for _ in range(rounds):
        if latency("warm-up", [(url, headers)] * (clients * 4), clients)["errors"] == 0:
            return


def section_report(ctx: Context) -> dict:
    """The participation report of an institution of --mentors mentors and --mentorships mentorships."""
    args = ctx.args
    rng = random.Random(15)
    t0 = time.perf_counter()
    inst, ids, counts = seed_institution(ctx, rng, args.mentors, args.mentorships)
    seed_institution(ctx, rng, args.mentors, args.mentorships)  # the other institution: data to skip
    with ctx.database.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    seeded = round(time.perf_counter() - t0, 1)
    query = query_time(ctx, inst)

    with testing.JwksServer(ctx.keys) as jwks, testing.ApiProcesses(
            "evaluation", {"AUTH_JWKS_URL": jwks.url, "LOG_LEVEL": "WARNING"}, count=1,
            workers=args.api_workers, threads=args.api_threads) as api:
        base = f"{api.urls[0]}/api/v1/evaluation/institutions/{inst}/participation"
        admin = {"Authorization": "Bearer " + ctx.keys.mint("institution_admin", inst=inst,
                                                            ttl=config.parse_duration("PT1H"))}

        def all_mentors(r) -> str | None:
            n = len(r.json()["mentors"]) if r.headers["Content-Type"].startswith("application/json") \
                else r.text.count("\n") - 1
            return None if n == args.mentors else f"{n} mentor rows, not {args.mentors}"

        warm_up(base, admin, args.clients)
        phases = [
            latency("JSON, one client at a time", [(base, admin)] * 50, 1, all_mentors),
            latency("JSON (GET .../participation)", [(base, admin)] * args.json_requests, args.clients, all_mentors),
            latency("CSV (GET .../participation.csv)", [(base + ".csv", admin)] * args.csv_requests, args.clients,
                    all_mentors),
            latency("PDF (GET .../participation/mentors/<id>.pdf)",
                    [(f"{base}/mentors/{rng.choice(ids)}.pdf", admin) for _ in range(args.pdf_requests)], args.clients),
        ]
        size = {"json_bytes": len(requests.get(base, headers=admin, timeout=60).content),
                "csv_bytes": len(requests.get(base + ".csv", headers=admin, timeout=60).content)}
    return {"data": {**counts, "institutions": 2, "seed_s": seeded}, "report_query": query, "responses": size,
            "concurrent_clients": args.clients,
            "api": {"gunicorn_workers": args.api_workers, "threads": args.api_threads},
            "targets": {"json_p95_ms": 300, "csv_p95_ms": 2000}, "phases": phases}


# The schedule job (R13): N active mentorships whose first periodic evaluation fell due 18 days ago (past
# its 14 days' grace), written in two INSERT ... SELECT statements.
SCHEDULE_SEED = """
INSERT INTO mentorships (mentorship_id, mentor_id, mentee_id, mentor_institution_id, mentee_institution_id, started_at)
SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
       now() - interval '200 days' - make_interval(secs => i) FROM generate_series(1, :n) AS i;
INSERT INTO evaluations (evaluation_id, mentorship_id, mentee_id, mentor_id, mentee_institution_id,
                         mentor_institution_id, kind, sequence, due_at, overdue_at, closes_at, status)
SELECT gen_random_uuid(), mentorship_id, mentee_id, mentor_id, mentee_institution_id, mentor_institution_id,
       'periodic', 1, started_at + interval '182 days', started_at + interval '182 days' + interval '14 days',
       started_at + interval '182 days' + interval '30 days', 'scheduled' FROM mentorships;
"""


def _timed_job(database: db.Database, fn, replicas: int) -> dict:
    """One run of a job by `replicas` threads at once, as that many worker replicas would."""
    handled: list[int] = []
    threads = [threading.Thread(target=lambda: handled.append(fn(database))) for _ in range(replicas)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return {"handled": sum(handled), "seconds": round(seconds, 2), "per_second": round(sum(handled) / seconds),
            "target_seconds": 10}


def section_schedule(ctx: Context) -> dict:
    """One run of the due job (EvaluationDue for each, the next periodic one planned), then of the overdue job
    (EvaluationOverdue for each), over --schedule-mentorships active mentorships; the tables are emptied after."""
    from services.evaluation import settings as settings_module
    from services.evaluation.evaluations.jobs import send_due, send_overdue
    from services.evaluation.evaluations.service import BATCH

    settings = settings_module.load()  # as a worker builds them at its start

    n, replicas = ctx.args.schedule_mentorships, ctx.args.replicas
    with ctx.database.engine.begin() as conn:
        for statement in filter(str.strip, SCHEDULE_SEED.split(";")):
            conn.execute(sa.text(statement), {"n": n})
        conn.exec_driver_sql("ANALYZE mentorships; ANALYZE evaluations")
    due = _timed_job(ctx.database, lambda database: send_due(database, settings), replicas)
    overdue = _timed_job(ctx.database, lambda database: send_overdue(database, settings), replicas)
    with ctx.database.engine.begin() as conn:
        events = dict(conn.execute(sa.text("SELECT event_type, count(*) FROM outbox GROUP BY 1")).all())
        planned = conn.scalar(sa.text("SELECT count(*) FROM evaluations WHERE sequence = 2"))
        conn.exec_driver_sql("TRUNCATE evaluations, mentorships, outbox CASCADE")
    return {"mentorships": n, "replicas": replicas, "batch": BATCH, "send_due": due, "send_overdue": overdue,
            "next_planned": planned, "events": {k.split(".")[-2]: v for k, v in events.items()}}


SECTIONS = {"schedule": section_schedule, "report": section_report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}")
    parser.add_argument("--schedule-mentorships", type=int, default=100_000, help="schedule: active mentorships")
    parser.add_argument("--replicas", type=int, default=1, help="schedule: job runners at once")
    parser.add_argument("--mentors", type=int, default=500, help="report: mentors of the institution")
    parser.add_argument("--mentorships", type=int, default=5000, help="report: mentorships of its mentors")
    parser.add_argument("--json-requests", type=int, default=200, help="report: GETs of the JSON report")
    parser.add_argument("--csv-requests", type=int, default=40, help="report: GETs of the CSV report")
    parser.add_argument("--pdf-requests", type=int, default=40, help="report: GETs of a mentor's PDF")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--api-threads", type=int, default=4, help="threads per gunicorn process")
    args = parser.parse_args()
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {sorted(SECTIONS)}")

    url = config.database_url("evaluation")
    migrations.upgrade("evaluation")
    database = db.Database(url, pool_size=max(4, args.replicas + 1))
    ctx = Context(database, testing.SigningKeys(), args)
    try:
        results = {name: SECTIONS[name](ctx) for name in sections}
        print(json.dumps({
            "benchmark": "evaluation service", "sections": results,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        }, indent=2))
    finally:
        database.dispose()
        db.drop_database(url)


if __name__ == "__main__":
    main()
