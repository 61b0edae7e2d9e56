"""Use cases of the notifications service. Each takes a session (one transaction).

- People (recipients) and institutions from events; notify(): one in-app notification per (event,
  recipient, category) and, by the recipient's preference, one rendered e-mail — both inserted with
  ON CONFLICT DO NOTHING, so an event handled twice tells nobody twice.
- The inbox and preferences of the signed-in user.
- Institution feeds (R18): record_feed() keeps each institution's minimised copy of an event;
  sequence_feed() gives copies their positions one transaction at a time and creates the webhook
  deliveries; read_feed() pages through them by position.
- Webhook subscriptions of an institution, their delivery log and replays.
"""
from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from services.notifications import messages, rules
from services.notifications.models import (
    Email, FeedEvent, Institution, Notification, Preference, Recipient, WebhookAttempt, WebhookDelivery,
    WebhookSubscription,
)
from services.notifications.settings import Settings
from shared.auth import Principal
from shared.domain_errors import Refused, not_found
from shared.errors import Problem, invalid_field
from shared.events import Event


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- people and institutions (from events) ------------------------------------------------------------

def enroll(session: orm.Session, user_id: uuid.UUID, institution_id: uuid.UUID, role: str, name: str, email: str,
           at: datetime) -> None:
    """Who a person is, from their latest enrollment event; mails queued before their address was known
    get it now."""
    _forget_people(session, user_id)
    stmt = pg.insert(Recipient).values(user_id=user_id, institution_id=institution_id, role=role, name=name,
                                       email=email, status="active", enrolled_at=at, status_at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Recipient.user_id],
        set_={"institution_id": stmt.excluded.institution_id, "role": stmt.excluded.role,
              "name": stmt.excluded.name, "email": stmt.excluded.email, "enrolled_at": stmt.excluded.enrolled_at},
        where=sa.or_(Recipient.enrolled_at.is_(None), Recipient.enrolled_at < stmt.excluded.enrolled_at))
    session.execute(stmt)
    # An enrollment (for example an exited mentee admitted as a mentor, R17) makes the person active
    # again unless a later status event said otherwise.
    session.execute(sa.update(Recipient).where(
        Recipient.user_id == user_id, Recipient.status != "deactivated",
        sa.or_(Recipient.status_at.is_(None), Recipient.status_at <= at)).values(status="active", status_at=at))
    session.execute(sa.update(Email).where(Email.user_id == user_id, Email.to_address.is_(None))
                    .values(to_address=email))
    current = session.info.get(_HANDLING_KEY)
    if current is not None:  # mails of this batch, not written yet
        for _, mail in current.told:
            if mail is not None and mail["user_id"] == user_id and mail["to_address"] is None:
                mail["to_address"] = email


def set_status(session: orm.Session, user_id: uuid.UUID, institution_id: uuid.UUID | None, role: str, status: str,
               at: datetime) -> None:
    """ejected, active (reinstated), exited, deactivated: the latest event wins; deactivated is final."""
    _forget_people(session, user_id)
    stmt = pg.insert(Recipient).values(user_id=user_id, institution_id=institution_id, role=role, status=status,
                                       status_at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Recipient.user_id], set_={"status": stmt.excluded.status, "status_at": stmt.excluded.status_at},
        where=sa.and_(Recipient.status != "deactivated",
                      sa.or_(Recipient.status_at.is_(None), Recipient.status_at < stmt.excluded.status_at)))
    if institution_id is not None:
        session.execute(stmt)


def upsert_institution(session: orm.Session, institution_id: uuid.UUID, name: str, at: datetime) -> None:
    stmt = pg.insert(Institution).values(id=institution_id, name=name, updated_at=at)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Institution.id], set_={"name": stmt.excluded.name, "updated_at": stmt.excluded.updated_at},
        where=Institution.updated_at < stmt.excluded.updated_at))


@dataclass(frozen=True)
class Person:
    """A recipient as the handlers read it (a row of `recipients`)."""
    user_id: uuid.UUID
    institution_id: uuid.UUID | None
    role: str
    name: str | None
    email: str | None
    status: str


# Each person asked for, whether known or not, with the e-mail preferences they chose (a user may
# choose before their enrollment reaches this service).
_PEOPLE = sa.text(
    "SELECT k.id, r.user_id, r.institution_id, r.role, r.name, r.email, r.status, "
    "       (SELECT jsonb_object_agg(p.category, p.email) FROM preferences p WHERE p.user_id = k.id) AS chosen "
    "FROM unnest(CAST(:ids AS uuid[])) AS k(id) LEFT JOIN recipients r ON r.user_id = k.id")

_HANDLING_KEY = "notifications.handling"


class _Handling:
    """One event being handled: the people it names, read together when the handler first looks one
    of them up, and what it will write (notifications, e-mails, feed copies), written at its end."""

    def __init__(self, named: Iterable[uuid.UUID]):
        self.named = set(named)
        self.known: dict[uuid.UUID, tuple[Person | None, dict[str, bool]]] = {}
        self.told: list[tuple[dict, dict | None]] = []
        self.copies: list[dict] = []
        self.batch = False


@contextlib.contextmanager
def handling(session: orm.Session, named: Iterable[uuid.UUID]) -> Iterator[None]:
    """While an event is handled:
    - the people it names (`named`) are read in one query at the first lookup, and every later lookup
      of the event (names, status, preferences, the feed's institutions) is answered from that read;
      a write to a person's row (enroll, set_status) makes their next lookup read it again;
    - its notifications, their e-mails and its feed copies are written together, in one statement,
      when the handler has finished (nothing in a handler reads them back); if it fails, nothing is.
    Within a batch (batching()) both happen once for the whole batch instead."""
    outer = session.info.get(_HANDLING_KEY)
    if outer is not None and outer.batch:
        outer.named.update(named)
        yield
        return
    current = session.info[_HANDLING_KEY] = _Handling(named)
    try:
        yield
        _write(session, current.told, current.copies)
    finally:
        if outer is None:
            session.info.pop(_HANDLING_KEY, None)
        else:
            session.info[_HANDLING_KEY] = outer


@contextlib.contextmanager
def batching(session: orm.Session, named: Iterable[uuid.UUID]) -> Iterator[None]:
    """The consumer's batch of events in one transaction: the people all of them name are read in one
    query, and all their notifications, e-mails and feed copies written in one statement at its end
    (two round trips for the batch instead of two per event). If a handler fails, the consumer rolls
    the batch back and handles each event alone (handling() alone then)."""
    state = session.info[_HANDLING_KEY] = _Handling(named)
    state.batch = True
    try:
        yield
        _write(session, state.told, state.copies)
    finally:
        session.info.pop(_HANDLING_KEY, None)


def _read_people(session: orm.Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[Person | None, dict[str, bool]]]:
    found = {}
    for row in session.execute(_PEOPLE, {"ids": list(ids)}):
        person = Person(row.user_id, row.institution_id, row.role, row.name, row.email, row.status) \
            if row.user_id is not None else None
        found[row.id] = (person, row.chosen or {})
    return found


def _person(session: orm.Session, user_id: uuid.UUID | None) -> tuple[Person | None, dict[str, bool]]:
    """A person (None when unknown) and their e-mail choices by category."""
    if user_id is None:
        return None, {}
    people = session.info.get(_HANDLING_KEY)
    if people is None:
        return _read_people(session, {user_id})[user_id]
    if user_id not in people.known:
        people.known.update(_read_people(session, {user_id} | (people.named - people.known.keys())))
    return people.known[user_id]


def _forget_people(session: orm.Session, user_id: uuid.UUID) -> None:
    """After a write to a person's row: their next lookup reads it again."""
    people = session.info.get(_HANDLING_KEY)
    if people is not None:
        people.known.pop(user_id, None)


def recipient(session: orm.Session, user_id: uuid.UUID | None) -> Person | None:
    return _person(session, user_id)[0]


def name_of(session: orm.Session, user_id: uuid.UUID | None, fallback: str) -> str:
    person = recipient(session, user_id)
    return person.name if person is not None and person.name else fallback


def institution_name(session: orm.Session, institution_id: uuid.UUID | None) -> str:
    inst = session.get(Institution, institution_id) if institution_id is not None else None
    return inst.name if inst is not None else "your institution"


def admins_of(session: orm.Session, institution_id: uuid.UUID) -> list[Recipient]:
    return list(session.scalars(sa.select(Recipient).where(
        Recipient.institution_id == institution_id, Recipient.role == "institution_admin",
        Recipient.status == "active").order_by(Recipient.name, Recipient.user_id)))


def admin_contacts(session: orm.Session, institution_id: uuid.UUID) -> str:
    return ", ".join(f"{a.name} <{a.email}>" for a in admins_of(session, institution_id) if a.email)


# --- telling people ----------------------------------------------------------------------------------

def _base_context(settings: Settings, person: Person | None, category: str) -> dict:
    return {"name": (person.name if person is not None and person.name else "MentorMeMed member"),
            "public_url": settings.public_url, "preferences_url": f"{settings.public_url}/settings/notifications",
            "mandatory": rules.CATEGORIES[category].mandatory}


def notify(session: orm.Session, settings: Settings, event_id: uuid.UUID, at: datetime, user_id: uuid.UUID,
           category: str, context: dict, link: str | None) -> bool:
    """Tell one person: an in-app notification and, by their preference, an e-mail — unless this event
    already told them (same event, person and category). False when the person may no longer be told
    (deactivated). Within a handler (handling()) the rows are written when the handler has finished."""
    person, chosen = _person(session, user_id)
    if person is not None and person.status == "deactivated":
        return False
    full = {**_base_context(settings, person, category), "link": link, **context}
    wanted = rules.email_wanted(category, chosen.get(category))
    # The in-app parts now; the mail's bodies when it is sent, from the same context (send_emails).
    rendered = messages.render(category, full, email=False)
    note = {"id": uuid.uuid4(), "user_id": user_id, "event_id": event_id, "category": category,
            "title": rendered.subject, "body": rendered.summary, "link": link, "created_at": at}
    mail = {"id": uuid.uuid4(), "event_id": event_id, "recipient_key": str(user_id), "user_id": user_id,
            "to_address": person.email if person else None, "category": category, "subject": rendered.subject,
            "context": full} if wanted else None
    current = session.info.get(_HANDLING_KEY)
    if current is not None:
        current.told.append((note, mail))
        return True
    return _write(session, [(note, mail)], []) > 0


# Notifications, the e-mails of those that are new, and feed copies: three pipelined executemany calls
# on the driver's connection (prepared once per connection; about one round trip each, whatever the
# number of rows). Cheaper in Python than one large SQL text per batch, which SQLAlchemy and the driver
# had to compile and parse again for every new number of rows.
_NOTE_COLUMNS = ("id", "user_id", "event_id", "category", "title", "body", "link", "created_at")
_MAIL_COLUMNS = ("id", "event_id", "recipient_key", "user_id", "to_address", "category", "subject", "context")
_COPY_COLUMNS = ("institution_id", "event_id", "event_type", "body")


def _insert(table: str, columns: tuple[str, ...], returning: str = "") -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT DO NOTHING{returning}")


_INSERT_NOTE = _insert("notifications", _NOTE_COLUMNS, " RETURNING id")
_INSERT_MAIL = _insert("emails", _MAIL_COLUMNS)
_INSERT_COPY = _insert("feed_events", _COPY_COLUMNS)


def _context_json(context: dict) -> str:
    """A template context as JSON: datetimes as ISO strings (the `when` filter reads both), decimals and
    ids as strings."""
    return json.dumps(context, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))


def _write(session: orm.Session, told: list[tuple[dict, dict | None]], copies: list[dict]) -> int:
    """Insert notifications (a repeat of event, person and category is dropped), the e-mails of those
    inserted, and feed copies; how many notifications were new."""
    if not told and not copies:
        return 0
    from psycopg.types.json import Jsonb

    driver = session.connection().connection.driver_connection
    new = 0
    with driver.cursor() as cur:
        if told:
            cur.executemany(_INSERT_NOTE, [tuple(note[c] for c in _NOTE_COLUMNS) for note, _ in told],
                            returning=True)
            inserted = set()
            while True:
                row = cur.fetchone()
                if row is not None:
                    inserted.add(row[0])
                if not cur.nextset():
                    break
            new = len(inserted)
            mails = [mail for note, mail in told if mail is not None and note["id"] in inserted]
            if mails:
                cur.executemany(_INSERT_MAIL, [tuple(Jsonb(m[c], dumps=_context_json) if c == "context" else m[c]
                                                     for c in _MAIL_COLUMNS) for m in mails])
        if copies:
            cur.executemany(_INSERT_COPY, [(c["institution_id"], c["event_id"], c["event_type"], Jsonb(c["body"]))
                                           for c in copies])
    return new


def notify_admins(session: orm.Session, settings: Settings, event_id: uuid.UUID, at: datetime,
                  institution_id: uuid.UUID, category: str, context: dict, link: str | None) -> int:
    return sum(notify(session, settings, event_id, at, admin.user_id, category, context, link)
               for admin in admins_of(session, institution_id))


def mail_invitation(session: orm.Session, settings: Settings, event: Event) -> None:
    """The invitee has no account yet: a mail only, carrying the link's token; redacted once sent."""
    data = event.data
    labels = {"mentor": ("a mentor", "the mentor agreement",
                         "Mentors guide medical learners from groups underrepresented in medicine, first-generation "
                         "and low-income backgrounds, up to three mentees at a time."),
              "mentee": ("a mentee", "the mentee agreement",
                         "Mentees find a physician mentor, with training first and support throughout."),
              "institution_admin": ("an institution administrator", "terms",
                                    "Administrators run the program for their institution: mentors, mentees and "
                                    "reports.")}
    role_label, agreement_label, role_text = labels[data["role"]]
    link = f"{settings.public_url}/accept-invitation#token={data['token']}"
    context = {"name": data["name"], "public_url": settings.public_url, "preferences_url": None, "mandatory": False,
               "institution_name": data["institution_name"], "role_label": role_label, "role_text": role_text,
               "agreement_label": agreement_label, "link": link, "expires_at": data["expires_at"]}
    rendered = messages.render(rules.INVITATION, context)
    _queue_email(session, event.id, data["email"].lower(), None, data["email"], rules.INVITATION, rendered,
                 redact=True)


def _queue_email(session: orm.Session, event_id: uuid.UUID, key: str, user_id: uuid.UUID | None, to: str | None,
                 category: str, rendered: messages.Rendered, redact: bool = False) -> None:
    session.execute(pg.insert(Email).values(
        id=uuid.uuid4(), event_id=event_id, recipient_key=key, user_id=user_id, to_address=to, category=category,
        subject=rendered.subject, text_body=rendered.text, html_body=rendered.html, redact_when_sent=redact,
    ).on_conflict_do_nothing())


# --- the inbox and preferences --------------------------------------------------------------------------

def inbox(session: orm.Session, principal: Principal, unread_only: bool, limit: int, offset: int) -> dict:
    query = sa.select(Notification).where(Notification.user_id == principal.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = session.scalars(query.order_by(Notification.created_at.desc(), Notification.id)
                            .limit(limit).offset(offset)).all()
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    unread = session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == principal.id, Notification.read_at.is_(None)))
    return {"items": items, "total": total, "unread_count": unread}


def mark_read(session: orm.Session, principal: Principal, notification_id: uuid.UUID) -> Notification:
    item = session.get(Notification, notification_id, with_for_update=True)
    if item is None or item.user_id != principal.id:
        raise not_found("notification")
    if item.read_at is None:
        item.read_at = now()
    return item


def mark_all_read(session: orm.Session, principal: Principal) -> int:
    return session.execute(sa.update(Notification).where(Notification.user_id == principal.id,
                                                         Notification.read_at.is_(None))
                           .values(read_at=now())).rowcount


def preferences(session: orm.Session, principal: Principal) -> list[dict]:
    chosen = dict(session.execute(sa.select(Preference.category, Preference.email)
                                  .where(Preference.user_id == principal.id)).all())
    return [{"category": c.name, "description": c.description, "audience": c.audience, "mandatory": c.mandatory,
             "email": rules.email_wanted(c.name, chosen.get(c.name))}
            for c in rules.CATEGORIES.values() if c.audience in (principal.role, "any")]


def set_preferences(session: orm.Session, principal: Principal, changes: dict[str, bool]) -> list[dict]:
    try:
        rules.check_preferences(changes)
    except rules.PreferenceRefused as exc:
        raise invalid_field(exc.detail, pointer=f"email/{exc.category}") from None
    _forget_people(session, principal.id)
    for category, wanted in changes.items():
        stmt = pg.insert(Preference).values(user_id=principal.id, category=category, email=wanted, updated_at=now())
        session.execute(stmt.on_conflict_do_update(index_elements=[Preference.user_id, Preference.category],
                                                   set_={"email": wanted, "updated_at": now()}))
    return preferences(session, principal)


# --- institution feeds (R18) ------------------------------------------------------------------------------

def _institution_of_member(session: orm.Session):
    def lookup(user_id):
        person = recipient(session, uuid.UUID(str(user_id)))
        # a string, like the institution ids read from events' data: it goes into a JSONB copy
        return str(person.institution_id) if person is not None else None

    return lookup


def record_feed(session: orm.Session, event: Event) -> int:
    """Each institution concerned gets its own minimised copy of the event (as a CloudEvent)."""
    copies = rules.project(event.name, event.raw["data"], _institution_of_member(session))
    if not copies:
        return 0
    rows = []
    for institution_id, data in copies.items():
        subject = event.subject
        if subject and any(str(v) in subject for v in event.raw["data"].values() if v not in data.values()
                           and isinstance(v, str) and len(v) == 36):
            subject = None  # the subject names someone this institution's copy leaves out
        body = {**{k: v for k, v in event.raw.items() if k != "data"}, "subject": subject, "data": data}
        rows.append({"institution_id": uuid.UUID(str(institution_id)), "event_id": event.id,
                     "event_type": event.name, "body": body})
    current = session.info.get(_HANDLING_KEY)
    if current is not None:
        current.copies.extend(rows)
    else:
        _write(session, [], rows)
    return len(rows)


# One sequencer at a time (any replica): positions are handed out in commit order.
_SEQUENCER_LOCK = 0x6D6D6D_FEED


def sequence_feed(session: orm.Session, limit: int = 5000) -> int:
    """Give unsequenced feed events their positions and create their webhook deliveries. Run under a
    transaction-scoped advisory lock, so a later position always commits after an earlier one."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEQUENCER_LOCK})
    ids = session.execute(sa.text(
        "WITH todo AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM feed_events "
        "              WHERE position IS NULL ORDER BY id LIMIT :limit), "
        "     base AS (SELECT coalesce(max(position), 0) AS p FROM feed_events) "
        "UPDATE feed_events f SET position = base.p + todo.n FROM todo, base WHERE f.id = todo.id "
        "RETURNING f.id"), {"limit": limit}).scalars().all()
    if ids:
        session.execute(sa.text(
            "INSERT INTO webhook_deliveries (id, subscription_id, feed_event_id, next_attempt_at, created_at) "
            "SELECT gen_random_uuid(), s.id, f.id, now(), now() FROM feed_events f "
            "JOIN webhook_subscriptions s ON s.institution_id = f.institution_id AND s.status = 'active' "
            "     AND f.event_type = ANY(s.event_types) "
            "WHERE f.id = ANY(:ids) ON CONFLICT DO NOTHING"), {"ids": list(ids)})
    return len(ids)


def feed_institution(principal: Principal, institution_id: uuid.UUID | None) -> uuid.UUID:
    """Admins read their own institution's feed; operators name the institution."""
    if principal.is_operator:
        if institution_id is None:
            raise invalid_field("Operators name the institution whose feed they read.", parameter="institution_id")
        return institution_id
    if institution_id is not None and institution_id != principal.institution_id:
        raise not_found("institution")
    return principal.institution_id


def read_feed(session: orm.Session, institution_id: uuid.UUID, after: int, limit: int,
              types: list[str] | None) -> dict:
    query = sa.select(FeedEvent.position, FeedEvent.body).where(
        FeedEvent.institution_id == institution_id, FeedEvent.position.is_not(None), FeedEvent.position > after)
    if types:
        query = query.where(FeedEvent.event_type.in_(types))
    rows = session.execute(query.order_by(FeedEvent.position).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1].position if rows else after
    return {"events": [r.body for r in rows], "next_cursor": encode_cursor(cursor), "has_more": more}


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"p:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        position = int(value)
        if kind != "p" or position < 0 or position > 2**62:
            raise ValueError
        return position
    except (ValueError, UnicodeDecodeError):
        raise invalid_field("Not a cursor this feed gave: start without one, or pass the next cursor of the "
                            "page before.", parameter="after") from None


# --- webhook subscriptions ----------------------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_webhook_url(url: str, allow_private: bool, resolve=socket.getaddrinfo) -> None:
    """Refuse URLs whose host is, or resolves to, a loopback or private address (unless allowed)."""
    host, port = rules.check_url_shape(url, allow_private)
    if allow_private:
        return
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise rules.UrlRefused(f"The host {host} cannot be resolved.") from None
    for info in infos:
        why = rules.address_refused(info[4][0])
        if why:
            raise rules.UrlRefused(f"The host {host} resolves to {why}; webhooks go to public addresses only.")


def _url_problem(exc: rules.UrlRefused) -> Problem:
    return invalid_field(str(exc), pointer="url")


def _types_problem(unknown: list[str]) -> Problem:
    return invalid_field(f"Not an event an institution can subscribe to: {', '.join(sorted(unknown))}.",
                         pointer="event_types")


def managed_institution(principal: Principal, institution_id: uuid.UUID) -> uuid.UUID:
    if not principal.manages(institution_id):
        raise not_found("institution")
    return institution_id


def subscribe(session: orm.Session, settings: Settings, principal: Principal, institution_id: uuid.UUID,
              data: dict) -> tuple[WebhookSubscription, str]:
    managed_institution(principal, institution_id)
    unknown = [t for t in data["event_types"] if t not in rules.FEEDS]
    if unknown:
        raise _types_problem(unknown)
    try:
        check_webhook_url(data["url"], settings.webhook_allow_private)
    except rules.UrlRefused as exc:
        raise _url_problem(exc) from None
    secret = new_secret()
    at = now()
    sub = WebhookSubscription(id=uuid.uuid4(), institution_id=institution_id, url=data["url"],
                              event_types=sorted(set(data["event_types"])), description=data.get("description"),
                              secret=secret, status="active", created_by=principal.id, created_at=at, updated_at=at)
    session.add(sub)
    session.flush()
    return sub, secret


def subscriptions(session: orm.Session, principal: Principal, institution_id: uuid.UUID) -> list[WebhookSubscription]:
    managed_institution(principal, institution_id)
    return list(session.scalars(sa.select(WebhookSubscription).where(
        WebhookSubscription.institution_id == institution_id).order_by(WebhookSubscription.created_at)))


def subscription(session: orm.Session, principal: Principal, subscription_id: uuid.UUID, *,
                 for_update: bool = False) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id, with_for_update=for_update)
    if sub is None or not principal.manages(sub.institution_id):
        raise not_found("webhook subscription")
    return sub


def update_subscription(session: orm.Session, settings: Settings, principal: Principal, subscription_id: uuid.UUID,
                        data: dict) -> WebhookSubscription:
    sub = subscription(session, principal, subscription_id, for_update=True)
    if "event_types" in data:
        unknown = [t for t in data["event_types"] if t not in rules.FEEDS]
        if unknown:
            raise _types_problem(unknown)
        sub.event_types = sorted(set(data["event_types"]))
    if "url" in data:
        try:
            check_webhook_url(data["url"], settings.webhook_allow_private)
        except rules.UrlRefused as exc:
            raise _url_problem(exc) from None
        sub.url = data["url"]
    if "description" in data:
        sub.description = data["description"]
    if "active" in data:
        if data["active"] and sub.status != "active":
            sub.status, sub.disabled_reason, sub.failing_since = "active", None, None
        elif not data["active"] and sub.status == "active":
            sub.status, sub.disabled_reason = "disabled", "disabled by an administrator"
            cancel_pending(session, sub.id)
    sub.updated_at = now()
    return sub


def delete_subscription(session: orm.Session, principal: Principal, subscription_id: uuid.UUID) -> None:
    session.delete(subscription(session, principal, subscription_id, for_update=True))


def rotate_secret(session: orm.Session, settings: Settings, principal: Principal,
                  subscription_id: uuid.UUID) -> tuple[WebhookSubscription, str]:
    """A new secret, shown once; the old one still signs (a second signature) for the overlap, so the
    receiver can switch without losing a delivery."""
    sub = subscription(session, principal, subscription_id, for_update=True)
    secret = new_secret()
    at = now()
    sub.previous_secret, sub.previous_secret_expires_at = sub.secret, at + settings.secret_overlap
    sub.secret, sub.updated_at = secret, at
    return sub, secret


def cancel_pending(session: orm.Session, subscription_id: uuid.UUID) -> None:
    session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id,
                                                     WebhookDelivery.status == "pending")
                    .values(status="cancelled", leased_until=None))


def deliveries(session: orm.Session, principal: Principal, subscription_id: uuid.UUID, status: str | None,
               limit: int, offset: int) -> list[dict]:
    sub = subscription(session, principal, subscription_id)
    query = (sa.select(WebhookDelivery, FeedEvent.event_id, FeedEvent.event_type, FeedEvent.position)
             .join(FeedEvent, FeedEvent.id == WebhookDelivery.feed_event_id)
             .where(WebhookDelivery.subscription_id == sub.id))
    if status:
        query = query.where(WebhookDelivery.status == status)
    rows = session.execute(query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
                           .limit(limit).offset(offset)).all()
    attempts: dict[uuid.UUID, list] = {}
    if rows:
        for a in session.scalars(sa.select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_([r[0].id for r in rows])).order_by(WebhookAttempt.id)):
            attempts.setdefault(a.delivery_id, []).append(a)
    return [{"delivery": d, "event_id": event_id, "event_type": event_type, "position": position,
             "attempt_log": attempts.get(d.id, [])} for d, event_id, event_type, position in rows]


def delivery_out(item: dict) -> dict:
    d = item["delivery"]
    return {"id": d.id, "webhook_id": webhook_id(d.id), "event_id": item["event_id"],
            "event_type": item["event_type"], "status": d.status, "attempts": d.attempts,
            "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
            "last_status_code": d.last_status_code, "last_error": d.last_error, "created_at": d.created_at,
            "delivered_at": d.delivered_at, "attempt_log": item["attempt_log"]}


def replay(session: orm.Session, principal: Principal, subscription_id: uuid.UUID,
           delivery_id: uuid.UUID) -> dict:
    """Deliver again (same webhook-id), at once, whatever its state; the subscription must be active."""
    sub = subscription(session, principal, subscription_id)
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.subscription_id != sub.id:
        raise not_found("delivery")
    if sub.status != "active":
        raise Refused("subscription-disabled",
                      "This subscription is disabled: enable it first, then replay.")
    delivery.status, delivery.next_attempt_at, delivery.leased_until = "pending", now(), None
    delivery.retry_until, delivery.replay_pending = None, True
    session.flush()
    return delivery_out(deliveries_one(session, delivery))


def deliveries_one(session: orm.Session, delivery: WebhookDelivery) -> dict:
    feed = session.get(FeedEvent, delivery.feed_event_id)
    log = list(session.scalars(sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                               .order_by(WebhookAttempt.id)))
    return {"delivery": delivery, "event_id": feed.event_id, "event_type": feed.event_type,
            "position": feed.position, "attempt_log": log}


def webhook_id(delivery_id: uuid.UUID) -> str:
    return f"msg_{delivery_id.hex}"
