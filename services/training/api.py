"""The training HTTP surface: one MethodView per resource, thin. `require` is the outermost decorator
(authentication before body validation); object-level access is checked in service.py (what a caller
may not see is a 404)."""
from __future__ import annotations

import uuid

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE

from services.training import certificates, service
from services.training import schemas as s
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require

modules = Blueprint("modules", __name__, url_prefix="/modules",
                    description="The learner's way: my track's modules, knowledge checks, attestations (R6)")
me = Blueprint("me", __name__, url_prefix="/me", description="My training status and my CME credits (R7)")
certificates_bp = Blueprint("certificates", __name__, url_prefix="/certificates",
                            description="Public verification of CME certificate codes (no sign-in)")
authoring = Blueprint("authoring", __name__, url_prefix="/authoring/modules",
                      description="Operators author modules; editing a published module makes a new version")
institutions = Blueprint("institutions", __name__, url_prefix="/institutions",
                         description="An institution's training completion (its admins and operators)")

BLUEPRINTS = [modules, me, certificates_bp, authoring, institutions]

LEARNERS = ("mentor", "mentee")


def uow():
    return db_of(current_app).unit_of_work()


# --- the learner's way ------------------------------------------------------------------------------------------

@modules.route("")
class ModuleCollection(MethodView):
    @require(*LEARNERS)
    @modules.response(200, s.ModuleOut(many=True))
    def get(self):
        """My track's published modules, in order, with my progress"""
        with uow() as session:
            return service.my_modules(session, current_principal())


@modules.route("/<uuid:module_id>")
class ModuleItem(MethodView):
    @require(*LEARNERS)
    @modules.response(200, s.ModuleDetailOut)
    def get(self, module_id: uuid.UUID):
        """Open a module: its body (safe HTML) and its knowledge check's questions (never the answers)"""
        with uow() as session:
            return service.open_module(session, current_principal(), module_id)


@modules.route("/<uuid:module_id>/check")
class KnowledgeCheck(MethodView):
    @require(*LEARNERS)
    @modules.arguments(s.CheckIn)
    @modules.response(200, s.CheckOut)
    def post(self, data, module_id: uuid.UUID):
        """Submit answers to the module's knowledge check (one choice index per question): score and pass"""
        with uow() as session:
            return service.submit_check(session, current_principal(), module_id, data["version"], data["answers"])


@modules.route("/<uuid:module_id>/attestation")
class Attestation(MethodView):
    @require(*LEARNERS)
    @modules.arguments(s.AttestationIn)
    @modules.response(201, s.ModuleOut)
    @modules.alt_response(200, schema=s.ModuleOut, description="Attested before: the first attestation")
    @modules.alt_response(409, description="knowledge-check-not-passed, module-version-outdated or not-enrolled")
    def post(self, data, module_id: uuid.UUID):
        """Attest "I completed this module" (TrainingModuleCompleted; CmeCreditAwarded for credit-bearing
        mentor modules; TrainingCompleted once every required module is attested)"""
        with uow() as session:
            out, created = service.attest(session, current_principal(), module_id, data["version"])
        return out, 201 if created else 200


# --- me -----------------------------------------------------------------------------------------------------------------

@me.route("/training")
class MyTraining(MethodView):
    @require(*LEARNERS)
    @me.response(200, s.MyTrainingOut)
    def get(self):
        """My track, its curriculum version, what is still required, and whether my training is complete"""
        with uow() as session:
            return service.my_training(session, current_principal())


@me.route("/cme")
class MyCme(MethodView):
    @require("mentor")
    @me.response(200, s.MyCmeOut)
    def get(self):
        """My CME credits and their total hours"""
        with uow() as session:
            return service.my_cme(session, current_principal())


@me.route("/cme/<uuid:certificate_id>/certificate")
class MyCertificate(MethodView):
    @require("mentor", "operator")
    @me.doc(responses={"200": {"description": "The certificate",
                               "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, certificate_id: uuid.UUID):
        """A CME certificate as PDF (its owner; operators)"""
        with uow() as session:
            cert = service.certificate_of(session, current_principal(), certificate_id)
            body = certificates.render(cert)
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="cme-{cert.code}.pdf"'})


# --- public verification -------------------------------------------------------------------------------------------------

@certificates_bp.route("/<string:code>")
class CertificateVerification(MethodView):
    @certificates_bp.response(200, s.VerificationOut)
    @certificates_bp.alt_response(404, description="No certificate has this code")
    def get(self, code: str):
        """Verify a certificate code: shows only what the certificate shows (name, module, hours, date)"""
        with uow() as session:
            return service.verify_certificate(session, code)


# --- authoring -----------------------------------------------------------------------------------------------------------------

@authoring.route("")
class AuthoredModules(MethodView):
    @require("operator")
    @authoring.arguments(s.TrackQuery, location="query", unknown=RAISE)
    @authoring.response(200, s.AuthoredModuleOut(many=True))
    def get(self, query):
        """Every module with every version, drafts and answers included"""
        with uow() as session:
            return service.list_authored(session, query.get("track"))

    @require("operator")
    @authoring.arguments(s.ModuleCreate)
    @authoring.response(201, s.AuthoredModuleOut)
    def post(self, data):
        """Create a module (version 1, a draft until published)"""
        with uow() as session:
            return service.create_module(session, current_principal(), data)


@authoring.route("/<uuid:module_id>")
class AuthoredModule(MethodView):
    @require("operator")
    @authoring.response(200, s.AuthoredModuleOut)
    def get(self, module_id: uuid.UUID):
        """One module with every version"""
        with uow() as session:
            return service.authored(session, module_id)

    @require("operator")
    @authoring.arguments(s.ModuleUpdate)
    @authoring.response(200, s.AuthoredModuleOut)
    def patch(self, data, module_id: uuid.UUID):
        """Edit the draft; editing a published version makes a new draft version"""
        with uow() as session:
            return service.edit_module(session, current_principal(), module_id, data)


@authoring.route("/<uuid:module_id>/publish")
class PublishModule(MethodView):
    @require("operator")
    @authoring.response(200, s.AuthoredModuleOut)
    def post(self, module_id: uuid.UUID):
        """Publish the latest draft: learners take it from now on (a new curriculum version when the set
        of required modules changes)"""
        with uow() as session:
            return service.publish_module(session, current_principal(), module_id)


# --- institution admins ----------------------------------------------------------------------------------------------------------

@institutions.route("/<uuid:institution_id>/training")
class InstitutionTraining(MethodView):
    @require("institution_admin", "operator")
    @institutions.response(200, s.InstitutionTrainingOut)
    def get(self, institution_id: uuid.UUID):
        """Training completion of the institution's mentors and mentees: counts, and who is still missing"""
        with uow() as session:
            return service.institution_training(session, current_principal(), institution_id)
