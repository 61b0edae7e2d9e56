"""The domain rules of mentorship in plain Python: states and transitions of requests and mentorships,
who may request whom (R6, R8), the cap (R11), deadlines and responsiveness (R12)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.mentorship.models import MAX_ACTIVE_MENTEES
from shared.domain_errors import Refused

# --- requests --------------------------------------------------------------------------------------

OPEN = "open"
REQUEST_STATES = ("open", "accepted", "declined", "withdrawn", "expired")
REQUEST_FINAL = frozenset(REQUEST_STATES) - {OPEN}
MENTORSHIP_STATES = ("active", "concluded")

AT_CAPACITY = "at capacity"
MENTOR_EJECTED = "mentor ejected"
MENTOR_DEACTIVATED = "mentor deactivated"


def can_close(status: str) -> bool:
    """A request leaves `open` once, to exactly one final state; nothing leaves a final state."""
    return status == OPEN


def can_conclude(status: str) -> bool:
    return status == "active"


@dataclass(frozen=True)
class Closed:
    """Why a request is no longer open, for whoever tries to change it: a code for the client (`reason`)
    and a sentence for the person (`detail`)."""
    reason: str
    detail: str


def closed_request(status: str, *, reader: str | None, decline_reason: str | None = None,
                   declined_automatically: bool = False, mentee_left: bool = False) -> Closed:
    """What happened to a request that is no longer open, in the words of the person who tries to answer
    or withdraw it: `reader` is "mentor" or "mentee" when the request is theirs, None for anyone else
    (an operator). `mentee_left`: a withdrawn request was withdrawn by the platform when its mentee left."""
    mentor = "you" if reader == "mentor" else "the mentor"
    if status == "accepted":
        return Closed("accepted", "You have already accepted this request." if reader == "mentor"
                      else "The mentor has already accepted this request; the mentorship has started.")
    if status == "declined" and declined_automatically and decline_reason == AT_CAPACITY:
        have = "you reached" if reader == "mentor" else "the mentor reached"
        return Closed("mentor-at-capacity",
                      f"This request was declined automatically when {have} {MAX_ACTIVE_MENTEES} mentees, "
                      "the most a mentor may have; it can no longer be answered.")
    if status == "declined" and declined_automatically and decline_reason == MENTOR_EJECTED:
        who = "you were" if reader == "mentor" else "the mentor was"
        return Closed("mentor-removed",
                      f"This request was declined automatically when {who} removed from the program.")
    if status == "declined" and declined_automatically and decline_reason == MENTOR_DEACTIVATED:
        whose = "your" if reader == "mentor" else "the mentor's"
        return Closed("mentor-left",
                      f"This request was declined automatically when {whose} account was closed.")
    if status == "declined" and declined_automatically:
        return Closed("declined-automatically", "This request was declined automatically by the program.")
    if status == "declined":
        return Closed("declined-by-mentor", "You have already declined this request." if reader == "mentor"
                      else "The mentor has declined this request.")
    if status == "withdrawn" and mentee_left:
        whose = "you" if reader == "mentee" else "the mentee"
        return Closed("mentee-left", f"This request was withdrawn when {whose} left the program.")
    if status == "withdrawn":
        return Closed("withdrawn-by-mentee", "You have already withdrawn this request." if reader == "mentee"
                      else "The mentee has withdrawn this request.")
    if status == "expired":
        return Closed("expired", f"This request expired: {mentor} did not answer it by its deadline.")
    return Closed(status, f"This request is {status} and can no longer change.")


# Why a request may not be made, a distinct kind of refusal per precondition (the service raises it).

def mentee_refusal(status: str, enrolled: bool, trained: bool) -> Refused | None:
    if not enrolled or status != "active":
        return Refused("mentee-not-enrolled", "You are not an enrolled, active mentee.")
    if not trained:
        return Refused("mentee-not-trained",
                       "Complete and attest your required training before requesting a mentor.")
    return None


def mentor_refusal(*, status: str, enrolled: bool, trained: bool, published: bool, scope: str | None,
                   mentor_institution, mentee_institution, active_mentees: int) -> Refused | None:
    if not enrolled or status != "active":
        return Refused("mentor-not-active", "This mentor is not an active mentor of the program.")
    if not trained:
        return Refused("mentor-not-trained", "This mentor has not completed the required training yet.")
    if not published:
        return Refused("mentor-not-published", "This mentor has not published a profile yet.")
    if scope == "local" and mentor_institution != mentee_institution:
        return Refused("mentor-local-only",
                       "This mentor mentors only learners of their own institution.")
    if not has_open_slot(active_mentees):
        return Refused("mentor-no-open-slot",
                       f"This mentor already has {MAX_ACTIVE_MENTEES} mentees, the most a mentor may have.")
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
