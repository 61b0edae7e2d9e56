"""The identity HTTP surface: one MethodView per resource, thin. Authentication (`require`) is the
outermost decorator so that it is checked before the body is validated; object-level access is
checked in service.py (an object the caller may not see is a 404)."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Response, after_this_request, current_app, g, request
from flask.views import MethodView
from marshmallow import RAISE

from services.identity import invitation_import, rules
from services.identity import schemas as s
from services.identity import service
from services.identity.models import Institution, SigningKey, User
from services.identity.service import Actor, Context
from shared.app import Blueprint, accepts, db_of
from shared.auth import current_principal, require
from shared.schemas import HIDDEN, shown
from shared.domain_errors import not_found
from shared.errors import Problem, invalid_field

institutions = Blueprint("institutions", __name__, url_prefix="/institutions",
                         description="Subscribing institutions, their R1 mentor minimum and compliance")
invitations = Blueprint("invitations", __name__, url_prefix="/invitations",
                        description="Single-use, expiring invitations: inspect and accept")
nominations = Blueprint("nominations", __name__, url_prefix="/nominations",
                        description="R2 nominations of colleagues by active mentors")
mentees = Blueprint("mentees", __name__, url_prefix="/mentees",
                    description="Mentee admission (R3, R4, R14), approval, exit (R17) and the sensitive profile")
users = Blueprint("users", __name__, url_prefix="/users",
                  description="People: read, deactivate, reinstate; mentor admission basis")
me = Blueprint("me", __name__, url_prefix="/me", description="The signed-in user")
agreements = Blueprint("agreements", __name__, url_prefix="/agreements",
                       description="Versioned mentor and mentee agreements (R5)")
auth = Blueprint("auth", __name__, url_prefix="/auth", description="Sign-in, refresh, sign-out")
wellknown = Blueprint("wellknown", __name__, url_prefix="/.well-known", description="Public keys (JWKS)")
keys = Blueprint("keys", __name__, url_prefix="/keys", description="Signing keys and their rotation")
audit = Blueprint("audit", __name__, url_prefix="/audit", description="Audit log of sensitive reads (§6)")

BLUEPRINTS = [institutions, invitations, nominations, mentees, users, me, agreements, auth, wellknown, keys, audit]


def ctx() -> Context:
    return current_app.extensions["identity"]


def uow():
    return db_of(current_app).unit_of_work()


def actor(session, *, check_agreement: bool = True) -> Actor:
    return service.load_actor(session, current_principal(), check_agreement=check_agreement)


def request_id() -> str | None:
    return g.get("request_id")


def _institution(a: Actor, inst: Institution):
    """The enrollment code only for the institution's admins and operators."""
    return inst if a.manages(inst.id) else shown(inst, enrollment_code=HIDDEN)


# --- institutions -----------------------------------------------------------------------------------------------

@institutions.route("")
class InstitutionCollection(MethodView):
    @require()
    @institutions.response(200, s.InstitutionAdminOut(many=True))
    def get(self):
        """Institutions the caller may see (operators: all; anyone else: their own)"""
        with uow() as session:
            a = actor(session)
            return [_institution(a, i) for i in service.list_institutions(session, a)]

    @require("operator")
    @institutions.arguments(s.InstitutionCreate)
    @institutions.response(201, s.InstitutionAdminOut)
    def post(self, data):
        """Subscribe an institution (InstitutionSubscribed)"""
        with uow() as session:
            return service.create_institution(session, actor(session), data)


@institutions.route("/compliance")
class ComplianceCollection(MethodView):
    @require("operator")
    @institutions.response(200, s.ComplianceOut(many=True))
    def get(self):
        """Every institution's active mentors against its R1 minimum"""
        with uow() as session:
            actor(session)
            return service.all_compliance(session)


@institutions.route("/<uuid:institution_id>")
class InstitutionItem(MethodView):
    @require()
    @institutions.response(200, s.InstitutionAdminOut)
    def get(self, institution_id: uuid.UUID):
        """One institution (the enrollment code only for its admins and operators)"""
        with uow() as session:
            a = actor(session)
            return _institution(a, service.get_institution(session, a, institution_id))

    @require("operator")
    @institutions.arguments(s.InstitutionUpdate)
    @institutions.response(200, s.InstitutionAdminOut)
    def patch(self, data, institution_id: uuid.UUID):
        """Change an institution (operators; InstitutionUpdated). Its admins set its rewards with PUT …/reward-policy"""
        with uow() as session:
            return service.update_institution(session, actor(session), institution_id, data)


@institutions.route("/<uuid:institution_id>/reward-policy")
class InstitutionRewardPolicy(MethodView):
    @require("operator", "institution_admin")
    @institutions.arguments(s.RewardPolicy)
    @institutions.response(200, s.InstitutionAdminOut)
    def put(self, data, institution_id: uuid.UUID):
        """Set the rewards the institution offers its mentors (R15; InstitutionUpdated)

        The whole policy: each reward left out is not offered. Institution admins set their own
        institution's; operators any institution's."""
        with uow() as session:
            return service.set_reward_policy(session, actor(session), institution_id, data)


@institutions.route("/<uuid:institution_id>/compliance")
class InstitutionCompliance(MethodView):
    @require("operator", "institution_admin")
    @institutions.response(200, s.ComplianceOut)
    def get(self, institution_id: uuid.UUID):
        """Active mentors, the R1 minimum and the shortfall"""
        with uow() as session:
            return service.compliance(session, actor(session), institution_id)


@institutions.route("/<uuid:institution_id>/enrollment-code")
class EnrollmentCode(MethodView):
    @require("operator", "institution_admin")
    @institutions.response(200, s.InstitutionAdminOut)
    def post(self, institution_id: uuid.UUID):
        """Replace the mentee enrollment code (the old one stops working)"""
        with uow() as session:
            return service.regenerate_enrollment_code(session, actor(session), institution_id)


def _invitation_created(invitation, token: str):
    """The inviter's view of a new invitation (s.InvitationCreated): the token only with
    IDENTITY_INVITATION_TOKEN_IN_RESPONSE on (tests); otherwise only the e-mail to the invitee carries it."""
    return shown(invitation, token=token if ctx().settings.invitation_token_in_response else HIDDEN)


def _invite(institution_id: uuid.UUID, kind: str, data: dict):
    with uow() as session:
        invitation, token = service.invite(session, ctx(), actor(session), institution_id, kind, **data)
        return _invitation_created(invitation, token)


def _invitations(path: str, kind: str, form, *roles: str):
    """Make the decorated class the resource at `path` that invites one kind of person, its docstring the
    operation's words: the three invitation resources differ only in who may invite, the form and the words."""
    def define(view: type[MethodView]) -> type[MethodView]:
        def post(self, data, institution_id: uuid.UUID):
            return _invite(institution_id, kind, data)

        post.__doc__ = view.__doc__  # before the decorators copy it into the OpenAPI document
        view.post = require(*roles)(institutions.arguments(form)(institutions.response(201, s.InvitationCreated)(post)))
        view.methods = {"POST"}
        return institutions.route(f"/<uuid:institution_id>/{path}")(view)

    return define


@_invitations("admin-invitations", "institution_admin", s.PersonInvite, "operator")
class AdminInvitations(MethodView):
    """Invite an institution admin

    InvitationIssued: the invitee receives the link by e-mail; the response carries the token only
    with IDENTITY_INVITATION_TOKEN_IN_RESPONSE on."""


@_invitations("mentor-invitations", "mentor", s.MentorInvite, "operator", "institution_admin")
class MentorInvitations(MethodView):
    """Invite a mentor on at least one R2 criterion, with an evidence note

    InvitationIssued: the invitee receives the link by e-mail; the response carries the token only
    with IDENTITY_INVITATION_TOKEN_IN_RESPONSE on."""


@_invitations("mentee-invitations", "mentee", s.PersonInvite, "operator", "institution_admin")
class MenteeInvitations(MethodView):
    """Invite a mentee (who then gives a profile and attests eligibility, for approval)

    InvitationIssued: the invitee receives the link by e-mail; the response carries the token only
    with IDENTITY_INVITATION_TOKEN_IN_RESPONSE on."""


def _import_doc(kind: str) -> dict:
    spec = invitation_import.COLUMNS[kind]
    columns = ", ".join(spec["required"]) + (f" and optionally {', '.join(spec['optional'])}"
                                              if spec["optional"] else "")
    example = ("name,email,criteria,evidence\r\nMaya Brooks,maya.brooks@example.edu,"
               "urim_identity;teaching_award,Dean's teaching award 2023\r\n" if kind == "mentor" else
               "name,email\r\nJordan Lee,jordan.lee@example.edu\r\n")
    return {"requestBody": {"required": True, "content": {"text/csv": {
        "schema": {"type": "string", "description": (
            f"A CSV file, UTF-8 (a byte-order mark is fine), comma-separated, at most "
            f"{invitation_import.MAX_ROWS} people and the service's body limit (256 KiB by default; "
            f"beyond it 413). The first row names the columns, in any order: {columns}."
            + (" `criteria` holds one or more of the criteria of a single mentor invitation "
               f"({', '.join(rules.MENTOR_CRITERIA)}) separated by \";\"; `evidence` is the evidence "
               "note; `nominated_by` is the id of the nominating active mentor of the institution, for "
               "nominated_by_current_mentor." if kind == "mentor" else "")
            + " Then one row per person; empty rows are skipped.")},
        "example": example}}},
        "responses": {"422": {"description": (
            "Nothing was imported. `errors` lists every problem: `pointer` #/rows/<row>/<column> (rows "
            "counted as in a spreadsheet, the header being row 1), `row`, `column` and a `detail` to read.")}}}


def _import(institution_id: uuid.UUID, kind: str) -> dict:
    with uow() as session:
        created = service.import_invitations(session, ctx(), actor(session), institution_id, kind,
                                             request.get_data(cache=False))
        invitations = [_invitation_created(inv, token) for inv, token in created]
    return {"kind": kind, "count": len(invitations), "invitations": invitations}


@institutions.route("/<uuid:institution_id>/mentor-invitations/import")
class MentorInvitationImport(MethodView):
    @require("operator", "institution_admin")
    @accepts("text/csv")
    @institutions.doc(**_import_doc("mentor"))
    @institutions.response(201, s.InvitationImportOut)
    def post(self, institution_id: uuid.UUID):
        """Invite many mentors at once from a CSV file, all or none

        Every row is checked as a single mentor invitation would be, and against the rest of the file
        (an e-mail address twice) and the platform (already a member, already invited). If any row is
        wrong nothing is written and the 422 lists every wrong row and field; otherwise every
        invitation is created in one transaction, each with its InvitationIssued event."""
        return _import(institution_id, "mentor")


@institutions.route("/<uuid:institution_id>/mentee-invitations/import")
class MenteeInvitationImport(MethodView):
    @require("operator", "institution_admin")
    @accepts("text/csv")
    @institutions.doc(**_import_doc("mentee"))
    @institutions.response(201, s.InvitationImportOut)
    def post(self, institution_id: uuid.UUID):
        """Invite many mentees at once from a CSV file (columns name, email), all or none

        As the mentor import: every row checked, nothing written unless all are good; each invitation
        with its InvitationIssued event."""
        return _import(institution_id, "mentee")


@institutions.route("/<uuid:institution_id>/invitations")
class InstitutionInvitations(MethodView):
    @require("operator", "institution_admin")
    @institutions.response(200, s.InvitationOut(many=True))
    def get(self, institution_id: uuid.UUID):
        """Invitations of an institution (tokens are never shown again)"""
        with uow() as session:
            return service.list_invitations(session, actor(session), institution_id)


@institutions.route("/<uuid:institution_id>/mentee-applications")
class MenteeApplications(MethodView):
    @require("operator", "institution_admin")
    @institutions.response(200, s.UserOut(many=True))
    def get(self, institution_id: uuid.UUID):
        """Mentees waiting for the institution's decision"""
        with uow() as session:
            a = actor(session)
            service.managed_institution(session, a, institution_id)
            return service.list_users(session, a, {"institution_id": institution_id, "role": "mentee",
                                                   "status": "pending", "limit": 500})


# --- invitations ----------------------------------------------------------------------------------------------------

@invitations.route("/inspect")
class InvitationInspect(MethodView):
    @invitations.arguments(s.TokenIn)
    @invitations.response(200, s.InvitationInspected)
    def post(self, data):
        """What an invitation is for, and the agreement its acceptance accepts"""
        with uow() as session:
            return service.inspect_invitation(session, data["token"])


@invitations.route("/accept")
class InvitationAccept(MethodView):
    @invitations.arguments(s.InvitationAccept)
    @invitations.response(201, s.UserOut)
    def post(self, data):
        """Accept an invitation: set a password, accept the agreement; mentors are enrolled at once
        (MentorEnrolled), mentees wait for their institution's approval"""
        with uow() as session:
            return service.accept_invitation(session, ctx(), data)


@invitations.route("/<uuid:invitation_id>/revoke")
class InvitationRevoke(MethodView):
    @require("operator", "institution_admin")
    @invitations.response(200, s.InvitationOut)
    def post(self, invitation_id: uuid.UUID):
        """Revoke a pending invitation"""
        with uow() as session:
            return service.revoke_invitation(session, actor(session), invitation_id)


# --- nominations -------------------------------------------------------------------------------------------------------

@nominations.route("")
class NominationCollection(MethodView):
    @require("mentor")
    @nominations.arguments(s.NominationIn)
    @nominations.response(201, s.NominationOut)
    def post(self, data):
        """An active mentor nominates a colleague (R2)"""
        with uow() as session:
            return service.nominate(session, actor(session), data["name"], data["email"], data["evidence"])

    @require("mentor", "institution_admin", "operator")
    @nominations.arguments(s.NominationQuery, location="query", unknown=RAISE)
    @nominations.response(200, s.NominationOut(many=True))
    def get(self, query):
        """Nominations: a mentor's own; an admin's institution's; operators all"""
        with uow() as session:
            return service.list_nominations(session, actor(session), query.get("institution_id"), query.get("status"))


@nominations.route("/<uuid:nomination_id>/approve")
class NominationApprove(MethodView):
    @require("institution_admin", "operator")
    @nominations.arguments(s.NoteIn)
    @nominations.response(201, s.NominationApproved)
    def post(self, data, nomination_id: uuid.UUID):
        """Approve a nomination into a mentor invitation

        InvitationIssued: the nominee receives the link by e-mail; the response carries the token only
        with IDENTITY_INVITATION_TOKEN_IN_RESPONSE on."""
        with uow() as session:
            nomination, invitation, token = service.approve_nomination(session, ctx(), actor(session),
                                                                       nomination_id, data.get("note"))
            return {"nomination": nomination, "invitation": _invitation_created(invitation, token)}


@nominations.route("/<uuid:nomination_id>/decline")
class NominationDecline(MethodView):
    @require("institution_admin", "operator")
    @nominations.arguments(s.NoteIn)
    @nominations.response(200, s.NominationOut)
    def post(self, data, nomination_id: uuid.UUID):
        """Decline a nomination"""
        with uow() as session:
            return service.decline_nomination(session, actor(session), nomination_id, data.get("note"))


# --- mentees ----------------------------------------------------------------------------------------------------------------

@mentees.route("/registrations")
class MenteeRegistrations(MethodView):
    @mentees.arguments(s.MenteeRegistration)
    @mentees.response(201, s.UserOut)
    def post(self, data):
        """Self-registration with the institution's enrollment code; waits for approval"""
        with uow() as session:
            return service.register_mentee(session, ctx(), data)


@mentees.route("/<uuid:user_id>/approve")
class MenteeApprove(MethodView):
    @require("institution_admin", "operator")
    @mentees.arguments(s.NoteIn)
    @mentees.response(200, s.UserOut)
    def post(self, data, user_id: uuid.UUID):
        """Approve a mentee: enrolled (MenteeEnrolled)"""
        with uow() as session:
            return service.decide_mentee(session, actor(session), user_id, True, data.get("note"))


@mentees.route("/<uuid:user_id>/decline")
class MenteeDecline(MethodView):
    @require("institution_admin", "operator")
    @mentees.arguments(s.NoteIn)
    @mentees.response(200, s.UserOut)
    def post(self, data, user_id: uuid.UUID):
        """Decline a mentee application"""
        with uow() as session:
            return service.decide_mentee(session, actor(session), user_id, False, data.get("note"))


@mentees.route("/<uuid:user_id>/exit")
class MenteeExit(MethodView):
    @require("institution_admin", "operator")
    @mentees.arguments(s.ExitIn)
    @mentees.response(200, s.UserOut)
    def post(self, data, user_id: uuid.UUID):
        """Mark a mentee as exited: graduated or left (MenteeExited)"""
        with uow() as session:
            return service.exit_mentee(session, actor(session), user_id, data["reason"])


@mentees.route("/<uuid:user_id>/profile")
class MenteeProfile(MethodView):
    @require()
    @mentees.arguments(s.PurposeQuery, location="query", unknown=RAISE)
    @mentees.response(200, s.MenteeProfileOut)
    def get(self, query, user_id: uuid.UUID):
        """Sensitive: demographics, contact and eligibility basis. The mentee, their institution's
        admins and operators only; every read is written to the audit log."""
        with uow() as session:
            user, profile = service.read_mentee_profile(session, actor(session), user_id, query.get("reason"),
                                                        request_id())
            return {"user_id": user.id, "institution_id": user.institution_id, "name": user.name,
                    "email": user.email, "status": user.status, "demographics": profile.demographics,
                    "contact": profile.contact, "eligibility": profile.eligibility,
                    "attested_at": profile.attested_at, "admitted_via": profile.admitted_via,
                    "decided_at": profile.decided_at}


@mentees.route("/<uuid:user_id>/eligibility")
class MenteeEligibility(MethodView):
    @require("institution_admin", "operator")
    @mentees.arguments(s.PurposeQuery, location="query", unknown=RAISE)
    @mentees.response(200, s.MenteeEligibilityOut)
    def get(self, query, user_id: uuid.UUID):
        """Sensitive, for the R4 review of an application: only the eligibility basis the mentee attested
        (no demographics, no contact). Their institution's admins and operators; every read is written to
        the audit log (record mentee_eligibility)."""
        with uow() as session:
            user, profile = service.read_mentee_profile(session, actor(session), user_id, query.get("reason"),
                                                        request_id(), record="mentee_eligibility")
            return {"user_id": user.id, "institution_id": user.institution_id, "name": user.name,
                    "status": user.status, "eligibility": profile.eligibility,
                    "attested_at": profile.attested_at, "admitted_via": profile.admitted_via}


# --- me -----------------------------------------------------------------------------------------------------------------------

@me.route("")
class Me(MethodView):
    @require()
    @me.response(200, s.MeOut)
    def get(self):
        """The signed-in user and the state of their agreement"""
        with uow() as session:
            return service.me(session, actor(session, check_agreement=False))


@me.route("/agreements")
class MyAgreements(MethodView):
    @require("mentor", "mentee")
    @me.arguments(s.AgreementAcceptIn)
    @me.response(201, s.AcceptanceOut)
    def post(self, data):
        """Accept the current version of your role's agreement"""
        with uow() as session:
            a = actor(session, check_agreement=False)
            return service.accept_agreement(session, session.get(User, a.id), data["version"])


@me.route("/profile")
class MyProfile(MethodView):
    @require("mentee")
    @me.arguments(s.MenteeProfileUpdate)
    @me.response(204)
    def put(self, data):
        """Update your own demographics and contact (eligibility is attested once, at admission)"""
        with uow() as session:
            service.update_own_profile(session, actor(session), data)


# --- users -----------------------------------------------------------------------------------------------------------------------

@users.route("")
class UserCollection(MethodView):
    @require("institution_admin", "operator")
    @users.arguments(s.UserQuery, location="query", unknown=RAISE)
    @users.response(200, s.UserOut(many=True))
    def get(self, query):
        """People of the caller's institution (operators: of any institution)"""
        with uow() as session:
            return service.list_users(session, actor(session), query)


@users.route("/<uuid:user_id>")
class UserItem(MethodView):
    @require()
    @users.response(200, s.UserOut)
    def get(self, user_id: uuid.UUID):
        """One person: yourself; admins their institution's people; operators anyone"""
        with uow() as session:
            return service.get_user(session, actor(session), user_id)


@users.route("/<uuid:user_id>/deactivate")
class UserDeactivate(MethodView):
    @require("institution_admin", "operator")
    @users.arguments(s.ReasonIn)
    @users.response(200, s.UserOut)
    def post(self, data, user_id: uuid.UUID):
        """Deactivate an account (UserDeactivated); its refresh tokens are revoked"""
        with uow() as session:
            return service.deactivate_user(session, actor(session), user_id, data["reason"])


@users.route("/<uuid:user_id>/reinstate")
class UserReinstate(MethodView):
    @require("operator")
    @users.arguments(s.ReasonIn)
    @users.response(200, s.UserOut)
    def post(self, data, user_id: uuid.UUID):
        """Reinstate an ejected mentor (MentorReinstated)"""
        with uow() as session:
            return service.reinstate_mentor(session, actor(session), user_id, data["reason"])


@users.route("/<uuid:user_id>/admission")
class MentorAdmission(MethodView):
    @require()
    @users.arguments(s.PurposeQuery, location="query", unknown=RAISE)
    @users.response(200, s.MentorAdmissionOut)
    def get(self, query, user_id: uuid.UUID):
        """The R2 basis of a mentor's admission (audited read): the mentor, their admins, operators"""
        with uow() as session:
            user, admissions = service.read_mentor_admission(session, actor(session), user_id,
                                                             query.get("reason"), request_id())
            return {"user_id": user.id, "institution_id": user.institution_id, "admissions": admissions}


# --- agreements ---------------------------------------------------------------------------------------------------------------------

@agreements.route("/<any(mentor, mentee):role>")
class AgreementVersions(MethodView):
    @agreements.response(200, s.AgreementOut(many=True))
    def get(self, role: str):
        """Every version of a role's agreement, newest first"""
        with uow() as session:
            return service.list_agreements(session, role)

    @require("operator")
    @agreements.arguments(s.AgreementIn)
    @agreements.response(201, s.AgreementOut)
    def post(self, data, role: str):
        """Publish a new version: users of the role must accept it before they act again"""
        with uow() as session:
            return service.publish_agreement(session, actor(session), role, data["title"], data["body"])


@agreements.route("/<any(mentor, mentee):role>/current")
class AgreementCurrent(MethodView):
    @agreements.response(200, s.AgreementOut)
    def get(self, role: str):
        """The current version of a role's agreement"""
        with uow() as session:
            agreement = service.current_agreement(session, role)
            if agreement is None:
                raise not_found("agreement")
            return agreement


# --- auth ----------------------------------------------------------------------------------------------------------------------------

def _finish(result: service.SignInResult):
    if result.refusal is not None:
        raise result.refusal
    return result.body


# Browsers keep the refresh token in this cookie: HttpOnly (no script reads it), SameSite=Strict (no
# other site's page sends it), limited to the auth paths, Secure except on plain-http loopback (the
# local run). Other clients keep receiving and sending it in JSON bodies.
REFRESH_COOKIE = "mmm_refresh"
REFRESH_COOKIE_PATH = "/api/v1/identity/auth"
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _plain_http_loopback() -> bool:
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip().lower()
    return scheme == "http" and (request.host.rsplit(":", 1)[0] if not request.host.startswith("[")
                                 else request.host.split("]")[0] + "]") in _LOOPBACK


def _with_cookie(body: dict | None = None, *, clear: bool = False) -> dict | None:
    """The tokens, the refresh token moved from the body into the cookie (or the cookie cleared). The
    body still goes out through the view's response schema; the cookie is set on the response it makes."""
    body = dict(body or {})
    token = body.pop("refresh_token", None)
    secure = not _plain_http_loopback()

    @after_this_request
    def _cookie(response: Response) -> Response:
        response.set_cookie(REFRESH_COOKIE, "" if clear else token,
                            max_age=0 if clear else body["refresh_expires_in"], path=REFRESH_COOKIE_PATH,
                            secure=secure, httponly=True, samesite="Strict")
        response.headers["Cache-Control"] = "no-store"
        return response

    return None if clear else body


def _refresh_token(data: dict) -> str | None:
    return data.get("refresh_token") or request.cookies.get(REFRESH_COOKIE) or None


def _no_refresh_token() -> Problem:
    return invalid_field("Send the refresh token (or sign in again: no refresh cookie was sent).",
                         pointer="refresh_token")


@auth.route("/token")
class Token(MethodView):
    @auth.arguments(s.SignIn)
    @auth.response(200, s.TokensOut)
    def post(self, data):
        """Sign in with e-mail and password: an EdDSA access token (15 minutes) and a rotating refresh
        token — in the body, or with `refresh_in: "cookie"` in an HttpOnly cookie. When a newer
        agreement awaits acceptance the answer is 403 agreement-required: sign in again with
        `accept_agreement_version`."""
        with uow() as session:
            result = service.sign_in(session, ctx(), data["email"], data["password"],
                                     data.get("accept_agreement_version"))
        body = _finish(result)
        return _with_cookie(body) if data["refresh_in"] == "cookie" else body


@auth.route("/refresh")
class Refresh(MethodView):
    @auth.arguments(s.RefreshIn)
    @auth.response(200, s.TokensOut)
    def post(self, data):
        """Exchange a refresh token (in the body, or the browser's cookie) for new tokens, returned the
        same way; reusing an old one revokes its whole family"""
        token = _refresh_token(data)
        if token is None:
            raise _no_refresh_token()
        with uow() as session:
            result = service.refresh(session, ctx(), token, data.get("accept_agreement_version"))
        body = _finish(result)
        return body if data.get("refresh_token") else _with_cookie(body)


@auth.route("/signout")
class SignOut(MethodView):
    @auth.arguments(s.SignOutIn)
    @auth.response(204)
    def post(self, data):
        """Sign out: the refresh token's family is revoked (and a browser's cookie cleared)"""
        token = _refresh_token(data)
        if token is None:
            raise _no_refresh_token()
        with uow() as session:
            service.sign_out(session, token)
        if not data.get("refresh_token"):
            return _with_cookie(clear=True)


@wellknown.route("/jwks.json")
class Jwks(MethodView):
    @wellknown.response(200, s.JwksOut)
    def get(self):
        """The public keys that verify access tokens (the active one and recently retired ones)"""
        with uow() as session:
            ctx().keyring.active(session)  # a fresh installation gets its first key here
            body = ctx().keyring.jwks(session)
        return body, 200, {"Cache-Control": "public, max-age=60"}


@keys.route("")
class KeyCollection(MethodView):
    @require("operator")
    @keys.response(200, s.SigningKeyOut(many=True))
    def get(self):
        """Signing keys (public metadata only)"""
        with uow() as session:
            actor(session)
            return list(session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at.desc())))


@keys.route("/rotate")
class KeyRotate(MethodView):
    @require("operator")
    @keys.response(201, s.SigningKeyOut)
    def post(self):
        """Start a new signing key; the old one verifies its tokens until they expire"""
        with uow() as session:
            actor(session)
            return ctx().keyring.rotate(session)


@audit.route("/sensitive-reads")
class SensitiveReads(MethodView):
    @require("operator")
    @audit.arguments(s.SensitiveReadQuery, location="query", unknown=RAISE)
    @audit.response(200, s.SensitiveReadOut(many=True))
    def get(self, query):
        """Who read whose sensitive record, when and why"""
        with uow() as session:
            actor(session)
            return service.list_sensitive_reads(session, query)
