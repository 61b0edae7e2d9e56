"""Periodic jobs of the notifications service, each safe with several worker replicas:

- feed.sequence: positions for new feed events and their webhook deliveries (one sequencer at a time,
  by an advisory lock).
- email.send: queued mails over SMTP; retries with exponential backoff, then `failed`.
- webhook.deliver: due deliveries, concurrently; retries with exponential backoff for at least
  NOTIFICATIONS_WEBHOOK_RETRY_FOR; a subscription failing for NOTIFICATIONS_WEBHOOK_DISABLE_AFTER is
  disabled and its institution's admins are told.

Mails and deliveries are claimed with a lease (FOR UPDATE SKIP LOCKED, then `leased_until`), sent
outside any transaction, and their outcome recorded afterwards; a worker killed mid-send leaves a lease
that runs out, and the item is sent again (at least once: Message-ID and webhook-id stay the same, so
receivers can drop repeats).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import sqlalchemy as sa
from prometheus_client import Counter

from services.notifications import messages, rules, senders, service
from services.notifications.models import (
    Email, FeedEvent, WebhookAttempt, WebhookSubscription,
)
from services.notifications.settings import Settings
from shared.db import Database
from shared.jobs import Job

log = logging.getLogger(__name__)

EMAILS = Counter("mmm_notifications_emails_total", "Mails handed to SMTP, by outcome", ["outcome"])
WEBHOOK_ATTEMPTS = Counter("mmm_notifications_webhook_attempts_total", "Webhook delivery attempts, by outcome",
                           ["outcome"])

RUN_BUDGET = 20.0  # seconds one run may keep going while work is due


def sequence_feed(database: Database, settings: Settings | None = None) -> int:
    total = 0
    while True:
        with database.unit_of_work() as session:
            n = service.sequence_feed(session)
        total += n
        if n < 5000:
            return total


# --- e-mail ---------------------------------------------------------------------------------------------

# A mail written while its recipient was unknown waits for the address, which the enrollment fills in. When
# the two are handled at once (two consumers), the enrollment's UPDATE cannot see the mail's uncommitted
# row: the sender looks up the addresses of waiting mails itself, so that none waits forever.
_ADDRESS_WAITING = sa.text(
    "UPDATE emails e SET to_address = r.email FROM recipients r "
    "WHERE e.to_address IS NULL AND e.status = 'queued' AND r.user_id = e.user_id AND r.email IS NOT NULL")


def _claim_emails(database: Database, limit: int, lease: timedelta) -> list[Email]:
    with database.unit_of_work() as session:
        ids = session.scalars(
            sa.select(Email.id).where(Email.status == "queued", Email.to_address.is_not(None),
                                      Email.next_attempt_at <= sa.func.now(),
                                      sa.or_(Email.leased_until.is_(None), Email.leased_until < sa.func.now()))
            .order_by(Email.next_attempt_at).limit(limit).with_for_update(skip_locked=True)).all()
        if not ids:
            return []
        return list(session.scalars(sa.update(Email).where(Email.id.in_(ids))
                                    .values(leased_until=sa.func.now() + lease).returning(Email)))


def send_emails(database: Database, settings: Settings) -> int:
    started, sent = time.monotonic(), 0
    with database.unit_of_work() as session:
        session.execute(_ADDRESS_WAITING)
    while time.monotonic() - started < RUN_BUDGET:
        batch = _claim_emails(database, 50, settings.send_lease)
        if not batch:
            break
        outcomes: dict[uuid.UUID, tuple[str, str | None]] = {}
        try:
            with senders.Mailer(settings) as mailer:
                for mail in batch:
                    if mail.text_body is None:  # rendered now, from the context kept at the event
                        rendered = messages.render(mail.category, mail.context)
                        mail.text_body, mail.html_body = rendered.text, rendered.html
                    msg = senders.build_message(settings, mail.id, mail.to_address, mail.subject, mail.text_body,
                                                mail.html_body)
                    try:
                        mailer.send(msg)
                        outcomes[mail.id] = ("sent", None)
                    except senders.PermanentMailError as exc:
                        outcomes[mail.id] = ("failed", str(exc)[:500])
        except (OSError, senders.smtplib.SMTPException) as exc:
            # The server is unreachable or broke off: what was not sent is retried later.
            error = f"{type(exc).__name__}: {exc}"[:500]
            for mail in batch:
                outcomes.setdefault(mail.id, ("retry", error))
        _record_emails(database, settings, batch, outcomes)
        sent += sum(1 for status, _ in outcomes.values() if status == "sent")
        if any(status == "retry" for status, _ in outcomes.values()):
            break
    return sent


def _record_emails(database: Database, settings: Settings, batch: list[Email], outcomes: dict) -> None:
    with database.unit_of_work() as session:
        for mail in batch:
            status, error = outcomes[mail.id]
            EMAILS.labels(status).inc()
            values: dict = {"attempts": mail.attempts + 1, "leased_until": None, "last_error": error}
            if mail.text_body is not None and mail.context is not None:  # keep the bodies as rendered
                values.update(text_body=mail.text_body, html_body=mail.html_body, context=None)
            if status == "sent":
                values.update(status="sent", sent_at=sa.func.now())
                if mail.redact_when_sent:  # an invitation's link is the invitee's alone
                    values.update(text_body="(redacted once sent)", html_body="(redacted once sent)")
            elif status == "failed" or mail.attempts + 1 >= settings.email_max_attempts:
                values.update(status="failed")
                log.error("email failed for good", extra={"email_id": str(mail.id), "category": mail.category,
                                                          "attempts": mail.attempts + 1})
            else:
                values["next_attempt_at"] = sa.func.now() + rules.backoff(mail.attempts + 1, settings.email_retry,
                                                                          settings.email_retry_max)
            session.execute(sa.update(Email).where(Email.id == mail.id).values(**values))


# --- webhooks --------------------------------------------------------------------------------------------

_CLAIM_DELIVERIES = sa.text(
    "UPDATE webhook_deliveries d SET leased_until = now() + :lease "
    "WHERE d.id IN (SELECT d2.id FROM webhook_deliveries d2 "
    "               JOIN webhook_subscriptions s ON s.id = d2.subscription_id AND s.status = 'active' "
    "               WHERE d2.status = 'pending' AND d2.next_attempt_at <= now() "
    "                 AND (d2.leased_until IS NULL OR d2.leased_until < now()) "
    "               ORDER BY d2.next_attempt_at LIMIT :limit FOR UPDATE OF d2 SKIP LOCKED) "
    "RETURNING d.id, d.subscription_id, d.feed_event_id, d.attempts, d.retry_until, d.replay_pending")


def deliver_webhooks(database: Database, settings: Settings) -> int:
    started, delivered = time.monotonic(), 0
    with ThreadPoolExecutor(settings.webhook_concurrency, thread_name_prefix="webhook") as pool:
        while time.monotonic() - started < RUN_BUDGET:
            with database.unit_of_work() as session:
                claimed = session.execute(_CLAIM_DELIVERIES, {"lease": settings.send_lease,
                                                               "limit": settings.webhook_concurrency * 8}).all()
                if not claimed:
                    break
                subs = {s.id: s for s in session.scalars(sa.select(WebhookSubscription).where(
                    WebhookSubscription.id.in_({c.subscription_id for c in claimed})))}
                bodies = dict(session.execute(sa.select(FeedEvent.id, FeedEvent.body).where(
                    FeedEvent.id.in_({c.feed_event_id for c in claimed}))).all())
            at = service.now()
            jobs = []
            for c in claimed:
                sub = subs[c.subscription_id]
                secrets = [sub.secret] + ([sub.previous_secret] if sub.previous_secret and
                                          sub.previous_secret_expires_at and sub.previous_secret_expires_at > at
                                          else [])
                body = json.dumps(bodies[c.feed_event_id], separators=(",", ":"), default=str).encode()
                jobs.append((c, at, pool.submit(senders.deliver, settings, sub.url, service.webhook_id(c.id), body,
                                                secrets)))
            results = [(c, at, future.result()) for c, at, future in jobs]
            delivered += _record_deliveries(database, settings, results)
    return delivered


# Outcomes of a batch of attempts: one UPDATE for the deliveries (a NULL keeps the column as it is:
# status, delivered_at, retry_until and next_attempt_at change only when the outcome says so) and one
# INSERT for the delivery log.
_RECORD_OUTCOMES = sa.text(
    "UPDATE webhook_deliveries d SET attempts = v.attempts, leased_until = NULL, last_status_code = v.status_code, "
    "       last_error = v.error, replay_pending = false, status = coalesce(v.status, d.status), "
    "       delivered_at = coalesce(v.delivered_at, d.delivered_at), "
    "       retry_until = coalesce(v.retry_until, d.retry_until), "
    "       next_attempt_at = coalesce(v.next_attempt_at, d.next_attempt_at) "
    "FROM unnest(CAST(:id AS uuid[]), CAST(:attempts AS integer[]), CAST(:status_code AS integer[]), "
    "            CAST(:error AS text[]), CAST(:status AS text[]), CAST(:delivered_at AS timestamptz[]), "
    "            CAST(:retry_until AS timestamptz[]), CAST(:next_attempt_at AS timestamptz[])) "
    "     AS v(id, attempts, status_code, error, status, delivered_at, retry_until, next_attempt_at) "
    "WHERE d.id = v.id")
_LOG_ATTEMPTS = sa.insert(WebhookAttempt.__table__)
_OUTCOME_COLUMNS = ("id", "attempts", "status_code", "error", "status", "delivered_at", "retry_until",
                    "next_attempt_at")


def _record_deliveries(database: Database, settings: Settings, results) -> int:
    ok = 0
    with database.unit_of_work() as session:
        by_sub: dict[uuid.UUID, list] = {}
        for claim, at, attempt in results:
            by_sub.setdefault(claim.subscription_id, []).append((claim, at, attempt))
        outcomes: list[dict] = []
        log: list[dict] = []
        subs: list[WebhookSubscription] = []
        for sub_id in sorted(by_sub):
            sub = session.get(WebhookSubscription, sub_id, with_for_update=True)
            if sub is None:
                continue
            subs.append(sub)
            for claim, at, attempt in by_sub[sub_id]:
                n = claim.attempts + 1
                outcome = {"id": claim.id, "attempts": n, "status_code": attempt.status_code, "error": attempt.error,
                           "status": None, "delivered_at": None, "retry_until": None, "next_attempt_at": None}
                next_at = None
                WEBHOOK_ATTEMPTS.labels("delivered" if attempt.ok else "failed").inc()
                if attempt.ok:
                    ok += 1
                    outcome.update(status="delivered", delivered_at=at)
                    sub.failing_since = None
                else:
                    retry_until = claim.retry_until or at + settings.webhook_retry_for
                    outcome["retry_until"] = retry_until
                    next_at = at + rules.backoff(n, settings.webhook_retry_base, settings.webhook_retry_max)
                    if rules.give_up(next_at, retry_until):
                        outcome["status"], next_at = "failed", None
                    else:
                        outcome["next_attempt_at"] = next_at
                    if sub.failing_since is None:
                        sub.failing_since = at
                outcomes.append(outcome)
                log.append({"delivery_id": claim.id, "attempt": n, "replay": claim.replay_pending, "attempted_at": at,
                            "status_code": attempt.status_code, "error": attempt.error,
                            "duration_ms": attempt.duration_ms, "next_attempt_at": next_at})
        if outcomes:
            session.execute(_RECORD_OUTCOMES, {c: [o[c] for o in outcomes] for c in _OUTCOME_COLUMNS})
            session.execute(_LOG_ATTEMPTS, log)
        for sub in subs:
            if sub.status == "active" and rules.should_disable(service.now(), sub.failing_since,
                                                                settings.webhook_disable_after):
                _disable(session, settings, sub, by_sub[sub.id][-1][2].error)
    return ok


def _disable(session, settings: Settings, sub: WebhookSubscription, last_error: str | None) -> None:
    sub.status, sub.updated_at = "disabled", service.now()
    sub.disabled_reason = f"every delivery failed since {sub.failing_since.isoformat()}"
    service.cancel_pending(session, sub.id)
    log.warning("webhook subscription disabled", extra={"subscription_id": str(sub.id)})
    # No event caused this notice: its id is derived from the subscription and the failing period, so
    # the admins are told once per disabling.
    notice_id = uuid.uuid5(sub.id, f"disabled:{sub.failing_since.isoformat()}")
    service.notify_admins(session, settings, notice_id, service.now(), sub.institution_id, "admin_webhook_disabled", {
        "institution_name": service.institution_name(session, sub.institution_id), "url": sub.url,
        "failing_since": sub.failing_since, "last_error": last_error or "no answer",
    }, f"{settings.public_url}/institutions/{sub.institution_id}/webhooks/{sub.id}")


def jobs(settings: Settings) -> list[Job]:
    """The jobs as the worker runs them, with the settings it built at its start."""
    return [
        Job("notifications.feed-sequence", settings.job_interval, partial(sequence_feed, settings=settings)),
        Job("notifications.email-send", settings.job_interval, partial(send_emails, settings=settings)),
        Job("notifications.webhook-deliver", settings.job_interval, partial(deliver_webhooks, settings=settings)),
    ]
