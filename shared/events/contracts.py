"""The data schema of every platform event, in one place, shared by publishers and consumers.

Events carry ids and the facts their consumers need, never the sensitive demographics of a mentee
(race or ethnicity, first-generation status, socioeconomic background) nor a mentor's admission basis.
Contract tests check both sides against these schemas.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.registry import event

ROLES = ("mentee", "mentor", "institution_admin", "operator")


class _Data(Schema):
    class Meta:
        ordered = True


# --- identity -------------------------------------------------------------------------------------

class _Institution(_Data):
    institution_id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["academic", "hbcu"]))
    class_size = fields.Integer(required=True)
    minimum_mentors = fields.Integer(required=True)
    subscription_status = fields.String(required=True, validate=validate.OneOf(["active", "suspended", "lapsed"]))
    # R15: what the institution offers its mentors for participation (promotion recognition, FTE, DEI
    # credentialing, CME, pay: each {offered, details}); the participation report names it. Older
    # publishers did not send it.
    reward_policy = fields.Dict(keys=fields.String(), load_default=dict)


@event("identity")
class InstitutionSubscribed(_Institution):
    pass


@event("identity")
class InstitutionUpdated(_Institution):
    pass


class _Member(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)


@event("identity")
class MentorEnrolled(_Member):
    pass


# What a mentor sees of who is asking, beside the name: the mentee's training stage and expected
# graduation year, as the mentee gave them in their profile. Academic facts, not the sensitive
# demographics of DESIGN §6 (race or ethnicity, first-generation status, socioeconomic background; nor
# gender or age), which never leave identity. Optional, so that events of older publishers still load.
def _training_stage():
    return fields.String(allow_none=True, load_default=None,
                         metadata={"description": "premedical, medical_student, resident, fellow or other"})


def _graduation_year():
    return fields.Integer(allow_none=True, load_default=None)


@event("identity")
class MenteeEnrolled(_Member):
    # The institution's name at enrollment: a consumer that never saw the institution's
    # InstitutionSubscribed still names it (InstitutionUpdated brings later renames).
    institution_name = fields.String(allow_none=True, load_default=None)
    training_stage = _training_stage()
    expected_graduation_year = _graduation_year()


@event("identity")
class MenteeProfileUpdated(_Data):
    """The mentee changed their training stage or expected graduation year (PUT /me/profile): published
    only when one of the two changed, and carrying nothing else of the profile."""
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    training_stage = _training_stage()
    expected_graduation_year = _graduation_year()


class _MentorStatus(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    reason = fields.String(required=True)


@event("identity")
class MentorEjected(_MentorStatus):
    pass


@event("identity")
class MentorReinstated(_MentorStatus):
    pass


@event("identity")
class MenteeExited(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["graduated", "left"]))


@event("identity")
class InstitutionAdminEnrolled(_Member):
    """An institution admin accepted their invitation (notifications tells admins about their institution)."""


@event("identity")
class InvitationIssued(_Data):
    """An invitation to join an institution. It carries the link's secret token, because only the e-mail
    to the invitee may deliver it (the inviter's API response does not): notifications is the one
    consumer, never logs it, never forwards it to feeds or webhooks, and redacts the mail once sent; the
    relay redacts it in identity's outbox once published (a secret field)."""
    invitation_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    institution_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["mentor", "mentee", "institution_admin"]))
    name = fields.String(required=True)
    email = fields.Email(required=True)
    token = fields.String(required=True, metadata={"secret": True})
    expires_at = fields.DateTime(required=True)


@event("identity")
class InstitutionBelowMinimum(_Data):
    """R1: the institution's enrolled mentors (R1's "active mentors") fell below its minimum (published
    when a change crosses it). `enrolled_mentors` was added beside `active_mentors`, which keeps the same
    number for subscribers of version 1 and is deprecated."""
    institution_id = fields.UUID(required=True)
    enrolled_mentors = fields.Integer()  # absent from events published before it was added
    active_mentors = fields.Integer(required=True)
    minimum_mentors = fields.Integer(required=True)


@event("identity")
class UserDeactivated(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(allow_none=True, load_default=None)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


@event("identity")
class SessionsRevoked(_Data):
    """Access tokens issued before `not_before` stop working in every service: those of the user (a
    deactivation, an ejection, an exit, a change of role) or, when `session_id` is given, only those of
    that sign-in session (sign-out, a stolen refresh token). Every service but identity consumes it
    (shared/revocation.py)."""
    user_id = fields.UUID(required=True)
    session_id = fields.UUID(allow_none=True, load_default=None)
    not_before = fields.DateTime(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        ["signed-out", "deactivated", "ejected", "exited", "role-changed", "reuse-detected"]))


# --- mentorship -----------------------------------------------------------------------------------

class _Expiry(_Data):
    request_id = fields.UUID(required=True)
    expired_at = fields.DateTime(required=True)


@event("mentorship")
class MentorUnresponsive(_Data):
    mentor_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    strikes = fields.Integer(required=True)
    window_days = fields.Integer(required=True)
    expired_request_ids = fields.List(fields.UUID(), required=True)
    # When each of those requests expired, so the mentor can be told why they were ejected (the dates).
    # Older publishers did not send it.
    expiries = fields.List(fields.Nested(_Expiry), load_default=list)


class _Request(_Data):
    request_id = fields.UUID(required=True)
    mentee_id = fields.UUID(required=True)
    mentor_id = fields.UUID(required=True)


@event("mentorship")
class RequestCreated(_Request):
    mentee_institution_id = fields.UUID(required=True)
    mentor_institution_id = fields.UUID(required=True)
    created_at = fields.DateTime(required=True)
    respond_by = fields.DateTime(required=True)


@event("mentorship")
class RequestReminderDue(_Request):
    respond_by = fields.DateTime(required=True)


@event("mentorship")
class RequestAccepted(_Request):
    mentorship_id = fields.UUID(required=True)
    created_at = fields.DateTime(required=True)
    responded_at = fields.DateTime(required=True)


@event("mentorship")
class RequestDeclined(_Request):
    reason = fields.String(required=True)
    # True when the platform declined it (the mentor reached capacity, or was ejected): not the
    # mentor's answer, so it does not count in their responsiveness.
    automatic = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    responded_at = fields.DateTime(required=True)


@event("mentorship")
class RequestWithdrawn(_Request):
    withdrawn_at = fields.DateTime(required=True)


@event("mentorship")
class RequestExpired(_Request):
    created_at = fields.DateTime(required=True)
    respond_by = fields.DateTime(required=True)
    # R12: the mentor's expired requests within the strike window, this one included, and how many make
    # the mentor unresponsive (so the mentor can be warned how many more lead to ejection).
    strikes = fields.Integer(load_default=None)
    strikes_allowed = fields.Integer(load_default=None)
    window_days = fields.Integer(load_default=None)


class _Mentorship(_Data):
    mentorship_id = fields.UUID(required=True)
    mentor_id = fields.UUID(required=True)
    mentee_id = fields.UUID(required=True)
    mentor_institution_id = fields.UUID(required=True)
    mentee_institution_id = fields.UUID(required=True)


@event("mentorship")
class MentorshipStarted(_Mentorship):
    request_id = fields.UUID(required=True)
    started_at = fields.DateTime(required=True)


@event("mentorship")
class MentorshipConcluded(_Mentorship):
    reason = fields.String(required=True)
    concluded_by = fields.String(required=True, validate=validate.OneOf(["mentor", "mentee", "platform"]))
    started_at = fields.DateTime(required=True)
    concluded_at = fields.DateTime(required=True)


# --- training -------------------------------------------------------------------------------------

TRACKS = ("mentor", "mentee")


@event("training")
class TrainingModuleCompleted(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    track = fields.String(required=True, validate=validate.OneOf(TRACKS))
    module_id = fields.UUID(required=True)
    module_version = fields.Integer(required=True)
    completed_at = fields.DateTime(required=True)


@event("training")
class TrainingCompleted(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    track = fields.String(required=True, validate=validate.OneOf(TRACKS))
    curriculum_version = fields.Integer(required=True)
    completed_at = fields.DateTime(required=True)


@event("training")
class CmeCreditAwarded(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    module_id = fields.UUID(required=True)
    module_version = fields.Integer(required=True)
    credit_hours = fields.Decimal(required=True, as_string=True)
    certificate_code = fields.String(required=True)
    awarded_at = fields.DateTime(required=True)


# --- directory ------------------------------------------------------------------------------------

@event("directory")
class MentorProfilePublished(_Data):
    mentor_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(["local", "national"]))


@event("directory")
class MentorProfileUnpublished(_Data):
    mentor_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["mentor", "ejected", "deactivated"]))


# --- evaluation -----------------------------------------------------------------------------------

class _Evaluation(_Data):
    evaluation_id = fields.UUID(required=True)
    mentorship_id = fields.UUID(required=True)
    mentee_id = fields.UUID(required=True)
    mentor_id = fields.UUID(required=True)
    mentee_institution_id = fields.UUID(required=True)
    mentor_institution_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["periodic", "final"]))
    due_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)


@event("evaluation")
class EvaluationDue(_Evaluation):
    """R13: the mentee's evaluation of the mentor is due (every 6 months of a mentorship, and at its end)."""


@event("evaluation")
class EvaluationOverdue(_Evaluation):
    """R13: a due evaluation was not submitted within its grace period."""


@event("evaluation")
class EvaluationSubmitted(_Evaluation):
    """R13: the mentee submitted the evaluation (its ratings and texts stay in the evaluation service)."""
    submitted_at = fields.DateTime(required=True)


@event("evaluation")
class SurveyAssigned(_Data):
    """R14: a survey (career update or program feedback) was assigned to a user."""
    assignment_id = fields.UUID(required=True)
    survey_id = fields.UUID(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["career_update", "program_feedback"]))
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    due_at = fields.DateTime(allow_none=True, load_default=None)


@event("evaluation")
class SurveyCompleted(_Data):
    """R14: a user answered an assigned survey (the answers stay in the evaluation service)."""
    assignment_id = fields.UUID(required=True)
    survey_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["career_update", "program_feedback"]))
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    completed_at = fields.DateTime(required=True)


@event("evaluation")
class DataRequestDecided(_Data):
    """R16: an operator approved or denied a research data request, with the reason given to the requester."""
    request_id = fields.UUID(required=True)
    requester_id = fields.UUID(required=True)
    title = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "denied"]))
    reason = fields.String(required=True)
    decided_at = fields.DateTime(required=True)
