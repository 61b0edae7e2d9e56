"""One meaning of each count (docs/architecture.md, "Counting mentors"), through the gateway of the running
platform: after the same events, identity's compliance, mentorship's counts, training's completion view
and the directory's list of the institution's mentors say the same numbers of enrolled, trained,
published and mentoring mentors — an exited mentee admitted as a mentor (R17) and a deactivated mentor
included. (Identity once said 8 active mentors where mentorship said 7: mentorship ignored the
alumna's MentorEnrolled.)"""
from __future__ import annotations

import uuid

import pytest
import requests

from demo.client import Client
from tests.journeys import call, institution_with_admin, new_operator, request_mentorship, sign_in, until

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

PASSWORD = "a-long-test-password-1"
IDENTITY, TRAINING = "/api/v1/identity", "/api/v1/training"


class School:
    """A new institution of this test's own, its admin and the operator, as people call the gateway."""

    def __init__(self, url: str):
        self.url, self.tag = url, uuid.uuid4().hex[:8]
        self.operator = new_operator(url, "Counting Operator")
        institution, self.admin = institution_with_admin(url, self.operator, self.tag, name="Counting School",
                                                         class_size=40)
        self.id = institution["id"]
        self.answers = {(m["id"], v["version"]): [q["answer"] for q in v["questions"]]
                        for m in call(url, "GET", f"{TRAINING}/authoring/modules", self.operator).json()
                        for v in m["versions"]}

    def _invite(self, kind: str, email: str, name: str) -> tuple[str, str]:
        body = {"email": email, "name": name}
        if kind == "mentor":
            body |= {"criteria": ["teaching_award"], "evidence": "Teaching award 2023"}
        token = call(self.url, "POST", f"{IDENTITY}/institutions/{self.id}/{kind}-invitations", self.admin, (201,),
                     json=body).json()["token"]
        return token, email

    def _accept(self, invitation: tuple[str, str], role: str | None = None, **extra) -> dict:
        """Accept the invitation (a mentor or mentee accepts their agreement's current version): the user."""
        token, _ = invitation
        if role is not None:
            current = call(self.url, "GET", f"{IDENTITY}/agreements/{role}/current").json()
            extra["accept_agreement_version"] = current["version"]
        return call(self.url, "POST", f"{IDENTITY}/invitations/accept", None, (201,),
                    json={"token": token, "password": PASSWORD, **extra}).json()

    def mentor(self, name: str, email: str | None = None) -> tuple[str, str]:
        """A mentor admitted on an invitation: (their token, their user id)."""
        email = email or f"mentor-{uuid.uuid4().hex[:8]}@example.org"
        user = self._accept(self._invite("mentor", email, name), "mentor")
        return sign_in(self.url, email, PASSWORD), user["id"]

    def mentee(self, name: str) -> tuple[str, str, str]:
        """An approved mentee: (their token, their user id, their e-mail address)."""
        email = f"mentee-{uuid.uuid4().hex[:8]}@example.org"
        user = self._accept(self._invite("mentee", email, name), "mentee", attested=True,
                            eligibility=["first_generation"],
                            profile={"demographics": {"race_ethnicity": ["Black or African American"]},
                                     "contact": {"phone": "1"}})
        call(self.url, "POST", f"{IDENTITY}/mentees/{user['id']}/approve", self.admin, json={"note": "welcome"})
        return sign_in(self.url, email, PASSWORD), user["id"], email

    def train(self, token: str) -> None:
        import demo.training

        until(lambda: requests.get(self.url + f"{TRAINING}/me/training", timeout=30,
                                   headers={"Authorization": f"Bearer {token}"}).status_code == 200)
        demo.training._train(Client(self.url), token, self.answers, None)

    def publish(self, token: str, name: str) -> None:
        call(self.url, "PATCH", "/api/v1/directory/me/profile", token, json={
            "display_name": name, "academic_rank": "assistant_professor", "specialties": ["Pediatrics"],
            "languages": ["English"], "city": "Jackson", "state": "MS", "bio": "Pediatrician who teaches.",
            "scope": "local", "accepting_new_mentees": True, "hours_per_month": 4, "meeting_modes": ["video"],
            "time_windows": [{"day": "wed", "start": "17:00", "end": "19:00"}], "timezone": "America/Chicago"})
        assert until(lambda: requests.post(self.url + "/api/v1/directory/me/profile/publish", timeout=30,
                                           json={"consent_to_search": True},
                                           headers={"Authorization": f"Bearer {token}"}).status_code == 200)

    def views(self) -> dict:
        """Each service's count of the same things, as an admin reads them."""
        compliance = call(self.url, "GET", f"{IDENTITY}/institutions/{self.id}/compliance", self.admin).json()
        counts = call(self.url, "GET", f"/api/v1/mentorship/institutions/{self.id}/counts", self.admin).json()
        tracks = {t["track"]: t for t in call(self.url, "GET", f"{TRAINING}/institutions/{self.id}/training",
                                              self.admin).json()["tracks"]}
        listed = call(self.url, "GET", f"/api/v1/directory/institutions/{self.id}/mentors", self.admin,
                      params={"limit": 100}).json()
        enrolled = [m for m in listed if m["status"] == "active"]
        return {
            "enrolled": {"identity": compliance["enrolled_mentors"],
                         "mentorship": counts["mentors"]["enrolled_mentors"],
                         "training": tracks["mentor"]["enrolled"], "directory": len(enrolled)},
            "trained": {"training": tracks["mentor"]["trained"], "directory": sum(m["trained"] for m in enrolled)},
            "published": {"directory": sum(m["published"] for m in enrolled)},
            "in a mentorship": {"mentorship": counts["mentors"]["mentors_in_mentorships"],
                                "directory": sum(m["active_mentees"] > 0 for m in enrolled)},
            "mentees enrolled": {"training": tracks["mentee"]["enrolled"]},
        }


def test_every_view_counts_the_same_mentors(platform):
    school = School(platform)
    mentors = [school.mentor(f"Dr. Counted {i}") for i in range(4)]
    for token, _ in mentors[:3]:
        school.train(token)
    for i, (token, _) in enumerate(mentors[:2]):
        school.publish(token, f"Dr. Counted {i}")
    # a trained mentee of the school in a mentorship with the first mentor
    mentee, _, _ = school.mentee("Mo Mentee")
    school.train(mentee)
    request = until(lambda: request_mentorship(platform, mentee, mentors[0][1]))
    assert request.status_code == 201, request.text
    call(platform, "POST", f"/api/v1/mentorship/requests/{request.json()['id']}/accept", mentors[0][0])
    # R17: a mentee who exits and is admitted as a mentor of the school, under the same account
    _, alumna_id, alumna_email = school.mentee("Ana Alumna")
    call(platform, "POST", f"{IDENTITY}/mentees/{alumna_id}/exit", school.admin, json={"reason": "graduated"})
    alumna, same_id = school.mentor("Dr. Ana Alumna", alumna_email)
    assert same_id == alumna_id
    school.train(alumna)
    # a trained, unpublished mentor leaves
    call(platform, "POST", f"{IDENTITY}/users/{mentors[2][1]}/deactivate", school.admin,
         json={"reason": "moved away"})

    expected = {"enrolled": 4, "trained": 3, "published": 2, "in a mentorship": 1, "mentees enrolled": 1}
    views = until(lambda: (v := school.views()) and all(set(counts.values()) == {expected[term]}
                                                         for term, counts in v.items()) and v, timeout=60)
    assert views, school.views()
