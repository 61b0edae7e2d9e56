"""Tables of research data requests (R16). Only the request, its export's bytes, hashed download tokens
and the audit trail are kept: the export's pseudonym secret is never stored, so that no one — not even
with the database — can link an export's pseudonyms back to platform ids or to another export."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from services.evaluation.models import TS, UUID, Base


class DataRequest(Base):
    """A request for research data: who asks, why, under which IRB status, which datasets of the
    catalogue (rules.CATALOGUE) over which period; an operator approves or denies it with a reason."""
    __tablename__ = "research_requests"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    requester_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    requester_role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    requester_institution_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    purpose: orm.Mapped[str] = orm.mapped_column(sa.Text)
    irb_status: orm.Mapped[str] = orm.mapped_column(sa.Text)  # approved | exempt | pending | not_human_subjects
    irb_number: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    datasets: orm.Mapped[list[str]] = orm.mapped_column(pg.ARRAY(sa.Text))
    period_start: orm.Mapped[date] = orm.mapped_column(sa.Date)  # inclusive
    period_end: orm.Mapped[date] = orm.mapped_column(sa.Date)  # inclusive
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="submitted", server_default="submitted")
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    decided_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    decided_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)

    export: orm.Mapped[Export | None] = orm.relationship(back_populates="request", uselist=False, lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("irb_status IN ('approved', 'exempt', 'pending', 'not_human_subjects')", name="irb_status"),
        sa.CheckConstraint("irb_status NOT IN ('approved', 'exempt') OR irb_number IS NOT NULL", name="irb_number"),
        sa.CheckConstraint("status IN ('submitted', 'approved', 'denied')", name="status"),
        sa.CheckConstraint("period_end > period_start", name="period"),
        sa.CheckConstraint("cardinality(datasets) > 0", name="datasets"),
        sa.CheckConstraint("(status = 'submitted') = (decided_at IS NULL)", name="decided"),
        sa.Index("ix_research_requests_status_created", "status", "created_at"),
    )


class Export(Base):
    """The de-identified export of an approved request (one per request, made at approval): a ZIP of one
    CSV per dataset and a manifest.json (see export.py)."""
    __tablename__ = "research_exports"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    request_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("research_requests.id"), unique=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    media_type: orm.Mapped[str] = orm.mapped_column(sa.Text)
    content: orm.Mapped[bytes] = orm.mapped_column(sa.LargeBinary, deferred=True)
    size_bytes: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    row_counts: orm.Mapped[dict] = orm.mapped_column(pg.JSONB)  # dataset -> rows

    request: orm.Mapped[DataRequest] = orm.relationship(back_populates="export")


class DownloadLink(Base):
    """A one-time, expiring download link of an export. Only the SHA-256 of its token is kept, so a
    leaked table cannot be replayed; `used_at` is set by the one download it allows."""
    __tablename__ = "research_download_links"

    token_hash: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    export_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("research_exports.id"), index=True)
    created_by: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    expires_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    used_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)


class AuditEntry(Base):
    """Every step of a research request, refusals included: who did what, to which request and export."""
    __tablename__ = "research_audit"

    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: orm.Mapped[datetime] = orm.mapped_column(TS)
    actor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    actor_role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    # request_submitted | request_decided | export_created | download_link_created | export_downloaded |
    # download_refused
    action: orm.Mapped[str] = orm.mapped_column(sa.Text)
    request_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID, index=True)
    export_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    detail: orm.Mapped[str | None] = orm.mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("action IN ('request_submitted', 'request_decided', 'export_created', "
                           "'download_link_created', 'export_downloaded', 'download_refused')", name="action"),
        sa.Index("ix_research_audit_at", "at"),
    )
