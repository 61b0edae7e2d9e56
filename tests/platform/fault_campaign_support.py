"""The fault campaign (tests/platform/test_fault_campaign.py): the six real workers on databases and a
broker prefix of their own, a program's lifecycle recorded into the producers' outboxes as a stream of
transactions, faults injected at random moments, and the counts of what was lost or doubled.

Expectations are derived from the producers' outboxes after settling (every event there, the ones the
services recorded themselves while handling included), never from what the stream meant to write: a
transaction whose COMMIT was cut off by a fault may or may not be there, and either is correct.
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from shared import config, migrations, testing
from shared.db import DATABASE_DOWN, Database
from shared.events import broker, record_event, registry

REPO = Path(__file__).resolve().parents[2]
SERVICES = config.SERVICES
# Beside the six: the probe service (tests/platform/probe.py), whose effect is a row per handling, on
# purpose not unique, so a repeat that got past the inbox shows (the six services' read models are keyed
# by id, so they would hide it).
WORKERS = (*SERVICES, "probe")


def handlers_of(worker: str):
    from mmm.services import load
    from tests.platform import probe

    return probe.handlers if worker == "probe" else load(worker).handlers


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- the program: a plausible lifecycle, as steps of one transaction each -------------------------------------

@dataclass
class Step:
    """One transaction in one producer's database: its events, `rows` written beside them (identity's own
    institution and user rows, so that its consumer has someone to eject), and `marker`, a (event name,
    data field) of its first event that finds it in the outbox after a COMMIT cut off by a fault."""
    service: str
    events: list[tuple[str, dict, str | None]]
    rows: list = field(default_factory=list)

    @property
    def marker(self) -> tuple[str, str, str]:
        name, data, _ = self.events[0]
        key = next(k for k in ("request_id", "mentorship_id", "certificate_code", "assignment_id", "user_id",
                               "mentor_id", "institution_id", "key") if k in data)
        return name, key, str(data[key])


def program(rng: random.Random, events: int) -> list[Step]:
    """Institutions with mentors and mentees going through the program (enrolled, trained, published,
    requests accepted, declined or expired, mentorships started and some concluded, surveys, one
    unresponsive mentor each), until at least `events` events; interleaved across institutions."""
    from services.identity.models import Institution, User

    lanes: list[list[Step]] = []
    total = 0
    while total < events:
        n = len(lanes)
        inst = uuid.uuid4()
        lane: list[Step] = []
        lane.append(Step("identity", [("InstitutionSubscribed", {
            "institution_id": inst, "name": f"Campaign School {n}", "kind": "academic", "class_size": 40,
            "minimum_mentors": 25, "subscription_status": "active"}, f"institutions/{inst}")],
            rows=[Institution(id=inst, name=f"Campaign School {n}", kind="academic", class_size=40,
                              contact_name="Dean", contact_email=f"dean{n}@school.test", subscription_status="active",
                              enrollment_code=uuid.uuid4().hex)]))
        mentors = [uuid.uuid4() for _ in range(8)]
        mentees = [uuid.uuid4() for _ in range(14)]
        for i, m in enumerate(mentors):
            name, email = f"Mentor {n}-{i}", f"mentor{n}-{i}-{m.hex[:6]}@school.test"
            lane.append(Step("identity", [("MentorEnrolled", {"user_id": m, "institution_id": inst, "name": name,
                                                              "email": email}, f"users/{m}")],
                             rows=[User(id=m, email=email, name=name, role="mentor", institution_id=inst,
                                        status="active")]))
        for i in range(0, len(mentees), 2):
            lane.append(Step("identity", [("MenteeEnrolled", {
                "user_id": u, "institution_id": inst, "name": f"Mentee {n}-{u.hex[:4]}",
                "email": f"mentee-{u.hex[:8]}@school.test", "institution_name": f"Campaign School {n}",
                "training_stage": "medical_student", "expected_graduation_year": 2029}, f"users/{u}")
                for u in mentees[i:i + 2]]))
        for m in mentors:
            module = uuid.uuid4()
            lane.append(Step("training", [
                ("TrainingCompleted", {"user_id": m, "institution_id": inst, "track": "mentor",
                                       "curriculum_version": 1, "completed_at": now()}, f"users/{m}"),
                ("CmeCreditAwarded", {"user_id": m, "institution_id": inst, "module_id": module, "module_version": 1,
                                      "credit_hours": "1.5", "certificate_code": f"CME-{uuid.uuid4().hex[:12]}",
                                      "awarded_at": now()}, f"users/{m}")]))
        for u in mentees:
            lane.append(Step("training", [("TrainingCompleted", {
                "user_id": u, "institution_id": inst, "track": "mentee", "curriculum_version": 1,
                "completed_at": now()}, f"users/{u}")]))
        for m in mentors:
            lane.append(Step("directory", [("MentorProfilePublished", {
                "mentor_id": m, "institution_id": inst, "scope": rng.choice(["local", "national"])}, f"mentors/{m}")]))
        # Requests: the last mentor never answers (three expiries, then MentorUnresponsive); the others
        # accept, up to three mentees at once (R11), or decline; some mentorships conclude.
        unresponsive, answering = mentors[-1], mentors[:-1]
        active = Counter()
        for u in mentees:
            for mentor in rng.sample(answering, 2):
                lane.extend(_request(rng, inst, u, mentor, active))
        expired = []
        for u in rng.sample(mentees, 3):
            request_id, created = uuid.uuid4(), now()
            base = {"request_id": request_id, "mentee_id": u, "mentor_id": unresponsive}
            lane.append(Step("mentorship", [("RequestCreated", {**base, "mentee_institution_id": inst,
                                                                "mentor_institution_id": inst, "created_at": created,
                                                                "respond_by": created + timedelta(days=14)},
                                             f"requests/{request_id}")]))
            expired.append(request_id)
            lane.append(Step("mentorship", [("RequestExpired", {**base, "created_at": created,
                                                                "respond_by": created + timedelta(days=14),
                                                                "strikes": len(expired), "strikes_allowed": 3,
                                                                "window_days": 90}, f"requests/{request_id}")]))
        lane.append(Step("mentorship", [("MentorUnresponsive", {
            "mentor_id": unresponsive, "institution_id": inst, "strikes": 3, "window_days": 90,
            "expired_request_ids": expired, "expiries": [{"request_id": r, "expired_at": now()} for r in expired]},
            f"mentors/{unresponsive}")]))
        for u in mentees:
            assignment = uuid.uuid4()
            lane.append(Step("evaluation", [("SurveyAssigned", {
                "assignment_id": assignment, "survey_id": uuid.uuid4(), "title": "Program feedback",
                "kind": "program_feedback", "user_id": u, "institution_id": inst, "due_at": None},
                f"assignments/{assignment}")]))
        # The probe's events spread over the lane, so that faults find it handling some.
        every = len(lane) // 8
        for i in range(8):
            lane.insert(i * (every + 1), Step("probe", [("ProbeHappened", {"key": f"{n}-{i}-{j}"}, None)
                                                        for j in range(5)]))
        lanes.append(lane)
        total += sum(len(s.events) for s in lane if s.service != "probe")
    steps = []
    for i in range(max(len(lane) for lane in lanes)):
        steps.extend(lane[i] for lane in lanes if i < len(lane))
    return steps


def _request(rng: random.Random, inst, mentee, mentor, active: Counter) -> list[Step]:
    request_id, created = uuid.uuid4(), now()
    base = {"request_id": request_id, "mentee_id": mentee, "mentor_id": mentor}
    steps = [Step("mentorship", [("RequestCreated", {
        **base, "mentee_institution_id": inst, "mentor_institution_id": inst, "created_at": created,
        "respond_by": created + timedelta(days=14)}, f"requests/{request_id}")])]
    if active[mentor] >= 3 or rng.random() < 0.3:
        steps.append(Step("mentorship", [("RequestDeclined", {**base, "reason": "no time this term", "automatic": False,
                                                              "created_at": created, "responded_at": now()},
                                          f"requests/{request_id}")]))
        return steps
    mentorship_id, started = uuid.uuid4(), now()
    pair = {"mentorship_id": mentorship_id, "mentor_id": mentor, "mentee_id": mentee, "mentor_institution_id": inst,
            "mentee_institution_id": inst}
    steps.append(Step("mentorship", [
        ("RequestAccepted", {**base, "mentorship_id": mentorship_id, "created_at": created, "responded_at": started},
         f"requests/{request_id}"),
        ("MentorshipStarted", {**pair, "request_id": request_id, "started_at": started},
         f"mentorships/{mentorship_id}")]))
    active[mentor] += 1
    if rng.random() < 0.3:
        steps.append(Step("mentorship", [("MentorshipConcluded", {
            **pair, "reason": "goals met", "concluded_by": "mentee", "started_at": started, "concluded_at": now()},
            f"mentorships/{mentorship_id}")]))
        active[mentor] -= 1
    return steps


def write_steps(database: Database, steps: list[Step]) -> None:
    """Commit the steps in one transaction, again after a fault unless its COMMIT went through after all."""
    while True:
        try:
            with database.unit_of_work() as session:
                for step in steps:
                    for row in step.rows:
                        session.merge(row)
                    for name, data, subject in step.events:
                        record_event(session, name, data, subject=subject)
            return
        except DATABASE_DOWN:
            time.sleep(0.2)
            try:
                if _in_outbox(database, *steps[0].marker):
                    return
            except DATABASE_DOWN:
                pass


def _in_outbox(database: Database, name: str, key: str, value: str) -> bool:
    with database.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT 1 FROM outbox WHERE event_type LIKE :t AND body->'data'->>:k = :v LIMIT 1"),
                           {"t": f"%.{name}.v1", "k": key, "v": value}) is not None


# --- the platform under test ----------------------------------------------------------------------------------

class Campaign:
    """The six workers (`mmm worker <svc>`, one process each) and a mail sink on the campaign's own databases
    and broker prefix; `close()` stops them and removes the databases and the broker's names."""

    def __init__(self, prefix: str, run_dir: Path):
        self.prefix, self.run_dir = prefix, run_dir
        self.smtp_port = testing.free_port()
        self.env = config.environment()
        self.env.update({
            "MMM_DATABASE_PREFIX": prefix, "MMM_BROKER_PREFIX": prefix, "MMM_RUN_DIR": str(run_dir),
            "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1", "MMM_SMTP_LISTEN": f"127.0.0.1:{self.smtp_port}",
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": str(self.smtp_port),
            "NOTIFICATIONS_SMTP_SECURITY": "none", "NOTIFICATIONS_JOB_INTERVAL": "PT0.5S",
            # a mail claimed by a worker killed mid-send goes out again within seconds, not minutes
            "NOTIFICATIONS_SEND_LEASE": "PT5S", "NOTIFICATIONS_EMAIL_RETRY": "PT1S",
            "NOTIFICATIONS_EMAIL_RETRY_MAX": "PT2S", "EVALUATION_JOB_INTERVAL": "PT0.5S",
            "MMM_RETRY_DELAY": "PT0.5S",
            # the probe handles slowly, so that a broker stopped while it handles makes it handle again
            "PROBE_HANDLER_SECONDS": "0.05"})
        self.workers: dict[str, subprocess.Popen] = {}
        self.mail: subprocess.Popen | None = None
        self.databases: dict[str, Database] = {}
        self._logs = []

    @property
    def mail_dir(self) -> Path:
        return self.run_dir / "mail"

    def prepare(self) -> None:
        """Databases migrated and the topology declared. The caller has set MMM_DATABASE_PREFIX and
        MMM_BROKER_PREFIX to the campaign's prefix in this process too."""
        from tests.platform import probe

        assert config.broker_prefix() == self.prefix and config.database_name("x") == f"{self.prefix}_x"
        for name in WORKERS:
            if name == "probe":
                probe.prepare_database().dispose()
            else:
                migrations.upgrade(name)
            broker.declare(name, handlers_of(name).routing_keys())
            self.databases[name] = Database(config.database_url(name), pool_size=1, max_overflow=2,
                                            name="fault-campaign")

    def start(self) -> None:
        from tests.conftest import _terminate_with_parent

        log = open(self.run_dir / "mail.log", "a")
        self._logs.append(log)
        self.mail = subprocess.Popen([sys.executable, "-m", "mmm.cli", "mail"], cwd=REPO, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, preexec_fn=_terminate_with_parent)
        for name in WORKERS:
            self.start_worker(name)

    def start_worker(self, name: str) -> None:
        from tests.conftest import _terminate_with_parent

        log = open(self.run_dir / f"{name}-worker.log", "a")
        self._logs.append(log)
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", "tests.platform.probe"] if name == "probe"
            else [sys.executable, "-m", "mmm.cli", "worker", name], cwd=REPO,
            env={**self.env, "WORKER_PORT": str(testing.free_port())}, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_terminate_with_parent)

    def kill_worker(self, name: str) -> None:
        proc = self.workers[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def terminate_backends(self) -> int:
        """pg_terminate_backend of every connection to the campaign's databases (and to no other)."""
        engine = sa.create_engine(config.postgres_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return len(conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE :p "
                    "AND pid <> pg_backend_pid()"), {"p": self.prefix.replace("_", "\\_") + "\\_%"}).all())
        finally:
            engine.dispose()

    def diagnosis(self) -> str:
        """What a failed run leaves behind: mails not sent, and the workers' last errors."""
        mails = _rows(self.databases["notifications"], "SELECT status, to_address IS NULL AS no_address, "
                      "left(last_error, 200), count(*) FROM emails GROUP BY 1, 2, 3")
        try:
            queues = queue_counts(self.prefix)
        except Exception as exc:  # noqa: BLE001 - the broker is part of what failed
            queues = repr(exc)
        return f"queues (ready, consumers): {queues}\nmails by status: {mails}\n{self.log_tail()}"

    def dump_threads(self, names: list[str]) -> None:
        """Each worker named writes its threads' stacks to its log (PYTHONFAULTHANDLER, SIGABRT)."""
        for name in names:
            if self.workers[name].poll() is None:
                self.workers[name].send_signal(signal.SIGABRT)
                self.workers[name].wait()

    def log_tail(self) -> str:
        """Each worker's last errors, apart from the broker client's own reports of a refused connection."""
        out = []
        for name in WORKERS:
            path = self.run_dir / f"{name}-worker.log"
            if path.exists():
                errors = [line[:400] for line in path.read_text(errors="replace").splitlines()
                          if '"ERROR"' in line and '"logger": "pika.' not in line]
                out.append(f"--- {name}: {len(errors)} errors; last: {errors[-2:]}")
        return "\n".join(out)

    def close(self) -> None:
        for proc in [*self.workers.values(), self.mail]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers.values(), self.mail]:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for log in self._logs:
            log.close()
        for database in self.databases.values():
            database.dispose()
        testing.drop_run_databases(config.postgres_url(), self.prefix)
        try:
            broker.delete(self.prefix, list(WORKERS))
        except Exception:  # noqa: BLE001 - the broker stopped by a failed run: the next run's stale cleanup
            pass


# --- faults -----------------------------------------------------------------------------------------------------

KINDS = ("broker", "kill", "postgres")


@dataclass
class Fault:
    at: float  # seconds after the stream started
    kind: str
    pause: float  # how long the broker stays stopped, or the worker dead
    target: str | None = None  # the worker killed
    backends: int = 0  # PostgreSQL connections terminated


def plan_faults(rng: random.Random, count: int, window: float) -> list[Fault]:
    """`count` faults (each kind at least 3 times) at random moments within `window` seconds."""
    if count == 0:
        return []
    kinds = [KINDS[i % 3] for i in range(max(count, 9))]
    rng.shuffle(kinds)
    times = sorted(rng.uniform(0.05 * window, 0.95 * window) for _ in kinds)
    return [Fault(at=t, kind=k, pause=rng.uniform(0.5, 3.0), target=rng.choice(WORKERS) if k == "kill" else None)
            for t, k in zip(times, kinds)]


class Injector:
    """Injects the planned faults, one after another. It runs in the test's main thread (the events are
    streamed from another), because the workers it restarts die with the thread that started them
    (PR_SET_PDEATHSIG belongs to the starting thread)."""

    def __init__(self, campaign: Campaign, infrastructure, faults: list[Fault]):
        self.campaign, self.infrastructure, self.faults = campaign, infrastructure, faults
        self.done: list[Fault] = []

    def run(self, started: float) -> None:
        for fault in self.faults:
            delay = started + fault.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if fault.kind == "broker":
                self.infrastructure.stop_broker()
                try:
                    time.sleep(fault.pause)
                finally:
                    self.infrastructure.start_broker()
            elif fault.kind == "kill":
                self.campaign.kill_worker(fault.target)
                time.sleep(fault.pause)
                self.campaign.start_worker(fault.target)
            else:
                fault.backends = self.campaign.terminate_backends()
            self.done.append(fault)


class Stream(threading.Thread):
    """Writes the steps evenly over `seconds`, so that the faults land while events flow."""

    def __init__(self, campaign: Campaign, steps: list[Step], seconds: float):
        super().__init__(name="event-stream", daemon=True)
        self.campaign, self.steps, self.seconds = campaign, steps, seconds
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            started, done = time.monotonic(), 0
            while done < len(self.steps):
                due = min(len(self.steps), int(len(self.steps) * (time.monotonic() - started) / self.seconds) + 1)
                if due <= done:
                    time.sleep(self.seconds / len(self.steps))
                    continue
                # When behind (a slow machine, a fault), what is due goes in one transaction per producer.
                by_service: dict[str, list[Step]] = {}
                for step in self.steps[done:due]:
                    by_service.setdefault(step.service, []).append(step)
                for service, steps in by_service.items():
                    write_steps(self.campaign.databases[service], steps)
                done = due
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


# --- settling and the counts ------------------------------------------------------------------------------------

def _rows(database: Database, sql: str, **params) -> list:
    with database.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def queue_counts(prefix: str) -> dict[str, tuple[int, int]]:
    """{queue: (messages ready, consumers)} of each consuming service's queue, retry and dead-letter queue."""
    names = broker.names(prefix)
    conn = broker.connect()
    try:
        ch = conn.channel()
        out = {}
        for svc in WORKERS:
            if not handlers_of(svc):
                continue
            for q in (names.queue(svc), names.retry_queue(svc), names.dead_letter_queue(svc)):
                ok = ch.queue_declare(q, passive=True).method
                out[q] = (ok.message_count, ok.consumer_count)
        return out
    finally:
        conn.close()


def pending_outboxes(campaign: Campaign) -> int:
    return sum(_rows(db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
               for db in campaign.databases.values())


def outbox_events(campaign: Campaign) -> list[dict]:
    """Every event in every producer's outbox: {id, name, service, data}."""
    out = []
    for svc, database in campaign.databases.items():
        for eid, etype, data in _rows(database, "SELECT id, event_type, body->'data' FROM outbox ORDER BY seq"):
            out.append({"id": eid, "name": registry.by_type(etype).name, "service": svc, "data": data})
    return out


# Who notifications tells of an event, and in which category: (field naming the person, category).
TELLS = {
    "TrainingCompleted": [("user_id", "training_completed")], "CmeCreditAwarded": [("user_id", "cme_credit_awarded")],
    "RequestCreated": [("mentor_id", "request_received")], "RequestAccepted": [("mentee_id", "request_accepted")],
    "RequestDeclined": [("mentee_id", "request_declined")],
    "RequestExpired": [("mentee_id", "request_expired"), ("mentor_id", "request_expired_strike")],
    "MentorUnresponsive": [("mentor_id", "mentor_unresponsive")], "MentorEjected": [("user_id", "mentor_ejected")],
    "SurveyAssigned": [("user_id", "survey_assigned")], "EvaluationDue": [("mentee_id", "evaluation_due")],
}


@dataclass
class Counts:
    events: int = 0  # in the six services' outboxes, those they recorded while handling included
    deliveries: int = 0  # (event, consuming service) pairs checked in the inboxes
    lost_deliveries: int = 0
    effects: int = 0  # read-model effects checked
    lost_effects: int = 0
    doubled_effects: int = 0
    mail_repeats: int = 0  # the same mail (Message-ID) handed to SMTP again after a fault
    by_check: dict = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.lost_deliveries + self.lost_effects

    @property
    def doubled(self) -> int:
        return self.doubled_effects


def count(campaign: Campaign) -> Counts:
    """Compare the producers' outboxes with the consumers' inboxes and read models."""
    events = outbox_events(campaign)
    by_name: dict[str, list[dict]] = {}
    for e in events:
        by_name.setdefault(e["name"], []).append(e)
    counts = Counts(events=sum(1 for e in events if e["service"] != "probe"))
    # 1. every event reached every service bound to it: its id is in that service's inbox
    for svc in WORKERS:
        handlers = handlers_of(svc)
        wanted = {e["id"] for e in events if handlers.get(registry.by_name(e["name"]).type)}
        if not wanted:
            continue
        seen = {r[0] for r in _rows(campaign.databases[svc], "SELECT event_id FROM inbox")}
        counts.deliveries += len(wanted)
        missing = len(wanted - seen)
        counts.lost_deliveries += missing
        counts.by_check[f"{svc}.inbox"] = {"expected": len(wanted), "missing": missing}

    def ids(name, key="user_id", **match):
        return [str(e["data"][key]) for e in by_name.get(name, [])
                if all(e["data"].get(k) == v for k, v in match.items())]

    enrolled = {"mentor": ids("MentorEnrolled"), "mentee": ids("MenteeEnrolled")}
    trained = {t: ids("TrainingCompleted", track=t) for t in ("mentor", "mentee")}
    ejected = ids("MentorEjected")
    started = {str(e["data"]["mentorship_id"]): str(e["data"]["mentor_id"])
               for e in by_name.get("MentorshipStarted", [])}
    concluded = ids("MentorshipConcluded", "mentorship_id")
    active = Counter(m for ms, m in started.items() if ms not in set(concluded))
    outcomes = (ids("RequestAccepted", "request_id") + ids("RequestDeclined", "request_id", automatic=False)
                + ids("RequestExpired", "request_id"))
    db = campaign.databases
    # 2. the read models show each effect exactly once: (check, expected keys with their counts, actual rows)
    checks = {
        "identity.ejected": (ids("MentorUnresponsive", "mentor_id"),
                             _rows(db["identity"], "SELECT id::text FROM users WHERE status = 'ejected'")),
        "identity.MentorEjected": (ids("MentorUnresponsive", "mentor_id"), [(e,) for e in ejected]),
        "training.learners": ([(u, "mentor") for u in enrolled["mentor"]] + [(u, "mentee") for u in enrolled["mentee"]],
                              _rows(db["training"], "SELECT user_id::text, track FROM learners")),
        "training.ejected": (ejected,
                             _rows(db["training"], "SELECT user_id::text FROM learners WHERE status = 'ejected'")),
        "directory.profiles": (enrolled["mentor"], _rows(db["directory"], "SELECT user_id::text FROM mentor_profiles")),
        "directory.trained": (trained["mentor"],
                              _rows(db["directory"], "SELECT user_id::text FROM mentor_profiles WHERE trained")),
        "directory.ejected": (ejected, _rows(db["directory"],
                                             "SELECT user_id::text FROM mentor_profiles WHERE status = 'ejected'")),
        "directory.mentorships": (list(started), _rows(db["directory"], "SELECT mentorship_id::text FROM mentorships")),
        # each active mentorship counts once in its mentor's active mentees
        "directory.active_mentees": (list(active.elements()), [
            (m,) for m, n in _rows(db["directory"], "SELECT user_id::text, active_mentees FROM mentor_profiles")
            for _ in range(n)]),
        "directory.request_outcomes": (outcomes,
                                       _rows(db["directory"], "SELECT request_id::text FROM request_outcomes")),
        "mentorship.members": (enrolled["mentor"] + enrolled["mentee"],
                               _rows(db["mentorship"], "SELECT user_id::text FROM members")),
        "mentorship.trained": (trained["mentor"] + trained["mentee"],
                               _rows(db["mentorship"],
                                     "SELECT user_id::text FROM members WHERE trained_at IS NOT NULL")),
        "mentorship.published": (ids("MentorProfilePublished", "mentor_id"),
                                 _rows(db["mentorship"], "SELECT user_id::text FROM members WHERE published")),
        "mentorship.ejected": (ejected,
                               _rows(db["mentorship"], "SELECT user_id::text FROM members WHERE status = 'ejected'")),
        "evaluation.members": (enrolled["mentor"] + enrolled["mentee"],
                               _rows(db["evaluation"], "SELECT user_id::text FROM members")),
        "evaluation.mentorships": (list(started),
                                   _rows(db["evaluation"], "SELECT mentorship_id::text FROM mentorships")),
        # R13: an active mentorship's first periodic evaluation planned, a concluded one's final evaluation
        # (its periodic one, if planned before the conclusion arrived, cancelled)
        "evaluation.evaluations": ([(m, "periodic") for m in started if m not in set(concluded)]
                                   + [(m, "final") for m in concluded],
                                   _rows(db["evaluation"], "SELECT mentorship_id::text, kind FROM evaluations "
                                                           "WHERE status <> 'cancelled'")),
        "evaluation.request_facts": (ids("RequestCreated", "request_id"),
                                     _rows(db["evaluation"], "SELECT request_id::text FROM request_facts")),
        "evaluation.cme_credits": (ids("CmeCreditAwarded", "certificate_code"),
                                   _rows(db["evaluation"], "SELECT certificate_code FROM cme_credits")),
        "notifications.recipients": (enrolled["mentor"] + enrolled["mentee"],
                                     _rows(db["notifications"], "SELECT user_id::text FROM recipients")),
    }
    told = [(str(e["id"]), str(e["data"][person]), category)
            for name, tells in TELLS.items() for e in by_name.get(name, []) for person, category in tells]
    checks["probe.effects"] = ([str(e["data"]["key"]) for e in by_name.get("ProbeHappened", [])],
                               _rows(db["probe"], "SELECT key FROM probe_effects"))
    checks["notifications.notifications"] = (told, _rows(
        db["notifications"], "SELECT event_id::text, user_id::text, category FROM notifications"))
    checks["notifications.emails_sent"] = (told, _rows(
        db["notifications"], "SELECT event_id::text, user_id::text, category FROM emails WHERE status = 'sent'"))
    # The mails the sink received: one per e-mail. A mail handed to SMTP again after a fault (a worker
    # killed between the server's OK and its record) carries the same Message-ID, which the receiver
    # drops: counted apart. A second Message-ID for one e-mail is a second mail: doubled.
    email_of = {r[0].hex: tuple(r[1:]) for r in _rows(
        db["notifications"], "SELECT id, event_id::text, user_id::text, category FROM emails")}
    message_ids = Counter(str(m["Message-ID"]) for m in testing.read_mails(campaign.mail_dir))
    counts.mail_repeats = sum(n - 1 for n in message_ids.values())
    checks["notifications.mails"] = (told, [email_of.get(_email_id(mid), ("unknown", mid, "")) for mid in message_ids])
    for name, (expected, actual) in checks.items():
        exp = Counter(k if isinstance(k, tuple) else (k,) for k in expected)
        act = Counter(tuple(str(v) for v in row) for row in actual)
        lost, doubled = sum((exp - act).values()), sum((act - exp).values())
        counts.effects += sum(exp.values())
        counts.lost_effects += lost
        counts.doubled_effects += doubled
        counts.by_check[name] = {"expected": sum(exp.values()), "lost": lost, "doubled": doubled}
    return counts


def _email_id(message_id: str) -> str:
    """The e-mail's id (hex) in a Message-ID: `<id@host>`, or make_msgid's `<time.pid.random.id@host>`."""
    return message_id.strip("<>").split("@", 1)[0].rsplit(".", 1)[-1]


def settled(campaign: Campaign) -> bool:
    """Outboxes published, the consuming queues empty, and every queued mail sent."""
    if pending_outboxes(campaign):
        return False
    if any(ready for q, (ready, _) in queue_counts(campaign.prefix).items() if not q.endswith(".dlq")):
        return False
    return not _rows(campaign.databases["notifications"], "SELECT 1 FROM emails WHERE status = 'queued' LIMIT 1")


def wait_settled(campaign: Campaign, timeout: float) -> bool:
    """Until settled with nothing lost or doubled (the evaluation job's EvaluationDue and the mails come
    last), or `timeout` seconds; whether it got there. Prints what it waits for every 10 s."""
    from pika.exceptions import AMQPError

    started = time.monotonic()
    deadline, report = started + timeout, started + 10
    while time.monotonic() < deadline:
        try:
            if settled(campaign):
                c = count(campaign)
                if c.lost == 0 and c.doubled == 0:
                    return True
            if time.monotonic() > report:
                report += 10
                ready = sum(n for q, (n, _) in queue_counts(campaign.prefix).items() if not q.endswith(".dlq"))
                mails = _rows(campaign.databases["notifications"],
                              "SELECT count(*) FROM emails WHERE status = 'queued'")
                print(f"settling {time.monotonic() - started:.0f} s: {pending_outboxes(campaign)} events to publish, "
                      f"{ready} messages in queues, {mails[0][0]} mails to send", flush=True)
        except DATABASE_DOWN + (AMQPError, OSError):
            pass
        time.sleep(1.0)
    return False


def fresh_events_handled(campaign: Campaign, timeout: float) -> list[str]:
    """After the last fault: a new MentorEnrolled (to training, directory, mentorship, evaluation,
    notifications), MentorUnresponsive (to identity) and ProbeHappened are handled by every consuming
    service within `timeout` seconds; the services that stayed silent."""
    mentor, inst = uuid.uuid4(), uuid.uuid4()
    ids = {}
    with campaign.databases["identity"].unit_of_work() as s:
        ids["MentorEnrolled"] = record_event(s, "MentorEnrolled", {"user_id": mentor, "institution_id": inst,
                                                                   "name": "Late Mentor", "email": "late@school.test"})
    with campaign.databases["mentorship"].unit_of_work() as s:
        ids["MentorUnresponsive"] = record_event(s, "MentorUnresponsive", {
            "mentor_id": mentor, "institution_id": inst, "strikes": 3, "window_days": 90, "expired_request_ids": []})
    with campaign.databases["probe"].unit_of_work() as s:
        ids["ProbeHappened"] = record_event(s, "ProbeHappened", {"key": "after-the-faults"})
    expect = {svc: [i for name, i in ids.items() if handlers_of(svc).get(registry.by_name(name).type)]
              for svc in WORKERS}
    deadline = time.monotonic() + timeout
    silent = [svc for svc in WORKERS if expect[svc]]
    while silent and time.monotonic() < deadline:
        silent = [svc for svc in silent if len(_rows(
            campaign.databases[svc], "SELECT 1 FROM inbox WHERE event_id = ANY(:i)", i=expect[svc])) < len(expect[svc])]
        time.sleep(0.2)
    return silent


def summary(seed: int, faults: list[Fault], counts: Counts, silent: list[str], queues: dict,
            **seconds: float) -> str:
    return json.dumps({
        "fault_campaign": True, "seed": seed, "faults": len(faults),
        "faults_by_kind": dict(Counter(f.kind for f in faults)),
        "killed": dict(Counter(f.target for f in faults if f.kind == "kill")),
        "backends_terminated": sum(f.backends for f in faults),
        "events": counts.events, "probe_events": counts.by_check.get("probe.effects", {}).get("expected"),
        "deliveries_checked": counts.deliveries, "effects_checked": counts.effects,
        "lost": counts.lost, "lost_deliveries": counts.lost_deliveries, "lost_effects": counts.lost_effects,
        "doubled": counts.doubled, "smtp_resends_same_message_id": counts.mail_repeats,
        "dead_letters": sum(n for q, (n, _) in queues.items() if q.endswith(".dlq")),
        "silent_consumers": silent, **{k: round(v, 1) for k, v in seconds.items()},
    })
