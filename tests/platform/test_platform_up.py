"""The whole platform started as `make up` starts it, exercised through the gateway."""
from __future__ import annotations

import pytest
import requests

from shared import config

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

PROBLEM = "application/problem+json"


def test_every_service_answers_through_the_gateway(platform):
    for name in config.SERVICES:
        r = requests.get(f"{platform}/api/v1/{name}/openapi.json", timeout=10)
        assert r.status_code == 200 and r.json()["openapi"].startswith("3.1"), name
        assert r.headers["X-Request-Id"]


def test_errors_from_services_and_from_the_gateway_are_problems(platform):
    # a path without a file name is a route of the web client (its page says "Page not found")
    client_route = requests.get(f"{platform}/no/such/page", timeout=10)
    assert client_route.status_code == 200 and client_route.headers["Content-Type"].startswith("text/html")
    gateway_404 = requests.get(f"{platform}/no/such/page.png", timeout=10)
    service_404 = requests.get(f"{platform}/api/v1/training/no-such-thing", headers={"X-Request-Id": "t-1"},
                               timeout=10)
    service_405 = requests.delete(f"{platform}/api/v1/directory/openapi.json", timeout=10)
    too_big = requests.post(f"{platform}/api/v1/identity/auth/token", data=b"x" * (2 * 1024 * 1024),
                            headers={"Content-Type": "application/json"}, timeout=10)
    for r, status in ((gateway_404, 404), (service_404, 404), (service_405, 405), (too_big, 413)):
        assert r.status_code == status and r.headers["Content-Type"].startswith(PROBLEM), (r.url, r.text)
        assert r.json()["status"] == status
    assert service_404.headers["X-Request-Id"] == "t-1" and service_404.json()["request_id"] == "t-1"
