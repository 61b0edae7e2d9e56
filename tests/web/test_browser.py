"""The web client in Debian's Chromium, through the gateway of a platform started the README's way."""
from __future__ import annotations

from tests.web.conftest import needs_browser

pytestmark = needs_browser


def test_sign_in(browser_test):
    browser_test("signin")
