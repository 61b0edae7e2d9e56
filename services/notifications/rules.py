"""The rules of the notifications service, in plain Python.

- Categories: what people are told, whether they may switch its e-mail off (request deadlines and
  ejection may not be switched off: a mentor must not be ejected for requests nobody told them of).
- Feed projections (R18): which events an institution receives, and what each carries. An
  institution's copy of an event names only its own members: the other side of a request or a
  mentorship is left out, and names, e-mails and secrets are never forwarded.
- Retry schedules for e-mail and webhook deliveries, and when a failing subscription is disabled.
- Which webhook addresses are refused (loopback, private, link-local, ...), before and after DNS.
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit


# --- categories ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Category:
    name: str
    audience: str  # who receives it
    description: str
    mandatory: bool = False  # its e-mail cannot be switched off
    email_default: bool = True


CATEGORIES: dict[str, Category] = {c.name: c for c in (
    Category("request_received", "mentor", "A mentee asked you for mentorship (with the deadline to answer)", True),
    Category("request_reminder", "mentor", "A request still awaits your answer before its deadline", True),
    Category("request_expired_strike", "mentor",
             "A request expired unanswered: how many more expiries lead to ejection", True),
    Category("request_accepted", "mentee", "A mentor accepted your request"),
    Category("request_declined", "mentee", "A mentor declined your request, or it was closed"),
    Category("request_expired", "mentee", "Your request expired without an answer"),
    Category("mentor_unresponsive", "mentor", "You were reported unresponsive for unanswered requests", True),
    Category("mentor_ejected", "mentor", "You were ejected from the program (why, and how to ask for reinstatement)",
             True),
    Category("mentor_reinstated", "mentor", "You were reinstated in the program"),
    Category("evaluation_due", "mentee", "An evaluation of your mentor is due"),
    Category("evaluation_overdue", "mentee", "An evaluation of your mentor is overdue"),
    Category("survey_assigned", "any", "A survey awaits your answers"),
    Category("data_request_decided", "any", "Your research data request was approved or denied, with the reason"),
    Category("training_completed", "any", "You completed your training"),
    Category("cme_credit_awarded", "mentor", "CME credit awarded, with the certificate link"),
    Category("stay_on_as_mentor", "mentee", "After your exit: an invitation to stay on as a mentor"),
    Category("admin_mentor_unresponsive", "institution_admin", "A mentor of your institution was reported unresponsive"),
    Category("admin_mentor_ejected", "institution_admin", "A mentor of your institution was ejected"),
    Category("admin_mentee_exited", "institution_admin",
             "A mentee of your institution exited: you may invite them to stay on as a mentor"),
    Category("admin_below_minimum", "institution_admin", "Your institution's enrolled mentors fell below its minimum",
             True),
    Category("admin_webhook_disabled", "institution_admin", "A webhook subscription kept failing and was disabled",
             True),
)}

# Invitations are mailed to people who have no account yet: no inbox, no preference.
INVITATION = "invitation"


def email_wanted(category: str, preference: bool | None) -> bool:
    cat = CATEGORIES[category]
    if cat.mandatory:
        return True
    return cat.email_default if preference is None else preference


class PreferenceRefused(ValueError):
    def __init__(self, category: str, detail: str):
        super().__init__(detail)
        self.category, self.detail = category, detail


def check_preferences(changes: dict[str, bool]) -> None:
    """Every category named must exist, and a mandatory one cannot have its e-mail switched off."""
    for name, wanted in changes.items():
        cat = CATEGORIES.get(name)
        if cat is None:
            raise PreferenceRefused(name, "There is no such kind of notification.")
        if cat.mandatory and not wanted:
            raise PreferenceRefused(name, "These e-mails cannot be switched off: they tell you of deadlines "
                                          "and decisions that affect your place in the program.")


def strikes_left(strikes: int | None, allowed: int | None) -> int | None:
    """How many more expired requests make the mentor unresponsive (None when the event did not say)."""
    if strikes is None or allowed is None:
        return None
    return max(0, allowed - strikes)


# --- feed projections (R18) ------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedProjection:
    """How an event reaches institutions' feeds: `members` maps each member-id field to the field naming
    that member's institution (None: look the member up); `institution` names an institution-level
    field; `keep` lists the facts every copy carries."""
    members: dict[str, str | None] = field(default_factory=dict)
    institution: str | None = None
    keep: tuple[str, ...] = ()
    description: str = ""


_REQUEST = {"mentee_id": None, "mentor_id": None}
_PAIR = {"mentee_id": "mentee_institution_id", "mentor_id": "mentor_institution_id"}

FEEDS: dict[str, FeedProjection] = {
    "MentorEnrolled": FeedProjection({"user_id": "institution_id"}, description="A mentor joined the program"),
    "MenteeEnrolled": FeedProjection({"user_id": "institution_id"}, description="A mentee was approved"),
    "InstitutionAdminEnrolled": FeedProjection({"user_id": "institution_id"},
                                               description="An institution admin joined"),
    "MentorEjected": FeedProjection({"user_id": "institution_id"}, keep=("reason",),
                                    description="A mentor was ejected"),
    "MentorReinstated": FeedProjection({"user_id": "institution_id"}, keep=("reason",),
                                       description="A mentor was reinstated"),
    "MenteeExited": FeedProjection({"user_id": "institution_id"}, keep=("reason",),
                                   description="A mentee left the program (graduated or left)"),
    "UserDeactivated": FeedProjection({"user_id": "institution_id"}, keep=("role",),
                                      description="An account was deactivated"),
    "TrainingCompleted": FeedProjection({"user_id": "institution_id"},
                                        keep=("track", "curriculum_version", "completed_at"),
                                        description="A member completed their track's required training"),
    "CmeCreditAwarded": FeedProjection({"user_id": "institution_id"},
                                       keep=("module_id", "module_version", "credit_hours", "certificate_code",
                                             "awarded_at"),
                                       description="A mentor was awarded CME credit"),
    "MentorProfilePublished": FeedProjection({"mentor_id": "institution_id"}, keep=("scope",),
                                             description="A mentor published their profile"),
    "MentorProfileUnpublished": FeedProjection({"mentor_id": "institution_id"}, keep=("reason",),
                                               description="A mentor's profile left the directory"),
    "RequestCreated": FeedProjection({"mentee_id": "mentee_institution_id", "mentor_id": "mentor_institution_id"},
                                     keep=("request_id", "created_at", "respond_by"),
                                     description="A mentee asked a mentor for mentorship"),
    "RequestAccepted": FeedProjection(_REQUEST, keep=("request_id", "mentorship_id", "responded_at"),
                                      description="A mentor accepted a request"),
    "RequestDeclined": FeedProjection(_REQUEST, keep=("request_id", "automatic", "responded_at"),
                                      description="A request was declined (by the mentor, or automatically)"),
    "RequestWithdrawn": FeedProjection(_REQUEST, keep=("request_id", "withdrawn_at"),
                                       description="A mentee withdrew a request"),
    "RequestExpired": FeedProjection(_REQUEST, keep=("request_id", "respond_by"),
                                     description="A request expired unanswered"),
    "MentorUnresponsive": FeedProjection({"mentor_id": "institution_id"}, keep=("strikes", "window_days"),
                                         description="A mentor let requests expire up to the threshold"),
    "MentorshipStarted": FeedProjection(_PAIR, keep=("mentorship_id", "started_at"),
                                        description="A mentorship started"),
    "MentorshipConcluded": FeedProjection(_PAIR, keep=("mentorship_id", "concluded_by", "started_at",
                                                       "concluded_at"),
                                          description="A mentorship concluded"),
    "EvaluationDue": FeedProjection(_PAIR, keep=("evaluation_id", "mentorship_id", "kind", "due_at"),
                                    description="A mentee's evaluation of their mentor fell due"),
    "EvaluationOverdue": FeedProjection(_PAIR, keep=("evaluation_id", "mentorship_id", "kind", "due_at"),
                                        description="A due evaluation was not submitted in time"),
    "SurveyAssigned": FeedProjection({"user_id": "institution_id"}, keep=("survey_id", "kind"),
                                     description="A survey was assigned to a member"),
    "InstitutionBelowMinimum": FeedProjection(institution="institution_id",
                                              keep=("enrolled_mentors", "active_mentors", "minimum_mentors"),
                                              description="The institution's enrolled mentors fell below its "
                                                          "minimum"),
}


def project(name: str, data: dict, institution_of) -> dict:
    """The copies of an event for each institution concerned: {institution_id: data}. `institution_of`
    (user_id) -> institution id or None looks up members whose institution the event does not name."""
    projection = FEEDS.get(name)
    if projection is None:
        return {}
    copies: dict = {}
    if projection.institution and data.get(projection.institution):
        copies.setdefault(data[projection.institution], {"institution_id": data[projection.institution]})
    for member_field, inst_field in projection.members.items():
        member = data.get(member_field)
        if member is None:
            continue
        inst = data.get(inst_field) if inst_field else institution_of(member)
        if inst is None:
            continue
        copy = copies.setdefault(inst, {"institution_id": inst})
        copy[member_field] = member
    kept = {k: data[k] for k in projection.keep if k in data}
    return {inst: {**copy, **kept} for inst, copy in copies.items()}


# --- retries ---------------------------------------------------------------------------------------

def backoff(attempts: int, base: timedelta, cap: timedelta, jitter: float = 0.1) -> timedelta:
    """Exponential: base, 2·base, 4·base, ... up to cap, with ±jitter so retries of many deliveries do
    not arrive together."""
    delay = min(cap.total_seconds(), base.total_seconds() * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=delay * (1 + random.uniform(-jitter, jitter)))


def give_up(now: datetime, retry_until: datetime | None) -> bool:
    return retry_until is not None and now >= retry_until


def should_disable(now: datetime, failing_since: datetime | None, disable_after: timedelta) -> bool:
    """A subscription whose every delivery has failed for `disable_after` is disabled (and its admins
    told); one success in between starts the count again."""
    return failing_since is not None and now - failing_since >= disable_after


# --- webhook addresses -----------------------------------------------------------------------------

class UrlRefused(ValueError):
    pass


def check_url_shape(url: str, allow_private: bool) -> tuple[str, int]:
    """The URL must be absolute https (http only where private addresses are allowed: tests, the local
    run), with a host and no credentials. Returns (host, port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("This is not a valid URL.") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefused("Give an absolute https:// URL.")
    if parts.scheme == "http" and not allow_private:
        raise UrlRefused("Webhooks are delivered over https only.")
    if parts.username or parts.password:
        raise UrlRefused("A webhook URL may not carry a user name or password; the signature authenticates us.")
    if parts.fragment:
        raise UrlRefused("A webhook URL may not have a #fragment.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def address_refused(address: str) -> str | None:
    """Why an IP address may not receive webhooks (None when it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified \
            or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return "a private or reserved address"
    return None
