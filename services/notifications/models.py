"""Tables of the notifications service (the outbox, inbox and job_schedule come from shared/).

People are known only from enrollment events (`recipients`: name, e-mail, role, institution; nothing
sensitive). What happens to them becomes `notifications` (the in-app inbox) and, by their
`preferences`, `emails` (an outbox of rendered mails, sent by a job over SMTP). What happens to an
institution's members becomes `feed_events` (the pull feed and the source of webhook deliveries).
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
TS = sa.DateTime(timezone=True)


class Institution(Base):
    __tablename__ = "institutions"
    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(TS)


class Recipient(Base):
    """A person the platform may tell something: from MentorEnrolled, MenteeEnrolled and
    InstitutionAdminEnrolled; status follows ejection, reinstatement, exit and deactivation."""
    __tablename__ = "recipients"
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    email: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, server_default="active")
    # the event time that set role/name/email and the one that set status: older events change nothing
    enrolled_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    status_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)


class Preference(Base):
    """Whether a user wants e-mail for a category (in-app notifications are always kept)."""
    __tablename__ = "preferences"
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    category: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    email: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(TS)


class Notification(Base):
    """One in-app notification: one per (event, recipient, category), so a repeat changes nothing."""
    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id", "category", name="uq_notifications_event_user_category"),
        sa.Index("ix_notifications_user_created", "user_id", sa.text("created_at DESC")),
        sa.Index("ix_notifications_user_unread", "user_id", postgresql_where=sa.text("read_at IS NULL")),
    )
    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    event_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    category: orm.Mapped[str] = orm.mapped_column(sa.Text)
    title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    link: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
    read_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)


class Email(Base):
    """A mail waiting for (or done with) SMTP. `to_address` is empty while the recipient's
    enrollment has not reached this service; their enrollment fills it in."""
    __tablename__ = "emails"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "recipient_key", "category", name="uq_emails_event_recipient_category"),
        sa.Index("ix_emails_due", "next_attempt_at", postgresql_where=sa.text("status = 'queued'")),
        sa.Index("ix_emails_waiting", "user_id", postgresql_where=sa.text("to_address IS NULL")),
    )
    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    event_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    recipient_key: orm.Mapped[str] = orm.mapped_column(sa.Text)  # user id, or the invitee's address
    user_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    to_address: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    category: orm.Mapped[str] = orm.mapped_column(sa.Text)
    subject: orm.Mapped[str] = orm.mapped_column(sa.Text)
    # The template's context, kept until the mail is rendered for sending (the fan-out renders only the
    # subject); then the bodies as sent. A mail rendered at once (an invitation) has its bodies only.
    context: orm.Mapped[dict | None] = orm.mapped_column(pg.JSONB)
    text_body: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    html_body: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    redact_when_sent: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, server_default=sa.false())
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, server_default="queued")  # queued, sent, failed
    attempts: orm.Mapped[int] = orm.mapped_column(sa.Integer, server_default="0")
    next_attempt_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
    leased_until: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
    sent_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)


class FeedEvent(Base):
    """An event about an institution's members, minimised for that institution. `position` is given by
    the sequencer job, one transaction at a time, so positions become visible in order: a reader that
    has seen position p will never later find a new event before p (the feed's stable cursor)."""
    __tablename__ = "feed_events"
    __table_args__ = (
        sa.UniqueConstraint("institution_id", "event_id", name="uq_feed_events_institution_event"),
        sa.Index("ix_feed_events_institution_position", "institution_id", "position",
                 postgresql_where=sa.text("position IS NOT NULL")),
        sa.Index("ix_feed_events_unsequenced", "id", postgresql_where=sa.text("position IS NULL")),
    )
    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    event_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    event_type: orm.Mapped[str] = orm.mapped_column(sa.Text)  # EventName
    body: orm.Mapped[dict] = orm.mapped_column(pg.JSONB)  # the CloudEvent as the institution receives it
    recorded_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
    position: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger, unique=True)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"
    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    url: orm.Mapped[str] = orm.mapped_column(sa.Text)
    event_types: orm.Mapped[list[str]] = orm.mapped_column(pg.ARRAY(sa.Text))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    secret: orm.Mapped[str] = orm.mapped_column(sa.Text)  # whsec_<base64>, shown once
    previous_secret: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # still signs until it expires
    previous_secret_expires_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, server_default="active")  # active, disabled
    disabled_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    failing_since: orm.Mapped[datetime | None] = orm.mapped_column(TS)  # first failure after a success
    created_by: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(TS)


class WebhookDelivery(Base):
    """One feed event to one subscription. Its id is the `webhook-id` of every attempt and replay."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "feed_event_id", name="uq_webhook_deliveries_subscription_event"),
        sa.Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_webhook_deliveries_subscription_created", "subscription_id", sa.text("created_at DESC")),
    )
    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    subscription_id: orm.Mapped[uuid.UUID] = orm.mapped_column(
        UUID, sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    feed_event_id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, sa.ForeignKey("feed_events.id"))
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, server_default="pending")  # pending, delivered, failed, cancelled
    attempts: orm.Mapped[int] = orm.mapped_column(sa.Integer, server_default="0")
    next_attempt_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
    retry_until: orm.Mapped[datetime | None] = orm.mapped_column(TS)  # set at the first failure
    leased_until: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    replay_pending: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, server_default=sa.false())
    last_status_code: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
    delivered_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)


class WebhookAttempt(Base):
    """The delivery log: every HTTP attempt, its answer and how long it took."""
    __tablename__ = "webhook_attempts"
    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    delivery_id: orm.Mapped[uuid.UUID] = orm.mapped_column(
        UUID, sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempt: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    replay: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, server_default=sa.false())
    attempted_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    status_code: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    duration_ms: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    next_attempt_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
