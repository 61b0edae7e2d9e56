"""R5: the starter agreements (version 2, identity_0003) say in plain words what the program asks of
mentors and mentees. (That someone who accepted version 1 is asked for version 2 at sign-in is
tests/identity/test_agreements_gateway.py, on a platform where no later version was published.)"""
from __future__ import annotations

import pytest
import sqlalchemy as sa


MENTOR_TERMS = ["at most 3 mentees at a time", "by its deadline: 14 days", "expires",
                "Repeated expired requests remove me from the program", "every 6 months", "when it concludes",
                "totals of at least 3 evaluations", "case by case", "de-identified", "surveys about the program",
                "not copy or reproduce the MentorMeMed platform", "without the program's written permission"]
MENTEE_TERMS = ["evaluate each of my mentors every 6 months", "when it concludes",
                "career-update surveys every 12 months, also after I leave", "feedback about the program",
                "case by case", "de-identified", "invite me to stay on as a mentor",
                "not copy or reproduce the MentorMeMed platform", "without the program's written permission"]


def _starter(identity_db, role: str) -> dict:
    """The newest agreement the migrations wrote (tests publish later ones through the API)."""
    with identity_db.sessions() as conn:
        return dict(conn.execute(sa.text(
            "SELECT version, title, body FROM agreements WHERE role = :r AND published_by IS NULL "
            "ORDER BY version DESC LIMIT 1"), {"r": role}).mappings().one())


@pytest.mark.parametrize("role, terms", [("mentor", MENTOR_TERMS), ("mentee", MENTEE_TERMS)])
def test_the_starter_agreements_are_version_2_and_say_each_term(world, identity_db, role, terms):
    starter = _starter(identity_db, role)
    assert starter["version"] == 2 and starter["title"] == f"MentorMeMed {role} agreement"
    for term in terms:
        assert term in starter["body"], (role, term)
    published = {a["version"]: a for a in world.get(f"/agreements/{role}", expect=200).get_json()}
    assert published[2]["body"] == starter["body"] and 1 in published
    # unless an operator has published a later one, version 2 is the current agreement
    current = world.get(f"/agreements/{role}/current", expect=200).get_json()
    with identity_db.sessions() as conn:
        later = conn.execute(sa.text("SELECT count(*) FROM agreements WHERE role = :r AND version > 2"),
                             {"r": role}).scalar()
    assert current["version"] == 2 or later
