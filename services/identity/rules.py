"""The identity service's domain rules, in plain Python (no Flask, no database).

R1  size tiers and the mentor minimum of an institution
R2  the minimum criteria on which a mentor may be admitted
R4  the eligibility of a mentee (at least one basis, attested)
R5  agreement versions: which version a user must accept before acting again
     sign-in failures: when an account is slowed down and for how long
     statuses of users, and which transitions are allowed
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# --- R1: institutions --------------------------------------------------------------------------------

KINDS = ("academic", "hbcu")
SUBSCRIPTION_STATUSES = ("active", "suspended", "lapsed")
REWARDS = (
    "promotion_recognition",
    "dedicated_fte",
    "dei_credentialing_recognition",
    "cme_credit",
    "financial_compensation",
)


@dataclass(frozen=True)
class SizeTier:
    name: str  # "under_50", "50_to_100", "over_100", "hbcu"
    minimum_mentors: int


def size_tier(kind: str, class_size: int) -> SizeTier:
    """R1: class < 50 → 25 mentors; 50–100 → 50; > 100 → 75; an HBCU → none, whatever its size."""
    if kind not in KINDS:
        raise ValueError(f"unknown institution kind {kind!r}")
    if class_size < 0:
        raise ValueError("class size cannot be negative")
    if kind == "hbcu":
        return SizeTier("hbcu", 0)
    if class_size < 50:
        return SizeTier("under_50", 25)
    if class_size <= 100:
        return SizeTier("50_to_100", 50)
    return SizeTier("over_100", 75)


def minimum_mentors(kind: str, class_size: int) -> int:
    return size_tier(kind, class_size).minimum_mentors


def shortfall(minimum: int, active_mentors: int) -> int:
    return max(0, minimum - active_mentors)


def counts_toward_minimum(role: str, status: str) -> bool:
    """R1: who is counted against the minimum: active mentors."""
    return role == "mentor" and status == "active"


def fell_below_minimum(before: tuple[int, int], after: tuple[int, int]) -> bool:
    """R1: whether a change took an institution from at or above its minimum to below it; each of
    `before` and `after` is (active mentors, minimum). An HBCU (minimum 0) is never below."""
    (active_before, minimum_before), (active_after, minimum_after) = before, after
    return active_before >= minimum_before and active_after < minimum_after


# --- R2: mentor admission ------------------------------------------------------------------------------

SHARED_BACKGROUND = ("urim_identity", "first_generation", "low_ses_upbringing")
TRACK_RECORD = ("high_teaching_evaluations", "teaching_award")
NOMINATION = ("nominated_by_educational_leadership", "nominated_by_department_leadership",
              "nominated_by_current_mentor")
MENTOR_CRITERIA = SHARED_BACKGROUND + TRACK_RECORD + NOMINATION
NOMINATED_BY_MENTOR = "nominated_by_current_mentor"


class RuleViolation(ValueError):
    """A domain rule refuses the request; `field` names the offending input when there is one."""

    def __init__(self, slug: str, detail: str, field: str | None = None):
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.field = field


def check_mentor_criteria(criteria: list[str], evidence: str | None, *, nominator_active: bool | None = None) -> None:
    """R2: at least one known criterion, recorded with an evidence note; a nomination by a current
    mentor needs the nominator to be an active mentor."""
    if not criteria:
        raise RuleViolation("criterion-required", "At least one admission criterion is required.", "criteria")
    unknown = [c for c in criteria if c not in MENTOR_CRITERIA]
    if unknown:
        raise RuleViolation("unknown-criterion", "Unknown admission criterion.", "criteria")
    if not evidence or not evidence.strip():
        raise RuleViolation("evidence-required", "An evidence note is required.", "evidence")
    if NOMINATED_BY_MENTOR in criteria and not nominator_active:
        raise RuleViolation("nominator-not-active",
                            "A nomination by a current mentor needs an active mentor as the nominator.",
                            "nominated_by")


# --- R4: mentee eligibility ----------------------------------------------------------------------------

ELIGIBILITY_BASES = ("urim", "first_generation", "economically_disadvantaged")


def check_eligibility(bases: list[str], attested: bool) -> None:
    if not attested:
        raise RuleViolation("attestation-required", "The eligibility must be attested.", "attested")
    if not bases or any(b not in ELIGIBILITY_BASES for b in bases):
        raise RuleViolation("eligibility-required",
                            "Give at least one basis of eligibility: underrepresented in medicine, first in "
                            "the family to graduate from college, or economically disadvantaged.",
                            "eligibility")


# --- R5: agreements --------------------------------------------------------------------------------------

AGREEMENT_ROLES = ("mentor", "mentee")


def agreement_role(user_role: str) -> str | None:
    """The agreement a role must accept (institution admins and operators accept none)."""
    return user_role if user_role in AGREEMENT_ROLES else None


def agreement_outstanding(current_version: int | None, accepted_version: int | None) -> bool:
    """A newer version than the one accepted must be accepted before the user acts again."""
    if current_version is None:
        return False
    return accepted_version is None or accepted_version < current_version


# --- users ---------------------------------------------------------------------------------------------------

ROLES = ("mentee", "mentor", "institution_admin", "operator")
USER_STATUSES = ("pending", "active", "declined", "ejected", "exited", "deactivated")
EXIT_REASONS = ("graduated", "left")


def can_sign_in(status: str) -> bool:
    return status == "active"


def can_eject(role: str, status: str) -> bool:
    return role == "mentor" and status == "active"


def can_reinstate(role: str, status: str) -> bool:
    return role == "mentor" and status == "ejected"


# R12, in a person's words: why an ejected mentor cannot sign in, and what they can do about it.
ASK_FOR_REINSTATEMENT = "ask-for-reinstatement"


def unresponsive_facts(strikes: int, window_days: int, expiries: list[dict]) -> dict:
    """What identity keeps with an ejection for unanswered requests (users.status_facts)."""
    return {"cause": "unresponsive", "strikes": strikes, "window_days": window_days,
            "expiries": [{"request_id": str(e["request_id"]), "expired_at": e["expired_at"].isoformat()}
                         for e in sorted(expiries, key=lambda e: e["expired_at"])]}


def day(at: datetime) -> str:
    """A date as people write it: 3 March 2025 (UTC)."""
    at = at.astimezone(timezone.utc)
    return f"{at.day} {at:%B %Y}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def ejection_detail(facts: dict | None, reason: str | None, ejected_at: datetime, contacts: list[str]) -> str:
    """The sign-in refusal of an ejected mentor: why (the expired requests and their dates) and how to ask
    for reinstatement (the institution's program administrators pass it on; the program's operators decide)."""
    if facts and facts.get("cause") == "unresponsive":
        dates = [day(datetime.fromisoformat(e["expired_at"])) for e in facts.get("expiries") or []]
        requests = "1 of your mentorship requests" if facts["strikes"] == 1 else \
            f"{facts['strikes']} of your mentorship requests"
        why = (f"You were removed from the MentorMeMed mentor program on {day(ejected_at)} because {requests} "
               f"expired unanswered within {facts['window_days']} days"
               + (f" (on {_listed(list(dict.fromkeys(dates)))})." if dates else "."))
    else:
        why = (f"You were removed from the MentorMeMed mentor program on {day(ejected_at)}"
               + (f" ({reason})." if reason else "."))
    who = (f"your institution's MentorMeMed program administrators ({', '.join(contacts)})" if contacts
           else "your institution's MentorMeMed program administrators")
    return (f"{why} To ask for reinstatement, write to {who}: say what kept you from answering and how you "
            "will answer requests from now on. The program's operators decide, and you will be told by e-mail.")


def can_exit(role: str, status: str) -> bool:
    return role == "mentee" and status == "active"


def can_deactivate(status: str) -> bool:
    return status != "deactivated"


def can_decide_mentee(role: str, status: str) -> bool:
    return role == "mentee" and status == "pending"


def can_become_mentor(role: str, status: str) -> bool:
    """R17: a mentee who has exited may be admitted as a mentor (through mentor admission)."""
    return role == "mentee" and status == "exited"


# --- sign-in failures -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LockoutPolicy:
    free_attempts: int = 5  # consecutive failures allowed before the account is slowed down
    base: timedelta = timedelta(seconds=30)  # first lock; doubles with each further failure
    maximum: timedelta = timedelta(minutes=15)


def locked_until(failures: int, now: datetime, policy: LockoutPolicy) -> datetime | None:
    """After `failures` consecutive failed sign-ins: None (no lock) or the end of the lock."""
    if failures < policy.free_attempts:
        return None
    exponent = min(failures - policy.free_attempts, 20)
    return now + min(policy.base * (2 ** exponent), policy.maximum)
