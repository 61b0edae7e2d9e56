"""Request and response schemas of the notifications API. Request schemas refuse unknown fields."""
from __future__ import annotations

from marshmallow import fields, validate

from services.notifications import rules
from shared.schemas import In, Out, Page

EVENT_TYPES = sorted(rules.FEEDS)


class InboxQuery(Page):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    unread_only = fields.Boolean(load_default=False)


class NotificationOut(Out):
    id = fields.UUID()
    category = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxOut(Out):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer(metadata={"description": "Notifications matching the query"})
    unread_count = fields.Integer(metadata={"description": "All of my unread notifications"})


class MarkedOut(Out):
    marked = fields.Integer(metadata={"description": "How many notifications were marked read"})


class PreferenceOut(Out):
    category = fields.String()
    description = fields.String()
    audience = fields.String()
    mandatory = fields.Boolean(metadata={"description": "Its e-mail cannot be switched off"})
    email = fields.Boolean(metadata={"description": "Whether it is also sent by e-mail"})


class PreferencesIn(In):
    email = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)), values=fields.Boolean(),
                        required=True, validate=validate.Length(min=1, max=len(rules.CATEGORIES)),
                        metadata={"description": "category → whether to send it by e-mail"})


class FeedQuery(In):
    after = fields.String(load_default=None, validate=validate.Length(max=100),
                          metadata={"description": "next_cursor of the previous page; none to start"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    institution_id = fields.UUID(load_default=None, metadata={"description": "Operators: whose feed"})
    type = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), load_default=None,
                       metadata={"description": "Only these event types (repeat the parameter)"})


class FeedOut(Out):
    events = fields.List(fields.Dict(), metadata={"description": "CloudEvents 1.0 (structured JSON), oldest first"})
    next_cursor = fields.String(metadata={"description": "Pass as `after` for the next page (stable)"})
    has_more = fields.Boolean()


class EventTypeOut(Out):
    name = fields.String()
    type = fields.String(metadata={"description": "CloudEvents type"})
    description = fields.String()


URL = fields.String(validate=validate.Length(min=10, max=2000))
TYPES = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), validate=validate.Length(min=1, max=50))


class SubscriptionIn(In):
    url = fields.String(required=True, validate=validate.Length(min=10, max=2000),
                        metadata={"description": "An https URL on a public address"})
    event_types = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                              validate=validate.Length(min=1, max=50))
    description = fields.String(load_default=None, validate=validate.Length(max=500))


class SubscriptionPatch(In):
    url = fields.String(validate=validate.Length(min=10, max=2000))
    event_types = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                              validate=validate.Length(min=1, max=50))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    active = fields.Boolean(metadata={"description": "false disables (pending deliveries cancelled); true enables"})


class SubscriptionOut(Out):
    id = fields.UUID()
    institution_id = fields.UUID()
    url = fields.String()
    event_types = fields.List(fields.String())
    description = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "active or disabled"})
    disabled_reason = fields.String(allow_none=True)
    failing_since = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SubscriptionCreatedOut(SubscriptionOut):
    secret = fields.String(metadata={"description": "The signing secret (Standard Webhooks, whsec_…). Shown once."})


class DeliveryQuery(Page):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["pending", "delivered", "failed", "cancelled"]))


class AttemptOut(Out):
    attempt = fields.Integer()
    replay = fields.Boolean()
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True, metadata={"description": "When it is tried again"})


class DeliveryOut(Out):
    id = fields.UUID()
    webhook_id = fields.String(metadata={"description": "The webhook-id header: the same on every attempt and replay"})
    event_id = fields.UUID()
    event_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptOut))
