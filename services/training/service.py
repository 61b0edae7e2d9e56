"""Use cases of the training service. Each takes a session; the events it causes are recorded in the
same transaction (`record_event`), so a state change and its events commit or roll back together.

Concurrency: an attestation locks the learner's row (FOR UPDATE) and reads the track's curriculum row
FOR SHARE; publishing a module version locks the curriculum row FOR UPDATE. So a learner's
attestations are handled one at a time (two "final" attestations sent at once cannot both miss, nor
both see, completion), and a curriculum change never interleaves with an attestation. The
`completions` primary key (user, track) is the last guard: TrainingCompleted is recorded only by the
transaction whose INSERT ... ON CONFLICT DO NOTHING created the row.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import insert

from services.training import rules
from services.training.models import (CmeCertificate, Completion, Curriculum, Learner, Module, ModuleVersion,
                                      Progress)
from shared.auth import Principal, visible_or_404
from shared.domain_errors import Refused, not_found
from shared.errors import invalid_field, invalid_fields
from shared.events import record_event

CONTENT_FIELDS = ("title", "summary", "body_markdown", "estimated_minutes", "required", "cme_credit_hours")


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- learners (from MentorEnrolled / MenteeEnrolled) ---------------------------------------------------------

def enroll(session: orm.Session, data: dict, track: str, at: datetime) -> None:
    """Record (or refresh) a learner. Idempotent and order-tolerant: a repeated event changes nothing,
    an older one never overwrites what a newer one said."""
    stmt = insert(Learner).values(user_id=data["user_id"], track=track, institution_id=data["institution_id"],
                                  name=data["name"], enrolled_at=at)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Learner.user_id, Learner.track],
        set_={"institution_id": stmt.excluded.institution_id, "name": stmt.excluded.name,
              "enrolled_at": stmt.excluded.enrolled_at},
        where=sa.or_(Learner.enrolled_at.is_(None), Learner.enrolled_at <= stmt.excluded.enrolled_at),
    ))


def set_standing(session: orm.Session, user_id: uuid.UUID, track: str, status: str, at: datetime) -> None:
    """A learner's standing from a status event: a later event wins, exited and deactivated are final.
    An event that comes before the enrollment is kept on a row the enrollment then completes."""
    stmt = insert(Learner).values(user_id=user_id, track=track, institution_id=None, name=None, enrolled_at=None,
                                  status=status, status_at=at)
    final = Learner.status.in_(rules.FINAL_STANDING)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Learner.user_id, Learner.track],
        set_={"status": stmt.excluded.status, "status_at": stmt.excluded.status_at},
        where=sa.and_(~final, sa.or_(Learner.status_at.is_(None), Learner.status_at < stmt.excluded.status_at,
                                     stmt.excluded.status.in_(rules.FINAL_STANDING)))))


def learner_of(session: orm.Session, principal: Principal, *, lock: bool = False) -> Learner:
    track = rules.ROLE_TRACK[principal.role]
    stmt = sa.select(Learner).where(Learner.user_id == principal.id, Learner.track == track,
                                    Learner.enrolled_at.is_not(None))
    learner = session.scalar(stmt.with_for_update() if lock else stmt)
    if learner is None:
        raise Refused("not-enrolled",
                      "Your enrollment has not reached the training service yet; try again in a moment.")
    return learner


# --- curriculum -----------------------------------------------------------------------------------------------------

def curriculum(session: orm.Session, track: str, *, lock: str | None = None) -> Curriculum:
    stmt = sa.select(Curriculum).where(Curriculum.track == track)
    if lock == "share":
        stmt = stmt.with_for_update(read=True)
    elif lock == "update":
        stmt = stmt.with_for_update()
    cur = session.scalar(stmt)
    if cur is None:  # a database migrated without the starter curriculum: an empty one
        session.execute(insert(Curriculum).values(track=track, version=1, required_module_ids=[])
                        .on_conflict_do_nothing())
        cur = session.scalar(stmt)
    return cur


def required_module_ids(session: orm.Session, track: str) -> list[str]:
    rows = session.scalars(
        sa.select(Module.id).join(ModuleVersion, sa.and_(ModuleVersion.module_id == Module.id,
                                                         ModuleVersion.version == Module.published_version))
        .where(Module.track == track, ModuleVersion.required.is_(True))
        .order_by(Module.position, Module.created_at, Module.id))
    return [str(r) for r in rows]


def published_modules(session: orm.Session, track: str) -> list[Module]:
    return list(session.scalars(
        sa.select(Module).where(Module.track == track, Module.published_version.is_not(None))
        .order_by(Module.position, Module.created_at, Module.id)))


# --- the learner's way ------------------------------------------------------------------------------------------------

def _progress_view(version: ModuleVersion, p: Progress | None) -> dict:
    passed = p is not None and p.check_passed_version == version.version
    if p is not None and p.attested_at is not None:
        status = "attested"
    elif passed:
        status = "check_passed"
    elif p is not None and p.check_attempts:
        status = "in_progress"
    else:
        status = "not_started"
    return {
        "status": status,
        "check_attempts": p.check_attempts if p else 0,
        "check_passed": passed,
        "attested_version": p.attested_version if p else None,
        "attested_at": p.attested_at if p else None,
        "update_available": bool(p and p.attested_version and p.attested_version < version.version),
    }


def _module_summary(module: Module, p: Progress | None) -> dict:
    v = module.published
    return {"id": module.id, "track": module.track, "version": v.version, "title": v.title, "summary": v.summary,
            "estimated_minutes": v.estimated_minutes, "required": v.required,
            "cme_credit_hours": v.cme_credit_hours, "has_knowledge_check": bool(v.questions),
            "progress": _progress_view(v, p)}


def _progress_of(session: orm.Session, user_id: uuid.UUID, module_ids: list[uuid.UUID] | None = None
                 ) -> dict[uuid.UUID, Progress]:
    stmt = sa.select(Progress).where(Progress.user_id == user_id)
    if module_ids is not None:
        stmt = stmt.where(Progress.module_id.in_(module_ids))
    return {p.module_id: p for p in session.scalars(stmt)}


def my_modules(session: orm.Session, principal: Principal) -> list[dict]:
    learner = learner_of(session, principal)
    modules = published_modules(session, learner.track)
    progress = _progress_of(session, principal.id)
    return [_module_summary(m, progress.get(m.id)) for m in modules]


def _learner_module(session: orm.Session, learner: Learner, module_id: uuid.UUID) -> Module:
    module = session.get(Module, module_id)
    visible_or_404(module is not None and module.track == learner.track and module.published_version is not None,
                   "module")
    return module


def open_module(session: orm.Session, principal: Principal, module_id: uuid.UUID) -> dict:
    learner = learner_of(session, principal)
    module = _learner_module(session, learner, module_id)
    v = module.published
    out = _module_summary(module, _progress_of(session, principal.id, [module.id]).get(module.id))
    out["body_html"] = v.body_html
    out["knowledge_check"] = ({"pass_mark": v.pass_mark, "questions": rules.learner_questions(v.questions)}
                              if v.questions else None)
    return out


def _current_version(module: Module, version: int) -> ModuleVersion:
    v = module.published
    if version != v.version:
        raise Refused("module-version-outdated",
                      f"Version {version} is not the module's current version ({v.version}): open it again.",
                      current_version=v.version)
    return v


def _locked_progress(session: orm.Session, learner: Learner, module: Module) -> Progress:
    session.execute(insert(Progress).values(user_id=learner.user_id, module_id=module.id, track=learner.track)
                    .on_conflict_do_nothing())
    return session.scalar(sa.select(Progress).where(Progress.user_id == learner.user_id,
                                                    Progress.module_id == module.id)
                          .with_for_update().execution_options(populate_existing=True))


def submit_check(session: orm.Session, principal: Principal, module_id: uuid.UUID, version: int,
                 answers: list[int]) -> dict:
    learner = learner_of(session, principal)
    module = _learner_module(session, learner, module_id)
    v = _current_version(module, version)
    if not v.questions:
        raise Refused("no-knowledge-check", "This module has no knowledge check: attest it directly.")
    problems = rules.answer_errors(v.questions, answers)
    if problems:
        raise invalid_fields([{"pointer": "#/answers", "detail": p} for p in problems])
    grade = rules.grade(v.questions, v.pass_mark, answers)
    p = _locked_progress(session, learner, module)
    p.check_attempts += 1
    p.last_score = grade.score
    if grade.passed and p.check_passed_version != v.version:
        p.check_passed_version, p.check_passed_at = v.version, now()
    return {"module_id": module.id, "version": v.version, "score": grade.score, "total": grade.total,
            "pass_mark": grade.pass_mark, "passed": grade.passed, "attempts": p.check_attempts}


def attest(session: orm.Session, principal: Principal, module_id: uuid.UUID, version: int) -> tuple[dict, bool]:
    """"I completed this module": stored with its time and version. Returns (progress, created); a repeat
    returns the first attestation unchanged."""
    learner = learner_of(session, principal, lock=True)
    module = _learner_module(session, learner, module_id)
    cur = curriculum(session, learner.track, lock="share")
    p = _locked_progress(session, learner, module)
    if p.attested_at is not None:
        return _module_summary(module, p), False
    v = _current_version(module, version)
    if v.questions and p.check_passed_version != v.version:
        raise Refused("knowledge-check-not-passed",
                      "Pass this module's knowledge check before attesting that you completed it.")
    at = now()
    p.attested_version, p.attested_at = v.version, at
    record_event(session, "TrainingModuleCompleted", {
        "user_id": learner.user_id, "institution_id": learner.institution_id, "track": learner.track,
        "module_id": module.id, "module_version": v.version, "completed_at": at}, subject=str(learner.user_id))
    if rules.awards_cme(learner.track, v.cme_credit_hours):
        _award_cme(session, learner, module, v, at)
    session.flush()
    _complete_if_done(session, learner, cur, at)
    return _module_summary(module, p), True


def _complete_if_done(session: orm.Session, learner: Learner, cur: Curriculum, at: datetime) -> None:
    attested = session.scalars(sa.select(Progress.module_id).where(
        Progress.user_id == learner.user_id, Progress.track == learner.track, Progress.attested_at.is_not(None)))
    if not rules.is_complete(cur.required_module_ids, (str(m) for m in attested)):
        return
    created = session.execute(
        insert(Completion).values(user_id=learner.user_id, track=learner.track,
                                  institution_id=learner.institution_id, curriculum_version=cur.version,
                                  completed_at=at)
        .on_conflict_do_nothing().returning(Completion.user_id)).first()
    if created:
        _training_completed(session, learner.user_id, learner.institution_id, learner.track, cur.version, at)


def _training_completed(session, user_id, institution_id, track, version, at) -> None:
    record_event(session, "TrainingCompleted", {
        "user_id": user_id, "institution_id": institution_id, "track": track,
        "curriculum_version": version, "completed_at": at}, subject=str(user_id))


def _award_cme(session: orm.Session, learner: Learner, module: Module, v: ModuleVersion, at: datetime) -> None:
    code = rules.new_certificate_code()
    created = session.execute(
        insert(CmeCertificate).values(id=uuid.uuid4(), code=code, user_id=learner.user_id,
                                      institution_id=learner.institution_id, learner_name=learner.name,
                                      module_id=module.id, module_version=v.version, module_title=v.title,
                                      credit_hours=v.cme_credit_hours, awarded_at=at)
        .on_conflict_do_nothing(index_elements=["user_id", "module_id"]).returning(CmeCertificate.id)).first()
    if created:
        record_event(session, "CmeCreditAwarded", {
            "user_id": learner.user_id, "institution_id": learner.institution_id, "module_id": module.id,
            "module_version": v.version, "credit_hours": v.cme_credit_hours, "certificate_code": code,
            "awarded_at": at}, subject=str(learner.user_id))


def my_training(session: orm.Session, principal: Principal) -> dict:
    learner = learner_of(session, principal)
    cur = curriculum(session, learner.track)
    attested = {str(m) for m in session.scalars(sa.select(Progress.module_id).where(
        Progress.user_id == learner.user_id, Progress.attested_at.is_not(None)))}
    remaining = rules.outstanding(cur.required_module_ids, attested)
    done = session.get(Completion, (learner.user_id, learner.track))
    return {"user_id": learner.user_id, "institution_id": learner.institution_id, "track": learner.track,
            "curriculum_version": cur.version, "required_total": len(cur.required_module_ids),
            "required_attested": len(cur.required_module_ids) - len(remaining),
            "outstanding_required_module_ids": remaining, "completed": done is not None,
            "completed_at": done.completed_at if done else None,
            "completed_curriculum_version": done.curriculum_version if done else None}


# --- CME ---------------------------------------------------------------------------------------------------------------------

def my_cme(session: orm.Session, principal: Principal) -> dict:
    certs = list(session.scalars(sa.select(CmeCertificate).where(CmeCertificate.user_id == principal.id)
                                 .order_by(CmeCertificate.awarded_at, CmeCertificate.code)))
    return {"total_credit_hours": sum((c.credit_hours for c in certs), Decimal("0")), "credits": certs}


def certificate_of(session: orm.Session, principal: Principal, certificate_id: uuid.UUID) -> CmeCertificate:
    cert = session.get(CmeCertificate, certificate_id)
    visible_or_404(cert is not None and (cert.user_id == principal.id or principal.is_operator), "certificate")
    return cert


def verify_certificate(session: orm.Session, code: str) -> dict:
    cert = session.scalar(sa.select(CmeCertificate).where(CmeCertificate.code == rules.normalise_code(code)))
    if cert is None:
        raise Refused("certificate-not-found", "No certificate has this verification code.")
    return {"valid": True, "code": cert.code, "name": cert.learner_name, "module_title": cert.module_title,
            "credit_hours": cert.credit_hours, "awarded_on": cert.awarded_at.date()}


# --- institution admins ------------------------------------------------------------------------------------------------------

def institution_training(session: orm.Session, principal: Principal, institution_id: uuid.UUID) -> dict:
    visible_or_404(principal.manages(institution_id), "institution")
    tracks = []
    for track in rules.TRACKS:
        cur = curriculum(session, track)
        required = [uuid.UUID(m) for m in cur.required_module_ids]
        learners = list(session.scalars(sa.select(Learner).where(Learner.institution_id == institution_id,
                                                                  Learner.track == track,
                                                                  Learner.status == rules.ENROLLED)
                                        .order_by(Learner.name, Learner.user_id)))
        done = set(session.scalars(sa.select(Completion.user_id).where(Completion.institution_id == institution_id,
                                                                       Completion.track == track)))
        counts = dict(session.execute(
            sa.select(Progress.user_id, sa.func.count()).join(
                Learner, sa.and_(Learner.user_id == Progress.user_id, Learner.track == Progress.track))
            .where(Learner.institution_id == institution_id, Progress.track == track,
                   Progress.attested_at.is_not(None), Progress.module_id.in_(required))
            .group_by(Progress.user_id)).all())
        missing = [{"user_id": lr.user_id, "name": lr.name, "required_attested": counts.get(lr.user_id, 0),
                    "required_total": len(required)} for lr in learners if lr.user_id not in done]
        tracks.append({"track": track, "curriculum_version": cur.version, "enrolled": len(learners),
                       "trained": len(learners) - len(missing), "missing": missing})
    return {"institution_id": institution_id, "tracks": tracks}


# --- authoring (operators) ------------------------------------------------------------------------------------------------------

def _check_credit(track: str, data: dict) -> None:
    if data.get("cme_credit_hours") is not None and track != "mentor":
        raise invalid_field("Only mentor modules carry CME credit.", pointer="cme_credit_hours")


def _apply(version: ModuleVersion, data: dict) -> None:
    for name in CONTENT_FIELDS:
        if name in data:
            setattr(version, name, data[name])
    if "body_markdown" in data:
        version.body_html = rules.render_markdown(data["body_markdown"])
    if "knowledge_check" in data:
        check = data["knowledge_check"]
        version.questions = check["questions"] if check else []
        version.pass_mark = check["pass_mark"] if check else None


def list_authored(session: orm.Session, track: str | None) -> list[Module]:
    stmt = sa.select(Module).order_by(Module.track, Module.position, Module.created_at, Module.id)
    if track:
        stmt = stmt.where(Module.track == track)
    return list(session.scalars(stmt))


def authored(session: orm.Session, module_id: uuid.UUID, *, lock: bool = False) -> Module:
    module = session.get(Module, module_id, with_for_update=lock)
    if module is None:
        raise not_found("module")
    return module


def create_module(session: orm.Session, principal: Principal, data: dict) -> Module:
    _check_credit(data["track"], data)
    module = Module(id=uuid.uuid4(), track=data["track"], position=data.get("position", 100),
                    created_by=principal.id)
    version = ModuleVersion(version=1, created_by=principal.id, questions=[], pass_mark=None,
                            cme_credit_hours=None)
    _apply(version, data)
    module.versions.append(version)
    session.add(module)
    session.flush()
    return module


def edit_module(session: orm.Session, principal: Principal, module_id: uuid.UUID, data: dict) -> Module:
    """Edit the draft; editing a published version makes a new draft version (the published one, and
    progress recorded against it, stay as they were)."""
    module = authored(session, module_id, lock=True)
    _check_credit(module.track, data)
    if "position" in data:
        module.position = data["position"]
    content = {k: v for k, v in data.items() if k != "position"}
    if content:
        latest = module.latest
        if latest.published_at is not None:
            draft = ModuleVersion(version=latest.version + 1, created_by=principal.id, questions=latest.questions,
                                  pass_mark=latest.pass_mark, body_html=latest.body_html,
                                  **{f: getattr(latest, f) for f in CONTENT_FIELDS})
            module.versions.append(draft)
            latest = draft
        _apply(latest, content)
    session.flush()
    return module


def publish_module(session: orm.Session, principal: Principal, module_id: uuid.UUID) -> Module:
    """Publish the latest draft. When that changes the track's set of required modules, the curriculum
    gets a new version, and learners who now hold every required attestation complete (see rules.py)."""
    module = authored(session, module_id, lock=True)
    draft = module.latest
    if draft.published_at is not None:
        raise Refused("nothing-to-publish", f"Version {draft.version} is already published; edit the module first.")
    cur = curriculum(session, module.track, lock="update")
    at = now()
    draft.published_at = at
    module.published_version = draft.version
    session.flush()
    required = required_module_ids(session, module.track)
    if set(required) != set(cur.required_module_ids):
        cur.version += 1
        cur.required_module_ids = required
        cur.changed_at = at
        session.flush()
        _complete_all_done(session, module.track, cur, at)
    return module


_COMPLETE_ALL = sa.text("""
    INSERT INTO completions (user_id, track, institution_id, curriculum_version, completed_at)
    SELECT l.user_id, l.track, l.institution_id, :version, :at FROM learners l
    WHERE l.track = :track
      AND NOT EXISTS (SELECT 1 FROM completions c WHERE c.user_id = l.user_id AND c.track = l.track)
      AND (SELECT count(*) FROM progress p WHERE p.user_id = l.user_id AND p.track = l.track
           AND p.attested_at IS NOT NULL AND p.module_id = ANY(CAST(:required AS uuid[]))) = :n
    ON CONFLICT DO NOTHING
    RETURNING user_id, institution_id
""")


def _complete_all_done(session: orm.Session, track: str, cur: Curriculum, at: datetime) -> int:
    if not cur.required_module_ids:
        return 0
    rows = session.execute(_COMPLETE_ALL, {"version": cur.version, "at": at, "track": track,
                                           "required": list(cur.required_module_ids),
                                           "n": len(cur.required_module_ids)}).all()
    for user_id, institution_id in rows:
        _training_completed(session, user_id, institution_id, track, cur.version, at)
    return len(rows)
