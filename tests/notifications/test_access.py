"""Who may see and change what: users read and mark only their own inbox; admins manage only their own
institution's subscriptions and feed; bad input is a 422 problem that writes nothing."""
from __future__ import annotations

import uuid

import pytest

from tests.notifications.conftest import count

PROBLEM = "application/problem+json"


def test_users_read_and_mark_only_their_own_notifications(world, notifications_db):
    inst = world.institution()
    mentor, other, mentee = world.person("mentor", inst), world.person("mentor", inst), world.person("mentee", inst)
    world.request(mentee, mentor)
    world.request(mentee, other)
    mine = world.inbox(mentor)
    assert mine["total"] == 1 and mine["unread_count"] == 1
    item = mine["items"][0]
    assert world.call("POST", f"/inbox/{item['id']}/read", other, 404).headers["Content-Type"] == PROBLEM
    assert world.call("POST", f"/inbox/{item['id']}/read", world.operator(), 404)
    assert world.inbox(mentor)["unread_count"] == 1
    read = world.call("POST", f"/inbox/{item['id']}/read", mentor, 200).get_json()
    assert read["read_at"] is not None
    assert world.inbox(mentor)["unread_count"] == 0 and world.inbox(other)["unread_count"] == 1
    assert world.inbox(mentor, unread_only="true")["items"] == []
    assert world.call("POST", "/inbox/read-all", other, 200).get_json() == {"marked": 1}
    assert world.inbox(other)["unread_count"] == 0
    assert world.call("GET", "/inbox", None, 401).headers["Content-Type"] == PROBLEM


def test_preferences_are_per_user_and_mandatory_ones_cannot_be_switched_off(world, notifications_db):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    prefs = {p["category"]: p for p in world.call("GET", "/preferences", mentor, 200).get_json()}
    assert prefs["request_received"]["mandatory"] and prefs["request_received"]["email"]
    assert "request_accepted" not in prefs  # a mentee's category
    before = count(notifications_db, "SELECT count(*) FROM preferences")
    r = world.call("PUT", "/preferences", mentor, 422,
                   json={"email": {"mentor_reinstated": False, "request_received": False}})
    assert r.headers["Content-Type"] == PROBLEM
    assert r.get_json()["errors"] == [{"pointer": "#/email/request_received",
                                       "detail": r.get_json()["errors"][0]["detail"]}]
    assert "cannot be switched off" in r.get_json()["errors"][0]["detail"]
    assert count(notifications_db, "SELECT count(*) FROM preferences") == before  # nothing half-applied
    world.call("PUT", "/preferences", mentor, 200, json={"email": {"mentor_reinstated": False}})
    assert {p["category"]: p["email"] for p in world.call("GET", "/preferences", mentor, 200).get_json()}[
        "mentor_reinstated"] is False
    assert {p["category"]: p["email"] for p in world.call("GET", "/preferences", mentee, 200).get_json()}[
        "request_accepted"] is True


@pytest.mark.parametrize("body,pointer", [
    ({}, "#/email"),
    ({"email": {}}, "#/email"),
    ({"email": {"request_accepted": "maybe"}}, "#/email/request_accepted/value"),
    ({"email": {"no_such_category": True}}, "#/email/no_such_category"),
    ({"email": {"request_accepted": False}, "user_id": str(uuid.uuid4())}, "#/user_id"),
])
def test_bad_preferences_are_422_and_write_nothing(world, notifications_db, body, pointer):
    mentee = world.person("mentee", world.institution())
    before = count(notifications_db, "SELECT count(*) FROM preferences")
    r = world.call("PUT", "/preferences", mentee, 422, json=body)
    assert r.headers["Content-Type"] == PROBLEM
    assert pointer in [e.get("pointer") for e in r.get_json()["errors"]], r.get_json()
    assert count(notifications_db, "SELECT count(*) FROM preferences") == before


def test_admins_manage_only_their_own_institution(world, notifications_db):
    a, b = world.institution(), world.institution()
    admin_a, admin_b = world.person("institution_admin", a), world.person("institution_admin", b)
    body = {"url": "https://hooks.example.org/a", "event_types": ["MentorEnrolled"]}
    sub = world.call("POST", f"/institutions/{a}/webhooks", admin_a, 201, json=body).get_json()
    try:
        world.call("POST", f"/institutions/{a}/webhooks", admin_b, 404, json=body)
        world.call("GET", f"/institutions/{a}/webhooks", admin_b, 404)
        for method, path, kw in (("GET", "", {}), ("PATCH", "", {"json": {"active": False}}), ("DELETE", "", {}),
                                 ("POST", "/secret", {}), ("GET", "/deliveries", {})):
            world.call(method, f"/webhooks/{sub['id']}{path}", admin_b, 404, **kw)
        assert world.call("GET", f"/webhooks/{sub['id']}", admin_a, 200).get_json()["status"] == "active"
        world.call("GET", "/feed", admin_b, 404, query_string={"institution_id": str(a)})
        for role in ("mentor", "mentee"):
            person = world.person(role, a)
            world.call("GET", f"/institutions/{a}/webhooks", person, 403)
            world.call("GET", "/feed", person, 403)
        operator = world.operator()
        assert [s["id"] for s in world.call("GET", f"/institutions/{a}/webhooks", operator, 200).get_json()] == [sub["id"]]
    finally:
        world.call("DELETE", f"/webhooks/{sub['id']}", admin_a, 204)


@pytest.mark.parametrize("body,pointer", [
    ({"url": "https://hooks.example.org/a"}, "#/event_types"),
    ({"event_types": ["MentorEnrolled"]}, "#/url"),
    ({"url": "https://hooks.example.org/a", "event_types": []}, "#/event_types"),
    ({"url": "https://hooks.example.org/a", "event_types": ["InvitationIssued"]}, "#/event_types"),
    ({"url": "https://hooks.example.org/a", "event_types": ["NoSuchThing"]}, "#/event_types"),
    ({"url": "not a url at all", "event_types": ["MentorEnrolled"]}, "#/url"),
    ({"url": "https://user:pw@hooks.example.org/a", "event_types": ["MentorEnrolled"]}, "#/url"),
    ({"url": "https://hooks.example.org/a", "event_types": ["MentorEnrolled"], "secret": "mine"}, "#/secret"),
    ({"url": "https://hooks.example.org/a", "event_types": ["MentorEnrolled"], "institution_id": "x"},
     "#/institution_id"),
])
def test_bad_subscriptions_are_422_and_write_nothing(world, notifications_db, body, pointer):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    before = count(notifications_db, "SELECT count(*) FROM webhook_subscriptions")
    r = world.call("POST", f"/institutions/{inst}/webhooks", admin, 422, json=body)
    assert r.headers["Content-Type"] == PROBLEM
    assert pointer in [e.get("pointer") for e in r.get_json()["errors"]], r.get_json()
    assert count(notifications_db, "SELECT count(*) FROM webhook_subscriptions") == before


def test_bad_changes_to_a_subscription_write_nothing(world, notifications_db):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    sub = world.call("POST", f"/institutions/{inst}/webhooks", admin, 201,
                     json={"url": "https://hooks.example.org/a", "event_types": ["MentorEnrolled"]}).get_json()
    try:
        world.call("PATCH", f"/webhooks/{sub['id']}", admin, 422,
                   json={"description": "new", "event_types": ["MentorEnrolled", "Bogus"]})
        world.call("PATCH", f"/webhooks/{sub['id']}", admin, 422, json={"status": "active"})
        after = world.call("GET", f"/webhooks/{sub['id']}", admin, 200).get_json()
        assert after["description"] is None and after["event_types"] == ["MentorEnrolled"]
        world.call("GET", "/inbox", admin, 422, query_string={"limit": 0})
        world.call("GET", "/inbox", admin, 422, query_string={"offset": "9223372036854775808"})
    finally:
        world.call("DELETE", f"/webhooks/{sub['id']}", admin, 204)
