"""Request and response schemas of the mentorship API.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can set an
id, a mentee, an institution, a status, a deadline or a count — those come from the caller's token and
the use cases.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from services.mentorship import rules
from shared.schemas import In as _In
from shared.schemas import Out as _Out
from shared.schemas import Page

REASON = validate.Length(min=1, max=1000)




class RequestIn(_In):
    mentor_id = fields.UUID(required=True)
    message = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    goals = fields.List(fields.String(validate=validate.Length(min=1, max=300)), required=True,
                        validate=validate.Length(min=1, max=10))


class ReasonIn(_In):
    reason = fields.String(required=True, validate=REASON)


class EmptyIn(_In):
    pass


class DeadlineIn(_In):
    respond_by = fields.AwareDateTime(required=True)


class RequestQuery(Page):
    status = fields.String(validate=validate.OneOf(rules.REQUEST_STATES))


class MentorshipQuery(Page):
    status = fields.String(validate=validate.OneOf(rules.MENTORSHIP_STATES))


def idempotency_key(value: str | None) -> str | None:
    """The Idempotency-Key header: 1 to 200 visible ASCII characters."""
    if value is None:
        return None
    if not (1 <= len(value) <= 200) or not all(33 <= ord(c) <= 126 for c in value):
        raise ValidationError("Idempotency-Key must be 1 to 200 visible ASCII characters.")
    return value


class ContactOut(_Out):
    user_id = fields.UUID()
    name = fields.String()
    email = fields.String()


class MenteeCardOut(_Out):
    user_id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "The mentee's display name"})
    institution_id = fields.UUID()
    institution_name = fields.String(allow_none=True,
                                     metadata={"description": "Null until mentorship has learned the institution's name"})
    training_stage = fields.String(allow_none=True, metadata={
        "description": "As the mentee gave it: premedical, medical_student, resident, fellow or other"})
    expected_graduation_year = fields.Integer(allow_none=True)


MENTEE_CARD = ("Who is asking: the mentee's name, institution, training stage and expected graduation year "
               "(never eligibility or demographics); the e-mail is in mentee_contact once accepted")


class RequestOut(_Out):
    id = fields.UUID()
    mentee_id = fields.UUID()
    mentor_id = fields.UUID()
    mentee_institution_id = fields.UUID()
    mentor_institution_id = fields.UUID()
    message = fields.String()
    goals = fields.List(fields.String())
    status = fields.String()
    created_at = fields.DateTime()
    respond_by = fields.DateTime()
    reminded_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    declined_automatically = fields.Boolean()
    mentorship_id = fields.UUID(allow_none=True)
    mentor_contact = fields.Nested(ContactOut, allow_none=True,
                                   metadata={"description": "Shown to the mentee once the request is accepted"})
    mentee_contact = fields.Nested(ContactOut, allow_none=True,
                                   metadata={"description": "Shown to the mentor once the request is accepted"})
    mentee = fields.Nested(MenteeCardOut, allow_none=True, metadata={"description": MENTEE_CARD})


class MentorshipOut(_Out):
    id = fields.UUID()
    request_id = fields.UUID()
    mentee_id = fields.UUID()
    mentor_id = fields.UUID()
    mentee_institution_id = fields.UUID()
    mentor_institution_id = fields.UUID()
    status = fields.String()
    started_at = fields.DateTime()
    concluded_at = fields.DateTime(allow_none=True)
    concluded_by = fields.String(allow_none=True)
    conclusion_reason = fields.String(allow_none=True)
    mentor_contact = fields.Nested(ContactOut, allow_none=True)
    mentee_contact = fields.Nested(ContactOut, allow_none=True)
    mentee = fields.Nested(MenteeCardOut, allow_none=True, metadata={"description": MENTEE_CARD})


class MeOut(_Out):
    user_id = fields.UUID()
    role = fields.String()
    status = fields.String(metadata={"description": "pending (enrollment not known here yet), active, ejected, "
                                                    "exited or deactivated"})
    trained = fields.Boolean(metadata={"description": "Required training completed (R6)"})
    published = fields.Boolean(allow_none=True, metadata={"description": "Mentors: profile published (R9)"})
    scope = fields.String(allow_none=True, metadata={"description": "Mentors: local or national (R8)"})
    active_mentees = fields.Integer(allow_none=True, metadata={"description": "Mentors: active mentorships (R11)"})
    max_active_mentees = fields.Integer(metadata={"description": "The cap of active mentees per mentor (R11)"})
    open_slots = fields.Integer(allow_none=True, metadata={"description": "Mentors: mentees they may still accept"})
    at_capacity = fields.Boolean(allow_none=True, metadata={
        "description": "Mentors: true at the cap — no request can be accepted until a mentorship concludes"})


class RequestCounts(_Out):
    open = fields.Integer()
    accepted = fields.Integer()
    declined = fields.Integer()
    withdrawn = fields.Integer()
    expired = fields.Integer()


class MentorshipCounts(_Out):
    active = fields.Integer()
    concluded = fields.Integer()


class SideCounts(_Out):
    requests = fields.Nested(RequestCounts)
    mentorships = fields.Nested(MentorshipCounts)


class MentorSideCounts(SideCounts):
    enrolled_mentors = fields.Integer(metadata={
        "description": "Mentors admitted and in good standing (not ejected, deactivated); identity's compliance "
                       "count. The terms are defined in docs/architecture.md, \"Counting mentors\""})
    mentors_in_mentorships = fields.Integer(metadata={
        "description": "Enrolled mentors with at least one active mentorship"})
    mentors_at_capacity = fields.Integer(metadata={
        "description": "Enrolled mentors with 3 active mentees, the most a mentor may have"})


class InstitutionCountsOut(_Out):
    institution_id = fields.UUID()
    mentees = fields.Nested(SideCounts, metadata={"description": "Requests and mentorships of the institution's mentees"})
    mentors = fields.Nested(MentorSideCounts,
                            metadata={"description": "Requests to and mentorships of the institution's mentors"})
