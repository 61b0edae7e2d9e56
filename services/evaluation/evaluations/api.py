"""The evaluations HTTP surface (R13): the form, a mentee's evaluations and their submission, and a mentor's
feedback summary. Thin: `require` (outermost) checks the role, service.py the object-level access."""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from services.evaluation.evaluations import schemas as s
from services.evaluation.evaluations import service
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require

form_bp = Blueprint("evaluation-form", __name__, url_prefix="/evaluation-form",
                    description="The evaluation form's current version (R13)")
evaluations_bp = Blueprint("evaluations", __name__, url_prefix="/evaluations",
                           description="A mentee's evaluations of their mentors (R13): every 6 months and at the end")
feedback_bp = Blueprint("mentor-feedback", __name__, url_prefix="/mentors",
                        description="A mentor's feedback: aggregates of submitted evaluations, withheld under "
                                    "3 evaluations for anyone but operators")

BLUEPRINTS = [form_bp, evaluations_bp, feedback_bp]


def uow():
    return db_of(current_app).unit_of_work()


@form_bp.route("")
class FormResource(MethodView):
    @require()
    @form_bp.response(200, s.FormOut)
    def get(self):
        """The current evaluation form: its version and questions (any signed-in user)"""
        with uow() as session:
            return service.current_form(session)


@evaluations_bp.route("")
class EvaluationCollection(MethodView):
    @require("mentee", "operator")
    @evaluations_bp.arguments(s.EvaluationQuery, location="query", unknown=RAISE)
    @evaluations_bp.response(200, s.EvaluationListOut(many=True))
    def get(self, query):
        """A mentee's own evaluations (newest due first), each naming the mentor; operators filter by
        mentor_id, mentee_id, mentorship_id, status"""
        with uow() as session:
            return service.list_evaluations(session, current_principal(), query)


@evaluations_bp.route("/<uuid:evaluation_id>")
class EvaluationItem(MethodView):
    @require()
    @evaluations_bp.response(200, s.EvaluationOut)
    @evaluations_bp.alt_response(404, description="No such evaluation, or not yours")
    def get(self, evaluation_id: uuid.UUID):
        """One evaluation with its answers: its mentee and operators (anyone else: 404)"""
        with uow() as session:
            return service.get_evaluation(session, current_principal(), evaluation_id)


@evaluations_bp.route("/<uuid:evaluation_id>/schedule")
class EvaluationSchedule(MethodView):
    @require("operator")
    @evaluations_bp.arguments(s.RescheduleIn)
    @evaluations_bp.response(200, s.EvaluationOut)
    @evaluations_bp.alt_response(404, description="No such evaluation")
    @evaluations_bp.alt_response(409, description="already-announced: it has fallen due already")
    def put(self, data, evaluation_id: uuid.UUID):
        """Move an evaluation that has not fallen due yet (operators)."""
        with uow() as session:
            return service.reschedule(session, current_app.extensions["evaluation"], current_principal(),
                                      evaluation_id, data["due_at"])


@evaluations_bp.route("/<uuid:evaluation_id>/submission")
class EvaluationSubmission(MethodView):
    @require("mentee")
    @evaluations_bp.arguments(s.SubmissionIn)
    @evaluations_bp.response(201, s.EvaluationOut)
    @evaluations_bp.alt_response(404, description="No such evaluation, or not yours")
    @evaluations_bp.alt_response(409, description="not-yet-due, already-submitted, evaluation-closed or "
                                                  "evaluation-cancelled")
    def post(self, data, evaluation_id: uuid.UUID):
        """Submit your answers to a due or overdue evaluation before it closes (EvaluationSubmitted); once"""
        with uow() as session:
            return service.submit(session, current_principal(), evaluation_id, data)


@feedback_bp.route("/<uuid:mentor_id>/feedback")
class MentorFeedback(MethodView):
    @require("mentor", "institution_admin", "operator")
    @feedback_bp.response(200, s.FeedbackOut)
    @feedback_bp.alt_response(404, description="No such mentor, or not one the caller may see")
    def get(self, mentor_id: uuid.UUID):
        """A mentor's feedback summary: the mentor, an admin of the mentor's institution, operators"""
        with uow() as session:
            return service.feedback(session, current_principal(), mentor_id)


@feedback_bp.route("/me/feedback")
class MyFeedback(MethodView):
    @require("mentor")
    @feedback_bp.response(200, s.FeedbackOut)
    def get(self):
        """The signed-in mentor's feedback summary"""
        principal = current_principal()
        with uow() as session:
            return service.feedback(session, principal, principal.id)

