"""The directory HTTP surface: one MethodView per resource, thin. Authentication (`require`) is the
outermost decorator so that it is checked before the body is validated; object-level access is
checked in service.py (what the caller may not see is a 404)."""
from __future__ import annotations

import uuid

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import RAISE

from services.directory import rules, service
from services.directory import schemas as s
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require

mentors = Blueprint("mentors", __name__, url_prefix="/mentors",
                    description="Search published mentor profiles (R8, R10) and read one")
me = Blueprint("me", __name__, url_prefix="/me", description="The signed-in mentor's own profile (R9)")
institutions = Blueprint("institutions", __name__, url_prefix="/institutions",
                         description="An institution's mentors, their profile completeness and publication")
vocabulary = Blueprint("vocabulary", __name__, url_prefix="/specialties",
                       description="The controlled list of medical specialties")

BLUEPRINTS = [mentors, me, institutions, vocabulary]


def uow():
    return db_of(current_app).unit_of_work()


def _json(body: str, status: int = 200, **headers) -> Response:
    return Response(body, status=status, mimetype="application/json", headers=headers)


@mentors.route("")
class MentorSearch(MethodView):
    @require()
    @mentors.arguments(s.SearchQuery(), location="query", unknown=RAISE)
    @mentors.response(200, s.SearchOut)
    def get(self, query):
        """Search published mentors: free text, filters, facet counts, ranked (see the ranking formula);
        local-scope mentors only for callers of their institution"""
        p = current_principal()
        answer = current_app.extensions["directory"]["search"].search(query, p.institution_id, p.is_operator)
        headers = {"X-Search-Cache": "hit" if answer.remembered else "miss", "Vary": "Accept-Encoding"}
        if request.accept_encodings["gzip"]:  # kept gzipped: sent as it is (the gateway passes it on)
            return Response(answer.gzipped, mimetype="application/json",
                            headers={**headers, "Content-Encoding": "gzip"})
        return _json(answer.body, **headers)


@mentors.route("/<uuid:mentor_id>")
class MentorItem(MethodView):
    @require()
    @mentors.response(200, s.PublicProfileOut)
    def get(self, mentor_id: uuid.UUID):
        """A published mentor profile (404 when it is not published or not visible to the caller)"""
        with uow() as session:
            return _json(service.public_profile(session, current_principal(), mentor_id))


@me.route("/profile")
class OwnProfile(MethodView):
    @require("mentor")
    @me.response(200, s.OwnProfileOut)
    def get(self):
        """My profile, its completeness and what publishing still needs"""
        with uow() as session:
            return service.own_profile(session, current_principal())

    @require("mentor")
    @me.arguments(s.ProfileUpdate)
    @me.response(200, s.OwnProfileOut)
    def patch(self, data):
        """Change my profile (MentorProfilePublished again when a published profile changes scope)"""
        with uow() as session:
            return service.update_profile(session, current_principal(), data)


@me.route("/profile/publish")
class Publish(MethodView):
    @require("mentor")
    @me.arguments(s.PublishIn)
    @me.response(200, s.OwnProfileOut)
    def post(self, data):
        """Publish my profile: consent to be searched (R9; needs the required fields, completed
        training and an active mentor) — MentorProfilePublished"""
        with uow() as session:
            return service.publish(session, current_principal(), data["consent_to_search"])


@me.route("/profile/unpublish")
class Unpublish(MethodView):
    @require("mentor")
    @me.response(200, s.OwnProfileOut)
    def post(self):
        """Leave search at once (MentorProfileUnpublished)"""
        with uow() as session:
            return service.unpublish(session, current_principal())


@institutions.route("/<uuid:institution_id>/mentors")
class InstitutionMentors(MethodView):
    @require("institution_admin", "operator")
    @institutions.arguments(s.InstitutionMentorsQuery, location="query", unknown=RAISE)
    @institutions.response(200, s.InstitutionMentorOut(many=True))
    def get(self, query, institution_id: uuid.UUID):
        """The institution's mentors with profile completeness and publication state"""
        with uow() as session:
            return service.institution_mentors(session, current_principal(), institution_id, query)


@vocabulary.route("")
class Specialties(MethodView):
    @vocabulary.response(200, s.SpecialtiesOut)
    def get(self):
        """The controlled list of medical specialties a profile chooses from"""
        return {"specialties": list(rules.specialties())}
