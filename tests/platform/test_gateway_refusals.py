"""What the gateway refuses, it refuses in problem+json with the request id — even requests nginx turns
away while still reading them (a path above the root, a NUL in the path, an over-long request line or
header) — and a service's own refusal of a body it did not read leaves the kept-alive connection usable.

Raw sockets against the running platform's gateway: an HTTP client would have normalised these requests.
"""
from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

PROBLEM = "application/problem+json"


class Raw:
    """One TCP connection to the gateway, requests written byte for byte, answers read one by one."""

    def __init__(self, url: str, timeout: float = 15):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)

    def ask(self, data: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
        self.sock.sendall(data)
        response = http.client.HTTPResponse(self.sock, method=data.split(b" ", 1)[0].decode())
        response.begin()
        return response.status, response.headers, response.read()

    def close(self) -> None:
        self.sock.close()


def ask_once(url: str, data: bytes):
    conn = Raw(url)
    try:
        return conn.ask(data)
    finally:
        conn.close()


def assert_problem(status: int, headers, body: bytes, expected: int) -> dict:
    assert status == expected, (status, body[:300])
    assert headers["Content-Type"].startswith(PROBLEM), (headers["Content-Type"], body[:300])
    problem = json.loads(body)
    assert problem["status"] == expected and problem["title"] and problem["detail"]
    assert problem["request_id"] and problem["request_id"] == headers["X-Request-Id"], problem
    assert "<html" not in body.decode("latin-1").lower()
    return problem


def get(target: bytes, *headers: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n" + b"".join(h + b"\r\n" for h in headers) + \
        b"Connection: close\r\n\r\n"


@pytest.mark.parametrize("target", [b"/../../etc/passwd", b"/api/../../etc/passwd",
                                    b"/api/v1/directory/mentors/%00", b"/%00", b"/api/v1/identity/a%00b/c",
                                    b"/index.html%00.png"])
def test_a_path_nginx_cannot_read_is_a_400_problem(platform, target):
    problem = assert_problem(*ask_once(platform, get(target, b"X-Request-Id: refusal-1")), 400)
    assert problem["type"].endswith("/bad-request")


def test_an_over_long_request_line_is_a_414_problem(platform):
    problem = assert_problem(*ask_once(platform, get(b"/api/v1/directory/mentors?q=" + b"a" * 20_000)), 414)
    assert problem["type"].endswith("/uri-too-long")


@pytest.mark.parametrize("headers", [
    [b"X-Big: " + b"a" * 20_000],  # one header beyond the buffer
    [b"Cookie: " + b"c" * 9_000, b"X-Two: " + b"b" * 9_000, b"X-Three: " + b"d" * 9_000,
     b"X-Four: " + b"e" * 9_000, b"X-Five: " + b"f" * 9_000],  # all of them together
])
def test_over_large_headers_are_a_431_problem(platform, headers):
    problem = assert_problem(*ask_once(platform, get(b"/api/v1/directory/specialties", *headers)), 431)
    assert problem["type"].endswith("/request-header-fields-too-large")


def test_a_request_nginx_cannot_parse_is_a_400_problem(platform):
    for raw in (b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\nConnection: close\r\n\r\n",
                b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"):  # a space in a header name; no Host
        assert_problem(*ask_once(platform, raw), 400)


def test_other_requests_nginx_cannot_serve_are_problems_too(platform):
    raw = b"POST /api/v1/identity/auth/token HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, foo\r\n" \
        b"Connection: close\r\n\r\n"
    assert_problem(*ask_once(platform, raw), 501)
    assert_problem(*ask_once(platform, b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n"), 505)
    # the problems' own locations are internal: asked for, they do not exist
    assert_problem(*ask_once(platform, get(b"/_problem/400")), 404)


def test_a_service_413_leaves_the_kept_alive_connection_usable(platform):
    """The service refuses a body over its own limit (256 KiB) that the gateway let through (under 1 MiB)
    without reading it. The next POST on the same connections — the client's and, nginx reusing its
    most recent idle upstream connection, the gateway's — gets the service's own answer, not a 502."""
    big = b'{"token": "' + b"x" * 400_000 + b'"}'
    small = b'{"token": "no-such-invitation-token"}'

    def post(body: bytes) -> bytes:
        return (b"POST /api/v1/identity/invitations/inspect HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    conn = Raw(platform)
    try:
        _, _, expected = conn.ask(post(small))
        expected_status = json.loads(expected).get("status")
        for _ in range(20):
            status, headers, body = conn.ask(post(big))
            problem = assert_problem(status, headers, body, 413)
            assert "gateway" not in problem["detail"], problem  # the service's 413, not the gateway's
            status, headers, body = conn.ask(post(small))
            assert status < 500 and json.loads(body).get("status") == expected_status, (status, body[:300])
    finally:
        conn.close()
