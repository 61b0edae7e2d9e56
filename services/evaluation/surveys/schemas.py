"""Request and response schemas of the survey API.

Inputs refuse unknown fields (shared.schemas.In): no payload sets a status, a version, a creator or a
count. A question's type-specific checks are rules.question_errors, run per question so that every
error carries its own pointer (#/questions/3/options).
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.evaluation.surveys import rules
from shared.schemas import In, Out

TITLE = validate.Length(min=1, max=200)


class QuestionIn(In):
    id = fields.String(required=True, validate=validate.Regexp(
        rules.QUESTION_ID, error="Lower-case letters, digits and _; a letter first; at most 40."))
    type = fields.String(required=True, validate=validate.OneOf(rules.QUESTION_TYPES))
    label = fields.String(required=True, validate=validate.Length(min=1, max=500))
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                          metadata={"description": "single_choice and multiple_choice"})
    min_selections = fields.Integer(strict=True, validate=validate.Range(min=0, max=rules.MAX_OPTIONS),
                                    metadata={"description": "multiple_choice"})
    max_selections = fields.Integer(strict=True, validate=validate.Range(min=1, max=rules.MAX_OPTIONS),
                                    metadata={"description": "multiple_choice"})
    max_length = fields.Integer(strict=True, validate=validate.Range(min=1, max=rules.TEXT_MAX_LENGTH),
                                metadata={"description": "text"})
    min = fields.Raw(allow_none=True, metadata={"description": "number (a number) or date (YYYY-MM-DD)"})
    max = fields.Raw(allow_none=True, metadata={"description": "number (a number) or date (YYYY-MM-DD)"})
    integer = fields.Boolean(metadata={"description": "number: whole numbers only"})

    @validates_schema(skip_on_field_errors=False)
    def _type_rules(self, data, **_kw):
        errors = rules.question_errors(data)
        if errors:
            raise ValidationError(errors)


def _questions_field(required: bool):
    return fields.List(fields.Nested(QuestionIn), required=required,
                       validate=validate.Length(min=1, max=rules.MAX_QUESTIONS))


class AudienceIn(In):
    roles = fields.List(fields.String(validate=validate.OneOf(rules.ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(rules.ROLES)),
                        metadata={"description": "alumni: mentees who exited the program"})
    institution_ids = fields.List(fields.UUID(), allow_none=True, load_default=None,
                                  validate=validate.Length(min=1, max=1000),
                                  metadata={"description": "only members of these institutions (none: all)"})

    @validates_schema(skip_on_field_errors=False)
    def _distinct(self, data, **_kw):
        if len(set(data.get("roles", []))) != len(data.get("roles", [])):
            raise ValidationError({"roles": ["Name each role once."]})


def _duplicate_ids(data):
    errors = rules.definition_errors(data.get("questions") or [])
    if errors:
        raise ValidationError({"questions": errors})


class SurveyCreate(In):
    kind = fields.String(required=True, validate=validate.OneOf(rules.KINDS))
    title = fields.String(required=True, validate=TITLE)
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    audience = fields.Nested(AudienceIn, metadata={"description": "career_update: mentee and alumni by default"})
    response_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=365),
                                   metadata={"description": "an assignment is due this many days after"})
    questions = _questions_field(True)

    @validates_schema(skip_on_field_errors=False)
    def _whole(self, data, **_kw):
        """Judged with whatever loaded, so that one request reports every problem it can."""
        _duplicate_ids(data)
        if data.get("kind") == rules.PROGRAM_FEEDBACK and data.get("audience") is None:
            raise ValidationError({"audience": ["A program-feedback survey needs an audience."]})
        roles = (data.get("audience") or {}).get("roles", [])
        if data.get("kind") == rules.CAREER_UPDATE and set(roles) - set(rules.CAREER_ROLES):
            raise ValidationError({"audience": {"roles": ["Career updates are asked of mentees and alumni only."]}})


class SurveyUpdate(In):
    title = fields.String(validate=TITLE)
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    audience = fields.Nested(AudienceIn)
    response_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=365))
    questions = _questions_field(False)

    @validates_schema
    def _not_empty(self, data, **_kw):
        if not data:
            raise ValidationError("Change at least one field.")

    @validates_schema(skip_on_field_errors=False)  # named beside every other invalid field
    def _ids(self, data, **_kw):
        _duplicate_ids(data)


class SurveyQuery(In):
    kind = fields.String(validate=validate.OneOf(rules.KINDS))
    status = fields.String(validate=validate.OneOf(rules.STATUSES))


class StatisticsQuery(In):
    institution_id = fields.UUID(metadata={"description": "one institution's completion (admins: their own)"})


class AssignmentQuery(In):
    status = fields.String(validate=validate.OneOf(("open", "completed")))


class ResponseIn(In):
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)), required=True,
                          metadata={"description": "question id → answer (a string, a list of strings, a number "
                                                   "or a YYYY-MM-DD date, by the question's type)"})


# --- outputs -----------------------------------------------------------------------------------------------

class QuestionOut(Out):
    id = fields.String()
    type = fields.String()
    label = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.String())
    min_selections = fields.Integer()
    max_selections = fields.Integer()
    max_length = fields.Integer()
    min = fields.Raw()
    max = fields.Raw()
    integer = fields.Boolean()


class AudienceOut(Out):
    roles = fields.List(fields.String())
    institution_ids = fields.List(fields.UUID(), allow_none=True)


class SurveyOut(Out):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    audience = fields.Nested(AudienceOut)
    response_days = fields.Integer(allow_none=True)
    status = fields.String()
    version = fields.Integer(metadata={"description": "the current version: new assignments get it"})
    versions = fields.List(fields.Integer())
    questions = fields.List(fields.Nested(QuestionOut))
    created_by = fields.UUID()
    created_at = fields.DateTime()
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    assigned = fields.Integer(metadata={"description": "assignments so far"})
    newly_assigned = fields.Integer(metadata={"description": "open: assignments this call made"})


class AssignmentOut(Out):
    id = fields.UUID()
    survey_id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    status = fields.String(metadata={"enum": ["open", "completed", "closed"]})
    assigned_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class AssignmentDetailOut(AssignmentOut):
    questions = fields.List(fields.Nested(QuestionOut))
    answers = fields.Dict(allow_none=True, metadata={"description": "my own answers, once completed"})


class CompletionOut(Out):
    institution_id = fields.UUID()
    institution_name = fields.String(allow_none=True)
    assigned = fields.Integer(allow_none=True, metadata={"description": "null: withheld (under 3)"})
    completed = fields.Integer(allow_none=True, metadata={"description": "null: withheld (under 3)"})
    completion_rate = fields.Float(allow_none=True)


class OptionCountOut(Out):
    option = fields.String()
    count = fields.Integer()


class QuestionStatsOut(Out):
    id = fields.String()
    type = fields.String()
    label = fields.String()
    answered = fields.Integer()
    options = fields.List(fields.Nested(OptionCountOut))
    mean = fields.Float(allow_none=True)
    min = fields.Raw(allow_none=True)
    max = fields.Raw(allow_none=True)
    earliest = fields.String(allow_none=True)
    latest = fields.String(allow_none=True)
    texts = fields.List(fields.String(), metadata={"description": "text answers, sorted, never with a name"})


class VersionStatsOut(Out):
    version = fields.Integer()
    responses = fields.Integer()
    questions = fields.List(fields.Nested(QuestionStatsOut))


class StatisticsOut(Out):
    survey_id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    institution_id = fields.UUID(allow_none=True, metadata={"description": "the institution the counts are of"})
    minimum = fields.Integer(allow_none=True, metadata={"description": "counts under this are withheld"})
    assigned = fields.Integer(allow_none=True)
    completed = fields.Integer(allow_none=True)
    completion_rate = fields.Float(allow_none=True)
    institutions = fields.List(fields.Nested(CompletionOut), metadata={"description": "operators only"})
    versions = fields.List(fields.Nested(VersionStatsOut), metadata={"description": "operators only"})


class InstitutionSurveyOut(Out):
    survey_id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    assigned = fields.Integer(allow_none=True)
    completed = fields.Integer(allow_none=True)
    completion_rate = fields.Float(allow_none=True)
