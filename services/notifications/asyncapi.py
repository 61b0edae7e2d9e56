"""The AsyncAPI 3.0 document of what institutions receive (R18), made from the same tables that decide
it: rules.FEEDS (which events, which fields) and the event contracts (each field's type). So the
document cannot drift from what the feed and the webhooks carry."""
from __future__ import annotations

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.notifications import rules
from shared.events import registry


@functools.cache
def _converter():
    spec = APISpec("asyncapi", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    return spec.plugins[0].converter


def _data_schema(name: str, projection: rules.FeedProjection) -> dict:
    contract = registry.by_name(name).schema()
    fields = ["institution_id", *projection.members, *projection.keep]
    properties = {}
    for field_name in dict.fromkeys(fields):
        if field_name in contract.fields:
            properties[field_name] = _converter().field2property(contract.fields[field_name])
        else:
            properties[field_name] = {"type": "string", "format": "uuid"}
    member_note = ("Member ids appear only for the receiving institution's own members: "
                   + ", ".join(projection.members) + ".") if len(projection.members) > 1 else ""
    return {"type": "object", "properties": properties, "required": ["institution_id"],
            "description": f"{projection.description}. {member_note}".strip()}


def _envelope(name: str, data: dict) -> dict:
    et = registry.by_name(name)
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid", "description": "The event's id (the same in every feed)"},
            "source": {"const": et.source},
            "type": {"const": et.type},
            "subject": {"type": ["string", "null"]},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "correlationid": {"type": "string"},
            "data": data,
        },
    }


def document(public_url: str) -> dict:
    channels, operations, messages = {}, {}, {}
    for name, projection in sorted(rules.FEEDS.items()):
        messages[name] = {
            "name": name,
            "title": name,
            "summary": projection.description,
            "contentType": "application/json",
            "headers": {"type": "object", "properties": {
                "webhook-id": {"type": "string", "description": "Unique per delivery; the same on retries and replays"},
                "webhook-timestamp": {"type": "string", "description": "Unix seconds of this attempt"},
                "webhook-signature": {"type": "string",
                                      "description": "v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated "
                                                     "when a rotated secret still signs"},
            }},
            "payload": _envelope(name, _data_schema(name, projection)),
        }
        channels[name] = {"address": None, "title": name, "description": projection.description,
                          "messages": {name: {"$ref": f"#/components/messages/{name}"}}}
        operations[f"receive{name}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{name}"},
                                        "summary": f"An institution receives {name}"}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "MentorMeMed institution event feeds",
            "version": "1.0.0",
            "description": (
                "Events about an institution's own members (R18), delivered to its webhook subscriptions "
                "(POST, JSON body, signed the Standard Webhooks way) and readable from the pull feed "
                "GET /api/v1/notifications/feed?after=<cursor>. Each body is a CloudEvents 1.0 event in "
                "structured JSON mode whose data is minimised: ids and the facts listed, never names, e-mail "
                "addresses or demographics, and never the id of another institution's member."),
        },
        "servers": {"webhooks": {"host": "your-receiver.example", "protocol": "https",
                                 "description": "The https URL of each subscription"},
                    "feed": {"host": public_url.split("://", 1)[-1], "protocol": public_url.split("://", 1)[0],
                             "pathname": "/api/v1/notifications/feed"}},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
