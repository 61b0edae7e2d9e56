"""The institution admin's bulk invitations from a CSV file and the reward policy editor in Debian's
Chromium, against the platform with the demo data (web/e2e/admin-import.test.mjs). Python checks
afterwards, through the API, what the browser did: the refused file wrote nothing (the corrected one,
whose e-mail addresses would otherwise be pending already, invited each mentor exactly once), and the
rewards saved are Lakeside's whole policy."""
from __future__ import annotations

import uuid

from tests.journeys import call, sign_in
from tests.web.conftest import needs_browser

pytestmark = needs_browser

IDENTITY = "/api/v1/identity"


def test_an_admin_invites_mentors_from_a_file_and_sets_the_rewards(browser_test, running_platform, demo_logins):
    url = running_platform
    operator = sign_in(url, demo_logins["operator"]["email"], demo_logins["operator"]["password"])
    lakeside = next(i for i in call(url, "GET", f"{IDENTITY}/institutions", operator).json()
                    if i["name"] == "Lakeside School of Medicine")
    tag = uuid.uuid4().hex[:6]
    mentors = [
        {"name": f"Dr. Ana Flores {tag}", "email": f"e2e-import-ana-{tag}@example.org",
         "criteria": "first_generation;teaching_award", "evidence": "Teaching award 2024"},
        {"name": f"Dr. Ben Okafor {tag}", "email": f"e2e-import-ben-{tag}@example.org",
         "criteria": "high_teaching_evaluations", "evidence": "Clerkship evaluations 4.8 of 5"},
        {"name": f"Dr. Chen Wei {tag}", "email": f"e2e-import-chen-{tag}@example.org",
         "criteria": "nominated_by_department_leadership", "evidence": "Nominated by the chair of surgery"},
    ]
    mentee = {"name": f"Jordan Student {tag}", "email": f"e2e-import-student-{tag}@example.org"}
    fte, cme = f"0.05 FTE for three mentees ({tag})", f"Up to 12 AMA PRA Category 1 credits a year ({tag})"
    browser_test("admin-import", lakeside_id=lakeside["id"], mentors=mentors, mentee=mentee, fte_details=fte,
                 cme_details=cme)

    invitations = call(url, "GET", f"{IDENTITY}/institutions/{lakeside['id']}/invitations", operator).json()
    for m in mentors:
        found = [i for i in invitations if i["email"] == m["email"]]
        assert [(i["name"], i["kind"], i["state"]) for i in found] == [(m["name"], "mentor", "pending")], found
    assert [(i["name"], i["kind"]) for i in invitations if i["email"] == mentee["email"]] == [(mentee["name"], "mentee")]
    policy = call(url, "GET", f"{IDENTITY}/institutions/{lakeside['id']}", operator).json()["reward_policy"]
    assert policy == {"dedicated_fte": {"offered": True, "details": fte}, "cme_credit": {"offered": True, "details": cme}}
