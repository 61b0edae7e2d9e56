"""Domain rules of the directory, in plain Python: the controlled vocabularies, what a publishable
profile needs (R9), profile completeness, open slots (R11), the responsiveness score and the search
ranking (R10).

Ranking (R10)
-------------
Every published profile visible to the searcher gets

    score = W_TEXT * text + W_SLOTS * slots + W_AVAILABILITY * availability + W_RESPONSIVENESS * responsiveness

with every component in [0, 1]:

- text: how well the free text matches, 0 without a query. The profile's text is PostgreSQL's
  weighted document (English configuration): name and specialties weigh A, subspecialty and
  interests B, bio, highlights and city C. For a profile the full-text query matches, each query
  word it contains counts the weight of its best place in the profile (A 1.0, B 0.4, C 0.2, D 0.1,
  PostgreSQL's default class weights) and text = S / (S + 1) over their sum S (a word in the
  name or specialties: 0.5; in the bio only: 0.17; two words in the name: 0.67). Negated words
  count nothing. A profile the full-text query does not match may still be found by its display
  name, ranked by closeness (`name_relevance`): when every query word of 4+ characters is a word
  of the name or one edit from one (a letter substituted, inserted, deleted, or two adjacent letters
  swapped; only name words of 4+ characters are matched with an edit), each query word found counts
  NAME_EXACT (1.0) when exact and NAME_ONE_EDIT (0.5) when one edit away, and text = S / (S + 1) again
  ("Adyeemi" finds "Adeyemi" at 0.33, below the 0.5 of the exact name). Failing that, a partial name
  found by its trigrams ("Okonk" finds "Okonkwo") gets NAME_PARTIAL * word_similarity(query,
  display_name), at most 0.3, so below any one-edit match.
- slots: open slots / 3, where open slots = 3 - active mentees (R11), and 0 when the mentor is not
  accepting new mentees.
- availability: 0 when not accepting new mentees; else 0.5 + 0.3 * min(hours per month, 8) / 8
  + 0.2 * min(weekly time windows, 5) / 5 (more time, and more ways to find a time, rank higher).
- responsiveness: over the mentor's RESPONSIVENESS_WINDOW most recent requests that reached an
  outcome (accepted, declined by the mentor, or expired unanswered; automatic declines by the
  platform do not count): response rate * (0.5 + 0.5 * speed), speed = 1 / (1 + median response
  hours / 72). A mentor with no such requests yet gets the neutral NEUTRAL_RESPONSIVENESS, so new
  mentors are neither buried nor favoured.

The last three components do not depend on the query: their weighted sum is stored per profile as
`rank_boost` (`static_score` below) whenever its inputs change, so a search adds only the text term.
Ties break on the mentor id, which makes pagination stable.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

MAX_ACTIVE_MENTEES = 3  # R11

W_TEXT = 0.40
W_SLOTS = 0.25
W_AVAILABILITY = 0.15
W_RESPONSIVENESS = 0.20

RESPONSIVENESS_WINDOW = 20
NEUTRAL_RESPONSIVENESS = 0.5
SPEED_HALF_LIFE_HOURS = 72.0

SCOPES = ("local", "national")
MEETING_MODES = ("video", "phone", "in_person")
SHARED_BACKGROUNDS = ("urim", "first_generation", "low_ses")
ACADEMIC_RANKS = ("instructor", "assistant_professor", "associate_professor", "professor", "clinical_faculty",
                  "resident", "fellow", "emeritus", "other")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
US_STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
)

# Needed to publish (R9). Lists must be non-empty.
REQUIRED_FIELDS = ("display_name", "academic_rank", "specialties", "languages", "city", "state", "bio", "scope",
                   "hours_per_month", "meeting_modes", "time_windows", "timezone")
# The required fields as the profile form names them, for the sentences people read.
FIELD_LABELS = {"display_name": "display name", "academic_rank": "academic rank", "specialties": "specialties",
                "languages": "languages", "city": "city", "state": "state", "bio": "about me",
                "scope": "whom you mentor", "hours_per_month": "hours per month", "meeting_modes": "meeting modes",
                "time_windows": "time windows (days and times)", "timezone": "time zone"}
# Counted in completeness beside the required ones.
OPTIONAL_FIELDS = ("pronouns", "subspecialty", "clinical_interests", "research_interests", "education_interests",
                   "career_highlights")

# Statuses of a mentor as the directory learns them from identity's events.
ACTIVE, EJECTED, DEACTIVATED = "active", "ejected", "deactivated"


@lru_cache(maxsize=1)
def specialties() -> tuple[str, ...]:
    """The shipped controlled list (services/directory/data/specialties.txt)."""
    path = Path(__file__).parent / "data" / "specialties.txt"
    lines = (line.strip() for line in path.read_text().splitlines())
    return tuple(sorted(line for line in lines if line and not line.startswith("#")))


def _filled(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return len(value) > 0
    return True


def missing_fields(profile: dict) -> list[str]:
    """Required fields a profile still lacks, in a fixed order."""
    return [f for f in REQUIRED_FIELDS if not _filled(profile.get(f))]


def completeness(profile: dict) -> int:
    """Per cent of required and optional fields filled."""
    fields = REQUIRED_FIELDS + OPTIONAL_FIELDS
    return round(100 * sum(_filled(profile.get(f)) for f in fields) / len(fields))


class PublishRefusal(NamedTuple):
    slug: str
    detail: str
    missing_fields: tuple[str, ...] = ()  # the required fields still empty, by their codes, for the client


def labels(fields: Iterable[str]) -> str:
    """"academic rank, time windows (days and times) and time zone": fields as the profile form names them."""
    names = [FIELD_LABELS.get(f, f.replace("_", " ")) for f in fields]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def publish_refusal(*, missing: list[str], trained: bool, status: str, consent: bool) -> PublishRefusal | None:
    """Why a profile may not be published (slug, detail, missing fields), or None when it may (R9)."""
    if status != ACTIVE:
        why = {EJECTED: "you were removed from the program", DEACTIVATED: "your account is closed"}.get(
            status, "your mentor account is not active")
        return PublishRefusal("mentor-not-active", f"Only active mentors can publish a profile, and {why}.")
    if not trained:
        return PublishRefusal("training-incomplete", "Complete the mentor training before publishing your profile.")
    if missing:
        return PublishRefusal("profile-incomplete", f"Fill in your {labels(missing)} before publishing.",
                              tuple(missing))
    if not consent:
        return PublishRefusal("consent-required", "Publishing is your consent to be found in search: "
                                                  "give your consent to publish.")
    return None


REVIEW_AND_PUBLISH = "review-and-publish-profile"


def next_step(*, status: str, published: bool, status_changed_at: datetime | None) -> dict | None:
    """What a reinstated mentor does next (R12, docs/architecture.md "Decisions"): reinstatement restores
    the account, not the consent to be searched, so the profile stays unpublished until the mentor
    publishes it again. Only MentorReinstated brings a profile back to active, so an active profile with
    a status change is a reinstated one; the step goes once the profile is published."""
    if status != ACTIVE or published or status_changed_at is None:
        return None
    return {"code": REVIEW_AND_PUBLISH, "since": status_changed_at,
            "detail": "You were reinstated as a mentor. Your profile was taken out of search when you were "
                      "removed and stays unpublished until you publish it again: review it, check your "
                      "availability, and publish it when you are ready to answer requests. Your count of "
                      "expired requests starts afresh; your responsiveness score still counts the requests "
                      "that went unanswered and rises as you answer new ones."}


def open_slots(active_mentees: int, accepting: bool) -> int:
    if not accepting:
        return 0
    return max(0, MAX_ACTIVE_MENTEES - active_mentees)


def availability(accepting: bool, hours_per_month: int | None, windows: int) -> float:
    if not accepting:
        return 0.0
    return 0.5 + 0.3 * min(hours_per_month or 0, 8) / 8 + 0.2 * min(windows, 5) / 5


@dataclass(frozen=True)
class Outcome:
    """A request's outcome as the directory counts it."""
    created_at: datetime
    answered: bool  # accepted or declined by the mentor; False when it expired unanswered
    responded_at: datetime | None


@dataclass(frozen=True)
class Responsiveness:
    considered: int
    response_rate: float | None
    median_response_hours: float | None
    score: float


def responsiveness(outcomes: list[Outcome]) -> Responsiveness:
    """Over the most recent RESPONSIVENESS_WINDOW outcomes (by request creation)."""
    recent = sorted(outcomes, key=lambda o: o.created_at, reverse=True)[:RESPONSIVENESS_WINDOW]
    if not recent:
        return Responsiveness(0, None, None, NEUTRAL_RESPONSIVENESS)
    answered = [o for o in recent if o.answered and o.responded_at is not None]
    rate = len(answered) / len(recent)
    if not answered:
        return Responsiveness(len(recent), 0.0, None, 0.0)
    median = statistics.median(max(0.0, (o.responded_at - o.created_at).total_seconds() / 3600) for o in answered)
    speed = 1 / (1 + median / SPEED_HALF_LIFE_HOURS)
    return Responsiveness(len(recent), round(rate, 4), round(median, 2), round(rate * (0.5 + 0.5 * speed), 4))


def static_score(*, active_mentees: int, accepting: bool, hours_per_month: int | None, windows: int,
                 responsiveness_score: float) -> float:
    """The query-independent part of the ranking (stored as rank_boost)."""
    slots = open_slots(active_mentees, accepting) / MAX_ACTIVE_MENTEES
    return round(W_SLOTS * slots + W_AVAILABILITY * availability(accepting, hours_per_month, windows)
                 + W_RESPONSIVENESS * responsiveness_score, 6)


# the weight of a text match by the class of the word's best place in the profile (see above)
TEXT_CLASS_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}


def text_relevance(summed_weights):
    """S / (S + 1) over the summed class weights of the matched words (a float or a numpy array)."""
    return summed_weights / (summed_weights + 1.0)


# Closeness of a name found without the full-text query (see "text" above; search.py finds the names).
NAME_EXACT = 1.0
NAME_ONE_EDIT = 0.5
NAME_PARTIAL = 0.3


def name_relevance(edits: Iterable[int]) -> float:
    """The text relevance of a display name from its query words' edit distances (0 or 1) to its words."""
    return text_relevance(sum(NAME_EXACT if e == 0 else NAME_ONE_EDIT for e in edits))


def partial_name_relevance(similarity: float) -> float:
    """The text relevance of a display name found by pg_trgm's word similarity only (below one edit)."""
    return NAME_PARTIAL * similarity


def score(text: float, boost: float) -> float:
    """The full ranking score (search computes the same over arrays: W_TEXT * text + rank_boost)."""
    return W_TEXT * text + boost


def newer(event_time: datetime, known: datetime | None) -> bool:
    """Status events are applied only when newer than the last applied one (order tolerance)."""
    return known is None or event_time > known
