"""The notifications HTTP surface: one MethodView per resource, thin. `require` is the outermost
decorator; object-level access is checked in service.py (what a caller may not see is a 404)."""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView

from services.notifications import asyncapi, rules, service
from services.notifications import schemas as s
from shared.app import Blueprint, db_of
from shared.auth import current_principal, require
from shared.events import registry

inbox = Blueprint("inbox", __name__, url_prefix="/inbox", description="My in-app notifications and unread count")
preferences = Blueprint("preferences", __name__, url_prefix="/preferences",
                        description="Which notifications I also receive by e-mail")
feed = Blueprint("feed", __name__, url_prefix="/feed",
                 description="R18: the pull feed of events about an institution's own members")
webhooks = Blueprint("webhooks", __name__, url_prefix="",
                     description="R18: an institution's webhook subscriptions, their delivery log and replays")
events = Blueprint("events", __name__, url_prefix="", description="What an institution can subscribe to")

BLUEPRINTS = [inbox, preferences, feed, webhooks, events]

ADMINS = ("institution_admin", "operator")


def uow():
    return db_of(current_app).unit_of_work()


def settings():
    return current_app.extensions["notifications_settings"]


# --- inbox -----------------------------------------------------------------------------------------------

@inbox.route("")
class Inbox(MethodView):
    @require()
    @inbox.arguments(s.InboxQuery, location="query")
    @inbox.response(200, s.InboxOut)
    def get(self, query):
        """My notifications, newest first, with my unread count"""
        with uow() as session:
            return service.inbox(session, current_principal(), query["unread_only"], query["limit"], query["offset"])


@inbox.route("/<uuid:notification_id>/read")
class InboxItemRead(MethodView):
    @require()
    @inbox.response(200, s.NotificationOut)
    def post(self, notification_id: uuid.UUID):
        """Mark one of my notifications read"""
        with uow() as session:
            return service.mark_read(session, current_principal(), notification_id)


@inbox.route("/read-all")
class InboxReadAll(MethodView):
    @require()
    @inbox.response(200, s.MarkedOut)
    def post(self):
        """Mark all my notifications read"""
        with uow() as session:
            return {"marked": service.mark_all_read(session, current_principal())}


# --- preferences ------------------------------------------------------------------------------------------

@preferences.route("")
class Preferences(MethodView):
    @require()
    @preferences.response(200, s.PreferenceOut(many=True))
    def get(self):
        """The kinds of notification my role receives, and whether each also comes by e-mail"""
        with uow() as session:
            return service.preferences(session, current_principal())

    @require()
    @preferences.arguments(s.PreferencesIn)
    @preferences.response(200, s.PreferenceOut(many=True))
    def put(self, data):
        """Switch e-mail on or off per kind (request deadlines and ejection cannot be switched off)"""
        with uow() as session:
            return service.set_preferences(session, current_principal(), data["email"])


# --- feed -------------------------------------------------------------------------------------------------

@feed.route("")
class Feed(MethodView):
    @require(*ADMINS)
    @feed.arguments(s.FeedQuery, location="query")
    @feed.response(200, s.FeedOut)
    def get(self, query):
        """Events about my institution's members, oldest first, from a stable cursor (the same CloudEvents
        the webhooks carry)"""
        principal = current_principal()
        institution_id = service.feed_institution(principal, query["institution_id"])
        after = service.decode_cursor(query["after"])
        with uow() as session:
            return service.read_feed(session, institution_id, after, query["limit"], query["type"])


# --- webhooks ---------------------------------------------------------------------------------------------

@webhooks.route("/institutions/<uuid:institution_id>/webhooks")
class Subscriptions(MethodView):
    @require(*ADMINS)
    @webhooks.response(200, s.SubscriptionOut(many=True))
    def get(self, institution_id: uuid.UUID):
        """My institution's webhook subscriptions"""
        with uow() as session:
            return service.subscriptions(session, current_principal(), institution_id)

    @require(*ADMINS)
    @webhooks.arguments(s.SubscriptionIn)
    @webhooks.response(201, s.SubscriptionCreatedOut)
    def post(self, data, institution_id: uuid.UUID):
        """Subscribe an https URL to event types; the answer shows the signing secret, once"""
        with uow() as session:
            sub, _secret = service.subscribe(session, settings(), current_principal(), institution_id, data)
            return sub  # its secret is shown this once


@webhooks.route("/webhooks/<uuid:subscription_id>")
class Subscription(MethodView):
    @require(*ADMINS)
    @webhooks.response(200, s.SubscriptionOut)
    def get(self, subscription_id: uuid.UUID):
        """One subscription"""
        with uow() as session:
            return service.subscription(session, current_principal(), subscription_id)

    @require(*ADMINS)
    @webhooks.arguments(s.SubscriptionPatch)
    @webhooks.response(200, s.SubscriptionOut)
    def patch(self, data, subscription_id: uuid.UUID):
        """Change the URL, event types or description; disable or enable"""
        with uow() as session:
            return service.update_subscription(session, settings(), current_principal(), subscription_id, data)

    @require(*ADMINS)
    @webhooks.response(204)
    def delete(self, subscription_id: uuid.UUID):
        """Delete the subscription and its delivery log"""
        with uow() as session:
            service.delete_subscription(session, current_principal(), subscription_id)


@webhooks.route("/webhooks/<uuid:subscription_id>/secret")
class SubscriptionSecret(MethodView):
    @require(*ADMINS)
    @webhooks.response(200, s.SubscriptionCreatedOut)
    def post(self, subscription_id: uuid.UUID):
        """Rotate the signing secret: the new one is shown once; the old one still signs (a second
        signature) for NOTIFICATIONS_WEBHOOK_SECRET_OVERLAP"""
        with uow() as session:
            sub, _secret = service.rotate_secret(session, settings(), current_principal(), subscription_id)
            return sub  # its new secret is shown this once


@webhooks.route("/webhooks/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @require(*ADMINS)
    @webhooks.arguments(s.DeliveryQuery, location="query")
    @webhooks.response(200, s.DeliveryOut(many=True))
    def get(self, query, subscription_id: uuid.UUID):
        """The delivery log, newest first: each delivery with every attempt"""
        with uow() as session:
            items = service.deliveries(session, current_principal(), subscription_id, query["status"],
                                       query["limit"], query["offset"])
            return [service.delivery_out(i) for i in items]


@webhooks.route("/webhooks/<uuid:subscription_id>/deliveries/<uuid:delivery_id>/replay")
class DeliveryReplay(MethodView):
    @require(*ADMINS)
    @webhooks.response(202, s.DeliveryOut)
    @webhooks.alt_response(409, description="subscription-disabled: enable it first")
    def post(self, subscription_id: uuid.UUID, delivery_id: uuid.UUID):
        """Deliver again, at once, with the same webhook-id"""
        with uow() as session:
            return service.replay(session, current_principal(), subscription_id, delivery_id)


# --- what can be subscribed to ------------------------------------------------------------------------------

@events.route("/event-types")
class EventTypes(MethodView):
    @events.response(200, s.EventTypeOut(many=True))
    def get(self):
        """The events an institution can receive by webhook or feed (their data: asyncapi.json)"""
        return [{"name": name, "type": registry.by_name(name).type, "description": p.description}
                for name, p in sorted(rules.FEEDS.items())]


@events.route("/asyncapi.json")
class AsyncApi(MethodView):
    @events.response(200, description="AsyncAPI 3.0 document of the institution event feeds and webhooks")
    @events.doc(responses={"200": {
        "description": "AsyncAPI 3.0 document of the institution event feeds and webhooks",
        "content": {"application/json": {"schema": {"type": "object", "required": ["asyncapi", "channels"]}}}}})
    def get(self):
        """AsyncAPI 3.0 document of what institutions receive (webhooks and the pull feed)"""
        return asyncapi.document(settings().public_url)
