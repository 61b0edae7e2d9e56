"""The domain rules of mentorship in plain Python: states and transitions of requests and mentorships,
who may request whom (R6, R8), the cap (R11), deadlines and responsiveness (R12)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.mentorship.models import MAX_ACTIVE_MENTEES

# --- requests --------------------------------------------------------------------------------------

OPEN = "open"
REQUEST_STATES = ("open", "accepted", "declined", "withdrawn", "expired")
REQUEST_FINAL = frozenset(REQUEST_STATES) - {OPEN}
MENTORSHIP_STATES = ("active", "concluded")

AT_CAPACITY = "at capacity"
MENTOR_EJECTED = "mentor ejected"


def can_close(status: str) -> bool:
    """A request leaves `open` once, to exactly one final state; nothing leaves a final state."""
    return status == OPEN


def can_conclude(status: str) -> bool:
    return status == "active"


@dataclass(frozen=True)
class Refusal:
    """Why a request may not be made: a distinct problem type per precondition."""
    status: int
    slug: str
    detail: str


def mentee_refusal(status: str, enrolled: bool, trained: bool) -> Refusal | None:
    if not enrolled or status != "active":
        return Refusal(409, "mentee-not-enrolled", "You are not an enrolled, active mentee.")
    if not trained:
        return Refusal(409, "mentee-not-trained",
                       "Complete and attest your required training before requesting a mentor (R6).")
    return None


def mentor_refusal(*, status: str, enrolled: bool, trained: bool, published: bool, scope: str | None,
                   mentor_institution, mentee_institution, active_mentees: int) -> Refusal | None:
    if not enrolled or status != "active":
        return Refusal(409, "mentor-not-active", "This mentor is not an active mentor of the program.")
    if not trained:
        return Refusal(409, "mentor-not-trained", "This mentor has not completed the required training (R6).")
    if not published:
        return Refusal(409, "mentor-not-published", "This mentor has not published a profile (R9).")
    if scope == "local" and mentor_institution != mentee_institution:
        return Refusal(409, "mentor-local-only",
                       "This mentor mentors only learners of their own institution (R8).")
    if not has_open_slot(active_mentees):
        return Refusal(409, "mentor-no-open-slot",
                       f"This mentor already has {MAX_ACTIVE_MENTEES} active mentees (R11).")
    return None


def has_open_slot(active_mentees: int) -> bool:
    return active_mentees < MAX_ACTIVE_MENTEES


def deadlines(created_at: datetime, respond_by: timedelta, remind_after: timedelta) -> tuple[datetime, datetime]:
    """(respond_by, remind_at) of a request created at `created_at`: the reminder never after the deadline."""
    deadline = created_at + respond_by
    return deadline, min(created_at + remind_after, deadline)


def reminder_before(deadline: datetime, created_at: datetime, respond_by: timedelta,
                    remind_after: timedelta) -> datetime:
    """remind_at of a request whose deadline was moved: as long before the new deadline as a new request's
    reminder is before its own (respond_by − remind_after), never before the request was made and never
    after the deadline — so a mentor is reminded whichever way the deadline moved."""
    return min(max(deadline - (respond_by - remind_after), created_at), deadline)


def strike_window_start(now: datetime, window: timedelta, since: datetime | None) -> datetime:
    """Strikes count within the window, and never from before the mentor's last reinstatement."""
    start = now - window
    return max(start, since) if since is not None else start


def is_unresponsive(strikes: int, threshold: int) -> bool:
    return strikes >= threshold


# --- what we know of members, from events (order-tolerant) --------------------------------------

TERMINAL_MEMBER_STATES = frozenset({"deactivated", "exited"})


def later(at: datetime, than: datetime | None) -> bool:
    return than is None or at > than


def status_applies(current: str, current_at: datetime | None, new: str, at: datetime) -> bool:
    """Whether a status event at `at` replaces the current status: the later event wins, a repeat or an
    older event changes nothing, and a deactivated or exited member never comes back."""
    if current in TERMINAL_MEMBER_STATES:
        return False
    if new in TERMINAL_MEMBER_STATES:
        return True
    return later(at, current_at)
