"""Object-level access: an admin of institution A gets 404 for every object of institution B; a mentee
cannot read another mentee; a mentor cannot approve anything; roles are enforced before bodies."""
from __future__ import annotations

import pytest

from tests.identity.conftest import count, unique_email


@pytest.fixture()
def two(world):
    """Institution A with its admin; institution B with everything an admin could touch."""
    a = world.institution()
    admin_a = world.admin(a)
    b = world.institution()
    admin_b = world.admin(b)
    mentor_b = world.mentor(b, admin_b)
    mentee_b = world.mentee(b, admin_b)
    pending_b = world.pending_mentee(b)
    invitation_b = world.mentor_invitation(b, admin_b)
    nomination_b = world.post("/nominations", {"email": unique_email("colleague"), "name": "Col League",
                                               "evidence": "co-teaches anatomy"}, mentor_b["headers"],
                              expect=201).get_json()
    return {"a": a, "admin_a": admin_a, "b": b, "admin_b": admin_b, "mentor_b": mentor_b, "mentee_b": mentee_b,
            "pending_b": pending_b, "invitation_b": invitation_b, "nomination_b": nomination_b}


def test_admin_of_a_gets_404_for_every_object_of_b(world, two, identity_db):
    h = two["admin_a"]["headers"]
    b, mentor, mentee, pending = two["b"]["id"], two["mentor_b"]["id"], two["mentee_b"]["id"], two["pending_b"]["id"]
    reads = [
        f"/institutions/{b}", f"/institutions/{b}/compliance", f"/institutions/{b}/invitations",
        f"/institutions/{b}/mentee-applications", f"/users/{mentor}", f"/users/{mentee}", f"/users/{pending}",
        f"/mentees/{mentee}/profile?reason=checking", f"/mentees/{pending}/profile?reason=checking",
        f"/users/{mentor}/admission?reason=checking", f"/users?institution_id={b}",
        f"/nominations?institution_id={b}",
    ]
    for path in reads:
        r = world.c.get("/api/v1/identity" + path, headers=h)
        assert r.status_code == 404, (path, r.status_code, r.get_json())
        assert r.content_type == "application/problem+json"
    writes = [
        (f"/institutions/{b}/enrollment-code", None),
        (f"/institutions/{b}/mentor-invitations", {"email": unique_email(), "name": "X", "criteria": ["teaching_award"],
                                                   "evidence": "award"}),
        (f"/institutions/{b}/mentee-invitations", {"email": unique_email(), "name": "X"}),
        (f"/mentees/{pending}/approve", {}), (f"/mentees/{pending}/decline", {}),
        (f"/mentees/{mentee}/exit", {"reason": "graduated"}),
        (f"/users/{mentor}/deactivate", {"reason": "because"}),
        (f"/invitations/{two['invitation_b']['id']}/revoke", None),
        (f"/nominations/{two['nomination_b']['id']}/approve", {}),
        (f"/nominations/{two['nomination_b']['id']}/decline", {}),
    ]
    outbox, invitations = count(identity_db, "outbox"), count(identity_db, "invitations")
    for path, body in writes:
        r = world.post(path, body, h)
        assert r.status_code == 404, (path, r.status_code, r.get_json())
    assert count(identity_db, "outbox") == outbox and count(identity_db, "invitations") == invitations
    # and the lists an admin of A sees contain nothing of B
    assert all(i["id"] != b for i in world.get("/institutions", h, expect=200).get_json())
    assert all(u["institution_id"] == two["a"]["id"] for u in world.get("/users", h, expect=200).get_json())
    assert world.get("/nominations", h, expect=200).get_json() == []
    # and B's objects are all reachable by B's own admin
    world.get(f"/users/{mentor}", two["admin_b"]["headers"], expect=200)
    world.get(f"/institutions/{b}/compliance", two["admin_b"]["headers"], expect=200)


def test_a_mentee_cannot_read_another_mentee(world, two):
    other = world.mentee(two["b"], two["admin_b"])
    h = other["headers"]
    world.get(f"/users/{two['mentee_b']['id']}", h, expect=404)
    world.get(f"/mentees/{two['mentee_b']['id']}/profile", h, expect=404, reason="curious")
    world.get(f"/users/{other['id']}", h, expect=200)
    world.get(f"/mentees/{other['id']}/profile", h, expect=200)
    world.get("/users", h, expect=403)
    # a mentor cannot read a mentee's record either
    world.get(f"/users/{two['mentee_b']['id']}", two["mentor_b"]["headers"], expect=404)
    world.get(f"/mentees/{two['mentee_b']['id']}/profile", two["mentor_b"]["headers"], expect=404, reason="x" * 5)


def test_a_mentor_cannot_approve_anything(world, two, identity_db):
    h = two["mentor_b"]["headers"]
    b = two["b"]["id"]
    attempts = [
        (f"/mentees/{two['pending_b']['id']}/approve", {}),
        (f"/mentees/{two['pending_b']['id']}/decline", {}),
        (f"/nominations/{two['nomination_b']['id']}/approve", {}),
        (f"/nominations/{two['nomination_b']['id']}/decline", {}),
        (f"/institutions/{b}/mentor-invitations", {"email": unique_email(), "name": "X",
                                                   "criteria": ["teaching_award"], "evidence": "e"}),
        (f"/institutions/{b}/mentee-invitations", {"email": unique_email(), "name": "X"}),
        (f"/institutions/{b}/admin-invitations", {"email": unique_email(), "name": "X"}),
        (f"/users/{two['mentee_b']['id']}/deactivate", {"reason": "x"}),
        (f"/mentees/{two['mentee_b']['id']}/exit", {"reason": "left"}),
        (f"/users/{two['mentor_b']['id']}/reinstate", {"reason": "x"}),
        ("/institutions", {"name": "X"}),
        ("/agreements/mentor", {"title": "t", "body": "b"}),
        ("/keys/rotate", None),
    ]
    before = count(identity_db, "outbox")
    for path, body in attempts:
        r = world.post(path, body, h)
        assert r.status_code == 403, (path, r.status_code, r.get_json())
    assert count(identity_db, "outbox") == before
    with identity_db.sessions() as conn:
        import sqlalchemy as sa
        status = conn.execute(sa.text("SELECT status FROM users WHERE id = :i"), {"i": two["pending_b"]["id"]}).scalar()
    assert status == "pending"


def test_roles_are_checked_before_the_body(world, two):
    # a mentee sending garbage to an operator endpoint is told 403, not 422: the body is never looked at
    r = world.c.post("/api/v1/identity/institutions", data="{not json", content_type="application/json",
                     headers=two["mentee_b"]["headers"])
    assert r.status_code == 403
    r = world.c.post("/api/v1/identity/institutions", data="{not json", content_type="application/json")
    assert r.status_code == 401


def test_admins_only_see_their_institutions_enrollment_code(world, two):
    assert "enrollment_code" in world.get(f"/institutions/{two['b']['id']}", two["admin_b"]["headers"],
                                          expect=200).get_json()
    seen_by_mentor = world.get(f"/institutions/{two['b']['id']}", two["mentor_b"]["headers"], expect=200).get_json()
    assert "enrollment_code" not in seen_by_mentor and seen_by_mentor["minimum_mentors"] == 50
    world.get(f"/institutions/{two['a']['id']}", two["mentor_b"]["headers"], expect=404)
    world.get(f"/institutions/{two['b']['id']}/compliance", two["mentor_b"]["headers"], expect=403)
