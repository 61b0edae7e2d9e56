"""The participation report's HTTP surface (R15): JSON and CSV for an institution, a PDF per mentor.
`require` is outermost (authentication before the query is judged); who may see which institution or
mentor is checked in service.py (another institution's report is a 404)."""
from __future__ import annotations

import uuid

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE

from services.evaluation.reports import pdf, service
from services.evaluation.reports import schemas as s
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require

participation = Blueprint("participation", __name__, url_prefix="/institutions",
                          description="Participation reports (R15): an institution's mentors' figures over a period")
my_participation = Blueprint("my_participation", __name__, url_prefix="/mentors/me",
                             description="A mentor's own participation report (R15)")

BLUEPRINTS = [participation, my_participation]

_CSV = {"200": {"description": "One row per mentor", "content": {"text/csv": {"schema": {"type": "string"}}}}}
_PDF = {"200": {"description": "The mentor's participation report",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


def uow():
    return db_of(current_app).unit_of_work()


def _csv_response(report: dict) -> Response:
    period = report["period"]
    name = f"participation-{report['institution']['institution_id']}-{period['from']}-{period['to']}.csv"
    return Response(service.to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _pdf_response(report: dict) -> Response:
    body = pdf.render(report)
    period = report["period"]
    name = f"participation-{report['mentor']['mentor_id']}-{period['from']}-{period['to']}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@participation.route("/<uuid:institution_id>/participation")
class InstitutionParticipation(MethodView):
    @require("institution_admin", "operator")
    @participation.arguments(s.ReportQuery, location="query", unknown=RAISE, as_kwargs=True)
    @participation.response(200, s.ReportOut)
    @participation.doc(responses={"200": {"description": "The report; CSV with format=csv",
                                          "content": {"application/json": {"schema": s.ReportOut},
                                                      "text/csv": {"schema": {"type": "string"}}}}})
    def get(self, institution_id: uuid.UUID, start, end, fmt):
        """Every mentor's participation over the period [from, to) (default: the year ending today), the
        institution's totals and its reward policy; `format=csv` gives the CSV (the institution's admins,
        operators)"""
        with uow() as session:
            report = service.institution_report(session, current_principal(), institution_id, start, end)
        if fmt == "csv":
            return _csv_response(report)
        return Response(service.to_json(report), mimetype="application/json")


@participation.route("/<uuid:institution_id>/participation.csv")
class InstitutionParticipationCsv(MethodView):
    @require("institution_admin", "operator")
    @participation.arguments(s.PeriodQuery, location="query", unknown=RAISE, as_kwargs=True)
    @participation.doc(responses=_CSV)
    def get(self, institution_id: uuid.UUID, start, end):
        """The participation report as CSV: a header row, one row per mentor (the institution's admins,
        operators)"""
        with uow() as session:
            report = service.institution_report(session, current_principal(), institution_id, start, end)
        return _csv_response(report)


@participation.route("/<uuid:institution_id>/participation/mentors/<uuid:mentor_id>.pdf")
class MentorParticipationPdf(MethodView):
    @require("institution_admin", "operator", "mentor")
    @participation.arguments(s.PeriodQuery, location="query", unknown=RAISE, as_kwargs=True)
    @participation.doc(responses=_PDF)
    def get(self, institution_id: uuid.UUID, mentor_id: uuid.UUID, start, end):
        """One mentor's participation report as PDF, for a promotion or FTE dossier (the institution's
        admins, operators, the mentor themself)"""
        with uow() as session:
            report = service.mentor_report(session, current_principal(), institution_id, mentor_id, start, end)
        return _pdf_response(report)


@my_participation.route("/participation.pdf")
class MyParticipationPdf(MethodView):
    @require("mentor")
    @my_participation.arguments(s.PeriodQuery, location="query", unknown=RAISE, as_kwargs=True)
    @my_participation.doc(responses=_PDF)
    def get(self, start, end):
        """My participation report as PDF, for my promotion or FTE dossier"""
        with uow() as session:
            report = service.my_report(session, current_principal(), start, end)
        return _pdf_response(report)
