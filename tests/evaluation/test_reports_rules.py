"""The participation report's plain rules: the period and its defaults, the rewards in words, the
threshold of the ratings, the rounding."""
from __future__ import annotations

from datetime import date

import pytest

from services.evaluation.reports import rules

TODAY = date(2025, 5, 20)


@pytest.mark.parametrize("start, end, expected", [
    (None, None, (date(2024, 5, 21), date(2025, 5, 21))),  # the year ending today, today included
    (date(2025, 1, 1), None, (date(2025, 1, 1), date(2026, 1, 1))),
    (None, date(2025, 1, 1), (date(2024, 1, 1), date(2025, 1, 1))),
    (date(2024, 2, 29), None, (date(2024, 2, 29), date(2025, 2, 28))),
    (date(2025, 1, 1), date(2025, 2, 1), (date(2025, 1, 1), date(2025, 2, 1))),
])
def test_period_defaults(start, end, expected):
    assert rules.period(start, end, TODAY) == expected


def test_period_errors():
    assert rules.period_error(date(2025, 1, 1), date(2025, 1, 1))[0] == "to"
    assert rules.period_error(date(2025, 1, 2), date(2025, 1, 1))[0] == "to"
    assert rules.period_error(date(2020, 1, 1), date(2025, 1, 1)) is None
    assert rules.period_error(date(2020, 1, 1), date(2025, 1, 2))[0] == "to"


def test_offered_rewards_in_words_in_a_fixed_order():
    policy = {"financial_compensation": {"offered": True, "details": " $500 a year "},
              "cme_credit": {"offered": False, "details": "not yet"},
              "promotion_recognition": {"offered": True, "details": ""}, "unknown_reward": {"offered": True}}
    assert rules.offered_rewards(policy) == [
        {"reward": "promotion_recognition", "name": "Recognition in promotion and tenure", "details": None},
        {"reward": "financial_compensation", "name": "Financial compensation", "details": "$500 a year"}]
    assert rules.offered_rewards(None) == []


def test_ratings_shown_from_three_evaluations_but_always_to_operators():
    assert [rules.may_see_ratings(n, operator=False) for n in range(5)] == [False, False, False, True, True]
    assert all(rules.may_see_ratings(n, operator=True) for n in range(5))


def test_units_and_rounding():
    assert rules.months(30.44 * 86400 * 2.26) == 2.3
    assert rules.hours(5400) == 1.5 and rules.hours(None) is None
    assert rules.rate(1, 3) == 0.33 and rules.rate(0, 0) is None
    assert rules.averages(0, {}, 0) is None
    assert rules.averages(3, {"availability": 13, "responsiveness": 12, "guidance": 12, "overall": 11}, 2) == {
        "availability": 4.33, "responsiveness": 4.0, "guidance": 4.0, "overall": 3.67, "would_recommend_share": 0.67}
