"""The mentorship HTTP surface: one MethodView per resource, thin. Authentication (`require`) is the
outermost decorator so that it is checked before the body is validated; object-level access is
checked in service.py (what the caller may not see is a 404)."""
from __future__ import annotations

import uuid

from flask import current_app, request
from flask.views import MethodView
from marshmallow import RAISE, ValidationError

from services.mentorship import schemas as s
from services.mentorship import service
from services.mentorship.models import Mentorship, MentorshipRequest
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require
from shared.errors import Problem
from shared.schemas import shown

requests_bp = Blueprint("requests", __name__, url_prefix="/requests",
                        description="Mentorship requests: a mentee asks, the mentor answers by a deadline (R6, R8, R12)")
mentorships_bp = Blueprint("mentorships", __name__, url_prefix="/mentorships",
                           description="Active and concluded mentorships (R11: at most 3 active per mentor)")
institutions_bp = Blueprint("institutions", __name__, url_prefix="/institutions",
                            description="Counts for an institution's administrators")

me_bp = Blueprint("me", __name__, url_prefix="/me",
                  description="The signed-in mentor or mentee as mentorship knows them, with a mentor's capacity (R11)")

BLUEPRINTS = [requests_bp, mentorships_bp, institutions_bp, me_bp]


def uow():
    return db_of(current_app).unit_of_work()


def settings():
    return current_app.extensions["mentorship"]


def request_view(session, req: MentorshipRequest):
    """A request as s.RequestOut writes it: with its mentorship, the contacts the caller may see and the
    mentee's card (read while the session is open; the view's response schema dumps it)."""
    mentorship = service.mentorship_id_of(session, req) if req.status == "accepted" else None
    return shown(req, mentorship_id=mentorship, mentee=service.mentee_card(session, req.mentee_id),
                 **service.contacts(session, current_principal(), req.mentor_id, req.mentee_id,
                                    req.status == "accepted"))


def mentorship_view(session, ms: Mentorship):
    """A mentorship as s.MentorshipOut writes it, with both contacts the caller may see and the mentee's card."""
    return shown(ms, mentee=service.mentee_card(session, ms.mentee_id),
                 **service.contacts(session, current_principal(), ms.mentor_id, ms.mentee_id, True))


def _idempotency_key() -> str | None:
    try:
        return s.idempotency_key(request.headers.get("Idempotency-Key"))
    except ValidationError as exc:
        raise Problem(422, "validation-error", "Validation failed", "One or more fields are invalid.",
                      errors=[{"parameter": "Idempotency-Key", "in": "headers", "detail": exc.messages[0]}]) from None


@requests_bp.route("")
class RequestCollection(MethodView):
    @require("mentee")
    @requests_bp.arguments(s.RequestIn)
    @requests_bp.response(201, s.RequestOut)
    @requests_bp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                                  "schema": {"type": "string", "maxLength": 200},
                                  "description": "A retried POST with the same key returns the first request"}])
    def post(self, data):
        """Request a mentor (RequestCreated); the mentor answers by `respond_by`"""
        key = _idempotency_key()
        with uow() as session:
            req, created = service.create_request(session, settings(), current_principal(), data, key)
            return request_view(session, req), 201 if created else 200

    @require("mentee", "mentor")
    @requests_bp.arguments(s.RequestQuery, location="query", unknown=RAISE)
    @requests_bp.response(200, s.RequestOut(many=True))
    def get(self, query):
        """A mentee's requests (newest first); a mentor's requests — by default the open ones, by deadline"""
        with uow() as session:
            return [request_view(session, r) for r in service.list_requests(session, current_principal(), query)]


@requests_bp.route("/<uuid:request_id>")
class RequestItem(MethodView):
    @require("mentee", "mentor", "operator")
    @requests_bp.response(200, s.RequestOut)
    def get(self, request_id: uuid.UUID):
        """One request (its mentee, its mentor, operators)"""
        with uow() as session:
            return request_view(session, service.get_request(session, current_principal(), request_id))


def _answer_request(use_case, request_id: uuid.UUID, *args):
    """A step of a request (accept, decline, withdraw): the use case in one transaction, then the request
    as its caller now sees it."""
    with uow() as session:
        req = use_case(session, current_principal(), request_id, *args)
        return request_view(session, req[0] if isinstance(req, tuple) else req)  # accept: (request, mentorship)


@requests_bp.route("/<uuid:request_id>/accept")
class RequestAccept(MethodView):
    @require("mentor")
    @requests_bp.arguments(s.EmptyIn)
    @requests_bp.response(200, s.RequestOut)
    def post(self, _data, request_id: uuid.UUID):
        """Accept (RequestAccepted + MentorshipStarted) while you have fewer than 3 active mentees"""
        return _answer_request(service.accept_request, request_id)


@requests_bp.route("/<uuid:request_id>/decline")
class RequestDecline(MethodView):
    @require("mentor")
    @requests_bp.arguments(s.ReasonIn)
    @requests_bp.response(200, s.RequestOut)
    def post(self, data, request_id: uuid.UUID):
        """Decline with a reason (RequestDeclined)"""
        return _answer_request(service.decline_request, request_id, data["reason"])


@requests_bp.route("/<uuid:request_id>/withdraw")
class RequestWithdraw(MethodView):
    @require("mentee")
    @requests_bp.arguments(s.EmptyIn)
    @requests_bp.response(200, s.RequestOut)
    def post(self, _data, request_id: uuid.UUID):
        """Withdraw your open request (RequestWithdrawn)"""
        return _answer_request(service.withdraw_request, request_id)


@requests_bp.route("/<uuid:request_id>/deadline")
class RequestDeadline(MethodView):
    @require("operator")
    @requests_bp.arguments(s.DeadlineIn)
    @requests_bp.response(200, s.RequestOut)
    def put(self, data, request_id: uuid.UUID):
        """Operators move an open request's deadline; one already past expires it at the next expiry run"""
        with uow() as session:
            return request_view(session, service.set_deadline(session, settings(), current_principal(),
                                                              request_id, data["respond_by"]))


@mentorships_bp.route("")
class MentorshipCollection(MethodView):
    @require("mentee", "mentor")
    @mentorships_bp.arguments(s.MentorshipQuery, location="query", unknown=RAISE)
    @mentorships_bp.response(200, s.MentorshipOut(many=True))
    def get(self, query):
        """Your mentorships, newest first"""
        with uow() as session:
            return [mentorship_view(session, m) for m in service.list_mentorships(session, current_principal(), query)]


@mentorships_bp.route("/<uuid:mentorship_id>")
class MentorshipItem(MethodView):
    @require("mentee", "mentor", "operator")
    @mentorships_bp.response(200, s.MentorshipOut)
    def get(self, mentorship_id: uuid.UUID):
        """One mentorship, with the other side's name and e-mail"""
        with uow() as session:
            return mentorship_view(session, service.get_mentorship(session, current_principal(), mentorship_id))


@mentorships_bp.route("/<uuid:mentorship_id>/conclude")
class MentorshipConclude(MethodView):
    @require("mentee", "mentor")
    @mentorships_bp.arguments(s.ReasonIn)
    @mentorships_bp.response(200, s.MentorshipOut)
    def post(self, data, mentorship_id: uuid.UUID):
        """Conclude an active mentorship with a reason (MentorshipConcluded); frees the mentor's slot"""
        with uow() as session:
            return mentorship_view(session, service.conclude_mentorship(session, current_principal(), mentorship_id,
                                                                        data["reason"]))


@institutions_bp.route("/<uuid:institution_id>/counts")
class InstitutionCounts(MethodView):
    @require("institution_admin", "operator")
    @institutions_bp.response(200, s.InstitutionCountsOut)
    def get(self, institution_id: uuid.UUID):
        """Counts of requests and mentorships of the institution's mentees and mentors (no one's details)"""
        with uow() as session:
            return service.institution_counts(session, current_principal(), institution_id)


@me_bp.route("")
class Me(MethodView):
    @require("mentee", "mentor")
    @me_bp.response(200, s.MeOut)
    def get(self):
        """Whether you may request or be requested, and a mentor's active mentees against the cap of 3"""
        with uow() as session:
            return service.me(session, current_principal())
