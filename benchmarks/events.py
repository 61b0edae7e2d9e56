"""Event backbone benchmark: outbox → relay (publisher confirms) → RabbitMQ → consumer with inbox.

Runs a real worker process (consumer + relays) of the test probe service on its own database and
broker prefix, then:
  1. throughput: commits N events as fast as it can (transactions of 50, from --producers threads, as
     several API processes would) and measures events handled
     per second from the first commit to the last handled effect;
  2. latency: commits one event per transaction at a fixed rate (200/s) and measures commit-to-handled
     latency (commit returned in the producer → handler's effect row written), p50/p95/p99.
Prints one JSON object. Usage: python benchmarks/events.py [--events 20000] [--rate 200] [--seconds 20]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> int:
    from shared import config

    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--relays", type=int, default=int(config.env("MMM_RELAYS", "2")))
    parser.add_argument("--consumers", type=int, default=int(config.env("MMM_CONSUMERS", "2")))
    parser.add_argument("--producers", type=int, default=2, help="threads committing events, like API processes")
    args = parser.parse_args()

    from shared import testing

    run_id = testing.new_run_id()
    config.export(MMM_DATABASE_PREFIX=run_id, MMM_BROKER_PREFIX=run_id, MMM_RELAYS=str(args.relays),
                  MMM_CONSUMERS=str(args.consumers))

    import sqlalchemy as sa

    from shared.events import broker
    from tests.platform import events_support as support
    from tests.platform import probe

    database = probe.prepare_database()
    broker.declare(probe.NAME, probe.handlers.routing_keys())
    worker = support.start_worker()
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "relays": args.relays, "consumers": args.consumers, "producers": args.producers,
                    "confirms": True, "inbox": True}
    try:
        support.commit_events(database, ["warm-up"])
        support.wait_until(lambda: support.effect_counts(database).get("warm-up"), 60, what="worker up")

        # 1. throughput
        keys = [f"t{i}" for i in range(args.events)]
        start = time.time()
        producers = [threading.Thread(target=support.commit_events, args=(database, keys[i::args.producers]),
                                      kwargs={"per_transaction": 50}) for i in range(args.producers)]
        for p in producers:
            p.start()
        for p in producers:
            p.join()
        produced = time.time() - start
        with database.engine.connect() as c:
            def handled() -> int:
                return c.execute(sa.text("SELECT count(*) FROM probe_effects WHERE key LIKE 't%'")).scalar()

            support.wait_until(lambda: handled() >= args.events, 600, interval=0.1, what="all handled")
            last = c.execute(sa.text("SELECT extract(epoch FROM max(handled_at)) FROM probe_effects")).scalar()
        elapsed = float(last) - start
        result["throughput"] = {"events": args.events, "seconds": round(elapsed, 2),
                                "events_per_second": round(args.events / elapsed, 1),
                                "producer_commits_per_second": round(args.events / produced, 1)}

        # 2. latency at a fixed rate
        committed: dict[str, float] = {}
        n = int(args.rate * args.seconds)
        interval = 1.0 / args.rate
        t0 = time.perf_counter()
        wall0 = time.time()
        for i in range(n):
            target = t0 + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            key = f"l{i}"
            support.commit_events(database, [key])
            committed[key] = time.time()
        achieved = n / (time.time() - wall0)
        with database.engine.connect() as c:
            support.wait_until(
                lambda: c.execute(sa.text("SELECT count(*) FROM probe_effects WHERE key LIKE 'l%'")).scalar() >= n,
                120, what="latency events handled")
            rows = c.execute(sa.text("SELECT key, extract(epoch FROM handled_at) FROM probe_effects WHERE key LIKE 'l%'")).all()
        latencies = [(float(ts) - committed[key]) * 1000 for key, ts in rows]
        result["latency_ms_at_fixed_rate"] = {
            "target_rate": args.rate, "achieved_rate": round(achieved, 1), "events": n,
            "p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1), "max": round(max(latencies), 1),
            "mean": round(statistics.fmean(latencies), 1),
        }
    finally:
        support.stop_worker(worker)
        database.dispose()
        testing.drop_run_databases(config.postgres_url(), run_id)
        broker.delete(run_id, [probe.NAME])
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
