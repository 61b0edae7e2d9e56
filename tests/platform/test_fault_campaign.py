"""The platform fault test (issue 14): about 2,000 events flow through all six services' real workers while
the broker is stopped and started, workers are killed with SIGKILL and PostgreSQL backends are terminated,
at random moments; after settling, every effect is there exactly once.

The seed is printed and can be replayed: MMM_FAULT_SEED=<seed>. Also MMM_FAULT_EVENTS (2000),
MMM_FAULT_COUNT (12 faults, each kind at least 3 times; 0 for a run without faults) and
MMM_FAULT_STREAM_SECONDS (60, the time over which the events are written). Run it under the lock:
`flock /tmp/mmm-browser.lock pytest -m fault tests/platform/test_fault_campaign.py`.
"""
from __future__ import annotations

import random
import time

import pytest

from shared import config
from tests.conftest import RUN_ID
from tests.platform import fault_campaign_support as fc

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

PREFIX = RUN_ID + "_f"


@pytest.fixture()
def campaign(infrastructure, monkeypatch, tmp_path):
    # This process reads and writes the campaign's databases and broker names, as its workers do.
    monkeypatch.setenv("MMM_DATABASE_PREFIX", PREFIX)
    monkeypatch.setenv("MMM_BROKER_PREFIX", PREFIX)
    campaign = fc.Campaign(PREFIX, tmp_path)
    try:
        campaign.prepare()
        campaign.start()
        yield campaign
    finally:
        campaign.close()


@pytest.mark.fault
def test_every_effect_exactly_once_across_services_through_broker_worker_and_database_faults(
        campaign, infrastructure, capsys):
    seed = int(config.env("MMM_FAULT_SEED") or random.SystemRandom().randrange(10**6))
    events_wanted = int(config.env("MMM_FAULT_EVENTS", "2000"))
    fault_count = int(config.env("MMM_FAULT_COUNT", "12"))
    seconds = float(config.env("MMM_FAULT_STREAM_SECONDS", "60"))
    with capsys.disabled():
        print(f"\nfault campaign: seed {seed} (replay with MMM_FAULT_SEED={seed})", flush=True)
    rng = random.Random(seed)
    steps = fc.program(rng, events_wanted)
    faults = fc.plan_faults(rng, fault_count, seconds)
    injector = fc.Injector(campaign, infrastructure, faults)
    writer = fc.Stream(campaign, steps, seconds)
    started = time.monotonic()
    writer.start()
    try:
        injector.run(started)
    finally:
        writer.join(timeout=seconds + 180)
    assert writer.error is None, f"the events could not be written: {writer.error!r}"
    assert len(injector.done) == len(faults)
    if fault_count:
        kinds = {kind: sum(f.kind == kind for f in injector.done) for kind in fc.KINDS}
        assert len(injector.done) >= 10 and min(kinds.values()) >= 3, kinds

    streamed = time.monotonic() - started
    fc.wait_settled(campaign, timeout=90)
    settled = time.monotonic() - started - streamed
    counts = fc.count(campaign)
    queues = fc.queue_counts(PREFIX)
    # No silent consumer: every worker has its consumers attached again, and handles a new event.
    consumers = {q: n for q, (_, n) in queues.items() if not q.endswith((".retry", ".dlq"))}
    silent = fc.fresh_events_handled(campaign, timeout=30)
    line = fc.summary(seed, injector.done, counts, silent, queues,
                      stream_s=streamed, settle_s=settled, duration_s=time.monotonic() - started)
    with capsys.disabled():
        print(line, flush=True)

    diagnosis = ""
    if counts.lost or counts.doubled or silent:
        diagnosis = f"{campaign.diagnosis()}\nworker logs in {campaign.run_dir}"
        campaign.dump_threads(silent)  # the silent workers' stacks, in their logs
    detail = {k: v for k, v in counts.by_check.items() if v.get("lost") or v.get("doubled") or v.get("missing")}
    assert counts.events >= events_wanted
    assert counts.lost == 0, f"lost: {detail}\n{diagnosis}"
    assert counts.doubled == 0, f"doubled: {detail}\n{diagnosis}"
    assert {q: n for q, (n, _) in queues.items() if n} == {}, "queues not empty (main, retry or dead-letter)"
    assert all(n >= int(config.env("MMM_CONSUMERS", "2")) for n in consumers.values()), \
        f"a queue with fewer consumers than its worker runs: {consumers}"
    assert silent == [], f"consumers that did not handle a new event after the faults: {silent}\n{diagnosis}"
