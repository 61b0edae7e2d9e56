"""Use cases of research data requests (R16). Each takes a session and the caller; object-level access
is checked here (a request the caller may not see is a 404), and every step is written to the research
audit log in the same transaction as the step itself.

Approval makes the export synchronously, in the decision's transaction (export.build reads a few
columns of the read models; the datasets are small): an approved request always has its export, and a
failed export leaves the request undecided.

Downloads: a link is a random token (only its SHA-256 is stored) that expires after
settings.download_ttl and serves one download; the download also needs the requester's own access
token. A refused download is audited in a transaction of its own (`record_refusal`), since the
refusing one rolls back.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import orm

from services.evaluation.research import export as export_module
from services.evaluation.research.models import AuditEntry, DataRequest, DownloadLink, Export
from shared.auth import Principal, visible_or_404
from shared.domain_errors import Refused, not_found
from shared.events import record_event


def now() -> datetime:
    return datetime.now(timezone.utc)


def audit(session: orm.Session, principal: Principal, action: str, *, request_id: uuid.UUID | None = None,
          export_id: uuid.UUID | None = None, detail: str | None = None, at: datetime | None = None) -> None:
    session.add(AuditEntry(at=at or now(), actor_id=principal.id, actor_role=principal.role, action=action,
                           request_id=request_id, export_id=export_id, detail=detail))


# --- requests -----------------------------------------------------------------------------------------------------

def submit(session: orm.Session, principal: Principal, data: dict) -> DataRequest:
    """Any signed-in user asks for research data; the request waits for an operator's decision."""
    req = DataRequest(id=uuid.uuid4(), requester_id=principal.id, requester_role=principal.role,
                      requester_institution_id=principal.institution_id, title=data["title"].strip(),
                      purpose=data["purpose"].strip(), irb_status=data["irb_status"],
                      irb_number=(data.get("irb_number") or "").strip() or None, datasets=list(data["datasets"]),
                      period_start=data["period_start"], period_end=data["period_end"], status="submitted",
                      created_at=now(), export=None)  # loaded (none yet): the response is dumped after commit
    session.add(req)
    session.flush()
    audit(session, principal, "request_submitted", request_id=req.id, at=req.created_at,
          detail="datasets: " + ", ".join(req.datasets))
    return req


def _visible(req: DataRequest | None, principal: Principal) -> bool:
    return req is not None and (principal.is_operator or req.requester_id == principal.id)


def get_request(session: orm.Session, principal: Principal, request_id: uuid.UUID, *,
                lock: bool = False) -> DataRequest:
    req = session.get(DataRequest, request_id, with_for_update=lock or None)
    visible_or_404(_visible(req, principal), "data request")
    return req


def list_requests(session: orm.Session, principal: Principal, query: dict) -> list[DataRequest]:
    """Operators see every request; anyone else their own. Newest first."""
    stmt = sa.select(DataRequest)
    if not principal.is_operator:
        stmt = stmt.where(DataRequest.requester_id == principal.id)
    if query.get("status"):
        stmt = stmt.where(DataRequest.status == query["status"])
    stmt = stmt.order_by(DataRequest.created_at.desc(), DataRequest.id).limit(query["limit"]).offset(query["offset"])
    return list(session.scalars(stmt))


def decide(session: orm.Session, principal: Principal, request_id: uuid.UUID, decision: str,
           reason: str) -> DataRequest:
    """An operator approves or denies once (DataRequestDecided); approval makes the export. The row lock
    makes two operators deciding at once decide once: the second gets 409."""
    req = get_request(session, principal, request_id, lock=True)
    if req.status != "submitted":
        raise Refused("already-decided", f"This request was already {req.status}.")
    if req.requester_id == principal.id:
        raise Refused("own-request", "Another operator must decide a request of yours.")
    at = now()
    req.status, req.decided_by, req.decided_at, req.reason = decision, principal.id, at, reason.strip()
    record_event(session, "DataRequestDecided", {
        "request_id": req.id, "requester_id": req.requester_id, "title": req.title, "decision": decision,
        "reason": req.reason, "decided_at": at}, subject=f"data-requests/{req.id}")
    audit(session, principal, "request_decided", request_id=req.id, detail=decision, at=at)
    if decision == "approved":
        content, counts = export_module.build(session, req)
        exp = Export(id=uuid.uuid4(), request_id=req.id, created_at=at, media_type=export_module.MEDIA_TYPE,
                     content=content, size_bytes=len(content), row_counts=counts)
        session.add(exp)
        session.flush()
        req.export = exp
        audit(session, principal, "export_created", request_id=req.id, export_id=exp.id, at=at,
              detail="rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return req


# --- downloads ------------------------------------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(session: orm.Session, ttl: timedelta, principal: Principal, request_id: uuid.UUID
                ) -> tuple[str, DownloadLink]:
    """A one-time link for the requester of an approved request; the token is returned once, never stored."""
    req = get_request(session, principal, request_id)
    if req.requester_id != principal.id:
        raise Refused("not-requester", "Only the requester may download the export.")
    if req.status != "approved" or req.export is None:
        raise Refused("not-approved", f"The request is {req.status}: only an approved request has an export.")
    token, at = secrets.token_urlsafe(32), now()
    link = DownloadLink(token_hash=_hash(token), export_id=req.export.id, created_by=principal.id, created_at=at,
                        expires_at=at + ttl)
    session.add(link)
    audit(session, principal, "download_link_created", request_id=req.id, export_id=req.export.id, at=at,
          detail=f"expires {link.expires_at.isoformat()}")
    return token, link


class DownloadRefused(Exception):
    """A download refused: the refusal for the caller and what the audit log says of it."""

    def __init__(self, refusal: Refused, request_id: uuid.UUID, detail: str, export_id: uuid.UUID | None = None):
        super().__init__(detail)
        self.refusal, self.request_id, self.detail, self.export_id = refusal, request_id, detail, export_id


def download(session: orm.Session, principal: Principal, request_id: uuid.UUID, token: str) -> Export:
    """The export, once per link, to its requester only. Another user gets 404 as if there were no such
    request; an unknown token 404; a used or expired link 410. The link row is locked, so two downloads
    with one token serve one."""
    req = session.get(DataRequest, request_id)
    if req is None or req.requester_id != principal.id:
        raise DownloadRefused(not_found("data request"), request_id,
                              "no such request" if req is None else "not the requester")
    exp = req.export
    link = None if exp is None else session.scalar(
        sa.select(DownloadLink).where(DownloadLink.token_hash == _hash(token), DownloadLink.export_id == exp.id)
        .with_for_update())
    if link is None:
        raise DownloadRefused(not_found("download link"), request_id, "unknown link", exp.id if exp else None)
    at = now()
    if link.used_at is not None:
        raise DownloadRefused(Refused("link-used", "This link was used; ask for a new one."), request_id,
                              "link already used", exp.id)
    if link.expires_at <= at:
        raise DownloadRefused(Refused("link-expired", "This link has expired; ask for a new one."), request_id,
                              "link expired", exp.id)
    link.used_at = at
    audit(session, principal, "export_downloaded", request_id=req.id, export_id=exp.id, at=at,
          detail=f"{exp.size_bytes} bytes")
    return exp


def record_refusal(session: orm.Session, principal: Principal, refused: DownloadRefused) -> None:
    audit(session, principal, "download_refused", request_id=refused.request_id, export_id=refused.export_id,
          detail=refused.detail)


# --- audit ------------------------------------------------------------------------------------------------------------

def audit_log(session: orm.Session, query: dict) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry)
    if query.get("request_id"):
        stmt = stmt.where(AuditEntry.request_id == query["request_id"])
    if query.get("action"):
        stmt = stmt.where(AuditEntry.action == query["action"])
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(query["limit"]).offset(query["offset"])))
