"""The web client's own logic (web/src/**/*.test.ts: the session's token refresh, problem details in
words, CSV escaping, the screens' validation), run by Vitest in jsdom — part of `make test`."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from shared import config
from tests.web.conftest import WEB

pytestmark = pytest.mark.slow  # the web client's own unit tests (Node.js)


@pytest.mark.skipif(not (shutil.which("node") and (WEB / "node_modules" / "vitest").exists()),
                    reason="needs Node.js and the web client's npm packages (scripts/bootstrap.sh installs them)")
def test_vitest_unit_tests_pass():
    env = config.environment(CI="1", NO_COLOR="1", FORCE_COLOR="0")
    proc = subprocess.run(["node", "node_modules/vitest/vitest.mjs", "run", "--reporter=verbose"], cwd=WEB, env=env,
                          capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"Vitest failed in web/:\n{output[-20000:]}"
    assert " passed" in output and " failed" not in output, output[-5000:]
