"""shared.config.parse_duration: the ISO-8601 durations settings are written in (weeks, days, hours,
minutes, seconds), and the forms it refuses — years and months have no fixed length."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shared.config import parse_duration


@pytest.mark.parametrize("text, expected", [
    ("P14D", timedelta(days=14)),
    ("PT2S", timedelta(seconds=2)),
    ("P1DT12H", timedelta(days=1, hours=12)),
    ("P2W", timedelta(weeks=2)),
    ("PT1H30M", timedelta(hours=1, minutes=30)),
    ("PT0.5S", timedelta(milliseconds=500)),
    ("P1.5D", timedelta(days=1, hours=12)),
    (" pt15m ", timedelta(minutes=15)),  # surrounding space and lower case
    ("P1W2DT3H4M5S", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
])
def test_accepted_forms(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", [
    "", "P", "PT", "P1Y", "P1M", "P1Y2M", "14D", "P14", "PT2", "P1H", "PT1D", "P-1D", "P1,5D", "1 day",
    "P1DT", "PT1S1M",
])
def test_refused_forms_name_what_is_accepted(text):
    with pytest.raises(ValueError, match="not an ISO-8601 duration"):
        parse_duration(text)
