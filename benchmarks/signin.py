"""Sign-in benchmark: access-token issuances per second and latency percentiles at N concurrent clients
against a running identity API. Prints JSON. Not a pass/fail test.

    python benchmarks/signin.py [URL] --operator-email ops@example.org --operator-password '...'
        [--clients 8] [--duration 20] [--warmup 2]

URL defaults to http://127.0.0.1:8080/api/v1/identity (through the gateway); the identity API alone
answers at http://127.0.0.1:8101/api/v1/identity. With the operator's login the benchmark creates its
own institution and one institution admin per client through the API, then each client signs in with
POST /auth/token in a loop (e-mail + password → argon2id verification, EdDSA access token, refresh
token row) for the given duration. Each client signs in as its own user, as real users do.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import statistics
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from demo.mailbox import wait_for_invitation_token  # noqa: E402
from shared import config  # noqa: E402

PASSWORD = "benchmark-password-2025"


def _post(session: requests.Session, url: str, body: dict, token: str | None = None, expect: int = 201) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = session.post(url, json=body, headers=headers, timeout=30)
    if r.status_code != expect:
        raise SystemExit(f"POST {url}: {r.status_code} {r.text[:300]}")
    return r.json()


def prepare(base: str, operator_email: str, operator_password: str, clients: int) -> list[str]:
    s = requests.Session()
    op = _post(s, f"{base}/auth/token", {"email": operator_email, "password": operator_password}, expect=200)
    token = op["access_token"]
    run = uuid.uuid4().hex[:8]
    inst = _post(s, f"{base}/institutions", {
        "name": f"Benchmark institution {run}", "kind": "academic", "class_size": 60,
        "contact": {"name": "Benchmark", "email": f"bench-{run}@example.org"}}, token)
    emails = []
    for n in range(clients):
        email = f"bench-{run}-{n}@example.org"
        since = time.time()
        inv = _post(s, f"{base}/institutions/{inst['id']}/admin-invitations", {"email": email, "name": f"Bench {n}"},
                    token)
        # As the invitee gets it: from the response only where identity is set to return it, else from the
        # invitation e-mail the local platform keeps (MMM_RUN_DIR/mail).
        invitation_token = inv.get("token") or wait_for_invitation_token(email, since=since)
        _post(s, f"{base}/invitations/accept", {"token": invitation_token, "password": PASSWORD})
        emails.append(email)
    return emails


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def run(base: str, emails: list[str], duration: float, warmup: float) -> dict:
    latencies: list[list[float]] = [[] for _ in emails]
    errors = [0 for _ in emails]
    start_barrier = threading.Barrier(len(emails) + 1)
    window: dict[str, float] = {}

    def client(i: int, email: str) -> None:
        s = requests.Session()
        body = {"email": email, "password": PASSWORD}
        start_barrier.wait()
        while time.perf_counter() < window["end"]:
            t0 = time.perf_counter()
            r = s.post(f"{base}/auth/token", json=body, timeout=30)
            t1 = time.perf_counter()
            if t0 < window["measure_from"]:
                continue
            if r.status_code == 200 and r.json().get("access_token"):
                latencies[i].append(t1 - t0)
            else:
                errors[i] += 1

    threads = [threading.Thread(target=client, args=(i, e), daemon=True) for i, e in enumerate(emails)]
    now = time.perf_counter()
    window["measure_from"] = now + warmup
    window["end"] = now + warmup + duration
    for t in threads:
        t.start()
    start_barrier.wait()
    for t in threads:
        t.join()
    all_latencies = sorted(x for per in latencies for x in per)
    measured = window["end"] - window["measure_from"]
    return {
        "benchmark": "identity sign-in (POST /auth/token)",
        "url": base,
        "concurrent_clients": len(emails),
        "duration_s": round(measured, 2),
        "issued": len(all_latencies),
        "errors": sum(errors),
        "issuances_per_s": round(len(all_latencies) / measured, 1),
        "latency_ms": {
            "p50": round(percentile(all_latencies, 50) * 1000, 1),
            "p95": round(percentile(all_latencies, 95) * 1000, 1),
            "p99": round(percentile(all_latencies, 99) * 1000, 1),
            "mean": round(statistics.fmean(all_latencies) * 1000, 1) if all_latencies else None,
            "max": round(all_latencies[-1] * 1000, 1) if all_latencies else None,
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8080/api/v1/identity")
    parser.add_argument("--operator-email", default=config.env("MMM_OPERATOR_EMAIL"), required=False)
    parser.add_argument("--operator-password", default=config.env("MMM_OPERATOR_PASSWORD"), required=False)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    if not args.operator_email or not args.operator_password:
        parser.error("an operator login is needed (--operator-email/--operator-password or "
                     "MMM_OPERATOR_EMAIL/MMM_OPERATOR_PASSWORD)")
    base = args.url.rstrip("/")
    emails = prepare(base, args.operator_email, args.operator_password, args.clients)
    print(json.dumps(run(base, emails, args.duration, args.warmup), indent=2))


if __name__ == "__main__":
    main()
