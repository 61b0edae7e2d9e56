"""Tables of the identity service (the outbox, inbox and job_schedule come from shared/).

Sensitive data (DESIGN §6) lives in two tables only: `mentee_profiles` (demographics, contact,
eligibility basis) and `mentor_admissions` (the R2 basis on which a mentor was admitted). Every API
read of either writes a row of `sensitive_reads`.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from shared.db import declarative_base

Base = declarative_base()

UUID = pg.UUID(as_uuid=True)


def _now():
    return sa.func.now()


class Institution(Base):
    __tablename__ = "institutions"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    kind: orm.Mapped[str] = orm.mapped_column(sa.Text)  # academic | hbcu
    class_size: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    contact_name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    contact_email: orm.Mapped[str] = orm.mapped_column(sa.Text)
    contact_phone: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    subscription_status: orm.Mapped[str] = orm.mapped_column(sa.Text)
    reward_policy: orm.Mapped[dict] = orm.mapped_column(pg.JSONB, default=dict)
    enrollment_code: orm.Mapped[str] = orm.mapped_column(sa.Text, unique=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    updated_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())

    __table_args__ = (
        sa.CheckConstraint("kind IN ('academic', 'hbcu')", name="kind"),
        sa.CheckConstraint("class_size >= 0", name="class_size"),
        sa.CheckConstraint("subscription_status IN ('active', 'suspended', 'lapsed')", name="subscription_status"),
    )


class User(Base):
    __tablename__ = "users"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    email: orm.Mapped[str] = orm.mapped_column(sa.Text, unique=True)  # stored lower-cased
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    institution_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(
        UUID, sa.ForeignKey("institutions.id"), index=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text)
    status_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status_changed_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    status_changed_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    # The facts behind the status, for telling the person why (an ejection: the strikes, the window and
    # each expired request with its date); None when the reason says it all.
    status_facts: orm.Mapped[dict | None] = orm.mapped_column(pg.JSONB)
    password_hash: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    failed_signins: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0, server_default="0")
    locked_until: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())

    __table_args__ = (
        sa.CheckConstraint("role IN ('mentee', 'mentor', 'institution_admin', 'operator')", name="role"),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'declined', 'ejected', 'exited', 'deactivated')", name="status"),
        sa.CheckConstraint("(role = 'operator') = (institution_id IS NULL)", name="institution_by_role"),
        sa.Index("ix_users_institution_role_status", "institution_id", "role", "status"),
    )


class MenteeProfile(Base):
    """Sensitive (§6): demographics, contact and the attested eligibility basis of a mentee."""
    __tablename__ = "mentee_profiles"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("users.id"), primary_key=True)
    demographics: orm.Mapped[dict] = orm.mapped_column(pg.JSONB, default=dict)
    contact: orm.Mapped[dict] = orm.mapped_column(pg.JSONB, default=dict)
    eligibility: orm.Mapped[list[str]] = orm.mapped_column(pg.ARRAY(sa.Text))
    attested_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True))
    admitted_via: orm.Mapped[str] = orm.mapped_column(sa.Text)  # invitation | enrollment_code
    decided_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    decided_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    decision_note: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())


class MentorAdmission(Base):
    """The R2 basis on which a mentor was admitted (never in events)."""
    __tablename__ = "mentor_admissions"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("users.id"), index=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("institutions.id"))
    criteria: orm.Mapped[list[str]] = orm.mapped_column(pg.ARRAY(sa.Text))
    evidence: orm.Mapped[str] = orm.mapped_column(sa.Text)
    nominated_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    invited_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    invitation_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    admitted_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())


class Invitation(Base):
    """A single-use, expiring invitation; only the SHA-256 of its token is stored."""
    __tablename__ = "invitations"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    kind: orm.Mapped[str] = orm.mapped_column(sa.Text)  # institution_admin | mentor | mentee
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("institutions.id"), index=True)
    email: orm.Mapped[str] = orm.mapped_column(sa.Text)
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.Text, unique=True)
    criteria: orm.Mapped[list[str] | None] = orm.mapped_column(pg.ARRAY(sa.Text))
    evidence: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    nominated_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    nomination_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    invited_by: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    expires_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True))
    accepted_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    accepted_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    revoked_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("kind IN ('institution_admin', 'mentor', 'mentee')", name="kind"),
    )


class Nomination(Base):
    """R2: an active mentor nominates a colleague; an admin approves it into an invitation."""
    __tablename__ = "nominations"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("institutions.id"), index=True)
    nominator_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("users.id"))
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    email: orm.Mapped[str] = orm.mapped_column(sa.Text)
    evidence: orm.Mapped[str] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="pending")  # pending | approved | declined
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    decided_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    decided_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    decision_note: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    invitation_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)


class Agreement(Base):
    __tablename__ = "agreements"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    role: orm.Mapped[str] = orm.mapped_column(sa.Text)  # mentor | mentee
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    published_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    published_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)

    __table_args__ = (sa.UniqueConstraint("role", "version", name="uq_agreements_role_version"),)


class AgreementAcceptance(Base):
    __tablename__ = "agreement_acceptances"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("users.id"), index=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    accepted_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())

    __table_args__ = (sa.UniqueConstraint("user_id", "role", "version", name="uq_acceptances_user_role_version"),)


class RefreshToken(Base):
    """Opaque rotating refresh tokens, stored as SHA-256; a family is one sign-in's chain of rotations."""
    __tablename__ = "refresh_tokens"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    family_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("users.id"), index=True)
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.Text, unique=True)
    issued_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    expires_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True))
    rotated_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    revoked_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    revoked_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)


class SigningKey(Base):
    """Ed25519 signing keys. The active key signs; retired keys stay in the JWKS until every token
    they signed has expired, so a rotation signs no one out."""
    __tablename__ = "signing_keys"

    kid: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    private_pem: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # PKCS#8, encrypted when a passphrase is set
    public_jwk: orm.Mapped[dict] = orm.mapped_column(pg.JSONB)
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    retired_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    published_until: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))


class SensitiveRead(Base):
    """Audit log (§6): who read whose sensitive record, when and why."""
    __tablename__ = "sensitive_reads"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    seq: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, sa.Identity(), unique=True)
    actor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    actor_role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    subject_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    institution_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    record: orm.Mapped[str] = orm.mapped_column(sa.Text)  # mentee_profile | mentee_eligibility | mentor_admission
    purpose: orm.Mapped[str] = orm.mapped_column(sa.Text)
    request_id: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    read_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
