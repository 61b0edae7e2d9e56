"""Nothing of the person stays in the browser (issue 11, DESIGN §5a): after signing in as a demo mentee,
using the client and signing out, no token and no personal data in localStorage, sessionStorage,
IndexedDB or the service worker's caches; the refresh cookie is HttpOnly; a reload stays signed out.
Offline, the installed client opens from its shell cache."""
from __future__ import annotations

import demo.identity
from tests.web.conftest import needs_browser

pytestmark = needs_browser


def test_no_token_or_personal_data_left_in_the_browser(browser_test):
    # The demo's people (names of mentors and mentees, their e-mail domains' people appear on screens).
    names = [name for name, *_ in demo.identity.MENTORS] + [name for name, *_ in demo.identity.MENTEES]
    browser_test("storage", personal=names)
