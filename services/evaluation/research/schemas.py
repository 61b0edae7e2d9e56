"""Request and response schemas of research data requests. Inputs refuse unknown fields (the shared In
base), so no payload can set a status, a requester or a decision time."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.evaluation.research import rules
from shared.schemas import In, Out, Page


class DataRequestIn(In):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    irb_status = fields.String(required=True, validate=validate.OneOf(rules.IRB_STATUSES))
    irb_number = fields.String(allow_none=True, validate=validate.Length(max=100),
                               metadata={"description": "required when irb_status is approved or exempt"})
    datasets = fields.List(fields.String(validate=validate.OneOf(list(rules.CATALOGUE))), required=True,
                           validate=validate.Length(min=1, max=len(rules.CATALOGUE)),
                           metadata={"description": "datasets of the catalogue (GET /data-requests/catalogue)"})
    period_start = fields.Date(required=True, metadata={"description": "first day of the period (included)"})
    period_end = fields.Date(required=True, metadata={"description": "last day (included): after period_start, "
                                                                     "not after today"})

    @validates_schema(skip_on_field_errors=False)  # every invalid field named at once
    def _rules(self, data, **_kw):
        errors = rules.request_errors(data)
        if errors:
            raise ValidationError(errors)


class DecisionIn(In):
    decision = fields.String(required=True, validate=validate.OneOf(rules.DECISIONS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @validates_schema(skip_on_field_errors=False)  # named beside an invalid decision
    def _reason(self, data, **_kw):
        if "reason" in data and not data["reason"].strip():
            raise ValidationError({"reason": ["Give a reason."]})


class EmptyIn(In):
    pass


class DataRequestQuery(Page):
    status = fields.String(validate=validate.OneOf(rules.REQUEST_STATES))


class AuditQuery(Page):
    request_id = fields.UUID()
    action = fields.String(validate=validate.OneOf(rules.AUDIT_ACTIONS))


class ExportOut(Out):
    id = fields.UUID()
    created_at = fields.DateTime()
    media_type = fields.String()
    size_bytes = fields.Integer()
    row_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class DataRequestOut(Out):
    id = fields.UUID()
    requester_id = fields.UUID()
    requester_role = fields.String()
    requester_institution_id = fields.UUID(allow_none=True)
    title = fields.String()
    purpose = fields.String()
    irb_status = fields.String()
    irb_number = fields.String(allow_none=True)
    datasets = fields.List(fields.String())
    period_start = fields.Date()
    period_end = fields.Date()
    status = fields.String(metadata={"enum": list(rules.REQUEST_STATES)})
    created_at = fields.DateTime()
    decided_by = fields.UUID(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    export = fields.Nested(ExportOut, allow_none=True)


class DownloadLinkOut(Out):
    url = fields.String(metadata={"description": "GET it with your access token, once, before expires_at"})
    expires_at = fields.DateTime()


class DatasetOut(Out):
    name = fields.String()
    description = fields.String()
    columns = fields.List(fields.String())


class AuditEntryOut(Out):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.UUID()
    actor_role = fields.String()
    action = fields.String(validate=validate.OneOf(rules.AUDIT_ACTIONS))
    request_id = fields.UUID(allow_none=True)
    export_id = fields.UUID(allow_none=True)
    detail = fields.String(allow_none=True)


class ExportQuery(In):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
