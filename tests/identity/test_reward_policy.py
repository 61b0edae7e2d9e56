"""R15: the rewards an institution offers its mentors are its own offer. Its admins set the policy
(PUT /institutions/{id}/reward-policy), operators set any institution's, an admin of another
institution finds none; every change publishes InstitutionUpdated with the policy."""
from __future__ import annotations

from shared.testing import outbox_events
from tests.identity.conftest import count

POLICY = {"dedicated_fte": {"offered": True, "details": "0.05 FTE for three mentees"},
          "cme_credit": {"offered": True, "details": "CME for every training module"},
          "financial_compensation": {"offered": False}}


def put(world, inst_id, body, headers):
    return world.c.put(f"/api/v1/identity/institutions/{inst_id}/reward-policy", json=body, headers=headers)


def test_an_admin_sets_their_own_institutions_reward_policy(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    r = put(world, inst["id"], POLICY, admin["headers"])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["reward_policy"] == POLICY and r.get_json()["id"] == inst["id"]
    assert world.get(f"/institutions/{inst['id']}", admin["headers"], expect=200).get_json()["reward_policy"] == POLICY
    [event] = outbox_events(identity_db, "InstitutionUpdated", institution_id=inst["id"])
    assert event["data"]["reward_policy"] == POLICY
    assert event["data"]["name"] == inst["name"] and event["data"]["class_size"] == inst["class_size"]
    # the same policy again changes nothing and publishes nothing
    assert put(world, inst["id"], POLICY, admin["headers"]).status_code == 200
    assert len(outbox_events(identity_db, "InstitutionUpdated", institution_id=inst["id"])) == 1
    # the policy sent is the whole policy: a reward left out is no longer offered
    r = put(world, inst["id"], {"promotion_recognition": {"offered": True}}, admin["headers"])
    assert r.status_code == 200 and r.get_json()["reward_policy"] == {"promotion_recognition": {"offered": True}}
    events = outbox_events(identity_db, "InstitutionUpdated", institution_id=inst["id"])
    assert len(events) == 2 and events[-1]["data"]["reward_policy"] == {"promotion_recognition": {"offered": True}}
    # and an empty one offers nothing
    assert put(world, inst["id"], {}, admin["headers"]).get_json()["reward_policy"] == {}


def test_an_admin_of_another_institution_finds_none_and_others_may_not(world, identity_db):
    a, b = world.institution(), world.institution()
    admin_a, admin_b = world.admin(a), world.admin(b)
    mentor_b = world.mentor(b, admin_b)
    mentee_b = world.mentee(b, admin_b)
    before = count(identity_db, "outbox")
    r = put(world, b["id"], POLICY, admin_a["headers"])
    assert r.status_code == 404 and r.content_type == "application/problem+json"
    assert put(world, "00000000-0000-4000-8000-000000000000", POLICY, admin_a["headers"]).status_code == 404
    assert put(world, b["id"], POLICY, mentor_b["headers"]).status_code == 403
    assert put(world, b["id"], POLICY, mentee_b["headers"]).status_code == 403
    assert put(world, b["id"], POLICY, None).status_code == 401
    assert world.get(f"/institutions/{b['id']}", admin_b["headers"], expect=200).get_json()["reward_policy"] == {}
    assert count(identity_db, "outbox") == before


def test_an_admin_changes_nothing_else_of_the_institution(world, identity_db):
    inst = world.institution(class_size=40)
    admin = world.admin(inst)
    before = count(identity_db, "outbox")
    # the rest of the institution stays the operators' to change
    for body in ({"reward_policy": POLICY}, {"class_size": 140}, {"name": "Renamed"}):
        r = world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json=body, headers=admin["headers"])
        assert r.status_code == 403, (body, r.get_json())
    # the reward-policy body carries rewards only
    r = put(world, inst["id"], {**POLICY, "class_size": 140}, admin["headers"])
    assert r.status_code == 422 and {e["pointer"] for e in r.get_json()["errors"]} == {"#/class_size"}
    r = put(world, inst["id"], {"cme_credit": {"offered": "sometimes", "amount": 5}, "free_lunch": {"offered": True}},
            admin["headers"])
    assert r.status_code == 422
    assert {e["pointer"] for e in r.get_json()["errors"]} == {"#/cme_credit/offered", "#/cme_credit/amount",
                                                                "#/free_lunch"}
    after = world.get(f"/institutions/{inst['id']}", admin["headers"], expect=200).get_json()
    assert (after["class_size"], after["name"], after["reward_policy"]) == (40, inst["name"], {})
    assert count(identity_db, "outbox") == before


def test_operators_set_any_institutions_reward_policy(world, identity_db):
    inst = world.institution()
    r = put(world, inst["id"], POLICY, world.operator["headers"])
    assert r.status_code == 200 and r.get_json()["reward_policy"] == POLICY
    [event] = outbox_events(identity_db, "InstitutionUpdated", institution_id=inst["id"])
    assert event["data"]["reward_policy"] == POLICY
    # and may still change the rest, the policy too, with PATCH
    r = world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json={"reward_policy": {}},
                      headers=world.operator["headers"])
    assert r.status_code == 200 and r.get_json()["reward_policy"] == {}
