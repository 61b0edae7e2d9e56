"""Browser tests: the web client (web/dist, built by scripts/bootstrap.sh) served by the gateway of a
platform started the README's way, loaded with the demo data, driven by web/e2e/*.test.mjs in
Debian's Chromium. Screenshots land in web/e2e/artifacts/<test>/."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared import config
from tests.conftest import PLATFORM_PREFIX, _terminate_with_parent

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
CHROMIUM = config.env("CHROMIUM", "/usr/bin/chromium")

needs_browser = pytest.mark.skipif(
    not (shutil.which("node") and Path(CHROMIUM).exists() and (WEB / "node_modules" / "playwright-core").exists()
         and (WEB / "dist" / "index.html").exists()),
    reason="needs Node.js, Debian's Chromium and the built web client (scripts/bootstrap.sh installs them)")


@pytest.fixture(scope="session")
def demo_logins(running_platform) -> dict:
    """The demo data set loaded into the running platform (as `make demo` does); its logins."""
    import demo.identity
    import demo.mentorship
    import demo.training
    from demo.client import Client
    from demo.loader import OPERATOR, ensure_operator

    with config.exported(MMM_DATABASE_PREFIX=PLATFORM_PREFIX, MMM_BROKER_PREFIX=PLATFORM_PREFIX):
        ensure_operator()
        client = Client(running_platform)
        logins: dict[str, dict] = {"operator": dict(OPERATOR)}
        import demo.directory

        for module in (demo.identity, demo.training, demo.directory, demo.mentorship):
            module.load(client, logins)
        return logins


@pytest.fixture()
def browser_test(running_platform, demo_logins, tmp_path, request):
    """Runs one web/e2e/<name>.test.mjs with the scenario (the demo logins plus `extra`); fails with
    the test's own output."""
    def run(name: str, **extra) -> str:
        scenario = tmp_path / "scenario.json"
        scenario.write_text(json.dumps({"logins": demo_logins, **extra}, default=str))
        artifacts = WEB / "e2e" / "artifacts" / name
        env = config.environment(E2E_BASE_URL=running_platform, E2E_SCENARIO=str(scenario),
                                 E2E_ARTIFACTS=str(artifacts), CHROMIUM=CHROMIUM)
        proc = subprocess.run(["node", "--test", "--test-reporter=spec", f"e2e/{name}.test.mjs"], cwd=WEB, env=env,
                              capture_output=True, text=True, timeout=600,
                              preexec_fn=_terminate_with_parent)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"web/e2e/{name}.test.mjs failed:\n{output[-20000:]}"
        return output

    return run
