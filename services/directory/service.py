"""Use cases of the directory. Each takes a session (one transaction) and records its events in it;
the API, the event handlers and the benchmark's seeding call these.

Every change that can alter what a search returns calls `touch_search`, which moves the search
version in the same transaction (search.py keys its cache on it).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import insert

from services.directory import rules, search
from services.directory.models import MentorProfile, Mentorship, RequestOutcome, SearchState
from shared.auth import Principal, visible_or_404
from shared.contention import lock_last
from shared.domain_errors import Refused
from shared.events import record_event

INTEREST_FIELDS = ("clinical_interests", "research_interests", "education_interests")


def now() -> datetime:
    return datetime.now(timezone.utc)


_TOUCH = sa.update(SearchState).where(SearchState.id == 1).values(version=SearchState.version + 1)


def touch_search(session: orm.Session) -> None:
    """Move the search version in this transaction — as its last statement, just before it commits:
    every transaction, the API's and the worker's batches of events, takes the one search_state row
    last, so none holds it while waiting for a profile row another holds (they deadlocked)."""
    lock_last(session, "directory.search_state", _TOUCH)


# --- mentors as events make them known ----------------------------------------------------------------

def _locked(session: orm.Session, user_id: uuid.UUID) -> MentorProfile | None:
    return session.scalars(sa.select(MentorProfile).where(MentorProfile.user_id == user_id)
                           .with_for_update()).one_or_none()


def ensure_mentor(session: orm.Session, user_id: uuid.UUID, institution_id: uuid.UUID) -> MentorProfile:
    """The mentor's row, locked; created as an empty draft when this is the first event about them
    (events arrive in any order, so any event naming a mentor and their institution may create it)."""
    created = session.execute(insert(MentorProfile).values(user_id=user_id, institution_id=institution_id)
                              .on_conflict_do_nothing(index_elements=["user_id"])
                              .returning(MentorProfile.user_id)).first() is not None
    profile = _locked(session, user_id)
    if created:
        refresh_read_models(session, profile)  # mentorships or request outcomes may have arrived first
    return profile


def enrolled(session: orm.Session, user_id: uuid.UUID, institution_id: uuid.UUID, name: str) -> None:
    profile = ensure_mentor(session, user_id, institution_id)
    profile.enrolled_name = name
    if not profile.display_name:
        profile.display_name = name


def training_completed(session: orm.Session, user_id: uuid.UUID, institution_id: uuid.UUID) -> None:
    ensure_mentor(session, user_id, institution_id).trained = True


def status_changed(session: orm.Session, user_id: uuid.UUID, institution_id: uuid.UUID | None, status: str,
                   at: datetime) -> None:
    """MentorEjected / MentorReinstated / UserDeactivated, applied only when newer than the last one
    applied. Leaving the active status unpublishes at once (MentorProfileUnpublished); reinstatement
    makes the profile publishable again but does not publish it: the mentor consents anew."""
    profile = ensure_mentor(session, user_id, institution_id) if institution_id else _locked(session, user_id)
    if profile is None or not rules.newer(at, profile.status_changed_at):
        return
    profile.status = status
    profile.status_changed_at = at
    if status != rules.ACTIVE and profile.published:
        _unpublish(session, profile, "ejected" if status == rules.EJECTED else "deactivated")


# --- read models ----------------------------------------------------------------------------------------

def mentorship_started(session: orm.Session, data: dict) -> None:
    session.execute(insert(Mentorship).values(mentorship_id=data["mentorship_id"], mentor_id=data["mentor_id"],
                                              mentee_id=data["mentee_id"], active=True)
                    .on_conflict_do_nothing(index_elements=["mentorship_id"]))  # a late Started keeps Concluded
    refresh_read_models(session, ensure_mentor(session, data["mentor_id"], data["mentor_institution_id"]))


def mentorship_concluded(session: orm.Session, data: dict) -> None:
    stmt = insert(Mentorship).values(mentorship_id=data["mentorship_id"], mentor_id=data["mentor_id"],
                                     mentee_id=data["mentee_id"], active=False)
    session.execute(stmt.on_conflict_do_update(index_elements=["mentorship_id"],
                                               set_={"active": False, "updated_at": sa.func.now()}))
    refresh_read_models(session, ensure_mentor(session, data["mentor_id"], data["mentor_institution_id"]))


def request_outcome(session: orm.Session, request_id: uuid.UUID, mentor_id: uuid.UUID, outcome: str,
                    created_at: datetime, responded_at: datetime | None) -> None:
    """A request's outcome counts once (a request has one outcome: the first one recorded stays)."""
    session.execute(insert(RequestOutcome).values(request_id=request_id, mentor_id=mentor_id, outcome=outcome,
                                                  created_at=created_at, responded_at=responded_at)
                    .on_conflict_do_nothing(index_elements=["request_id"]))
    profile = _locked(session, mentor_id)
    if profile is not None:  # otherwise counted when the mentor's first event creates the row
        refresh_read_models(session, profile)


def refresh_read_models(session: orm.Session, profile: MentorProfile) -> None:
    """Active mentees, responsiveness, open slots and the ranking boost, from the event tables."""
    session.flush()
    profile.active_mentees = session.scalar(
        sa.select(sa.func.count()).select_from(Mentorship)
        .where(Mentorship.mentor_id == profile.user_id, Mentorship.active)) or 0
    rows = session.execute(
        sa.select(RequestOutcome.created_at, RequestOutcome.outcome, RequestOutcome.responded_at)
        .where(RequestOutcome.mentor_id == profile.user_id)
        .order_by(RequestOutcome.created_at.desc()).limit(rules.RESPONSIVENESS_WINDOW)).all()
    r = rules.responsiveness([rules.Outcome(c, o != "expired", t) for c, o, t in rows])
    profile.requests_considered = r.considered
    profile.response_rate = r.response_rate
    profile.median_response_hours = r.median_response_hours
    profile.responsiveness = r.score
    _rescore(session, profile)


def _rescore(session: orm.Session, profile: MentorProfile) -> None:
    accepting = bool(profile.accepting_new_mentees if profile.accepting_new_mentees is not None else True)
    profile.open_slots = rules.open_slots(profile.active_mentees or 0, accepting)
    profile.rank_boost = rules.static_score(
        active_mentees=profile.active_mentees or 0, accepting=accepting, hours_per_month=profile.hours_per_month,
        windows=len(profile.time_windows or []), responsiveness_score=profile.responsiveness
        if profile.responsiveness is not None else rules.NEUTRAL_RESPONSIVENESS)
    profile.facet_codes = search.facet_codes(session, search.facet_pairs(profile))
    profile.updated_at = now()
    if profile.published:
        touch_search(session)


# --- the mentor's own profile -------------------------------------------------------------------------------

def own_profile(session: orm.Session, principal: Principal, *, lock: bool = False) -> MentorProfile:
    stmt = sa.select(MentorProfile).where(MentorProfile.user_id == principal.id)
    profile = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if profile is None:
        raise Refused("no-profile",
                      "No directory profile yet: it is created when your enrolment reaches the directory.")
    return profile


def normalise(data: dict) -> dict:
    out = dict(data)
    if "languages" in out:
        out["languages"] = list(dict.fromkeys(search.normalise_language(v) for v in out["languages"]))
    for key in ("display_name", "city", "pronouns", "subspecialty"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip() or None
    for key in INTEREST_FIELDS:
        if key in out:
            out[key] = [v.strip() for v in out[key] if v.strip()]
    if "time_windows" in out:
        out["time_windows"] = sorted(out["time_windows"], key=lambda w: (rules.DAYS.index(w["day"]), w["start"]))
    return out


def update_profile(session: orm.Session, principal: Principal, data: dict) -> MentorProfile:
    profile = own_profile(session, principal, lock=True)
    old_scope = profile.scope
    for key, value in normalise(data).items():
        setattr(profile, key, value)
    profile.interest_tags = sorted({v.lower() for key in INTEREST_FIELDS for v in getattr(profile, key) or []})
    if profile.published:
        missing = profile.missing_fields
        if missing:
            raise Refused("published-profile-incomplete",
                          f"A published profile keeps its required fields: to clear your {rules.labels(missing)}, "
                          "unpublish your profile first.", missing_fields=missing)
        if profile.scope != old_scope:  # mentorship enforces R8 from this event's scope
            _published_event(session, profile)
    _rescore(session, profile)
    return profile


def publish(session: orm.Session, principal: Principal, consent: bool) -> MentorProfile:
    profile = own_profile(session, principal, lock=True)
    if profile.published:
        return profile
    refusal = rules.publish_refusal(missing=profile.missing_fields, trained=profile.trained, status=profile.status,
                                    consent=consent)
    if refusal:
        extra = {"missing_fields": list(refusal.missing_fields)} if refusal.missing_fields else {}
        raise Refused(refusal.slug, refusal.detail, **extra)
    profile.published = True
    profile.published_at = now()
    _published_event(session, profile)
    _rescore(session, profile)
    return profile


def unpublish(session: orm.Session, principal: Principal) -> MentorProfile:
    profile = own_profile(session, principal, lock=True)
    if profile.published:
        _unpublish(session, profile, "mentor")
    return profile


def _published_event(session: orm.Session, profile: MentorProfile) -> None:
    record_event(session, "MentorProfilePublished", {"mentor_id": profile.user_id,
                                                     "institution_id": profile.institution_id,
                                                     "scope": profile.scope}, subject=f"mentors/{profile.user_id}")


def _unpublish(session: orm.Session, profile: MentorProfile, reason: str) -> None:
    profile.published = False
    profile.published_at = None
    profile.updated_at = now()
    record_event(session, "MentorProfileUnpublished", {"mentor_id": profile.user_id,
                                                       "institution_id": profile.institution_id, "reason": reason},
                 subject=f"mentors/{profile.user_id}")
    touch_search(session)


# --- reading ----------------------------------------------------------------------------------------------------

def public_profile(session: orm.Session, principal: Principal, mentor_id: uuid.UUID) -> str:
    """A published profile the caller may see, as JSON text; 404 otherwise (R8: a local mentor of
    another institution does not exist for the caller)."""
    statement, params = search.profiles_sql(principal.institution_id, principal.is_operator)
    row = session.execute(statement, {**params, "ids": [str(mentor_id)]}).one_or_none()
    visible_or_404(row is not None, "mentor")
    return row[1]


def institution_mentors(session: orm.Session, principal: Principal, institution_id: uuid.UUID,
                        query: dict) -> list[MentorProfile]:
    visible_or_404(principal.manages(institution_id), "institution")
    stmt = sa.select(MentorProfile).where(MentorProfile.institution_id == institution_id)
    if query.get("published") is not None:
        stmt = stmt.where(MentorProfile.published == query["published"])
    stmt = stmt.order_by(MentorProfile.display_name, MentorProfile.user_id).limit(query["limit"]).offset(query["offset"])
    return list(session.scalars(stmt))
