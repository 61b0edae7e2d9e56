"""A mentor's feedback summary (R13, DESIGN §6): averages and shared texts only from 3 submitted
evaluations on, for the mentor and their institution's admins; operators always; texts unattributed."""
from __future__ import annotations

import pytest

from tests.evaluation.test_evaluations import ANSWERS, due_evaluation

TEXTS = ["Zealous about my research plans.", "Always answered within a day.", "Helped me with my personal statement.",
         "Met me every month."]


def mentor_with_submissions(world, n: int):
    """A mentor with `n` submitted evaluations (ratings 1..n for availability, texts from TEXTS)."""
    mentor = world.mentor()
    for i in range(n):
        mentee = world.mentee()
        eid = due_evaluation(world, mentor, mentee)
        world.post(f"/evaluations/{eid}/submission", {**ANSWERS, "availability": i + 1, "would_recommend": i % 2 == 0,
                                                      "shared_text": TEXTS[i]}, mentee, expect=201)
    # an evaluation due but not submitted counts for nothing
    due_evaluation(world, mentor, world.mentee())
    return mentor


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_threshold_for_mentor_and_admin_operators_always(world, n):
    mentor = mentor_with_submissions(world, n)
    for who in (mentor, world.admin(mentor.institution_id)):
        body = world.get(f"/mentors/{mentor.id}/feedback", who, expect=200).get_json()
        assert (body["count"], body["minimum"], body["mentor_name"]) == (n, 3, mentor.name)
        if n < 3:
            assert body["withheld"] is True and "at least 3" in body["reason"]
            assert body["averages"] is None and body["would_recommend_share"] is None and body["shared_texts"] is None
        else:
            assert body["withheld"] is False and body["reason"] is None
            assert body["averages"]["availability"] == round(sum(range(1, n + 1)) / n, 2)
            assert body["averages"]["overall"] == 5.0
            assert body["would_recommend_share"] == round(len(range(0, n, 2)) / n, 2)
            assert body["shared_texts"] == sorted(TEXTS[:n])
    body = world.get(f"/mentors/{mentor.id}/feedback", world.operator(), expect=200).get_json()
    assert body["withheld"] is False and body["count"] == n
    assert body["averages"]["availability"] == round(sum(range(1, n + 1)) / n, 2)
    assert body["shared_texts"] == sorted(TEXTS[:n])


def test_own_feedback_and_who_may_not_see_it(world):
    mentor = mentor_with_submissions(world, 3)
    mine = world.get("/mentors/me/feedback", mentor, expect=200).get_json()
    assert mine == world.get(f"/mentors/{mentor.id}/feedback", mentor, expect=200).get_json()
    assert set(mine) == {"mentor_id", "mentor_name", "count", "minimum", "withheld", "reason", "averages",
                         "would_recommend_share", "shared_texts"}  # no ids, dates or mentees anywhere
    world.get(f"/mentors/{mentor.id}/feedback", world.admin(world.new_institution()), expect=404)
    world.get(f"/mentors/{mentor.id}/feedback", world.mentor(), expect=404)
    world.get(f"/mentors/{mentor.id}/feedback", world.mentee(), expect=403)
    world.get("/mentors/me/feedback", world.admin(), expect=403)
    world.get(f"/mentors/{world.mentee().id}/feedback", world.operator(), expect=404)  # not a mentor


def test_no_submissions_is_withheld_zero(world):
    mentor = world.mentor()
    body = world.get("/mentors/me/feedback", mentor, expect=200).get_json()
    assert (body["count"], body["withheld"]) == (0, True)
    body = world.get(f"/mentors/{mentor.id}/feedback", world.operator(), expect=200).get_json()
    assert (body["count"], body["withheld"], body["averages"], body["shared_texts"]) == (0, False, None, [])
