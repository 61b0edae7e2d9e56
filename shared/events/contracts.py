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


@event("identity")
class MenteeEnrolled(_Member):
    pass


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
class UserDeactivated(_Data):
    user_id = fields.UUID(required=True)
    institution_id = fields.UUID(allow_none=True, load_default=None)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


# --- mentorship -----------------------------------------------------------------------------------

@event("mentorship")
class MentorUnresponsive(_Data):
    mentor_id = fields.UUID(required=True)
    institution_id = fields.UUID(required=True)
    strikes = fields.Integer(required=True)
    window_days = fields.Integer(required=True)
    expired_request_ids = fields.List(fields.UUID(), required=True)
