"""The survey HTTP surface (R14), thin: operators define, open and close surveys and read their
statistics; mentees, mentors and alumni answer what was assigned to them; institution admins read their
institution's completion counts. `require` is outermost (authentication before body validation);
object-level access is in service.py (what a caller may not see is a 404)."""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from services.evaluation.surveys import schemas as s
from services.evaluation.surveys import service
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require

surveys = Blueprint("surveys", __name__, url_prefix="/surveys",
                    description="Operators define surveys (versioned questions), open them to an audience, "
                                "close them and read their statistics (R14)")
assignments = Blueprint("survey_assignments", __name__, url_prefix="/survey-assignments",
                        description="My surveys: those assigned to me, their questions, my response")
institutions = Blueprint("survey_institutions", __name__, url_prefix="/institutions",
                         description="Survey completion at an institution (its admins; small counts withheld)")

BLUEPRINTS = [surveys, assignments, institutions]

RESPONDENTS = ("mentee", "mentor")  # alumni sign in as mentees


def uow():
    return db_of(current_app).unit_of_work()


def settings():
    return current_app.extensions["evaluation"]


@surveys.route("")
class SurveyCollection(MethodView):
    @require("operator")
    @surveys.arguments(s.SurveyQuery, location="query", unknown=RAISE)
    @surveys.response(200, s.SurveyOut(many=True))
    def get(self, query):
        """Every survey, newest first, with its current questions and how many it was assigned to"""
        with uow() as session:
            return service.list_surveys(session, query.get("kind"), query.get("status"))

    @require("operator")
    @surveys.arguments(s.SurveyCreate)
    @surveys.response(201, s.SurveyOut)
    def post(self, data):
        """Create a survey (a draft, version 1); career updates go to mentees and alumni"""
        with uow() as session:
            return service.create_survey(session, current_principal(), data)


@surveys.route("/<uuid:survey_id>")
class SurveyItem(MethodView):
    @require("operator")
    @surveys.response(200, s.SurveyOut)
    def get(self, survey_id: uuid.UUID):
        """One survey with its current questions and the numbers of its versions"""
        with uow() as session:
            return service.get_survey(session, survey_id)

    @require("operator")
    @surveys.arguments(s.SurveyUpdate)
    @surveys.response(200, s.SurveyOut)
    @surveys.alt_response(409, description="survey-closed, or survey-open (audience of an open survey)")
    def patch(self, data, survey_id: uuid.UUID):
        """Edit a survey; changed questions make a new version (assigned versions never change)"""
        with uow() as session:
            return service.update_survey(session, current_principal(), survey_id, data)


@surveys.route("/<uuid:survey_id>/open")
class OpenSurvey(MethodView):
    @require("operator")
    @surveys.response(200, s.SurveyOut)
    @surveys.alt_response(409, description="survey-closed, or career-survey-open (another one is open)")
    def post(self, survey_id: uuid.UUID):
        """Open the survey and assign it to its audience (SurveyAssigned each); again: assigns newcomers only"""
        with uow() as session:
            return service.open_survey(session, current_principal(), survey_id, settings())


@surveys.route("/<uuid:survey_id>/close")
class CloseSurvey(MethodView):
    @require("operator")
    @surveys.response(200, s.SurveyOut)
    def post(self, survey_id: uuid.UUID):
        """Close the survey: no more assignments or responses"""
        with uow() as session:
            return service.close_survey(session, current_principal(), survey_id)


@surveys.route("/<uuid:survey_id>/statistics")
class SurveyStatistics(MethodView):
    @require("operator", "institution_admin")
    @surveys.arguments(s.StatisticsQuery, location="query", unknown=RAISE)
    @surveys.response(200, s.StatisticsOut)
    def get(self, query, survey_id: uuid.UUID):
        """Completion and answers: operators all but names; institution admins their counts (withheld under 3)"""
        with uow() as session:
            return service.statistics(session, current_principal(), survey_id, query.get("institution_id"))


@assignments.route("")
class MyAssignments(MethodView):
    @require(*RESPONDENTS)
    @assignments.arguments(s.AssignmentQuery, location="query", unknown=RAISE)
    @assignments.response(200, s.AssignmentOut(many=True))
    def get(self, query):
        """My surveys: open ones to answer and the ones I answered"""
        with uow() as session:
            return service.my_assignments(session, current_principal(), query.get("status"))


@assignments.route("/<uuid:assignment_id>")
class MyAssignment(MethodView):
    @require(*RESPONDENTS)
    @assignments.response(200, s.AssignmentDetailOut)
    def get(self, assignment_id: uuid.UUID):
        """One of my surveys with the questions of the version assigned to me (and my answers, once given)"""
        with uow() as session:
            return service.my_assignment(session, current_principal(), assignment_id)


@assignments.route("/<uuid:assignment_id>/response")
class MyResponse(MethodView):
    @require(*RESPONDENTS)
    @assignments.arguments(s.ResponseIn)
    @assignments.response(201, s.AssignmentDetailOut)
    @assignments.alt_response(409, description="already-completed or survey-closed")
    def post(self, data, assignment_id: uuid.UUID):
        """Answer the survey, once (SurveyCompleted)"""
        with uow() as session:
            return service.submit_response(session, current_principal(), assignment_id, data["answers"])


@institutions.route("/<uuid:institution_id>/surveys")
class InstitutionSurveys(MethodView):
    @require("institution_admin", "operator")
    @institutions.response(200, s.InstitutionSurveyOut(many=True))
    def get(self, institution_id: uuid.UUID):
        """Surveys that reach the institution, with its completion counts (admins: withheld under 3)"""
        with uow() as session:
            return service.institution_surveys(session, current_principal(), institution_id)
