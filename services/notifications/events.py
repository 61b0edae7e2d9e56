"""Events notifications consumes, and what each tells whom. (It publishes none.)

Every handler also records the event in the feeds of the institutions it concerns (rules.FEEDS), so
one place decides both. Handlers are idempotent: the consumer's inbox drops a repeated event, and the
notification and e-mail rows are unique per (event, recipient, category) besides.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import orm

from services.notifications import rules, service
from services.notifications.settings import Settings
from shared.events import Event, Handlers

handlers = Handlers()

Teller = Callable[[orm.Session, Settings, Event], None]


# The fields naming the people an event concerns (what handlers and feed projections look up).
_PEOPLE_FIELDS = ("user_id", "mentee_id", "mentor_id", "requester_id")


def _named(event: Event) -> list:
    return [event.data[f] for f in _PEOPLE_FIELDS if event.data.get(f)]


@handlers.around_batch
def batch(session: orm.Session, events: list[Event]):
    """A consumer batch: its people read once, its rows written once (service.batching)."""
    return service.batching(session, [person for event in events for person in _named(event)])


def on(name: str):
    """Register `fn` for event `name`: it tells people, then the event goes to the feeds."""
    def wrap(fn: Teller) -> Teller:
        @handlers.on(name)
        def handle(session: orm.Session, event: Event) -> None:
            with service.handling(session, _named(event)):
                fn(session, handlers.settings, event)
                service.record_feed(session, event)
        return fn
    return wrap


def _tell(session, settings, event, user_id, category, context, link) -> None:
    service.notify(session, settings, event.id, event.time, user_id, category, context, link)


def _tell_admins(session, settings, event, institution_id, category, context, link) -> None:
    service.notify_admins(session, settings, event.id, event.time, institution_id, category, context, link)


# --- who people are ----------------------------------------------------------------------------------------

def _enrolled(role: str):
    def fn(session, settings, event):
        d = event.data
        service.enroll(session, d["user_id"], d["institution_id"], role, d["name"], d["email"], event.time)
    return fn


on("MentorEnrolled")(_enrolled("mentor"))
on("MenteeEnrolled")(_enrolled("mentee"))
on("InstitutionAdminEnrolled")(_enrolled("institution_admin"))


@on("InstitutionSubscribed")
def institution_subscribed(session, settings, event):
    service.upsert_institution(session, event.data["institution_id"], event.data["name"], event.time)


@on("InstitutionUpdated")
def institution_updated(session, settings, event):
    service.upsert_institution(session, event.data["institution_id"], event.data["name"], event.time)


@on("UserDeactivated")
def user_deactivated(session, settings, event):
    d = event.data
    service.set_status(session, d["user_id"], d["institution_id"], d["role"], "deactivated", event.time)


@on("InvitationIssued")
def invitation_issued(session, settings, event):
    service.mail_invitation(session, settings, event)


# --- requests (R12) --------------------------------------------------------------------------------------

def _request_link(settings: Settings, request_id) -> str:
    return f"{settings.public_url}/requests/{request_id}"


def _to_mentor(category: str):
    """RequestCreated and RequestReminderDue: the mentor is told who asks and by when to answer."""
    def fn(session, settings, event):
        d = event.data
        _tell(session, settings, event, d["mentor_id"], category,
              {"mentee_name": service.name_of(session, d["mentee_id"], "A mentee"), "respond_by": d["respond_by"]},
              _request_link(settings, d["request_id"]))
    return fn


on("RequestCreated")(_to_mentor("request_received"))
on("RequestReminderDue")(_to_mentor("request_reminder"))


@on("RequestAccepted")
def request_accepted(session, settings, event):
    d = event.data
    _tell(session, settings, event, d["mentee_id"], "request_accepted",
          {"mentor_name": service.name_of(session, d["mentor_id"], "Your mentor")},
          f"{settings.public_url}/mentorships/{d['mentorship_id']}")


_AUTOMATIC_REASONS = {"at capacity": "the mentor reached three mentees, the most a mentor may have at once"}


@on("RequestDeclined")
def request_declined(session, settings, event):
    d = event.data
    reason = d["reason"]
    _tell(session, settings, event, d["mentee_id"], "request_declined",
          {"mentor_name": service.name_of(session, d["mentor_id"], "The mentor"), "automatic": d["automatic"],
           "reason_text": _AUTOMATIC_REASONS.get(reason, reason) if d["automatic"] else reason},
          f"{settings.public_url}/mentors")


@on("RequestWithdrawn")
def request_withdrawn(session, settings, event):
    """Nobody is told (the mentee withdrew it themselves); it reaches the feeds."""


@on("RequestExpired")
def request_expired(session, settings, event):
    d = event.data
    mentee_name = service.name_of(session, d["mentee_id"], "A mentee")
    _tell(session, settings, event, d["mentee_id"], "request_expired",
          {"mentor_name": service.name_of(session, d["mentor_id"], "The mentor"), "respond_by": d["respond_by"]},
          f"{settings.public_url}/mentors")
    left = rules.strikes_left(d.get("strikes"), d.get("strikes_allowed"))
    _tell(session, settings, event, d["mentor_id"], "request_expired_strike",
          {"mentee_name": mentee_name, "respond_by": d["respond_by"], "strikes": d.get("strikes"),
           "strikes_left": left, "window_days": d.get("window_days")},
          f"{settings.public_url}/requests")


@on("MentorUnresponsive")
def mentor_unresponsive(session, settings, event):
    d = event.data
    context = {"strikes": d["strikes"], "window_days": d["window_days"]}
    _tell(session, settings, event, d["mentor_id"], "mentor_unresponsive", context, f"{settings.public_url}/requests")
    _tell_admins(session, settings, event, d["institution_id"], "admin_mentor_unresponsive",
                 {**context, "mentor_name": service.name_of(session, d["mentor_id"], "A mentor"),
                  "institution_name": service.institution_name(session, d["institution_id"])}, None)


# --- mentors' status -----------------------------------------------------------------------------------------

@on("MentorEjected")
def mentor_ejected(session, settings, event):
    d = event.data
    service.set_status(session, d["user_id"], d["institution_id"], "mentor", "ejected", event.time)
    _tell(session, settings, event, d["user_id"], "mentor_ejected",
          {"reason": d["reason"], "admins": service.admin_contacts(session, d["institution_id"])}, None)
    _tell_admins(session, settings, event, d["institution_id"], "admin_mentor_ejected",
                 {"mentor_name": service.name_of(session, d["user_id"], "A mentor"), "reason": d["reason"],
                  "institution_name": service.institution_name(session, d["institution_id"])},
                 f"{settings.public_url}/institutions/{d['institution_id']}")


@on("MentorReinstated")
def mentor_reinstated(session, settings, event):
    d = event.data
    service.set_status(session, d["user_id"], d["institution_id"], "mentor", "active", event.time)
    _tell(session, settings, event, d["user_id"], "mentor_reinstated", {"reason": d["reason"]},
          f"{settings.public_url}/profile")


@on("MenteeExited")
def mentee_exited(session, settings, event):
    """R17: the mentee is invited to stay on as a mentor; the admins are told they may invite them."""
    d = event.data
    service.set_status(session, d["user_id"], d["institution_id"], "mentee", "exited", event.time)
    inst_name = service.institution_name(session, d["institution_id"])
    _tell(session, settings, event, d["user_id"], "stay_on_as_mentor",
          {"institution_name": inst_name, "admins": service.admin_contacts(session, d["institution_id"])}, None)
    person = service.recipient(session, d["user_id"])
    _tell_admins(session, settings, event, d["institution_id"], "admin_mentee_exited",
                 {"mentee_name": person.name if person and person.name else "A mentee",
                  "mentee_email": person.email if person and person.email else "their e-mail address",
                  "reason_text": {"graduated": "graduated", "left": "left the institution"}[d["reason"]],
                  "institution_name": inst_name},
                 f"{settings.public_url}/institutions/{d['institution_id']}/invitations")


@on("InstitutionBelowMinimum")
def institution_below_minimum(session, settings, event):
    d = event.data
    _tell_admins(session, settings, event, d["institution_id"], "admin_below_minimum",
                 {"institution_name": service.institution_name(session, d["institution_id"]),
                  "enrolled_mentors": d.get("enrolled_mentors", d["active_mentors"]),
                  "minimum_mentors": d["minimum_mentors"]},
                 f"{settings.public_url}/institutions/{d['institution_id']}")


# --- training (R6, R7) -------------------------------------------------------------------------------------

@on("TrainingCompleted")
def training_completed(session, settings, event):
    d = event.data
    mentor = d["track"] == "mentor"
    _tell(session, settings, event, d["user_id"], "training_completed", {
        "track": d["track"],
        "next_step": "Fill in and publish your profile so that mentees can find you." if mentor
        else "You can now find a mentor and ask for mentorship.",
        "button_label": "Publish your profile" if mentor else "Find a mentor",
    }, f"{settings.public_url}/{'profile' if mentor else 'mentors'}")


@on("CmeCreditAwarded")
def cme_credit_awarded(session, settings, event):
    d = event.data
    _tell(session, settings, event, d["user_id"], "cme_credit_awarded",
          {"credit_hours": d["credit_hours"], "certificate_code": d["certificate_code"],
           "credits_link": f"{settings.public_url}/training/cme"},
          f"{settings.public_url}/api/v1/training/certificates/{d['certificate_code']}")


# --- evaluation (R13, R14, R16) --------------------------------------------------------------------------------

def _evaluation(category: str):
    """EvaluationDue and EvaluationOverdue: the mentee is asked to evaluate the mentorship."""
    def fn(session, settings, event):
        d = event.data
        _tell(session, settings, event, d["mentee_id"], category,
              {"mentor_name": service.name_of(session, d["mentor_id"], "your mentor"), "kind": d["kind"],
               "due_at": d["due_at"], "closes_at": d["closes_at"]},
              f"{settings.public_url}/evaluations/{d['evaluation_id']}")
    return fn


on("EvaluationDue")(_evaluation("evaluation_due"))
on("EvaluationOverdue")(_evaluation("evaluation_overdue"))


@on("SurveyAssigned")
def survey_assigned(session, settings, event):
    d = event.data
    _tell(session, settings, event, d["user_id"], "survey_assigned",
          {"title": d["title"], "kind": d["kind"], "due_at": d["due_at"]},
          f"{settings.public_url}/surveys/{d['assignment_id']}")


@on("DataRequestDecided")
def data_request_decided(session, settings, event):
    """R16: the requester learns the decision and its reason; an approved request's export waits for them
    (its download link is made in the evaluation service, on their own request, so no link is mailed)."""
    d = event.data
    _tell(session, settings, event, d["requester_id"], "data_request_decided",
          {"title": d["title"], "decision": d["decision"], "reason": d["reason"]},
          f"{settings.public_url}/research/requests/{d['request_id']}")


# --- feeds only ------------------------------------------------------------------------------------------------

def _feed_only(session, settings, event):
    """Nobody is told; the institutions concerned see it in their feeds."""


for _name in ("MentorProfilePublished", "MentorProfileUnpublished", "MentorshipStarted",
              "MentorshipConcluded"):
    on(_name)(_feed_only)
