"""Request and response schemas of the evaluations API (R13).

Inputs refuse unknown fields: a submission cannot name its evaluation's status, mentee or time. Ratings
are integers 1–5 (not "4", not 4.5: marshmallow's strict Integer), texts at most rules.TEXT_MAX characters.
"""
from __future__ import annotations

from marshmallow import fields, validate

from services.evaluation import privacy
from services.evaluation.evaluations import rules
from shared.schemas import In, Out, Page

class StrictBoolean(fields.Boolean):
    """true or false only: 1, "yes" or "true" would be a guess at what the mentee meant."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


RATING = {"required": True, "strict": True, "validate": validate.Range(rules.RATING_MIN, rules.RATING_MAX)}
TEXT = validate.Length(max=rules.TEXT_MAX)


class EvaluationQuery(Page):
    status = fields.String(validate=validate.OneOf(rules.STATES))
    mentor_id = fields.UUID(metadata={"description": "Operators: one mentor's evaluations"})
    mentee_id = fields.UUID(metadata={"description": "Operators: one mentee's evaluations"})
    mentorship_id = fields.UUID()


class RescheduleIn(In):
    due_at = fields.AwareDateTime(required=True, metadata={"description": "When the evaluation falls due (with a "
                                                                       "time zone); its grace and window follow"})


class SubmissionIn(In):
    form_version = fields.Integer(required=True, strict=True,
                                  metadata={"description": "The version of the form answered: the current one"})
    availability = fields.Integer(**RATING)
    responsiveness = fields.Integer(**RATING)
    guidance = fields.Integer(**RATING, metadata={"description": "Quality of guidance"})
    overall = fields.Integer(**RATING)
    would_recommend = StrictBoolean(required=True)
    program_text = fields.String(allow_none=True, load_default=None, validate=TEXT,
                                 metadata={"description": "For the program's staff only"})
    shared_text = fields.String(allow_none=True, load_default=None, validate=TEXT, metadata={
        "description": "Shown to the mentor without attribution, once they have "
                       f"{privacy.EVALUATION_MINIMUM} or more submitted evaluations"})


class FormOut(Out):
    version = fields.Integer()
    published_at = fields.DateTime()
    definition = fields.Dict(metadata={"description": "Title and questions (id, type rating|yes_no|text, label, …)"})


class MentorOut(Out):
    user_id = fields.UUID()
    name = fields.String(allow_none=True)


class AnswersOut(Out):
    form_version = fields.Integer()
    availability = fields.Integer()
    responsiveness = fields.Integer()
    guidance = fields.Integer()
    overall = fields.Integer()
    would_recommend = fields.Boolean()
    program_text = fields.String(allow_none=True)
    shared_text = fields.String(allow_none=True)
    submitted_at = fields.DateTime()


def _e(name: str, field_cls=fields.DateTime, **kw):
    return field_cls(attribute=f"evaluation.{name}", **kw)


class EvaluationOut(Out):
    id = _e("evaluation_id", fields.UUID)
    mentorship_id = _e("mentorship_id", fields.UUID)
    mentee_id = _e("mentee_id", fields.UUID)
    mentor = fields.Method("_mentor", metadata={"description": "Whom the mentee evaluates"})
    kind = _e("kind", fields.String, metadata={"description": "periodic (every 6 months) or final (at conclusion)"})
    sequence = _e("sequence", fields.Integer)
    status = _e("status", fields.String,
                metadata={"description": "due | overdue | submitted | cancelled (| scheduled, for operators)"})
    due_at = _e("due_at")
    overdue_at = _e("overdue_at")
    closes_at = _e("closes_at", metadata={"description": "No submission after this time"})
    submitted_at = _e("submitted_at", allow_none=True)
    open = fields.Boolean(metadata={"description": "Whether it can be submitted now"})
    answers = fields.Nested(AnswersOut, allow_none=True,
                            metadata={"description": "In GET /evaluations/{id}, once submitted"})

    def _mentor(self, view) -> dict:
        return {"user_id": str(view.evaluation.mentor_id), "name": view.mentor_name}


class EvaluationListOut(EvaluationOut):
    """An evaluation in a list: without answers."""

    class Meta(Out.Meta):
        exclude = ("answers",)


class AveragesOut(Out):
    availability = fields.Float()
    responsiveness = fields.Float()
    guidance = fields.Float()
    overall = fields.Float()


class FeedbackOut(Out):
    mentor_id = fields.UUID()
    mentor_name = fields.String(allow_none=True)
    count = fields.Integer(metadata={"description": "Submitted evaluations of this mentor"})
    minimum = fields.Integer(metadata={"description": "Submissions needed before averages and comments are shown"})
    withheld = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "Why the summary is withheld"})
    averages = fields.Nested(AveragesOut, allow_none=True)
    would_recommend_share = fields.Float(allow_none=True, metadata={"description": "0–1"})
    shared_texts = fields.List(fields.String(), allow_none=True, metadata={
        "description": "Comments shared with the mentor, alphabetically, unattributed"})
