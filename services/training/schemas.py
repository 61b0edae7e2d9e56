"""Request and response schemas of the training API.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can set an
id, a version number, a published flag, a score, a progress state or a certificate.
Learner-facing module schemas have no field for the knowledge check's answers: they cannot leak.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.training import rules
from shared.schemas import In as _In
from shared.schemas import Out as _Out

TEXT = validate.Length(min=1, max=200)




# --- authoring (operators) -------------------------------------------------------------------------------------

class QuestionIn(_In):
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=500)), required=True,
                          validate=validate.Length(min=2, max=8))
    answer = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))

    @validates_schema(skip_on_field_errors=False)  # judged beside every other invalid field
    def _answer_among_choices(self, data, **_kw):
        errors: dict[str, list[str]] = {}
        choices = data.get("choices")
        if choices is not None and "answer" in data and data["answer"] >= len(choices):
            errors["answer"] = [f"The answer must be the number of one of the {len(choices)} choices, "
                                "counting from 0."]
        if choices is not None and len(set(choices)) != len(choices):
            errors["choices"] = ["The choices must differ from one another."]
        if errors:
            raise ValidationError(errors)


class KnowledgeCheckIn(_In):
    pass_mark = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100),
                               metadata={"description": "percent of questions to answer correctly"})
    questions = fields.List(fields.Nested(QuestionIn), required=True, validate=validate.Length(min=1, max=30))


class _ModuleContent(_In):
    title = fields.String(validate=TEXT)
    summary = fields.String(validate=validate.Length(min=1, max=1000))
    body_markdown = fields.String(validate=validate.Length(min=1, max=100_000))
    estimated_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=600))
    required = fields.Boolean()
    cme_credit_hours = fields.Decimal(places=2, allow_none=True, validate=validate.Range(min=0, max=50),
                                      metadata={"description": "CME credit hours, rounded to two decimals; answers "
                                                               "give them as a string such as \"1.50\""})
    knowledge_check = fields.Nested(KnowledgeCheckIn, allow_none=True)
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class ModuleCreate(_ModuleContent):
    track = fields.String(required=True, validate=validate.OneOf(rules.TRACKS))
    title = fields.String(required=True, validate=TEXT)
    summary = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    body_markdown = fields.String(required=True, validate=validate.Length(min=1, max=100_000))
    estimated_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=600))
    required = fields.Boolean(required=True)


class ModuleUpdate(_ModuleContent):
    @validates_schema
    def _something(self, data, **_kw):
        if not data:
            raise ValidationError("Change at least one field.")


class TrackQuery(_In):
    track = fields.String(validate=validate.OneOf(rules.TRACKS))


class QuestionOut(_Out):
    prompt = fields.String()
    choices = fields.List(fields.String())
    answer = fields.Integer()


class ModuleVersionOut(_Out):
    version = fields.Integer()
    title = fields.String()
    summary = fields.String()
    body_markdown = fields.String()
    body_html = fields.String()
    estimated_minutes = fields.Integer()
    required = fields.Boolean()
    cme_credit_hours = fields.Decimal(as_string=True, allow_none=True)
    pass_mark = fields.Integer(allow_none=True)
    questions = fields.List(fields.Nested(QuestionOut))
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class AuthoredModuleOut(_Out):
    id = fields.UUID()
    track = fields.String()
    slug = fields.String(allow_none=True)
    position = fields.Integer()
    published_version = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    versions = fields.List(fields.Nested(ModuleVersionOut))


# --- the learner's way ---------------------------------------------------------------------------------------------------

class ProgressOut(_Out):
    status = fields.String(metadata={"enum": ["not_started", "in_progress", "check_passed", "attested"]})
    check_attempts = fields.Integer()
    check_passed = fields.Boolean()
    attested_version = fields.Integer(allow_none=True)
    attested_at = fields.DateTime(allow_none=True)
    update_available = fields.Boolean()


class ModuleOut(_Out):
    id = fields.UUID()
    track = fields.String()
    version = fields.Integer()
    title = fields.String()
    summary = fields.String()
    estimated_minutes = fields.Integer()
    required = fields.Boolean()
    cme_credit_hours = fields.Decimal(as_string=True, allow_none=True)
    has_knowledge_check = fields.Boolean()
    progress = fields.Nested(ProgressOut)


class LearnerQuestionOut(_Out):
    index = fields.Integer()
    prompt = fields.String()
    choices = fields.List(fields.String())


class LearnerCheckOut(_Out):
    pass_mark = fields.Integer()
    questions = fields.List(fields.Nested(LearnerQuestionOut))


class ModuleDetailOut(ModuleOut):
    body_html = fields.String()
    knowledge_check = fields.Nested(LearnerCheckOut, allow_none=True)


class CheckIn(_In):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    answers = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=30))


class CheckOut(_Out):
    module_id = fields.UUID()
    version = fields.Integer()
    score = fields.Integer()
    total = fields.Integer()
    pass_mark = fields.Integer()
    passed = fields.Boolean()
    attempts = fields.Integer()


class AttestationIn(_In):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                             metadata={"description": "the module version you completed"})


class MyTrainingOut(_Out):
    user_id = fields.UUID()
    institution_id = fields.UUID()
    track = fields.String()
    curriculum_version = fields.Integer()
    required_total = fields.Integer()
    required_attested = fields.Integer()
    outstanding_required_module_ids = fields.List(fields.UUID())
    completed = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    completed_curriculum_version = fields.Integer(allow_none=True)


# --- CME ---------------------------------------------------------------------------------------------------------------------

class CreditOut(_Out):
    id = fields.UUID()
    code = fields.String()
    module_id = fields.UUID()
    module_version = fields.Integer()
    module_title = fields.String()
    credit_hours = fields.Decimal(as_string=True)
    awarded_at = fields.DateTime()


class MyCmeOut(_Out):
    total_credit_hours = fields.Decimal(as_string=True)
    credits = fields.List(fields.Nested(CreditOut))


class VerificationOut(_Out):
    valid = fields.Boolean()
    code = fields.String()
    name = fields.String()
    module_title = fields.String()
    credit_hours = fields.Decimal(as_string=True)
    awarded_on = fields.Date()


# --- institution admins ---------------------------------------------------------------------------------------------------------

class MissingOut(_Out):
    user_id = fields.UUID()
    name = fields.String()
    required_attested = fields.Integer()
    required_total = fields.Integer()


class TrackCompletionOut(_Out):
    track = fields.String()
    curriculum_version = fields.Integer()
    enrolled = fields.Integer(metadata={"description": "Enrolled on this track and in good standing (not ejected, "
                                                      "exited or deactivated): docs/architecture.md, \"Counting mentors\""})
    trained = fields.Integer(metadata={"description": "Of the enrolled, those who completed the track's required training"})
    missing = fields.List(fields.Nested(MissingOut), metadata={"description": "The enrolled who are not yet trained"})


class InstitutionTrainingOut(_Out):
    institution_id = fields.UUID()
    tracks = fields.List(fields.Nested(TrackCompletionOut))
