"""The research HTTP surface (R16): one MethodView per resource, thin. `require` is outermost
(authentication before body validation); object-level access is checked in service.py."""
from __future__ import annotations

import uuid

from flask import Response, current_app, url_for
from flask.views import MethodView
from marshmallow import RAISE

from services.evaluation.research import rules, service
from services.evaluation.research import schemas as s
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require

requests_bp = Blueprint("data_requests", __name__, url_prefix="/data-requests",
                        description="Research data requests (R16): submit, decide, download the de-identified export")
audit_bp = Blueprint("research_audit", __name__, url_prefix="/research-audit",
                     description="Every research request, decision, export and download (operators)")

BLUEPRINTS = [requests_bp, audit_bp]

CHUNK = 64 * 1024


def uow():
    return db_of(current_app).unit_of_work()


@requests_bp.route("")
class DataRequestCollection(MethodView):
    @require()
    @requests_bp.arguments(s.DataRequestIn)
    @requests_bp.response(201, s.DataRequestOut)
    def post(self, data):
        """Ask for research data (any signed-in user): title, purpose, IRB status and number, datasets, period"""
        with uow() as session:
            return service.submit(session, current_principal(), data)

    @require()
    @requests_bp.arguments(s.DataRequestQuery, location="query", unknown=RAISE)
    @requests_bp.response(200, s.DataRequestOut(many=True))
    def get(self, query):
        """Your data requests, newest first; operators see every request (filter by status)"""
        with uow() as session:
            return service.list_requests(session, current_principal(), query)


@requests_bp.route("/catalogue")
class Catalogue(MethodView):
    @require()
    @requests_bp.response(200, s.DatasetOut(many=True))
    def get(self):
        """The datasets a request may ask for, with their columns (never names, e-mails, ids or free texts)"""
        return [{"name": name, **spec} for name, spec in rules.CATALOGUE.items()]


@requests_bp.route("/<uuid:request_id>")
class DataRequestItem(MethodView):
    @require()
    @requests_bp.response(200, s.DataRequestOut)
    def get(self, request_id: uuid.UUID):
        """One data request (its requester; operators)"""
        with uow() as session:
            return service.get_request(session, current_principal(), request_id)


@requests_bp.route("/<uuid:request_id>/decision")
class Decision(MethodView):
    @require("operator")
    @requests_bp.arguments(s.DecisionIn)
    @requests_bp.response(200, s.DataRequestOut)
    @requests_bp.alt_response(409, description="already-decided")
    def post(self, data, request_id: uuid.UUID):
        """Approve or deny with a reason (DataRequestDecided); approval makes the de-identified export at once"""
        with uow() as session:
            return service.decide(session, current_principal(), request_id, data["decision"], data["reason"])


@requests_bp.route("/<uuid:request_id>/download-link")
class DownloadLinkResource(MethodView):
    @require()
    @requests_bp.arguments(s.EmptyIn)
    @requests_bp.response(201, s.DownloadLinkOut)
    @requests_bp.alt_response(409, description="not-approved")
    def post(self, _data, request_id: uuid.UUID):
        """A one-time link to the export, expiring after the configured time (the requester only)"""
        ttl = current_app.extensions["evaluation"].download_ttl
        with uow() as session:
            token, link = service.create_link(session, ttl, current_principal(), request_id)
        return {"url": url_for("data_requests.ExportDownload", request_id=request_id, token=token),
                "expires_at": link.expires_at}


@requests_bp.route("/<uuid:request_id>/export")
class ExportDownload(MethodView):
    @require()
    @requests_bp.arguments(s.ExportQuery, location="query", unknown=RAISE)
    @requests_bp.doc(responses={
        "200": {"description": "The export: a ZIP of one CSV per dataset and manifest.json",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
        "404": {"description": "No such request for you, or no such link"},
        "410": {"description": "link-expired or link-used"}})
    def get(self, query, request_id: uuid.UUID):
        """Download the export with a link's token and your own access token (the requester only; once)"""
        principal = current_principal()
        try:
            with uow() as session:
                exp = service.download(session, principal, request_id, query["token"])
                content, media_type, made = exp.content, exp.media_type, exp.created_at
        except service.DownloadRefused as refused:
            with uow() as session:
                service.record_refusal(session, principal, refused)
            raise refused.refusal from None
        chunks = (content[i:i + CHUNK] for i in range(0, len(content), CHUNK))
        return Response(chunks, mimetype=media_type, headers={
            "Content-Disposition": f'attachment; filename="research-export-{made:%Y%m%d}.zip"',
            "Content-Length": str(len(content)), "Cache-Control": "no-store"})


@audit_bp.route("")
class ResearchAudit(MethodView):
    @require("operator")
    @audit_bp.arguments(s.AuditQuery, location="query", unknown=RAISE)
    @audit_bp.response(200, s.AuditEntryOut(many=True))
    def get(self, query):
        """The research audit log, newest first (filter by request or action)"""
        with uow() as session:
            return service.audit_log(session, query)
