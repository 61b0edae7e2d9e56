"""Notifications benchmark: event fan-out into inbox rows and queued e-mails through a real worker, and
webhook deliveries to a local receiver. Prints one JSON object. Not a pass/fail test.

    python benchmarks/notifications.py [--events 20000] [--consumers 2,4] [--workers 1] [--publishers 4]
        [--jobs idle|on] [--deliveries 5000] [--concurrency 32] [--mentors 1600] [--mentees 4000]
        [--institutions 8] [--timeout 300] [--skip-fanout] [--skip-webhooks]

It uses a database and a broker prefix of its own (shared.testing.new_run_id()), both removed at the end.

1. Fan-out. Recipients are seeded the way the service learns of them, by handling InstitutionSubscribed,
   InstitutionAdminEnrolled (3 per institution), MentorEnrolled and MenteeEnrolled events (some people
   also switch some e-mails off in their preferences). Then, for each value of --consumers, --workers
   real worker processes (`python -m mmm.cli worker notifications`, MMM_CONSUMERS threads each) run and
   N events of a realistic mix (requests created, reminded, accepted, declined, withdrawn, expired with
   strikes; mentorships; training and CME; evaluations and surveys; ejections and unresponsive mentors
   told to the mentor and the institution's admins; ...) are published to the run's exchange
   (shared.testing.publish_events, bodies from shared.events.envelope.build) by --publishers threads of
   this process. Measured: from the first publish to the moment the inbox, notifications and emails
   rows reach the numbers the mix must produce; also the rate while the publishers still run (they and
   the broker share the two cores with the worker) and after, and the CPU time each party used (the
   worker, this process, this run's PostgreSQL backends, the RabbitMQ server — shared with anything
   else using it) per event.
   Job threads: NOTIFICATIONS_SMTP_PORT is a port this process holds bound but not listening (every
   SMTP connection is refused at once: nothing is ever sent) and NOTIFICATIONS_EMAIL_RETRY is PT1H.
   With --jobs idle (the default) NOTIFICATIONS_JOB_INTERVAL is PT1H: each job runs once as the worker
   starts and not again, so the window measures the consumers; the feed sequencer is then timed on its
   own on what the fan-out left ("sequencer"). With --jobs on (PT1S, as deployed) the sequencer runs
   every second and the e-mail job claims 50 due mails a second, fails to connect and defers them.
   WORKER_PORT=0 (no probe server), MMM_RELAYS=1 (the service publishes nothing).
2. Webhooks. The workers are stopped. A local HTTP receiver (a separate process: ThreadingHTTPServer,
   HTTP/1.1 keep-alive, answers 204, records each arrival) listens on 127.0.0.1; each institution
   subscribes to every feed event type through service.subscribe (NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE=on).
   Events are handled by the service's handlers (which write the feed copies), jobs.sequence_feed gives
   them positions and creates M deliveries, then jobs.deliver_webhooks (NOTIFICATIONS_WEBHOOK_CONCURRENCY
   = --concurrency threads) is called in this process until none is pending, and timed. Reported:
   deliveries/s, latency from the delivery row's created_at to the receiver's arrival time (this includes
   the wait in the backlog: the drain starts with all M pending), the HTTP attempt's duration as the job
   logged it, and a sample of signatures verified with the standardwebhooks package.
The machine's load average is reported at the start and end of each phase (other work on the machine
shows up in the figures).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from shared import config  # noqa: E402

SEED = 20251129
ADMINS_PER_INSTITUTION = 3

# The mix, weight per 1,000 events: mostly the request life cycle (R12), then training, evaluations,
# surveys, and the rare status changes that tell an institution's admins.
MIX = {
    "RequestCreated": 230, "RequestReminderDue": 110, "RequestAccepted": 120, "RequestDeclined": 60,
    "RequestWithdrawn": 30, "RequestExpired": 80, "MentorshipStarted": 60, "MentorshipConcluded": 20,
    "TrainingCompleted": 90, "CmeCreditAwarded": 50, "EvaluationDue": 60, "EvaluationOverdue": 20,
    "SurveyAssigned": 40, "MentorProfilePublished": 15, "MentorEjected": 6, "MentorReinstated": 3,
    "MentorUnresponsive": 4, "MenteeExited": 2,
}

FIRST = ("Aaliyah Adaeze Alejandro Amara Andre Ayodele Camila Chidi Darnell Deja Diego Ebony Emeka Fatima Grace "
         "Hector Imani Jamal Javier Keisha Kwame Lucia Malik Maria Nia Omar Priya Rafael Rosa Tariq Wei Zainab"
         ).split()
LAST = ("Acosta Adeyemi Alvarez Appiah Banks Boateng Chavez Diallo Eze Garcia Haile Jackson Kamara Lopez Mensah "
        "Nguyen O'Brien Okafor Osei Patel Ramirez Reyes Singh Torres Washington Yeboah").split()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def broker_pids() -> list[int]:
    """The RabbitMQ server (beam.smp) on this machine, shared with whatever else uses the broker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "beam.smp":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


class CpuMeter:
    """CPU seconds used between start() and stop() by groups of processes: the worker(s), this process
    (publishing threads and the poller), this run's PostgreSQL backends and the RabbitMQ server."""

    def __init__(self, database, workers):
        self.database, self.workers = database, workers

    def _backends(self) -> list[int]:
        import sqlalchemy as sa

        with self.database.engine.connect() as conn:
            return list(conn.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))

    def _read(self, groups: dict[str, list[int]]) -> dict[str, float]:
        return {name: sum(c for c in (cpu_seconds(p) for p in pids) if c is not None) for name, pids in groups.items()}

    def start(self) -> None:
        self.groups = {"worker": [w.pid for w in self.workers], "benchmark_process": [os.getpid()],
                       "postgres_backends": self._backends(), "rabbitmq": broker_pids()}
        self.before = self._read(self.groups)
        self.t0 = time.perf_counter()

    def stop(self, events: int) -> dict:
        after = self._read(self.groups)
        # backends that connected meanwhile (pool growth) count from zero
        extra = [p for p in self._backends() if p not in self.groups["postgres_backends"]]
        used = {k: after[k] - self.before[k] for k in after}
        used["postgres_backends"] += sum(c for c in (cpu_seconds(p) for p in extra) if c is not None)
        wall = time.perf_counter() - self.t0
        return {"wall_s": round(wall, 2),
                "cpu_s": {k: round(v, 2) for k, v in used.items()},
                "cpu_ms_per_event": {k: round(v / events * 1000, 3) for k, v in used.items()},
                "cores_busy": {k: round(v / wall, 2) for k, v in used.items()}}


# --- people and events -----------------------------------------------------------------------------------

class Population:
    """Institutions, admins, mentors and mentees (in memory, mirrored into the service by events), and
    the e-mail preferences some of them chose."""

    def __init__(self, rng: random.Random, institutions: int, mentors: int, mentees: int):
        self.rng = rng
        self.institutions = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(institutions)]
        self.inst_of: dict[uuid.UUID, uuid.UUID] = {}
        self.name: dict[uuid.UUID, str] = {}
        self.admins = {i: [self._person(i) for _ in range(ADMINS_PER_INSTITUTION)] for i in self.institutions}
        self.mentors = [self._person(self.institutions[n % institutions]) for n in range(mentors)]
        self.mentees = [self._person(self.institutions[n % institutions]) for n in range(mentees)]
        self.preferences: dict[tuple[uuid.UUID, str], bool] = {}
        for m in self.mentees:
            if rng.random() < 0.25:
                self.preferences[(m, "request_declined")] = False
                self.preferences[(m, "evaluation_overdue")] = False
        for m in self.mentors:
            if rng.random() < 0.2:
                self.preferences[(m, "cme_credit_awarded")] = False
                self.preferences[(m, "training_completed")] = False

    def _person(self, inst: uuid.UUID) -> uuid.UUID:
        uid = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        self.inst_of[uid] = inst
        self.name[uid] = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        return uid

    def seed_events(self) -> list[tuple[str, dict]]:
        out = []
        for n, inst in enumerate(self.institutions):
            out.append(("InstitutionSubscribed", {
                "institution_id": inst, "name": f"School of Medicine {n + 1} & Partners", "kind": "academic",
                "class_size": 80, "minimum_mentors": 50, "subscription_status": "active"}))
        for role, people in (("InstitutionAdminEnrolled", [a for v in self.admins.values() for a in v]),
                             ("MentorEnrolled", self.mentors), ("MenteeEnrolled", self.mentees)):
            for uid in people:
                out.append((role, {"user_id": uid, "institution_id": self.inst_of[uid], "name": self.name[uid],
                                   "email": f"u{uid.hex[:12]}@example.org"}))
        return out


class Mix:
    """Generates events of the mix and what each must produce: notifications (recipient, category),
    the e-mails among them (by category defaults and preferences) and the feed copies."""

    def __init__(self, pop: Population, rng: random.Random):
        from services.notifications import rules

        self.pop, self.rng, self.rules = pop, rng, rules
        self._inst = {str(k): str(v) for k, v in pop.inst_of.items()}
        self.names = list(MIX)
        self.weights = [MIX[n] for n in self.names]

    def _pair(self):
        """A mentee and a mentor: most mentees ask mentors of their own institution, a third national ones."""
        mentee = self.rng.choice(self.pop.mentees)
        if self.rng.random() < 0.67:
            inst = self.pop.inst_of[mentee]
            local = [m for m in self.pop.mentors[self.pop.institutions.index(inst)::len(self.pop.institutions)]]
            mentor = self.rng.choice(local)
        else:
            mentor = self.rng.choice(self.pop.mentors)
        return mentee, mentor

    def one(self, now: datetime) -> tuple[str, dict, list[tuple[uuid.UUID, str]]]:
        name = self.rng.choices(self.names, self.weights)[0]
        r, p = self.rng, self.pop
        ago = now - timedelta(days=r.randint(1, 13), minutes=r.randint(0, 600))
        tells: list[tuple[uuid.UUID, str]] = []
        mentee, mentor = self._pair()
        req = {"request_id": uuid.uuid4(), "mentee_id": mentee, "mentor_id": mentor}
        pair = {"mentee_institution_id": p.inst_of[mentee], "mentor_institution_id": p.inst_of[mentor]}
        mentorship = {"mentorship_id": uuid.uuid4(), "mentor_id": mentor, "mentee_id": mentee, **pair}
        admins = p.admins[p.inst_of[mentor]]
        if name == "RequestCreated":
            data = {**req, **pair, "created_at": now, "respond_by": now + timedelta(days=14)}
            tells = [(mentor, "request_received")]
        elif name == "RequestReminderDue":
            data = {**req, "respond_by": now + timedelta(days=7)}
            tells = [(mentor, "request_reminder")]
        elif name == "RequestAccepted":
            data = {**req, "mentorship_id": uuid.uuid4(), "created_at": ago, "responded_at": now}
            tells = [(mentee, "request_accepted")]
        elif name == "RequestDeclined":
            automatic = r.random() < 0.3
            data = {**req, "reason": "at capacity" if automatic else "I am on leave until spring, sorry.",
                    "automatic": automatic, "created_at": ago, "responded_at": now}
            tells = [(mentee, "request_declined")]
        elif name == "RequestWithdrawn":
            data = {**req, "withdrawn_at": now}
        elif name == "RequestExpired":
            data = {**req, "created_at": ago - timedelta(days=14), "respond_by": now - timedelta(minutes=1),
                    "strikes": r.randint(1, 2), "strikes_allowed": 2, "window_days": 180}
            tells = [(mentee, "request_expired"), (mentor, "request_expired_strike")]
        elif name == "MentorshipStarted":
            data = {**mentorship, "request_id": uuid.uuid4(), "started_at": now}
        elif name == "MentorshipConcluded":
            data = {**mentorship, "reason": "goals met", "concluded_by": r.choice(["mentor", "mentee"]),
                    "started_at": ago - timedelta(days=180), "concluded_at": now}
        elif name == "TrainingCompleted":
            user = r.choice([mentor, mentee])
            data = {"user_id": user, "institution_id": p.inst_of[user],
                    "track": "mentor" if user == mentor else "mentee", "curriculum_version": 1, "completed_at": now}
            tells = [(user, "training_completed")]
        elif name == "CmeCreditAwarded":
            data = {"user_id": mentor, "institution_id": p.inst_of[mentor], "module_id": uuid.uuid4(),
                    "module_version": 1, "credit_hours": "1.50", "certificate_code": uuid.uuid4().hex[:12].upper(),
                    "awarded_at": now}
            tells = [(mentor, "cme_credit_awarded")]
        elif name in ("EvaluationDue", "EvaluationOverdue"):
            data = {"evaluation_id": uuid.uuid4(), "mentorship_id": uuid.uuid4(), "mentee_id": mentee,
                    "mentor_id": mentor, **pair, "kind": r.choice(["periodic", "final"]), "due_at": ago,
                    "closes_at": now + timedelta(days=30)}
            tells = [(mentee, "evaluation_due" if name == "EvaluationDue" else "evaluation_overdue")]
        elif name == "SurveyAssigned":
            user = r.choice([mentor, mentee])
            data = {"assignment_id": uuid.uuid4(), "survey_id": uuid.uuid4(), "title": "Career update, spring",
                    "kind": "career_update", "user_id": user, "institution_id": p.inst_of[user],
                    "due_at": now + timedelta(days=21)}
            tells = [(user, "survey_assigned")]
        elif name == "MentorProfilePublished":
            data = {"mentor_id": mentor, "institution_id": p.inst_of[mentor], "scope": r.choice(["local", "national"])}
        elif name in ("MentorEjected", "MentorReinstated"):
            data = {"user_id": mentor, "institution_id": p.inst_of[mentor],
                    "reason": "unanswered requests" if name == "MentorEjected" else "back from leave"}
            if name == "MentorEjected":
                tells = [(mentor, "mentor_ejected")] + [(a, "admin_mentor_ejected") for a in admins]
            else:
                tells = [(mentor, "mentor_reinstated")]
        elif name == "MentorUnresponsive":
            data = {"mentor_id": mentor, "institution_id": p.inst_of[mentor], "strikes": 2, "window_days": 180,
                    "expired_request_ids": [uuid.uuid4(), uuid.uuid4()]}
            tells = [(mentor, "mentor_unresponsive")] + [(a, "admin_mentor_unresponsive") for a in admins]
        elif name == "MenteeExited":
            data = {"user_id": mentee, "institution_id": p.inst_of[mentee], "reason": r.choice(["graduated", "left"])}
            tells = [(mentee, "stay_on_as_mentor")] + [(a, "admin_mentee_exited")
                                                       for a in p.admins[p.inst_of[mentee]]]
        else:  # pragma: no cover - the mix names only the events above
            raise ValueError(name)
        return name, data, tells

    def emails(self, tells) -> int:
        return sum(self.rules.email_wanted(cat, self.pop.preferences.get((uid, cat))) for uid, cat in tells)

    def feed_copies(self, body: dict) -> int:
        return len(self.rules.project(body["type"].split(".")[3], body["data"], lambda u: self._inst.get(str(u))))

    def batch(self, n: int) -> tuple[list[dict], int, int, dict[str, int]]:
        """n event bodies, the notifications and e-mails they must produce, and the count per type."""
        from shared.events import envelope

        bodies, notes, mails, kinds = [], 0, 0, {}
        now = datetime.now(timezone.utc)
        for _ in range(n):
            name, data, tells = self.one(now)
            bodies.append(envelope.build(name, data, subject=str(data.get("request_id") or data.get("user_id")
                                                                 or data.get("mentor_id") or "")))
            notes += len(tells)
            mails += self.emails(tells)
            kinds[name] = kinds.get(name, 0) + 1
        return bodies, notes, mails, kinds


def handle_in_process(database, bodies: list[dict], per_transaction: int = 50) -> None:
    """Handle events with the service's own handlers, as the consumer does (one transaction a batch)."""
    from services.notifications import settings as settings_module
    from services.notifications.events import handlers
    from shared.events import envelope

    handlers.settings = settings_module.load()  # as a worker gives them at its start

    for start in range(0, len(bodies), per_transaction):
        with database.unit_of_work() as session:
            for body in bodies[start:start + per_transaction]:
                event = envelope.parse(body)
                handlers.get(event.type.type)(session, event)


# --- the worker --------------------------------------------------------------------------------------------

def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "mmm.cli", "worker", "notifications"], cwd=REPO,
                                env=config.environment(**env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def counts(conn) -> tuple[int, int, int]:
    import sqlalchemy as sa

    row = conn.execute(sa.text("SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM notifications), "
                               "(SELECT count(*) FROM emails)")).one()
    return int(row[0]), int(row[1]), int(row[2])


def wait_counts(database, target: tuple[int, int, int], timeout: float, interval: float = 0.1,
                samples: list | None = None):
    """Poll until inbox, notifications and emails reach `target`; (time reached or None, last counts).

    Only the inbox is counted at each poll (small rows: a few ms); notifications and e-mails (kilobytes
    a row: counting them ten times a second would cost PostgreSQL a good part of a core) are counted
    once the inbox is complete — a consumer writes them in the transaction that records the event in
    the inbox. Each poll's (time, inbox count) is appended to `samples` when given."""
    import sqlalchemy as sa

    deadline = time.monotonic() + timeout
    with database.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        while True:
            handled = conn.scalar(sa.text("SELECT count(*) FROM inbox"))
            at = time.time()
            if samples is not None:
                samples.append((at, handled))
            if handled >= target[0]:
                now = counts(conn)
                if all(a >= b for a, b in zip(now, target)):
                    return at, now
            if time.monotonic() > deadline:
                return None, counts(conn)
            time.sleep(interval)


def queue_depth(name: str) -> int | None:
    from shared.events import broker

    conn = broker.connect()
    try:
        return conn.channel().queue_declare(name, passive=True).method.message_count
    except Exception:  # noqa: BLE001 - report what can be reported
        return None
    finally:
        if conn.is_open:
            conn.close()


def worker_env(consumers: int, smtp_port: int, jobs: str) -> dict:
    env = {"MMM_CONSUMERS": str(consumers), "MMM_RELAYS": "1", "WORKER_PORT": "0", "LOG_LEVEL": "WARNING",
           "NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
           "NOTIFICATIONS_EMAIL_RETRY": "PT1H"}
    if jobs == "idle":
        # Each job runs once when the worker starts, then not for an hour: the measured window is the
        # consumers' alone (the sequencer's share is measured on its own afterwards).
        env["NOTIFICATIONS_JOB_INTERVAL"] = "PT1H"
    return env


def fanout(database, mix: Mix, args, consumers: int, smtp_port: int, log_dir: Path) -> dict:
    from shared import testing
    from shared.events import broker

    env = worker_env(consumers, smtp_port, args.jobs)
    workers = [start_worker(env, log_dir / f"worker-c{consumers}-{n}.log") for n in range(args.workers)]
    log_path = log_dir / f"worker-c{consumers}-0.log"
    try:
        # Warm-up (not measured): the worker connects, compiles its statements, loads its templates.
        with database.engine.connect() as conn:
            base = counts(conn)
        warm, notes, mails, _ = mix.batch(200)
        testing.publish_events(warm)
        reached, now = wait_counts(database, (base[0] + len(warm), base[1] + notes, base[2] + mails), 120)
        if reached is None:
            raise RuntimeError(f"worker did not handle the warm-up events: {now} (log: {log_path})")
        base = now

        bodies, notes, mails, kinds = mix.batch(args.events)
        target = (base[0] + len(bodies), base[1] + notes, base[2] + mails)
        load_before = load()
        chunks = [bodies[i::args.publishers] for i in range(args.publishers)]
        published_at: list[float] = []

        def publish(chunk: list[dict]) -> None:
            for i in range(0, len(chunk), 500):
                testing.publish_events(chunk[i:i + 500])
            published_at.append(time.time())

        threads = [threading.Thread(target=publish, args=(c,), name=f"publisher-{n}") for n, c in enumerate(chunks)]
        samples: list = []
        meter = CpuMeter(database, workers)
        meter.start()
        start = time.time()
        for t in threads:
            t.start()
        reached, final = wait_counts(database, target, args.timeout, samples=samples)
        for t in threads:
            t.join(timeout=args.timeout)
        cpu = meter.stop(len(bodies))
        load_after = load()
        published = max(published_at) - start if len(published_at) == len(threads) else None
        result: dict = {
            "worker_processes": args.workers, "consumers_per_worker": consumers, "events": len(bodies),
            "notifications": notes, "emails_queued": mails,
            "events_by_type": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
            "publish_seconds": round(published, 2) if published else None,
            "publish_events_per_second": round(len(bodies) / published, 1) if published else None,
            "load_avg_before": load_before, "load_avg_after": load_after, "cpu": cpu,
        }
        if published and reached:
            # The broker and the publishing threads share the two cores with the worker until the last
            # publish: the rate while publishing, and the worker's rate on the backlog after it.
            end = start + published
            at_end = next(((t, c) for t, c in samples if t >= end), samples[-1])
            handled = at_end[1] - base[0]
            rest = len(bodies) - handled
            result["handled_by_end_of_publishing"] = handled
            result["events_per_second_while_publishing"] = round(handled / (at_end[0] - start), 1)
            if rest and reached > at_end[0]:
                result["events_per_second_after_publishing"] = round(rest / (reached - at_end[0]), 1)
        if reached is None:
            result.update(timed_out_after_s=args.timeout, reached={"inbox": final[0] - base[0],
                                                                   "notifications": final[1] - base[1],
                                                                   "emails": final[2] - base[2]})
        else:
            elapsed = reached - start
            result.update(seconds=round(elapsed, 2), events_per_second=round(len(bodies) / elapsed, 1),
                          notifications_per_second=round(notes / elapsed, 1),
                          emails_queued_per_second=round(mails / elapsed, 1))
        names = broker.names()
        result["dead_lettered"] = queue_depth(names.dead_letter_queue("notifications"))
        return result
    finally:
        for worker in workers:
            stop_worker(worker)


def sequencer(database) -> dict:
    """The feed sequencer on what the fan-out left (jobs idle): positions for every feed copy."""
    import sqlalchemy as sa

    from services.notifications import jobs

    with database.engine.connect() as conn:
        waiting = conn.scalar(sa.text("SELECT count(*) FROM feed_events WHERE position IS NULL"))
    t0 = time.perf_counter()
    n = jobs.sequence_feed(database)
    elapsed = time.perf_counter() - t0
    return {"feed_copies": n, "unsequenced_before": waiting, "seconds": round(elapsed, 2),
            "copies_per_second": round(n / elapsed, 1) if elapsed else None, "load_avg_after": load()}


# --- the webhook receiver ------------------------------------------------------------------------------------

def _receiver(port_out, control, sample_every: int) -> None:
    """Runs in its own process: answers every POST with 204 and records (webhook-id, arrival time, path);
    every `sample_every`-th request's headers and body are kept for signature checks."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    arrivals: list[tuple[str, float, str]] = []
    samples: list[tuple[str, dict, str]] = []
    lock = threading.Lock()

    class Hook(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            at = time.time()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                arrivals.append((self.headers.get("webhook-id", ""), at, self.path))
                if len(arrivals) % sample_every == 1:
                    samples.append((self.path, {k.lower(): v for k, v in self.headers.items()},
                                    body.decode()))

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port_out.send(server.server_port)
    while True:
        if not control.poll(600):
            break
        command = control.recv()
        if command == "take":
            with lock:
                control.send((list(arrivals), list(samples)))
                arrivals.clear()
                samples.clear()
        else:
            break
    server.shutdown()


class Receiver:
    def __init__(self, sample_every: int = 25):
        ctx = mp.get_context("spawn")
        self._port_in, port_out = ctx.Pipe(duplex=False)
        self._control, control = ctx.Pipe()
        self.proc = ctx.Process(target=_receiver, args=(port_out, control, sample_every), daemon=True)

    def __enter__(self) -> Receiver:
        self.proc.start()
        if not self._port_in.poll(60):
            raise RuntimeError("the webhook receiver did not start")
        self.port = self._port_in.recv()
        return self

    def take(self):
        self._control.send("take")
        if not self._control.poll(60):
            raise RuntimeError("the webhook receiver did not answer")
        return self._control.recv()

    def __exit__(self, *exc) -> None:
        try:
            self._control.send("stop")
        except OSError:
            pass
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=10)


def webhooks(database, mix: Mix, args, concurrency: int, receiver: Receiver, secrets: dict) -> dict:
    import sqlalchemy as sa
    from standardwebhooks.webhooks import Webhook

    from services.notifications import jobs
    from services.notifications import settings as settings_module

    config.export(NOTIFICATIONS_WEBHOOK_CONCURRENCY=str(concurrency))
    settings = settings_module.load()
    # Events until their feed copies (one delivery each: every institution subscribes to every type) reach M.
    bodies, copies = [], 0
    while copies < args.deliveries:
        batch, _, _, _ = mix.batch(200)
        for body in batch:
            if copies >= args.deliveries:
                break
            bodies.append(body)
            copies += mix.feed_copies(body)
    t0 = time.perf_counter()
    handle_in_process(database, bodies)
    handled_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    jobs.sequence_feed(database, settings)
    sequenced_s = time.perf_counter() - t0
    with database.engine.connect() as conn:
        pending = conn.scalar(sa.text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"))
    receiver.take()  # forget earlier arrivals
    load_before = load()
    start_wall, start = time.time(), time.perf_counter()
    delivered, runs = 0, 0
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        n = jobs.deliver_webhooks(database, settings)
        runs += 1
        delivered += n
        with database.engine.connect() as conn:
            left = conn.scalar(sa.text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"))
        if not left or (n == 0 and runs > 3):
            break
    elapsed = time.perf_counter() - start
    load_after = load()
    arrivals, samples = receiver.take()
    with database.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT d.id, extract(epoch FROM d.created_at), d.status FROM webhook_deliveries d "
            "WHERE d.created_at >= to_timestamp(:t) - interval '1 hour'"), {"t": start_wall}).all()
        durations = [float(x) for x in conn.scalars(sa.text(
            "SELECT duration_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
            "WHERE a.attempted_at >= to_timestamp(:t)"), {"t": start_wall - 1})]
        statuses = dict(conn.execute(sa.text(
            "SELECT status, count(*) FROM webhook_deliveries WHERE created_at >= to_timestamp(:t) - interval '1 hour' "
            "GROUP BY status"), {"t": start_wall}).all())
    created = {f"msg_{r[0].hex}": float(r[1]) for r in rows}
    first_arrival: dict[str, float] = {}
    for wid, at, _ in arrivals:
        first_arrival.setdefault(wid, at)
    latencies = [(at - created[wid]) * 1000 for wid, at in first_arrival.items() if wid in created]
    verified, failures = 0, []
    for path, headers, body in samples:
        inst = path.rsplit("/", 1)[-1]
        try:
            payload = Webhook(secrets[inst]).verify(body, headers)
            if payload["data"]["institution_id"] != inst:
                raise ValueError("a copy for another institution")
            verified += 1
        except Exception as exc:  # noqa: BLE001 - reported
            failures.append(f"{type(exc).__name__}: {exc}"[:200])

    def pct(values):
        if not values:
            return None
        return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
                "p99": round(percentile(values, 99), 1), "max": round(max(values), 1),
                "mean": round(statistics.fmean(values), 1)}

    return {
        "concurrency": concurrency, "events_handled_for_feeds": len(bodies),
        "deliveries_pending_at_start": pending, "delivered_ok": delivered,
        "received": len(first_arrival), "repeats_received": len(arrivals) - len(first_arrival),
        "statuses": statuses, "job_runs": runs, "seconds": round(elapsed, 2),
        "deliveries_per_second": round(delivered / elapsed, 1) if elapsed else None,
        "latency_ms_created_to_arrival": pct(latencies),
        "http_attempt_ms": pct(durations),
        "signatures_verified": verified, "signature_failures": failures[:3],
        "setup": {"handle_events_s": round(handled_s, 2), "sequence_feed_s": round(sequenced_s, 2)},
        "load_avg_before": load_before, "load_avg_after": load_after,
    }


def subscribe_all(database, pop: Population, port: int) -> dict[str, str]:
    from services.notifications import rules, service
    from services.notifications import settings as settings_module
    from shared.auth import Principal

    settings = settings_module.load()
    secrets = {}
    with database.unit_of_work() as session:
        for inst in pop.institutions:
            admin = pop.admins[inst][0]
            sub, secret = service.subscribe(session, settings, Principal(admin, "institution_admin", inst), inst, {
                "url": f"http://127.0.0.1:{port}/hooks/{inst}", "event_types": sorted(rules.FEEDS),
                "description": "benchmark receiver"})
            secrets[str(inst)] = secret
    return secrets


def seed(database, pop: Population) -> float:
    from services.notifications import service
    from shared.auth import Principal
    from shared.events import envelope

    t0 = time.perf_counter()
    handle_in_process(database, [envelope.build(name, data) for name, data in pop.seed_events()], 500)
    by_user: dict[uuid.UUID, dict[str, bool]] = {}
    for (uid, cat), wanted in pop.preferences.items():
        by_user.setdefault(uid, {})[cat] = wanted
    with database.unit_of_work() as session:
        for uid, changes in by_user.items():
            role = "mentor" if "cme_credit_awarded" in changes else "mentee"
            service.set_preferences(session, Principal(uid, role, pop.inst_of[uid]), changes)
    return time.perf_counter() - t0


def closed_port() -> socket.socket:
    """A loopback port held bound but not listening: a connection to it is refused at once, and no other
    process can start listening there while we hold it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    probe = socket.socket()
    probe.settimeout(2)
    try:
        if probe.connect_ex(s.getsockname()) == 0:
            raise RuntimeError("the SMTP port meant to be closed accepts connections")
    finally:
        probe.close()
    return s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000, help="events published per fan-out run")
    parser.add_argument("--consumers", default="2,4", help="MMM_CONSUMERS of the worker; a list runs one fan-out each")
    parser.add_argument("--publishers", type=int, default=4, help="threads publishing (one connection each)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (replicas) in the fan-out")
    parser.add_argument("--jobs", choices=["idle", "on"], default="idle",
                        help="the worker's job threads during the fan-out: idle (NOTIFICATIONS_JOB_INTERVAL=PT1H; "
                             "the sequencer is timed on its own afterwards) or on (PT1S, as deployed)")
    parser.add_argument("--deliveries", type=int, default=5000, help="webhook deliveries drained per run")
    parser.add_argument("--concurrency", default="32",
                        help="NOTIFICATIONS_WEBHOOK_CONCURRENCY; a list runs one drain each")
    parser.add_argument("--institutions", type=int, default=8)
    parser.add_argument("--mentors", type=int, default=1600)
    parser.add_argument("--mentees", type=int, default=4000)
    parser.add_argument("--timeout", type=float, default=300.0, help="bound of each measured phase, seconds")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-webhooks", action="store_true")
    args = parser.parse_args()
    consumer_counts = [int(x) for x in args.consumers.split(",") if x.strip()]
    concurrencies = [int(x) for x in args.concurrency.split(",") if x.strip()]

    from shared import testing

    run_id = testing.new_run_id()
    config.export(MMM_DATABASE_PREFIX=run_id, MMM_BROKER_PREFIX=run_id, LOG_LEVEL="WARNING",
                  NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE="on", NOTIFICATIONS_PUBLIC_URL="https://mentormemed.example")

    from services.notifications.events import handlers
    from shared import db, migrations
    from shared.events import broker

    import shutil

    result: dict = {"benchmark": "notifications: event fan-out through a worker; webhook deliveries",
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "load_avg_at_start": load()}
    smtp = closed_port()
    log_dir = Path(tempfile.mkdtemp(prefix="notifications-bench-"))
    database = None
    try:
        migrations.upgrade("notifications")
        database = db.Database(config.database_url("notifications"), pool_size=5)
        broker.declare("notifications", handlers.routing_keys())
        rng = random.Random(SEED)
        pop = Population(rng, args.institutions, args.mentors, args.mentees)
        mix = Mix(pop, rng)
        seeded_s = seed(database, pop)
        result["population"] = {"institutions": args.institutions, "admins": args.institutions * ADMINS_PER_INSTITUTION,
                                "mentors": args.mentors, "mentees": args.mentees,
                                "people_with_email_switched_off": len({u for u, _ in pop.preferences}),
                                "seed_seconds": round(seeded_s, 2)}
        if not args.skip_fanout:
            result["fanout"] = {
                "path": "publish_events (confirmed, mandatory) -> quorum queue -> `mmm worker notifications` "
                        "(consumer threads: batches of 50 in one transaction, prefetch 100) -> inbox, notifications, "
                        "emails, feed_events",
                "worker_env": {"MMM_RELAYS": 1, "WORKER_PORT": 0, "NOTIFICATIONS_SMTP_PORT": "bound, not listening "
                               "(connections refused)", "NOTIFICATIONS_EMAIL_RETRY": "PT1H",
                               "NOTIFICATIONS_JOB_INTERVAL": "PT1H (jobs idle)" if args.jobs == "idle"
                               else "PT1S (default: sequencer, e-mail job deferring to the closed port)"},
                "publishers": args.publishers,
                "runs": [fanout(database, mix, args, c, smtp.getsockname()[1], log_dir) for c in consumer_counts],
            }
            result["fanout"]["sequencer"] = sequencer(database)
        if not args.skip_webhooks:
            from services.notifications import jobs

            jobs.sequence_feed(database)  # what the fan-out left unsequenced gets no deliveries
            with Receiver() as receiver:
                secrets = subscribe_all(database, pop, receiver.port)
                result["webhooks"] = {
                    "receiver": "separate process, ThreadingHTTPServer on 127.0.0.1, HTTP/1.1 keep-alive, 204",
                    "subscriptions": len(secrets), "job": "jobs.deliver_webhooks called in this process",
                    "runs": [webhooks(database, mix, args, c, receiver, secrets) for c in concurrencies],
                }
        shutil.rmtree(log_dir, ignore_errors=True)  # the workers' logs are kept only when something failed
    finally:
        smtp.close()
        if database is not None:
            database.dispose()
        testing.drop_run_databases(config.postgres_url(), run_id)
        try:
            broker.delete(run_id, ["notifications"])
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            print(f"could not delete the broker objects of {run_id}: {exc!r}", file=sys.stderr)
    result["load_avg_at_end"] = load()
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
