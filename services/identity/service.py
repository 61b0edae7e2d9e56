"""Use cases of the identity service. Each takes a session (one transaction), applies the rules of
rules.py, changes state and records its events with shared.events.record_event in that transaction.

Refusals are shared.domain_errors.Refused, answered as problem+json by the table in errors.py; invalid
fields of a request are shared.errors.invalid_field. Sensitive values (mentee demographics and eligibility,
mentor admission basis) never appear in a refusal, a log or an event.
"""
from __future__ import annotations

import contextlib
import logging
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from services.identity import invitation_import, rules, tokens
from services.identity.models import (
    Agreement, AgreementAcceptance, Institution, Invitation, MenteeProfile, MentorAdmission, Nomination,
    SensitiveRead, User,
)
from services.identity.settings import Settings
from services.identity.tokens import KeyRing, Passwords, now
from shared.auth import Principal
from shared.domain_errors import Refused, not_found
from shared.errors import Problem, invalid_field
from shared.events import record_event, record_events

log = logging.getLogger(__name__)


# --- context ------------------------------------------------------------------------------------------------

@dataclass
class Context:
    """What use cases need besides the session: configuration, the password hasher and the key ring."""
    settings: Settings
    passwords: Passwords
    keyring: KeyRing


# The caller as the database knows them now (not as their token said up to 15 minutes ago).
Actor = Principal


def _unauthorized(detail: str) -> Refused:
    return Refused("unauthorized", detail)


def load_actor(session: orm.Session, principal: Principal, *, check_agreement: bool = True) -> Actor:
    user = session.get(User, principal.id)
    if user is None or not rules.can_sign_in(user.status):
        raise _unauthorized("This account is not active.")
    if user.role != principal.role or user.institution_id != principal.institution_id:
        raise _unauthorized("Your account has changed since this token was issued; sign in again.")
    if check_agreement:
        outstanding = agreement_outstanding(session, user)
        if outstanding is not None:
            raise agreement_required(outstanding)
    return Actor(user.id, user.role, user.institution_id)


def _rule(exc: rules.RuleViolation) -> Problem:
    """A rule's refusal of one field the request sent (each names its field)."""
    return invalid_field(exc.detail, pointer=exc.field)


def _field_error(field: str, detail: str) -> Problem:
    return invalid_field(detail, pointer=field)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _add_user(session: orm.Session, user: User) -> None:
    """Insert a user; two concurrent admissions of one e-mail address: the second gets a 409."""
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise Refused("email-taken", "An account with this e-mail address already exists.") from None


# --- institutions (R1) -----------------------------------------------------------------------------------------

def _enrollment_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def _institution_event(inst: Institution) -> dict:
    return {"institution_id": inst.id, "name": inst.name, "kind": inst.kind, "class_size": inst.class_size,
            "minimum_mentors": rules.minimum_mentors(inst.kind, inst.class_size),
            "subscription_status": inst.subscription_status, "reward_policy": inst.reward_policy or {}}


def create_institution(session: orm.Session, actor: Actor, data: dict) -> Institution:
    inst = Institution(
        id=uuid.uuid4(), name=data["name"], kind=data["kind"], class_size=data["class_size"],
        contact_name=data["contact"]["name"], contact_email=normalise_email(data["contact"]["email"]),
        contact_phone=data["contact"].get("phone"),
        subscription_status=data.get("subscription_status", "active"),
        reward_policy=data.get("reward_policy") or {}, enrollment_code=_enrollment_code(),
        created_at=now(), updated_at=now(),
    )
    session.add(inst)
    session.flush()
    record_event(session, "InstitutionSubscribed", _institution_event(inst), subject=f"institutions/{inst.id}")
    return inst


def get_institution(session: orm.Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    inst = session.get(Institution, institution_id)
    if inst is None or not (actor.is_operator or actor.institution_id == inst.id):
        raise not_found("institution")
    return inst


def managed_institution(session: orm.Session, actor: Actor, institution_id: uuid.UUID,
                        *, for_update: bool = False) -> Institution:
    inst = session.get(Institution, institution_id, with_for_update=for_update)
    if inst is None or not actor.manages(inst.id):
        raise not_found("institution")
    return inst


def list_institutions(session: orm.Session, actor: Actor) -> list[Institution]:
    query = sa.select(Institution).order_by(Institution.name, Institution.id)
    if not actor.is_operator:
        query = query.where(Institution.id == actor.institution_id)
    return list(session.scalars(query))


def update_institution(session: orm.Session, actor: Actor, institution_id: uuid.UUID, data: dict) -> Institution:
    with watching_minimum(session, institution_id) as inst:  # a new class size or kind may raise the minimum
        if inst is None:
            raise not_found("institution")
        before = _institution_event(inst), inst.contact_name, inst.contact_email, inst.contact_phone
        for field in ("name", "kind", "class_size", "subscription_status", "reward_policy"):
            if field in data:
                setattr(inst, field, data[field])
        if "contact" in data:
            inst.contact_name = data["contact"]["name"]
            inst.contact_email = normalise_email(data["contact"]["email"])
            inst.contact_phone = data["contact"].get("phone")
        after = _institution_event(inst), inst.contact_name, inst.contact_email, inst.contact_phone
        if before != after:
            inst.updated_at = now()
            record_event(session, "InstitutionUpdated", _institution_event(inst), subject=f"institutions/{inst.id}")
    return inst


def set_reward_policy(session: orm.Session, actor: Actor, institution_id: uuid.UUID, policy: dict) -> Institution:
    """R15: the rewards an institution offers its mentors are its own offer, so its admins set them (operators
    may too). The policy sent replaces the one before; a change publishes InstitutionUpdated, which carries
    the policy to the participation reports. An admin of another institution finds none (404)."""
    inst = managed_institution(session, actor, institution_id, for_update=True)
    if (inst.reward_policy or {}) != policy:
        inst.reward_policy = policy
        inst.updated_at = now()
        record_event(session, "InstitutionUpdated", _institution_event(inst), subject=f"institutions/{inst.id}")
    return inst


def regenerate_enrollment_code(session: orm.Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    inst = managed_institution(session, actor, institution_id, for_update=True)
    inst.enrollment_code = _enrollment_code()
    inst.updated_at = now()
    return inst


def active_mentor_counts(session: orm.Session, institution_ids: list[uuid.UUID] | None = None) -> dict:
    query = (sa.select(User.institution_id, sa.func.count())
             .where(User.role == "mentor", User.status == "active").group_by(User.institution_id))
    if institution_ids is not None:
        query = query.where(User.institution_id.in_(institution_ids))
    return dict(session.execute(query).all())


def _minimum_state(session: orm.Session, inst: Institution) -> tuple[int, int]:
    """(enrolled mentors, R1 minimum) of the institution as this transaction sees it now."""
    session.flush()
    return (active_mentor_counts(session, [inst.id]).get(inst.id, 0),
            rules.size_tier(inst.kind, inst.class_size).minimum_mentors)


@contextlib.contextmanager
def watching_minimum(session: orm.Session, institution_id: uuid.UUID | None) -> Iterator[Institution | None]:
    """R1: wrap a change that may lower an institution's active mentors or raise its minimum (an ejection,
    a deactivation, a new class size or kind). The institution's row is locked (SELECT … FOR UPDATE) for
    the rest of the transaction, so such changes to one institution happen one after the other and each
    counts after the one before it committed: when the change takes the institution from at or above its
    minimum to below it, InstitutionBelowMinimum is recorded — once, by the change that crossed. Changes
    that add active mentors hold the row FOR SHARE (`_hold_institution`), so none commits unseen between
    the counts and the commit. Yields the locked institution (None if there is none; nothing is watched)."""
    inst = None if institution_id is None else session.get(Institution, institution_id, with_for_update=True,
                                                            populate_existing=True)
    if inst is None:
        yield None
        return
    before = _minimum_state(session, inst)
    yield inst
    after = _minimum_state(session, inst)
    if rules.fell_below_minimum(before, after):
        active, minimum = after
        record_event(session, "InstitutionBelowMinimum", {
            "institution_id": inst.id, "enrolled_mentors": active, "active_mentors": active,
            "minimum_mentors": minimum,
        }, subject=f"institutions/{inst.id}")


def _hold_institution(session: orm.Session, institution_id: uuid.UUID) -> None:
    """A change that adds an active mentor holds the institution's row FOR SHARE: it waits for a
    change inside `watching_minimum` to commit (and such a change waits for it), so a crossing below the
    minimum is never reported by counts that a concurrent addition has already made untrue."""
    session.execute(sa.select(Institution.id).where(Institution.id == institution_id).with_for_update(read=True))


def compliance_of(inst: Institution, active: int) -> dict:
    tier = rules.size_tier(inst.kind, inst.class_size)
    return {"institution_id": inst.id, "name": inst.name, "kind": inst.kind, "class_size": inst.class_size,
            "size_tier": tier.name, "minimum_mentors": tier.minimum_mentors, "enrolled_mentors": active,
            "shortfall": rules.shortfall(tier.minimum_mentors, active),
            "subscription_status": inst.subscription_status}


def compliance(session: orm.Session, actor: Actor, institution_id: uuid.UUID) -> dict:
    inst = managed_institution(session, actor, institution_id)
    return compliance_of(inst, active_mentor_counts(session, [inst.id]).get(inst.id, 0))


def all_compliance(session: orm.Session) -> list[dict]:
    counts = active_mentor_counts(session)
    insts = session.scalars(sa.select(Institution).order_by(Institution.name, Institution.id))
    return [compliance_of(i, counts.get(i.id, 0)) for i in insts]


def _require_subscribed(inst: Institution) -> None:
    if inst.subscription_status != "active":
        raise Refused("institution-not-active",
                      "The institution's subscription is not active: no one can be admitted.")


# --- agreements (R5) --------------------------------------------------------------------------------------------

def current_agreement(session: orm.Session, role: str) -> Agreement | None:
    return session.scalars(sa.select(Agreement).where(Agreement.role == role)
                           .order_by(Agreement.version.desc()).limit(1)).first()


def list_agreements(session: orm.Session, role: str) -> list[Agreement]:
    return list(session.scalars(sa.select(Agreement).where(Agreement.role == role)
                                .order_by(Agreement.version.desc())))


def publish_agreement(session: orm.Session, actor: Actor, role: str, title: str, body: str) -> Agreement:
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(7_301_002)))
    latest = current_agreement(session, role)
    agreement = Agreement(id=uuid.uuid4(), role=role, version=(latest.version + 1) if latest else 1,
                          title=title, body=body, published_at=now(), published_by=actor.id)
    session.add(agreement)
    session.flush()
    return agreement


def accepted_version(session: orm.Session, user_id: uuid.UUID, role: str) -> int | None:
    return session.scalar(sa.select(sa.func.max(AgreementAcceptance.version))
                          .where(AgreementAcceptance.user_id == user_id, AgreementAcceptance.role == role))


def agreement_outstanding(session: orm.Session, user: User) -> Agreement | None:
    """The agreement the user must accept before acting again, or None."""
    role = rules.agreement_role(user.role)
    if role is None:
        return None
    current = current_agreement(session, role)
    if current and rules.agreement_outstanding(current.version, accepted_version(session, user.id, role)):
        return current
    return None


def agreement_required(agreement: Agreement) -> Refused:
    return Refused("agreement-required",
                   f"Accept version {agreement.version} of the {agreement.role} agreement to continue.",
                   agreement={"role": agreement.role, "version": agreement.version, "title": agreement.title})


def accept_agreement(session: orm.Session, user: User, version: int) -> AgreementAcceptance | None:
    """Record acceptance of the current version of the user's agreement (idempotent)."""
    role = rules.agreement_role(user.role)
    if role is None:
        raise Refused("no-agreement", "This role has no agreement to accept.")
    current = current_agreement(session, role)
    if current is None or current.version != version:
        raise Refused("agreement-version-mismatch",
                      "Only the current version of the agreement can be accepted.",
                      current_version=current.version if current else None)
    existing = session.scalars(sa.select(AgreementAcceptance).where(
        AgreementAcceptance.user_id == user.id, AgreementAcceptance.role == role,
        AgreementAcceptance.version == version)).first()
    if existing:
        return existing
    acceptance = AgreementAcceptance(id=uuid.uuid4(), user_id=user.id, role=role, version=version, accepted_at=now())
    session.add(acceptance)
    return acceptance


def _accept_on_admission(session: orm.Session, user: User, version: int | None) -> None:
    role = rules.agreement_role(user.role)
    if role is None:
        return
    current = current_agreement(session, role)
    if current is None:
        return
    if version is None:
        raise _field_error("accept_agreement_version",
                           f"Accept the current {role} agreement (version {current.version}).")
    accept_agreement(session, user, version)


# --- invitations (R2, R3) ----------------------------------------------------------------------------------------

def _existing_user(session: orm.Session, email: str) -> User | None:
    return session.scalars(sa.select(User).where(User.email == email).with_for_update()).first()


def _check_email_free(session: orm.Session, email: str, kind: str) -> None:
    existing = _existing_user(session, email)
    if existing is None:
        return
    if kind == "mentor" and rules.can_become_mentor(existing.role, existing.status):
        return  # R17: an exited mentee stays on as a mentor
    raise Refused("email-taken", "An account with this e-mail address already exists.")


def _active_mentor(session: orm.Session, user_id: uuid.UUID | None, institution_id: uuid.UUID) -> bool:
    if user_id is None:
        return False
    user = session.get(User, user_id)
    return user is not None and user.role == "mentor" and user.status == "active" \
        and user.institution_id == institution_id


def invite(session: orm.Session, ctx: Context, actor: Actor, institution_id: uuid.UUID, kind: str, *,
           email: str, name: str, criteria: list[str] | None = None, evidence: str | None = None,
           nominated_by: uuid.UUID | None = None, nomination_id: uuid.UUID | None = None
           ) -> tuple[Invitation, str]:
    if kind == "institution_admin":
        inst = session.get(Institution, institution_id)
        if inst is None or not actor.is_operator:
            raise not_found("institution")
    else:
        inst = managed_institution(session, actor, institution_id)
    _require_subscribed(inst)
    email = normalise_email(email)
    _check_email_free(session, email, kind)
    if kind == "mentor":
        criteria = list(dict.fromkeys(criteria or []))
        try:
            rules.check_mentor_criteria(
                criteria, evidence,
                nominator_active=_active_mentor(session, nominated_by, inst.id) if nominated_by else None)
        except rules.RuleViolation as exc:
            raise _rule(exc) from None
        if nominated_by and rules.NOMINATED_BY_MENTOR not in criteria:
            raise _field_error("nominated_by", "Only a nomination by a current mentor names a nominator.")
    token = tokens.opaque_token()
    invitation = Invitation(
        id=uuid.uuid4(), kind=kind, institution_id=inst.id, email=email, name=name, token_hash=tokens.sha256(token),
        criteria=criteria if kind == "mentor" else None, evidence=evidence if kind == "mentor" else None,
        nominated_by=nominated_by, nomination_id=nomination_id, invited_by=actor.id, created_at=now(),
        expires_at=now() + ctx.settings.invitation_ttl,
    )
    session.add(invitation)
    session.flush()
    # The e-mail to the invitee is the one way the token leaves identity (the inviter's response
    # carries it only with IDENTITY_INVITATION_TOKEN_IN_RESPONSE on). Never log it.
    record_event(session, "InvitationIssued", {
        "invitation_id": invitation.id, "institution_id": inst.id, "institution_name": inst.name, "role": kind,
        "name": name, "email": email, "token": token, "expires_at": invitation.expires_at,
    }, subject=f"invitations/{invitation.id}")
    return invitation, token


def _invalid_rows(errors: list[dict], kind: str) -> Refused:
    rows = sorted({e["row"] for e in errors})
    which = f"row {rows[0]}" if len(rows) == 1 else f"rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"
    return Refused("invalid-import",
                   f"Nothing was imported: {which} of the file need{'s' if len(rows) == 1 else ''} correcting "
                   f"(each is listed below). Correct the file and import it again; no {kind} was invited.",
                   errors=errors)


def import_invitations(session: orm.Session, ctx: Context, actor: Actor, institution_id: uuid.UUID, kind: str,
                       body: bytes) -> list[tuple[Invitation, str]]:
    """Bulk enrolment: a CSV file of mentor or mentee invitations (invitation_import), checked as a whole
    — each row by the rules of a single invitation, e-mail addresses twice in the file, already members
    or already invited — then all invitations and their InvitationIssued events written in this
    transaction, or none (a 422 listing every bad row and field)."""
    inst = managed_institution(session, actor, institution_id, for_update=True)  # one import at a time
    _require_subscribed(inst)
    try:
        parsed = invitation_import.parse(body, kind)
    except invitation_import.FileUnreadable as exc:
        raise Refused("unreadable-import", exc.detail,
                      errors=[{"pointer": exc.pointer, "detail": exc.detail}]) from None
    errors = parsed.errors
    emails = [row.email for row in parsed.rows]
    if emails:
        members = {email: (role, status) for email, role, status in session.execute(
            sa.select(User.email, User.role, User.status).where(User.email.in_(emails)))}
        invited = set(session.scalars(sa.select(Invitation.email).where(
            Invitation.email.in_(emails), Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
            Invitation.expires_at > sa.func.now())))
        nominators = {row.nominated_by for row in parsed.rows if row.nominated_by}
        active = set(session.scalars(sa.select(User.id).where(
            User.id.in_(nominators), User.role == "mentor", User.status == "active",
            User.institution_id == inst.id))) if nominators else set()
        for row in parsed.rows:
            member = members.get(row.email)
            if member is not None and not (kind == "mentor" and rules.can_become_mentor(*member)):
                parsed.error(row.number, "email", "An account with this e-mail address already exists.")
            elif row.email in invited:
                parsed.error(row.number, "email", "This e-mail address already has a pending invitation; "
                                                  "revoke it first to send a new one.")
            if row.nominated_by and row.nominated_by not in active:
                parsed.error(row.number, "nominated_by", "The nominating mentor is not an active mentor "
                                                         "of this institution.")
    if errors:
        errors.sort(key=lambda e: (e["row"], e.get("column") or ""))
        raise _invalid_rows(errors, kind)
    at, expires = now(), now() + ctx.settings.invitation_ttl
    created = []
    for row in parsed.rows:
        token = tokens.opaque_token()
        created.append((Invitation(
            id=uuid.uuid4(), kind=kind, institution_id=inst.id, email=row.email, name=row.name,
            token_hash=tokens.sha256(token), criteria=row.criteria if kind == "mentor" else None,
            evidence=row.evidence if kind == "mentor" else None, nominated_by=row.nominated_by,
            invited_by=actor.id, created_at=at, expires_at=expires), token))
    session.add_all([inv for inv, _ in created])
    session.flush()
    record_events(session, "InvitationIssued", [({
        "invitation_id": inv.id, "institution_id": inst.id, "institution_name": inst.name, "role": kind,
        "name": inv.name, "email": inv.email, "token": token, "expires_at": inv.expires_at,
    }, f"invitations/{inv.id}") for inv, token in created])
    return created


def invitation_state(inv: Invitation) -> str:
    if inv.accepted_at:
        return "accepted"
    if inv.revoked_at:
        return "revoked"
    if inv.expires_at <= now():
        return "expired"
    return "pending"


def list_invitations(session: orm.Session, actor: Actor, institution_id: uuid.UUID) -> list[Invitation]:
    inst = managed_institution(session, actor, institution_id)
    query = sa.select(Invitation).where(Invitation.institution_id == inst.id).order_by(Invitation.created_at.desc())
    if not actor.is_operator:
        query = query.where(Invitation.kind != "institution_admin")
    return list(session.scalars(query))


def revoke_invitation(session: orm.Session, actor: Actor, invitation_id: uuid.UUID) -> Invitation:
    inv = session.get(Invitation, invitation_id, with_for_update=True)
    if inv is None or not actor.manages(inv.institution_id) or (
            inv.kind == "institution_admin" and not actor.is_operator):
        raise not_found("invitation")
    if invitation_state(inv) != "pending":
        raise Refused("invitation-not-pending", "Only a pending invitation can be revoked.")
    inv.revoked_at = now()
    return inv


def _usable_invitation(session: orm.Session, token: str, *, for_update: bool) -> Invitation:
    query = sa.select(Invitation).where(Invitation.token_hash == tokens.sha256(token))
    if for_update:
        query = query.with_for_update()
    inv = session.scalars(query).first()
    if inv is None:
        raise Refused("invitation-unknown", "No such invitation.")
    state = invitation_state(inv)
    if state != "pending":
        raise Refused(f"invitation-{state}", f"This invitation has been {state}; ask for a new one."
                      if state != "expired" else "This invitation has expired; ask for a new one.")
    return inv


def inspect_invitation(session: orm.Session, token: str) -> dict:
    inv = _usable_invitation(session, token, for_update=False)
    inst = session.get(Institution, inv.institution_id)
    role = rules.agreement_role(inv.kind)
    agreement = current_agreement(session, role) if role else None
    return {"kind": inv.kind, "email": inv.email, "name": inv.name, "expires_at": inv.expires_at,
            "institution": {"id": inst.id, "name": inst.name}, "agreement": agreement}


def accept_invitation(session: orm.Session, ctx: Context, data: dict) -> User:
    inv = _usable_invitation(session, data["token"], for_update=True)
    inst = session.get(Institution, inv.institution_id)
    _require_subscribed(inst)
    if inv.kind == "mentee":
        if data.get("profile") is None:
            raise _field_error("profile", "A mentee gives a basic profile (demographics and contact).")
        _check_eligibility(data)
    elif data.get("profile") is not None or data.get("eligibility") is not None:
        raise _field_error("profile", "Only a mentee gives a profile and an eligibility attestation.")
    name = data.get("name") or inv.name
    existing = _existing_user(session, inv.email)
    if existing is not None and not (inv.kind == "mentor" and rules.can_become_mentor(existing.role, existing.status)):
        raise Refused("email-taken", "An account with this e-mail address already exists.")
    password_hash = ctx.passwords.hash(data["password"])
    if inv.kind == "mentor":
        _hold_institution(session, inst.id)  # one more active mentor: see watching_minimum
    at = now()
    if existing is not None:  # R17: the exited mentee becomes a mentor of the inviting institution
        user = existing
        user.role, user.institution_id, user.name = "mentor", inst.id, name
        _set_status(user, "active", "admitted as a mentor after exit", inv.invited_by, at)
        user.password_hash, user.failed_signins, user.locked_until = password_hash, 0, None
        tokens.revoke_user_tokens(session, user.id, "role changed")
    else:
        user = User(id=uuid.uuid4(), email=inv.email, name=name, role=inv.kind, institution_id=inst.id,
                    status="pending" if inv.kind == "mentee" else "active", status_changed_at=at,
                    status_changed_by=inv.invited_by, password_hash=password_hash, failed_signins=0, created_at=at)
        _add_user(session, user)
    session.flush()
    _accept_on_admission(session, user, data.get("accept_agreement_version"))
    inv.accepted_at, inv.accepted_by = at, user.id
    if inv.kind == "mentor":
        session.add(MentorAdmission(id=uuid.uuid4(), user_id=user.id, institution_id=inst.id,
                                    criteria=list(inv.criteria or []), evidence=inv.evidence or "",
                                    nominated_by=inv.nominated_by, invited_by=inv.invited_by,
                                    invitation_id=inv.id, admitted_at=at))
        record_event(session, "MentorEnrolled", _member_event(user), subject=f"users/{user.id}")
    elif inv.kind == "mentee":
        _store_profile(session, user, data, via="invitation")
    elif inv.kind == "institution_admin":
        record_event(session, "InstitutionAdminEnrolled", _member_event(user), subject=f"users/{user.id}")
    return user


def _member_event(user: User) -> dict:
    return {"user_id": user.id, "institution_id": user.institution_id, "name": user.name, "email": user.email}


# --- nominations (R2) -------------------------------------------------------------------------------------------------

def nominate(session: orm.Session, actor: Actor, name: str, email: str, evidence: str) -> Nomination:
    if actor.role != "mentor":
        raise Refused("forbidden", "Only an active mentor may nominate a colleague.")
    inst = session.get(Institution, actor.institution_id)
    _require_subscribed(inst)
    email = normalise_email(email)
    _check_email_free(session, email, "mentor")
    nomination = Nomination(id=uuid.uuid4(), institution_id=inst.id, nominator_id=actor.id, name=name,
                            email=email, evidence=evidence, status="pending", created_at=now())
    session.add(nomination)
    session.flush()
    return nomination


def list_nominations(session: orm.Session, actor: Actor, institution_id: uuid.UUID | None,
                     status: str | None) -> list[Nomination]:
    query = sa.select(Nomination).order_by(Nomination.created_at.desc())
    if actor.role == "mentor":
        query = query.where(Nomination.nominator_id == actor.id)
    elif actor.is_operator:
        if institution_id:
            query = query.where(Nomination.institution_id == institution_id)
    else:
        if institution_id and institution_id != actor.institution_id:
            raise not_found("institution")
        query = query.where(Nomination.institution_id == actor.institution_id)
    if status:
        query = query.where(Nomination.status == status)
    return list(session.scalars(query))


def _managed_nomination(session: orm.Session, actor: Actor, nomination_id: uuid.UUID) -> Nomination:
    nomination = session.get(Nomination, nomination_id, with_for_update=True)
    if nomination is None or not actor.manages(nomination.institution_id):
        raise not_found("nomination")
    if nomination.status != "pending":
        raise Refused("nomination-decided", "This nomination has already been decided.")
    return nomination


def approve_nomination(session: orm.Session, ctx: Context, actor: Actor, nomination_id: uuid.UUID,
                       note: str | None) -> tuple[Nomination, Invitation, str]:
    nomination = _managed_nomination(session, actor, nomination_id)
    if not _active_mentor(session, nomination.nominator_id, nomination.institution_id):
        raise Refused("nominator-not-active", "The nominating mentor is no longer an active mentor.")
    invitation, token = invite(session, ctx, actor, nomination.institution_id, "mentor", email=nomination.email,
                               name=nomination.name, criteria=[rules.NOMINATED_BY_MENTOR],
                               evidence=nomination.evidence, nominated_by=nomination.nominator_id,
                               nomination_id=nomination.id)
    nomination.status, nomination.decided_by, nomination.decided_at = "approved", actor.id, now()
    nomination.decision_note, nomination.invitation_id = note, invitation.id
    return nomination, invitation, token


def decline_nomination(session: orm.Session, actor: Actor, nomination_id: uuid.UUID, note: str | None) -> Nomination:
    nomination = _managed_nomination(session, actor, nomination_id)
    nomination.status, nomination.decided_by, nomination.decided_at = "declined", actor.id, now()
    nomination.decision_note = note
    return nomination


# --- mentees (R3, R4, R14, R17) ----------------------------------------------------------------------------------------

def _check_eligibility(data: dict) -> None:
    try:
        rules.check_eligibility(data.get("eligibility") or [], bool(data.get("attested")))
    except rules.RuleViolation as exc:
        raise _rule(exc) from None


def _store_profile(session: orm.Session, user: User, data: dict, *, via: str) -> None:
    profile = data["profile"]
    session.add(MenteeProfile(user_id=user.id, demographics=profile.get("demographics") or {},
                              contact=profile.get("contact") or {},
                              eligibility=sorted(set(data["eligibility"])), attested_at=now(),
                              admitted_via=via, updated_at=now()))


def register_mentee(session: orm.Session, ctx: Context, data: dict) -> User:
    inst = session.scalars(sa.select(Institution).where(
        Institution.enrollment_code == data["enrollment_code"].strip().upper())).first()
    if inst is None:
        raise _field_error("enrollment_code", "Unknown enrollment code.")
    _require_subscribed(inst)
    _check_eligibility(data)
    email = normalise_email(data["email"])
    if _existing_user(session, email) is not None:
        raise Refused("email-taken", "An account with this e-mail address already exists.")
    user = User(id=uuid.uuid4(), email=email, name=data["name"], role="mentee", institution_id=inst.id,
                status="pending", status_changed_at=now(), password_hash=ctx.passwords.hash(data["password"]),
                failed_signins=0, created_at=now())
    _add_user(session, user)
    _accept_on_admission(session, user, data.get("accept_agreement_version"))
    _store_profile(session, user, data, via="enrollment_code")
    return user


def _set_status(user: User, status: str, reason: str | None, by: uuid.UUID | None, at: datetime | None = None) -> None:
    """A user's status changes, with why, when and by whom (None: by the program) kept beside it."""
    user.status, user.status_reason, user.status_changed_at, user.status_changed_by = status, reason, at or now(), by


def _managed_user(session: orm.Session, actor: Actor, user_id: uuid.UUID, *, for_update: bool = True) -> User:
    user = session.get(User, user_id, with_for_update=for_update)
    if user is None or not (actor.is_operator or (actor.is_admin_of(user.institution_id))):
        raise not_found("user")
    return user


def decide_mentee(session: orm.Session, actor: Actor, user_id: uuid.UUID, approve: bool, note: str | None) -> User:
    user = _managed_user(session, actor, user_id)
    if not rules.can_decide_mentee(user.role, user.status):
        raise Refused("not-pending", "Only a pending mentee application can be approved or declined.")
    profile = session.get(MenteeProfile, user.id)
    at = now()
    _set_status(user, "active" if approve else "declined", note, actor.id, at)
    if profile is not None:
        profile.decided_by, profile.decided_at, profile.decision_note = actor.id, at, note
    if approve:
        inst = session.get(Institution, user.institution_id)
        record_event(session, "MenteeEnrolled", {**_member_event(user), "institution_name": inst.name,
                                                 **_studies(profile)}, subject=f"users/{user.id}")
    return user


def _studies(profile: MenteeProfile | None) -> dict:
    """What mentors see of a mentee beside the name (MenteeEnrolled, MenteeProfileUpdated): the training
    stage and expected graduation year of the profile, nothing else of it (§6)."""
    demographics = (profile.demographics if profile is not None else None) or {}
    return {"training_stage": demographics.get("training_stage"),
            "expected_graduation_year": demographics.get("expected_graduation_year")}


def exit_mentee(session: orm.Session, actor: Actor, user_id: uuid.UUID, reason: str) -> User:
    user = _managed_user(session, actor, user_id)
    if not rules.can_exit(user.role, user.status):
        raise Refused("not-active-mentee", "Only an active mentee can exit.")
    _set_status(user, "exited", reason, actor.id)
    tokens.revoke_user_tokens(session, user.id, "exited")
    record_event(session, "MenteeExited", {"user_id": user.id, "institution_id": user.institution_id,
                                           "reason": reason}, subject=f"users/{user.id}")
    return user


def _audit(session: orm.Session, actor: Actor, subject: User, record: str, purpose: str,
           request_id: str | None) -> None:
    session.add(SensitiveRead(id=uuid.uuid4(), actor_id=actor.id, actor_role=actor.role, subject_id=subject.id,
                              institution_id=subject.institution_id, record=record, purpose=purpose,
                              request_id=request_id, read_at=now()))


def _purpose(actor: Actor, subject: User, reason: str | None) -> str:
    if actor.id == subject.id:
        return reason or "own record"
    if not reason:
        raise Problem(422, "validation-error", "Validation failed", "Say why you read this record.",
                      errors=[{"parameter": "reason", "in": "query",
                               "detail": "Required when reading another person's record."}])
    return reason


def read_mentee_profile(session: orm.Session, actor: Actor, user_id: uuid.UUID, reason: str | None,
                        request_id: str | None, record: str = "mentee_profile") -> tuple[User, MenteeProfile]:
    """§6: the mentee, their institution's admins and operators; every read is audited (`record` says
    which part was read: the whole profile, or only the eligibility basis for an R4 review)."""
    user = session.get(User, user_id)
    visible = user is not None and (user.id == actor.id or actor.manages(user.institution_id))
    profile = session.get(MenteeProfile, user_id) if visible else None
    if profile is None:
        raise not_found("mentee profile")
    _audit(session, actor, user, record, _purpose(actor, user, reason), request_id)
    return user, profile


def update_own_profile(session: orm.Session, actor: Actor, data: dict) -> None:
    profile = session.get(MenteeProfile, actor.id, with_for_update=True)
    if profile is None:
        raise not_found("mentee profile")
    before = _studies(profile)
    if "demographics" in data:
        profile.demographics = data["demographics"] or {}
    if "contact" in data:
        profile.contact = data["contact"] or {}
    profile.updated_at = now()
    user = session.get(User, actor.id)
    if user.status == "active" and _studies(profile) != before:
        # Enrolled mentees only: a pending one's MenteeEnrolled will carry the profile as it is then.
        record_event(session, "MenteeProfileUpdated", {"user_id": user.id, "institution_id": user.institution_id,
                                                       **_studies(profile)}, subject=f"users/{user.id}")


def read_mentor_admission(session: orm.Session, actor: Actor, user_id: uuid.UUID, reason: str | None,
                          request_id: str | None) -> tuple[User, list[MentorAdmission]]:
    user = session.get(User, user_id)
    visible = user is not None and (user.id == actor.id or actor.manages(user.institution_id))
    admissions = list(session.scalars(sa.select(MentorAdmission).where(MentorAdmission.user_id == user_id)
                                      .order_by(MentorAdmission.admitted_at))) if visible else []
    if not admissions:
        raise not_found("mentor admission")
    _audit(session, actor, user, "mentor_admission", _purpose(actor, user, reason), request_id)
    return user, admissions


def list_sensitive_reads(session: orm.Session, filters: dict) -> list[dict]:
    """The audit log, newest first, each entry with the reader's and the subject's names (so that an
    operator reads it without looking every id up)."""
    reader, subject = orm.aliased(User), orm.aliased(User)
    query = (sa.select(SensitiveRead, reader.name, subject.name)
             .outerjoin(reader, reader.id == SensitiveRead.actor_id)
             .outerjoin(subject, subject.id == SensitiveRead.subject_id)
             .order_by(SensitiveRead.seq.desc()))
    for field in ("subject_id", "actor_id", "institution_id"):
        if filters.get(field):
            query = query.where(getattr(SensitiveRead, field) == filters[field])
    if filters.get("since"):
        query = query.where(SensitiveRead.read_at >= filters["since"])
    rows = session.execute(query.offset(filters.get("offset", 0)).limit(filters.get("limit", 100)))
    return [{**{c.key: getattr(read, c.key) for c in SensitiveRead.__table__.columns},
             "actor_name": actor_name, "subject_name": subject_name} for read, actor_name, subject_name in rows]


# --- users: read, deactivate, eject, reinstate (R12) ------------------------------------------------------------------

def get_user(session: orm.Session, actor: Actor, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or not (user.id == actor.id or actor.manages(user.institution_id)):
        raise not_found("user")
    return user


def list_users(session: orm.Session, actor: Actor, filters: dict) -> list[User]:
    query = sa.select(User).order_by(User.created_at, User.id)
    if actor.is_operator:
        if filters.get("institution_id"):
            query = query.where(User.institution_id == filters["institution_id"])
    else:
        if filters.get("institution_id") and filters["institution_id"] != actor.institution_id:
            raise not_found("institution")
        query = query.where(User.institution_id == actor.institution_id)
    for field in ("role", "status"):
        if filters.get(field):
            query = query.where(getattr(User, field) == filters[field])
    return list(session.scalars(query.offset(filters.get("offset", 0)).limit(filters.get("limit", 100))))


def deactivate_user(session: orm.Session, actor: Actor, user_id: uuid.UUID, reason: str) -> User:
    user = _managed_user(session, actor, user_id)
    if user.id == actor.id:
        raise Refused("cannot-deactivate-self", "You cannot deactivate your own account.")
    if not rules.can_deactivate(user.status):
        raise Refused("already-deactivated", "This account is already deactivated.")
    counted = rules.counts_toward_minimum(user.role, user.status)
    with watching_minimum(session, user.institution_id if counted else None):
        _set_status(user, "deactivated", reason, actor.id)
        tokens.revoke_user_tokens(session, user.id, "deactivated")
        record_event(session, "UserDeactivated", {"user_id": user.id, "institution_id": user.institution_id,
                                                  "role": user.role}, subject=f"users/{user.id}")
    return user


def eject_mentor(session: orm.Session, mentor_id: uuid.UUID, reason: str, facts: dict | None = None) -> User | None:
    """R12: an unresponsive mentor leaves the program; MentorEjected is recorded once. The facts (the
    expired requests and their dates) are kept to tell the mentor why when they sign in."""
    user = session.get(User, mentor_id, with_for_update=True)
    if user is None or not rules.can_eject(user.role, user.status):
        log.info("mentor not ejected: unknown or not an active mentor", extra={"user_id": str(mentor_id)})
        return None
    with watching_minimum(session, user.institution_id):
        _set_status(user, "ejected", reason, None)  # by the program (R12), not by a person
        user.status_facts = facts
        tokens.revoke_user_tokens(session, user.id, "ejected")
        record_event(session, "MentorEjected", {"user_id": user.id, "institution_id": user.institution_id,
                                                "reason": reason}, subject=f"users/{user.id}")
    return user


def reinstate_mentor(session: orm.Session, actor: Actor, user_id: uuid.UUID, reason: str) -> User:
    user = _managed_user(session, actor, user_id)
    if not rules.can_reinstate(user.role, user.status):
        raise Refused("not-ejected", "Only an ejected mentor can be reinstated.")
    _hold_institution(session, user.institution_id)
    _set_status(user, "active", reason, actor.id)
    user.status_facts = None
    record_event(session, "MentorReinstated", {"user_id": user.id, "institution_id": user.institution_id,
                                               "reason": reason}, subject=f"users/{user.id}")
    return user


def create_operator(session: orm.Session, ctx: Context, email: str, name: str, password: str) -> User:
    email = normalise_email(email)
    if _existing_user(session, email) is not None:
        raise Refused("email-taken", "An account with this e-mail address already exists.")
    user = User(id=uuid.uuid4(), email=email, name=name, role="operator", institution_id=None, status="active",
                status_changed_at=now(), password_hash=ctx.passwords.hash(password), failed_signins=0,
                created_at=now())
    _add_user(session, user)
    return user


# --- sign-in ---------------------------------------------------------------------------------------------------

@dataclass
class SignInResult:
    """Either tokens, or a refusal to raise after the transaction has committed (so that a failed
    attempt is counted, and a reused refresh token's family stays revoked)."""
    body: dict | None = None
    refusal: Refused | None = None


def _tokens_for(session: orm.Session, ctx: Context, user: User, family_id: uuid.UUID | None = None) -> dict:
    family_id = family_id or uuid.uuid4()  # the sign-in session, named in the access token (sid)
    access, expires_in = tokens.issue_access_token(session, ctx.keyring, user_id=user.id, role=user.role,
                                                   institution_id=user.institution_id, session_id=family_id)
    refresh = tokens.issue_refresh_token(session, ctx.settings, user.id, family_id)
    return {"access_token": access, "token_type": "Bearer", "expires_in": expires_in,
            "refresh_token": refresh.token, "refresh_expires_in": refresh.expires_in}


def _agreement_gate(session: orm.Session, user: User, version: int | None) -> Refused | None:
    outstanding = agreement_outstanding(session, user)
    if outstanding is None:
        return None
    if version is None:
        return agreement_required(outstanding)
    accept_agreement(session, user, version)
    return None


_BAD_CREDENTIALS = "The e-mail address or the password is wrong."


def sign_in(session: orm.Session, ctx: Context, email: str, password: str, accept_version: int | None) -> SignInResult:
    at = now()
    user = session.scalars(sa.select(User).where(User.email == normalise_email(email))).first()
    if user is not None and user.locked_until and user.locked_until > at:
        wait = max(1, int((user.locked_until - at).total_seconds() + 0.999))
        return SignInResult(refusal=Refused("signin-locked", "Too many failed sign-ins; try again later.",
                                            retry_after=wait))
    if not ctx.passwords.verify(user.password_hash if user else None, password):
        if user is not None:
            failures = session.scalar(sa.update(User).where(User.id == user.id)
                                      .values(failed_signins=User.failed_signins + 1)
                                      .returning(User.failed_signins))
            until = rules.locked_until(failures, at, ctx.settings.lockout)
            if until is not None:
                session.execute(sa.update(User).where(User.id == user.id).values(locked_until=until))
        return SignInResult(refusal=_unauthorized(_BAD_CREDENTIALS))
    # The row read again under a lock (FOR NO KEY UPDATE; after the password check, so that no one holds it
    # while argon2 works): a deactivation, ejection or exit, which lock the row to change it, waits for this
    # sign-in to commit, so that its revocation covers the token issued here — or this reads the new status.
    session.refresh(user, with_for_update={"key_share": True})
    if user.failed_signins or user.locked_until:
        session.execute(sa.update(User).where(User.id == user.id).values(failed_signins=0, locked_until=None))
    if ctx.passwords.needs_rehash(user.password_hash):
        user.password_hash = ctx.passwords.hash(password)
    if user.status == "ejected":
        return SignInResult(refusal=_ejected(session, user))
    if not rules.can_sign_in(user.status):
        return SignInResult(refusal=Refused("account-not-active", f"This account is {user.status}.",
                                            status_of_account=user.status))
    gate = _agreement_gate(session, user, accept_version)
    if gate is not None:
        return SignInResult(refusal=gate)
    return SignInResult(body=_tokens_for(session, ctx, user))


def _ejected(session: orm.Session, user: User) -> Refused:
    """R12: an ejected mentor is told why (the expired requests and their dates) and whom to ask for
    reinstatement (their institution's administrators; operators decide) — in `detail` for the person,
    in `ejection`, `contacts` and `next_step` for a client."""
    admins = session.execute(sa.select(User.name, User.email).where(
        User.institution_id == user.institution_id, User.role == "institution_admin", User.status == "active")
        .order_by(User.name)).all()
    facts = user.status_facts or {}
    return Refused("account-not-active",
                   rules.ejection_detail(facts, user.status_reason, user.status_changed_at,
                                         [f"{a.name} <{a.email}>" for a in admins]),
                   status_of_account=user.status, next_step=rules.ASK_FOR_REINSTATEMENT,
                   ejection={"ejected_at": user.status_changed_at.isoformat(), "reason": user.status_reason,
                             "strikes": facts.get("strikes"), "window_days": facts.get("window_days"),
                             "expiries": facts.get("expiries", [])},
                   contacts=[{"name": a.name, "email": a.email, "role": "institution_admin"} for a in admins])


def refresh(session: orm.Session, ctx: Context, token: str, accept_version: int | None) -> SignInResult:
    # Locks in the order a deactivation takes them — the user's row (FOR SHARE here), then the token's —
    # so that the two never deadlock; the user's lock makes a concurrent revocation cover the token
    # issued here, or this read the new status (see sign_in).
    found = tokens.find_refresh_token(session, token, lock=False)
    if found is not None:
        session.get(User, found.user_id, with_for_update={"read": True})
    row = tokens.find_refresh_token(session, token)
    invalid = _unauthorized("The refresh token is invalid, expired or revoked; sign in again.")
    if row is None or row.revoked_at is not None or row.expires_at <= now():
        return SignInResult(refusal=invalid)
    if row.rotated_at is not None:
        # Reuse of a rotated token: someone holds a copy. Revoke the whole family.
        tokens.revoke_family(session, row.family_id, "reuse detected", user_id=row.user_id)
        log.warning("refresh token reuse: family revoked", extra={"user_id": str(row.user_id)})
        return SignInResult(refusal=invalid)
    user = session.get(User, row.user_id)  # read under the lock taken above
    if user is None or not rules.can_sign_in(user.status):
        tokens.revoke_family(session, row.family_id, "account not active")
        return SignInResult(refusal=invalid)
    gate = _agreement_gate(session, user, accept_version)
    if gate is not None:
        return SignInResult(refusal=gate)
    row.rotated_at = now()
    return SignInResult(body=_tokens_for(session, ctx, user, row.family_id))


def sign_out(session: orm.Session, token: str) -> None:
    row = tokens.find_refresh_token(session, token)
    if row is not None:  # the session's access tokens too, in every service
        tokens.revoke_family(session, row.family_id, "signed out", user_id=row.user_id)


def me(session: orm.Session, actor: Actor) -> dict:
    user = session.get(User, actor.id)
    role = rules.agreement_role(user.role)
    current = current_agreement(session, role) if role else None
    return {"user": user, "agreement": None if role is None else {
        "role": role, "current_version": current.version if current else None,
        "accepted_version": accepted_version(session, user.id, role)}}


def status_time(user: User) -> datetime:
    return user.status_changed_at
