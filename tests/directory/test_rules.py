"""Unit tests of the directory's domain rules (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.directory import rules
from tests.directory.conftest import FULL_PROFILE

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_required_fields_and_completeness():
    assert rules.missing_fields(FULL_PROFILE) == []
    assert rules.completeness(FULL_PROFILE) == 100
    draft = {"display_name": "Dr. X", "specialties": [], "bio": "  "}
    assert rules.missing_fields(draft)[:3] == ["academic_rank", "specialties", "languages"]
    assert "bio" in rules.missing_fields(draft)
    assert rules.completeness(draft) == round(100 / 18)


@pytest.mark.parametrize("kw,slug", [
    ({"status": "ejected"}, "mentor-not-active"),
    ({"status": "deactivated"}, "mentor-not-active"),
    ({"trained": False}, "training-incomplete"),
    ({"missing": ["bio"]}, "profile-incomplete"),
    ({"consent": False}, "consent-required"),
])
def test_publish_refusals(kw, slug):
    args = {"missing": [], "trained": True, "status": "active", "consent": True, **kw}
    assert rules.publish_refusal(**args)[0] == slug


def test_publish_allowed():
    assert rules.publish_refusal(missing=[], trained=True, status="active", consent=True) is None


def test_open_slots_cap_at_three():
    assert [rules.open_slots(n, True) for n in range(5)] == [3, 2, 1, 0, 0]
    assert rules.open_slots(0, False) == 0


def test_availability():
    assert rules.availability(False, 20, 5) == 0
    assert rules.availability(True, 0, 0) == 0.5
    assert rules.availability(True, 8, 5) == pytest.approx(1.0)
    assert rules.availability(True, 100, 50) == pytest.approx(1.0)


def outcome(answered=True, hours=1.0, minutes_ago=0):
    created = T0 - timedelta(minutes=minutes_ago)
    return rules.Outcome(created, answered, created + timedelta(hours=hours) if answered else None)


def test_responsiveness():
    assert rules.responsiveness([]).score == rules.NEUTRAL_RESPONSIVENESS
    assert rules.responsiveness([outcome(False)]).score == 0
    r = rules.responsiveness([outcome(hours=0), outcome(hours=0)])
    assert r.response_rate == 1 and r.median_response_hours == 0 and r.score == 1
    slow = rules.responsiveness([outcome(hours=72)])
    assert slow.score == pytest.approx(0.75)
    half = rules.responsiveness([outcome(hours=0), outcome(False)])
    assert half.response_rate == 0.5 and half.score == pytest.approx(0.5)


def test_responsiveness_counts_only_the_most_recent_window():
    old_silence = [outcome(False, minutes_ago=1000 + i) for i in range(30)]
    recent_answers = [outcome(hours=1, minutes_ago=i) for i in range(rules.RESPONSIVENESS_WINDOW)]
    r = rules.responsiveness(old_silence + recent_answers)
    assert r.considered == rules.RESPONSIVENESS_WINDOW and r.response_rate == 1


def test_static_score_orders_what_mentees_value():
    def boost(**kw):
        args = {"active_mentees": 0, "accepting": True, "hours_per_month": 4, "windows": 1,
                "responsiveness_score": 0.5, **kw}
        return rules.static_score(**args)

    assert boost() > boost(active_mentees=1) > boost(active_mentees=3)
    assert boost(hours_per_month=8) > boost()
    assert boost(windows=3) > boost()
    assert boost(responsiveness_score=0.9) > boost()
    assert boost(accepting=False) < boost(active_mentees=2)
    # the maximum of the query-independent part, and the full score with text
    assert boost(hours_per_month=8, windows=5, responsiveness_score=1) == pytest.approx(
        rules.W_SLOTS + rules.W_AVAILABILITY + rules.W_RESPONSIVENESS)
    assert rules.score(1.0, 0.6) == pytest.approx(rules.W_TEXT + 0.6)
    assert rules.W_TEXT + rules.W_SLOTS + rules.W_AVAILABILITY + rules.W_RESPONSIVENESS == pytest.approx(1.0)


def test_status_events_apply_only_when_newer():
    assert rules.newer(T0, None) and rules.newer(T0 + timedelta(seconds=1), T0)
    assert not rules.newer(T0, T0) and not rules.newer(T0 - timedelta(seconds=1), T0)


def test_the_controlled_specialty_list():
    names = rules.specialties()
    assert 35 <= len(names) <= 50 and len(set(names)) == len(names) and "Internal Medicine" in names


def test_text_relevance_counts_the_best_place_of_each_word():
    assert rules.text_relevance(rules.TEXT_CLASS_WEIGHTS["A"]) == pytest.approx(0.5)
    assert rules.text_relevance(rules.TEXT_CLASS_WEIGHTS["C"]) == pytest.approx(0.2 / 1.2)
    assert rules.text_relevance(2 * rules.TEXT_CLASS_WEIGHTS["A"]) == pytest.approx(2 / 3)
    assert rules.text_relevance(0.0) == 0.0
