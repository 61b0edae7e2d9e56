"""Schemas of the participation report: the period query (refusing unknown parameters) and the report."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import ValidationError, fields, post_load, validate

from services.evaluation.reports import rules
from shared.schemas import In, Out

_DATE = validate.Range(min=rules.EARLIEST, max=rules.LATEST, error=f"A date from {rules.EARLIEST} to {rules.LATEST}.")


class PeriodQuery(In):
    """The period [from, to): dates (YYYY-MM-DD), `to` exclusive. Either may be left out: a year from `from`,
    a year up to `to`, or the year ending today."""
    start = fields.Date(data_key="from", validate=_DATE, metadata={"description": "First day of the period"})
    end = fields.Date(data_key="to", validate=_DATE,
                      metadata={"description": "Day after the last day of the period (exclusive)"})

    @post_load
    def _period(self, data, **_):
        today = datetime.now(timezone.utc).date()
        start, end = rules.period(data.pop("start", None), data.pop("end", None), today)
        error = rules.period_error(start, end)
        if error:
            raise ValidationError(error[1], error[0])
        return {**data, "start": start, "end": end}


class ReportQuery(PeriodQuery):
    fmt = fields.String(data_key="format", load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "json (default) or csv"})


class InstitutionOut(Out):
    institution_id = fields.UUID()
    name = fields.String()


class PeriodOut(Out):
    start = fields.Date(data_key="from", attribute="from")
    end = fields.Date(data_key="to", attribute="to", metadata={"description": "Exclusive"})


class RewardOut(Out):
    reward = fields.String(metadata={"description": "One of " + ", ".join(rules.REWARDS)})
    name = fields.String(metadata={"description": "The reward in words"})
    details = fields.String(allow_none=True)


class ParticipationAveragesOut(Out):
    availability = fields.Float()
    responsiveness = fields.Float()
    guidance = fields.Float(metadata={"description": "Quality of guidance"})
    overall = fields.Float()
    would_recommend_share = fields.Float(metadata={"description": "Share (0–1) who would recommend the mentor"})


_AVERAGES = fields.Nested(ParticipationAveragesOut, allow_none=True, metadata={
    "description": "Averages of the ratings (1–5); null when withheld or when there is no evaluation"})
_WITHHELD = fields.Boolean(metadata={
    "description": "The averages are withheld: fewer evaluations than evaluation_minimum (operators see all)"})


class MentorFiguresOut(Out):
    mentor_id = fields.UUID()
    name = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "active, ejected, exited or deactivated"})
    active_mentorships = fields.Integer(metadata={"description": "Mentorships under way at any time in the period"})
    mentorships_started = fields.Integer()
    mentee_months = fields.Float(metadata={
        "description": f"Overlap of the mentorships with the period, in months of {rules.MONTH_DAYS} days"})
    requests_received = fields.Integer()
    requests_answered = fields.Integer(metadata={"description": "Answered by the mentor themself"})
    response_rate = fields.Float(allow_none=True, metadata={
        "description": "Answered over received and not withdrawn (0–1); null with none"})
    median_response_hours = fields.Float(allow_none=True)
    evaluation_count = fields.Integer(metadata={"description": "Evaluations submitted in the period"})
    evaluations_withheld = _WITHHELD
    averages = _AVERAGES
    training_completed = fields.Date(allow_none=True, metadata={"description": "Mentor training completed on"})
    cme_hours = fields.Float(metadata={"description": "CME credit hours awarded in the period"})


class TotalsOut(Out):
    mentors = fields.Integer()
    mentors_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    mentors_trained = fields.Integer()
    active_mentorships = fields.Integer()
    mentorships_started = fields.Integer()
    mentee_months = fields.Float()
    requests_received = fields.Integer()
    requests_answered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    median_response_hours = fields.Float(allow_none=True)
    evaluation_count = fields.Integer()
    evaluations_averaged = fields.Integer(metadata={
        "description": "Evaluations in the averages: those of mentors whose own averages are shown"})
    evaluations_withheld = _WITHHELD
    averages = _AVERAGES
    cme_hours = fields.Float()


class ReportOut(Out):
    institution = fields.Nested(InstitutionOut)
    period = fields.Nested(PeriodOut)
    generated_at = fields.DateTime()
    evaluation_minimum = fields.Integer()
    reward_policy = fields.List(fields.Nested(RewardOut),
                                metadata={"description": "The rewards the institution offers"})
    totals = fields.Nested(TotalsOut)
    mentors = fields.List(fields.Nested(MentorFiguresOut))
