"""Request and response schemas of the identity API.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can carry
a role, an institution or a status for its sender. Roles come from the kind of invitation an
authorised person issued; institutions from the inviter or the enrollment code; statuses from the
use cases.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.identity import rules
from services.identity.service import invitation_state
from shared.schemas import In as _In
from shared.schemas import Out as _Out
from shared.schemas import Page

NAME = validate.Length(min=1, max=200)
NOTE = validate.Length(min=1, max=2000)
PASSWORD = validate.Length(min=10, max=256)




# --- shared pieces -------------------------------------------------------------------------------------------

class Contact(_In):
    name = fields.String(required=True, validate=NAME)
    email = fields.Email(required=True)
    phone = fields.String(validate=validate.Length(max=50), allow_none=True)


class Reward(_In):
    offered = fields.Boolean(required=True)
    details = fields.String(validate=validate.Length(max=2000), allow_none=True)


class RewardPolicy(_In):
    promotion_recognition = fields.Nested(Reward)
    dedicated_fte = fields.Nested(Reward)
    dei_credentialing_recognition = fields.Nested(Reward)
    cme_credit = fields.Nested(Reward)
    financial_compensation = fields.Nested(Reward)


# --- institutions ----------------------------------------------------------------------------------------------

class InstitutionCreate(_In):
    name = fields.String(required=True, validate=NAME)
    kind = fields.String(required=True, validate=validate.OneOf(rules.KINDS))
    class_size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000))
    contact = fields.Nested(Contact, required=True)
    subscription_status = fields.String(load_default="active", validate=validate.OneOf(rules.SUBSCRIPTION_STATUSES))
    reward_policy = fields.Nested(RewardPolicy, load_default=dict)


class InstitutionUpdate(_In):
    name = fields.String(validate=NAME)
    kind = fields.String(validate=validate.OneOf(rules.KINDS))
    class_size = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    contact = fields.Nested(Contact)
    subscription_status = fields.String(validate=validate.OneOf(rules.SUBSCRIPTION_STATUSES))
    reward_policy = fields.Nested(RewardPolicy)

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("Send at least one field to change.")


class ContactOut(_Out):
    name = fields.String(attribute="contact_name")
    email = fields.String(attribute="contact_email")
    phone = fields.String(attribute="contact_phone", allow_none=True)


class InstitutionOut(_Out):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    class_size = fields.Integer()
    size_tier = fields.Method("_tier", metadata={"type": "string"})
    minimum_mentors = fields.Method("_minimum", metadata={"type": "integer"})
    contact = fields.Function(lambda i: ContactOut().dump(i))
    subscription_status = fields.String()
    reward_policy = fields.Dict()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _tier(self, inst):
        return rules.size_tier(inst.kind, inst.class_size).name

    def _minimum(self, inst):
        return rules.minimum_mentors(inst.kind, inst.class_size)


class InstitutionAdminOut(InstitutionOut):
    """What operators and the institution's admins see: also the mentee enrollment code."""
    enrollment_code = fields.String()


class ComplianceOut(_Out):
    institution_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    class_size = fields.Integer()
    size_tier = fields.String()
    minimum_mentors = fields.Integer()
    enrolled_mentors = fields.Integer(metadata={
        "description": "R1's active-mentor count: mentors admitted and in good standing (not ejected or deactivated), "
                       "trained or not, published or not (docs/architecture.md, \"Counting mentors\")"})
    shortfall = fields.Integer()
    subscription_status = fields.String()


# --- invitations ------------------------------------------------------------------------------------------------------

class PersonInvite(_In):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=NAME)


class MentorInvite(PersonInvite):
    criteria = fields.List(fields.String(validate=validate.OneOf(rules.MENTOR_CRITERIA)), required=True,
                           validate=validate.Length(min=1, max=len(rules.MENTOR_CRITERIA)))
    evidence = fields.String(required=True, validate=NOTE)
    nominated_by = fields.UUID(allow_none=True, load_default=None)


class InvitationOut(_Out):
    id = fields.UUID()
    kind = fields.String()
    institution_id = fields.UUID()
    email = fields.String()
    name = fields.String()
    state = fields.Function(invitation_state, metadata={"type": "string",
                                                        "enum": ["pending", "accepted", "revoked", "expired"]})
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    nomination_id = fields.UUID(allow_none=True)


class InvitationCreated(InvitationOut):
    token = fields.String(metadata={"description": (
        "The single-use invitation token. Present only when the service runs with "
        "IDENTITY_INVITATION_TOKEN_IN_RESPONSE on (tests, local tools); otherwise absent: the invitee "
        "alone receives it, in the invitation e-mail, so that nobody can accept an agreement in their "
        "name. Stored only as a hash.")})


class InvitationImportOut(_Out):
    kind = fields.String(metadata={"enum": ["mentor", "mentee"]})
    count = fields.Integer(metadata={"description": "How many invitations the file created (one per row)"})
    invitations = fields.List(fields.Nested(InvitationCreated), metadata={
        "description": "The invitations created, in the file's order"})


class TokenIn(_In):
    token = fields.String(required=True, validate=validate.Length(min=10, max=200))


class AgreementOut(_Out):
    role = fields.String()
    version = fields.Integer()
    title = fields.String()
    body = fields.String()
    published_at = fields.DateTime()


class InvitationInstitution(_Out):
    id = fields.UUID()
    name = fields.String()


class InvitationInspected(_Out):
    kind = fields.String()
    email = fields.String()
    name = fields.String()
    expires_at = fields.DateTime()
    institution = fields.Nested(InvitationInstitution)
    agreement = fields.Nested(AgreementOut, allow_none=True)


class Demographics(_In):
    race_ethnicity = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                                 validate=validate.Length(max=10))
    hispanic_or_latino = fields.Boolean(allow_none=True)
    gender_identity = fields.String(validate=validate.Length(max=100), allow_none=True)
    pronouns = fields.String(validate=validate.Length(max=50), allow_none=True)
    birth_year = fields.Integer(strict=True, validate=validate.Range(min=1900, max=2100), allow_none=True)
    training_stage = fields.String(validate=validate.OneOf(
        ["premedical", "medical_student", "resident", "fellow", "other"]), allow_none=True)
    expected_graduation_year = fields.Integer(strict=True, validate=validate.Range(min=1950, max=2100),
                                              allow_none=True)


class MenteeContact(_In):
    phone = fields.String(validate=validate.Length(max=50), allow_none=True)
    preferred_email = fields.Email(allow_none=True)
    mailing_address = fields.String(validate=validate.Length(max=500), allow_none=True)


class MenteeProfileIn(_In):
    demographics = fields.Nested(Demographics, required=True)
    contact = fields.Nested(MenteeContact, required=True)


class _Admission(_In):
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    accept_agreement_version = fields.Integer(strict=True, allow_none=True, load_default=None,
                                              validate=validate.Range(min=1))


class _MenteeEligibility(_In):
    eligibility = fields.List(fields.String(validate=validate.OneOf(rules.ELIGIBILITY_BASES)),
                              validate=validate.Length(min=1, max=3))
    attested = fields.Boolean()


class InvitationAccept(_Admission, _MenteeEligibility):
    token = fields.String(required=True, validate=validate.Length(min=10, max=200))
    name = fields.String(validate=NAME)
    profile = fields.Nested(MenteeProfileIn, allow_none=True)


class MenteeRegistration(_Admission, _MenteeEligibility):
    enrollment_code = fields.String(required=True, validate=validate.Length(min=4, max=40))
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=NAME)
    profile = fields.Nested(MenteeProfileIn, required=True)
    eligibility = fields.List(fields.String(validate=validate.OneOf(rules.ELIGIBILITY_BASES)), required=True,
                              validate=validate.Length(min=1, max=3))
    attested = fields.Boolean(required=True)


# --- users -------------------------------------------------------------------------------------------------------------

class UserOut(_Out):
    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    institution_id = fields.UUID(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.DateTime()
    created_at = fields.DateTime()


class AgreementStatus(_Out):
    role = fields.String()
    current_version = fields.Integer(allow_none=True)
    accepted_version = fields.Integer(allow_none=True)


class MeOut(_Out):
    user = fields.Nested(UserOut)
    agreement = fields.Nested(AgreementStatus, allow_none=True)


class UserQuery(Page):
    institution_id = fields.UUID()
    role = fields.String(validate=validate.OneOf(rules.ROLES))
    status = fields.String(validate=validate.OneOf(rules.USER_STATUSES))


class ReasonIn(_In):
    reason = fields.String(required=True, validate=NOTE)


class NoteIn(_In):
    note = fields.String(validate=NOTE, allow_none=True, load_default=None)


class ExitIn(_In):
    reason = fields.String(required=True, validate=validate.OneOf(rules.EXIT_REASONS))


class PurposeQuery(_In):
    reason = fields.String(validate=validate.Length(min=3, max=200),
                           metadata={"description": "Why you read this record (written to the audit log); "
                                                    "required unless it is your own."})


class MenteeProfileOut(_Out):
    user_id = fields.UUID()
    institution_id = fields.UUID()
    name = fields.String()
    email = fields.String()
    status = fields.String()
    demographics = fields.Dict()
    contact = fields.Dict()
    eligibility = fields.List(fields.String())
    attested_at = fields.DateTime()
    admitted_via = fields.String()
    decided_at = fields.DateTime(allow_none=True)


class MenteeEligibilityOut(_Out):
    """R4 review: the eligibility basis a mentee attested, and nothing else of their profile."""
    user_id = fields.UUID()
    institution_id = fields.UUID()
    name = fields.String()
    status = fields.String()
    eligibility = fields.List(fields.String(validate=validate.OneOf(rules.ELIGIBILITY_BASES)))
    attested_at = fields.DateTime()
    admitted_via = fields.String()


class MenteeProfileUpdate(_In):
    demographics = fields.Nested(Demographics)
    contact = fields.Nested(MenteeContact)

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("Send demographics, contact or both.")


class AdmissionOut(_Out):
    criteria = fields.List(fields.String())
    evidence = fields.String()
    nominated_by = fields.UUID(allow_none=True)
    invited_by = fields.UUID(allow_none=True)
    admitted_at = fields.DateTime()


class MentorAdmissionOut(_Out):
    user_id = fields.UUID()
    institution_id = fields.UUID()
    admissions = fields.List(fields.Nested(AdmissionOut))


class SensitiveReadOut(_Out):
    id = fields.UUID()
    actor_id = fields.UUID()
    actor_name = fields.String(allow_none=True, metadata={"description": "The reader's name today"})
    actor_role = fields.String()
    subject_id = fields.UUID()
    subject_name = fields.String(allow_none=True, metadata={"description": "The person read about, by name today"})
    institution_id = fields.UUID(allow_none=True)
    record = fields.String()
    purpose = fields.String()
    request_id = fields.String(allow_none=True)
    read_at = fields.DateTime()


class SensitiveReadQuery(Page):
    subject_id = fields.UUID()
    actor_id = fields.UUID()
    institution_id = fields.UUID()
    since = fields.AwareDateTime()


# --- nominations ------------------------------------------------------------------------------------------------------------

class NominationIn(_In):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=NAME)
    evidence = fields.String(required=True, validate=NOTE)


class NominationOut(_Out):
    id = fields.UUID()
    institution_id = fields.UUID()
    nominator_id = fields.UUID()
    name = fields.String()
    email = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    invitation_id = fields.UUID(allow_none=True)


class NominationQuery(_In):
    institution_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(["pending", "approved", "declined"]))


class NominationApproved(_Out):
    nomination = fields.Nested(NominationOut)
    invitation = fields.Nested(InvitationCreated)


# --- agreements -------------------------------------------------------------------------------------------------------------

class AgreementIn(_In):
    title = fields.String(required=True, validate=NAME)
    body = fields.String(required=True, validate=validate.Length(min=1, max=100_000))


class AgreementAcceptIn(_In):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class AcceptanceOut(_Out):
    role = fields.String()
    version = fields.Integer()
    accepted_at = fields.DateTime()


# --- auth ---------------------------------------------------------------------------------------------------------------------

REFRESH_IN = fields.String(load_default="body", validate=validate.OneOf(["body", "cookie"]), metadata={
    "description": "Where the refresh token goes: `body` (mobile and other clients) or `cookie` (browsers: an "
                   "HttpOnly, SameSite=Strict cookie limited to /api/v1/identity/auth, never readable by script)"})


class SignIn(_In):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    accept_agreement_version = fields.Integer(strict=True, allow_none=True, load_default=None,
                                              validate=validate.Range(min=1))
    refresh_in = REFRESH_IN


class RefreshIn(_In):
    refresh_token = fields.String(load_default=None, validate=validate.Length(min=10, max=200), metadata={
        "description": "The refresh token; a browser leaves it out and its cookie is used"})
    accept_agreement_version = fields.Integer(strict=True, allow_none=True, load_default=None,
                                              validate=validate.Range(min=1))


class SignOutIn(_In):
    refresh_token = fields.String(load_default=None, validate=validate.Length(min=10, max=200), metadata={
        "description": "The refresh token; a browser leaves it out and its cookie is used (and cleared)"})


class TokensOut(_Out):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String(metadata={"description": "Absent when the refresh token went into the cookie"})
    refresh_expires_in = fields.Integer()


class Jwk(_Out):
    kty = fields.String()
    crv = fields.String()
    x = fields.String()
    kid = fields.String()
    alg = fields.String()
    use = fields.String()


class JwksOut(_Out):
    keys = fields.List(fields.Nested(Jwk))


class SigningKeyOut(_Out):
    kid = fields.String()
    created_at = fields.DateTime()
    retired_at = fields.DateTime(allow_none=True)
    published_until = fields.DateTime(allow_none=True)
