"""Tables of the directory service (the outbox, inbox and job_schedule come from shared/).

- `mentor_profiles`: one row per mentor known from identity's events, with the profile the mentor
  fills, the publication state, and the read models search ranks on (active mentees, responsiveness,
  `rank_boost`). `search_vector` is kept by a database trigger (migration 0002) from the text fields.
- `mentorships`: mentorships seen in MentorshipStarted/Concluded (the active-mentee count's source).
- `request_outcomes`: accepted, declined and expired requests (the responsiveness score's source).
- `facet_values`: codes of (facet, value) pairs, listed per profile in `facet_codes`.
- `search_state`: one row whose `version` moves with every change that can alter a search result;
  `search_names`: the display names that typo-tolerant name matching looks in; `search_name_words` and
  `search_name_variants`: their words and the words' one-deletion variants (names found despite one typo).
A mentor's shared background is self-identified; only the items the mentor chose to show are stored.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from services.directory import rules
from shared.db import declarative_base

Base = declarative_base()

UUID = pg.UUID(as_uuid=True)
TEXTS = pg.ARRAY(sa.Text)
PUBLISHED = sa.text("published")


def _now():
    return sa.func.now()


class MentorProfile(Base):
    __tablename__ = "mentor_profiles"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    enrolled_name: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, server_default="active")
    status_changed_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))
    trained: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, server_default=sa.false())
    published: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, server_default=sa.false())
    published_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))

    display_name: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    pronouns: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    academic_rank: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    specialties: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")
    subspecialty: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    clinical_interests: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")
    research_interests: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")
    education_interests: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")
    interest_tags: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")  # lower-cased union
    languages: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")
    city: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    state: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    career_highlights: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    bio: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    shared_background: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")  # shown items only
    scope: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    accepting_new_mentees: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, server_default=sa.true())
    hours_per_month: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    meeting_modes: orm.Mapped[list[str]] = orm.mapped_column(TEXTS, server_default="{}")
    time_windows: orm.Mapped[list[dict]] = orm.mapped_column(pg.JSONB, server_default="[]")
    timezone: orm.Mapped[str | None] = orm.mapped_column(sa.Text)

    active_mentees: orm.Mapped[int] = orm.mapped_column(sa.Integer, server_default="0")
    open_slots: orm.Mapped[int] = orm.mapped_column(sa.Integer, server_default="3")
    requests_considered: orm.Mapped[int] = orm.mapped_column(sa.Integer, server_default="0")
    response_rate: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    median_response_hours: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    responsiveness: orm.Mapped[float] = orm.mapped_column(sa.Float, server_default="0.5")
    rank_boost: orm.Mapped[float] = orm.mapped_column(sa.Float, server_default="0")
    facet_codes: orm.Mapped[list[int]] = orm.mapped_column(pg.ARRAY(sa.Integer), server_default="{}")
    search_vector: orm.Mapped[str | None] = orm.mapped_column(pg.TSVECTOR)
    # the id of the transaction that last wrote the row (trigger, migration 0003)
    change_xid: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)

    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())
    updated_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())

    def fields(self) -> dict:
        return {f: getattr(self, f) for f in rules.REQUIRED_FIELDS + rules.OPTIONAL_FIELDS}

    @property
    def missing_fields(self) -> list[str]:
        return rules.missing_fields(self.fields())

    @property
    def next_step(self) -> dict | None:
        return rules.next_step(status=self.status, published=self.published,
                               status_changed_at=self.status_changed_at)

    @property
    def completeness(self) -> int:
        return rules.completeness(self.fields())

    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'ejected', 'deactivated')", name="status"),
        sa.CheckConstraint("scope IS NULL OR scope IN ('local', 'national')", name="scope"),
        sa.CheckConstraint("active_mentees >= 0", name="active_mentees"),
        sa.CheckConstraint("NOT published OR (status = 'active' AND trained)", name="published_needs_active_trained"),
        # what changed since an in-memory search index last read (search_index.py)
        sa.Index("ix_mentor_profiles_change_xid", "change_xid"),
    )


class Mentorship(Base):
    __tablename__ = "mentorships"

    mentorship_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentee_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    active: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True), server_default=_now())


class RequestOutcome(Base):
    __tablename__ = "request_outcomes"

    request_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    outcome: orm.Mapped[str] = orm.mapped_column(sa.Text)  # accepted | declined | expired
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime(timezone=True))
    responded_at: orm.Mapped[datetime | None] = orm.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("outcome IN ('accepted', 'declined', 'expired')", name="outcome"),
        sa.Index("ix_request_outcomes_mentor_created", "mentor_id", sa.text("created_at DESC")),
    )


class FacetValue(Base):
    """The code of each (facet, value) pair; a profile lists its pairs' codes in `facet_codes`, so that
    a search counts every facet in one pass over integers."""
    __tablename__ = "facet_values"

    code: orm.Mapped[int] = orm.mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    facet: orm.Mapped[str] = orm.mapped_column(sa.Text)
    value: orm.Mapped[str] = orm.mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("facet", "value", name="uq_facet_values_facet_value"),)


class SearchName(Base):
    """Display names of published profiles (kept by a trigger, migration 0003), for pg_trgm's word
    similarity over names rather than over every profile."""
    __tablename__ = "search_names"

    name: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)

    __table_args__ = (sa.Index("ix_search_names_name_trgm", "name", postgresql_using="gin",
                               postgresql_ops={"name": "gin_trgm_ops"}, postgresql_with={"fastupdate": "off"}),)


class SearchNameWord(Base):
    """The words of each search name (lower-cased, unaccented; trigger on search_names, migration 0005)."""
    __tablename__ = "search_name_words"

    word: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)


class SearchNameVariant(Base):
    """Each name word itself (pos 0) and, for words of 4 characters or more, its variants with the
    character at `pos` deleted: a query word's own variants find every name word within one edit
    (SymSpell's deletion neighbourhoods), in one index lookup each."""
    __tablename__ = "search_name_variants"

    variant: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    word: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    pos: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger, primary_key=True)


class SearchState(Base):
    __tablename__ = "search_state"

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    version: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, server_default="0")
