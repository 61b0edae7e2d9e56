"""R15 through the gateway, on the running platform: an institution's admin sets the rewards their
institution offers its mentors and finds them in the institution's participation report (the policy
travels by InstitutionUpdated to the evaluation service); another institution's admin finds no such
institution; the rest of the institution stays the operators' to change."""
from __future__ import annotations

import uuid

from tests.journeys import call, institution_with_admin, new_operator, until

PASSWORD = "a-long-test-password-1"
IDENTITY = "/api/v1/identity"


def test_an_admin_sets_their_reward_policy_and_another_institutions_admin_is_refused(platform):
    tag = uuid.uuid4().hex[:8]
    operator = new_operator(platform, "Reward Operator")
    harbor, harbor_admin = institution_with_admin(platform, operator, f"h{tag}", name="Reward School")
    lakeside, lakeside_admin = institution_with_admin(platform, operator, f"l{tag}", name="Reward School")
    policy = {"dedicated_fte": {"offered": True, "details": "0.05 FTE for three mentees"},
              "promotion_recognition": {"offered": True, "details": "Mentoring counts in promotion dossiers"},
              "financial_compensation": {"offered": False}}

    r = call(platform, "PUT", f"{IDENTITY}/institutions/{harbor['id']}/reward-policy", harbor_admin, json=policy)
    assert r.json()["reward_policy"] == policy
    assert call(platform, "GET", f"{IDENTITY}/institutions/{harbor['id']}", harbor_admin).json()["reward_policy"] \
        == policy

    # the participation report the admin gives promotion committees names the new rewards
    report = f"/api/v1/evaluation/institutions/{harbor['id']}/participation"
    expected = [{"reward": "promotion_recognition", "name": "Recognition in promotion and tenure",
                 "details": "Mentoring counts in promotion dossiers"},
                {"reward": "dedicated_fte", "name": "Dedicated FTE (protected time) for mentoring",
                 "details": "0.05 FTE for three mentees"}]
    seen = until(lambda: (lambda rs: rs if rs == expected else None)(
        call(platform, "GET", report, harbor_admin, (200, 404)).json().get("reward_policy")), timeout=60)
    assert seen == expected

    # another institution's admin: no such institution, and nothing changed
    r = call(platform, "PUT", f"{IDENTITY}/institutions/{harbor['id']}/reward-policy", lakeside_admin, (404,),
             json={})
    assert r.headers["Content-Type"].startswith("application/problem+json")
    call(platform, "GET", f"{IDENTITY}/institutions/{harbor['id']}", lakeside_admin, (404,))
    assert call(platform, "GET", f"{IDENTITY}/institutions/{harbor['id']}", harbor_admin).json()["reward_policy"] \
        == policy
    # ... their own is theirs to set
    call(platform, "PUT", f"{IDENTITY}/institutions/{lakeside['id']}/reward-policy", lakeside_admin,
         json={"cme_credit": {"offered": True}})

    # an admin changes the policy only: the rest of the institution is the operators'
    call(platform, "PATCH", f"{IDENTITY}/institutions/{harbor['id']}", harbor_admin, (403,), json={"class_size": 140})
    # operators still set any institution's policy
    r = call(platform, "PUT", f"{IDENTITY}/institutions/{lakeside['id']}/reward-policy", operator, json={})
    assert r.json()["reward_policy"] == {}
