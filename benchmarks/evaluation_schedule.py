"""Evaluation schedule benchmark (R13): one run of the due job, then of the overdue job, over N active
mentorships whose evaluations all fall due at once (target: 100,000 in ≤ 10 s per run). Prints JSON. Not a
pass/fail test.

    python benchmarks/evaluation_schedule.py [--mentorships 100000] [--replicas 1]

It creates a scratch database (`mmmb_<time>_<hex>_evaluation`), migrates it, writes the mentorships and
their first periodic evaluation (due 18 days ago, past its 14 days' grace) in two INSERT ... SELECT statements, then
times `send_due` (EvaluationDue for each, the next periodic evaluation planned) and `send_overdue`
(EvaluationOverdue for each), run by `--replicas` threads at once as that many worker replicas would. The
database is dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PREFIX = f"mmmb_{int(time.time())}_{secrets.token_hex(3)}"
os.environ["MMM_DATABASE_PREFIX"] = PREFIX
os.environ["MMM_BROKER_PREFIX"] = PREFIX

import sqlalchemy as sa  # noqa: E402

from shared import config, db, migrations  # noqa: E402

SEED = """
INSERT INTO mentorships (mentorship_id, mentor_id, mentee_id, mentor_institution_id, mentee_institution_id, started_at)
SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
       now() - interval '200 days' - make_interval(secs => i) FROM generate_series(1, :n) AS i;
INSERT INTO evaluations (evaluation_id, mentorship_id, mentee_id, mentor_id, mentee_institution_id,
                         mentor_institution_id, kind, sequence, due_at, overdue_at, closes_at, status)
SELECT gen_random_uuid(), mentorship_id, mentee_id, mentor_id, mentee_institution_id, mentor_institution_id,
       'periodic', 1, started_at + interval '182 days', started_at + interval '182 days' + interval '14 days',
       started_at + interval '182 days' + interval '30 days', 'scheduled' FROM mentorships;
"""


def timed(database: db.Database, fn, replicas: int) -> dict:
    handled: list[int] = []

    def run():
        handled.append(fn(database))

    threads = [threading.Thread(target=run) for _ in range(replicas)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return {"handled": sum(handled), "seconds": round(seconds, 2), "per_second": round(sum(handled) / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentorships", type=int, default=100_000)
    parser.add_argument("--replicas", type=int, default=1)
    args = parser.parse_args()

    url = config.database_url("evaluation")
    migrations.upgrade("evaluation")
    database = db.Database(url, pool_size=args.replicas + 1)
    try:
        from services.evaluation.evaluations.jobs import send_due, send_overdue
        from services.evaluation.evaluations.service import BATCH

        with database.engine.begin() as conn:
            for statement in filter(str.strip, SEED.split(";")):
                conn.execute(sa.text(statement), {"n": args.mentorships})
            conn.exec_driver_sql("ANALYZE mentorships; ANALYZE evaluations")
        due = timed(database, send_due, args.replicas)
        overdue = timed(database, send_overdue, args.replicas)
        with database.engine.connect() as conn:
            events = dict(conn.execute(sa.text("SELECT event_type, count(*) FROM outbox GROUP BY 1")).all())
            planned = conn.scalar(sa.text("SELECT count(*) FROM evaluations WHERE sequence = 2"))
        print(json.dumps({
            "benchmark": "evaluation_schedule", "mentorships": args.mentorships, "replicas": args.replicas,
            "batch": BATCH, "send_due": due, "send_overdue": overdue, "next_planned": planned,
            "events": {k.split(".")[-2]: v for k, v in events.items()},
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        }, indent=2))
    finally:
        database.dispose()
        db.drop_database(url)


if __name__ == "__main__":
    main()
