#!/usr/bin/env bash
# The test suite: real PostgreSQL and RabbitMQ (testcontainers when a Docker engine answers),
# its own databases and broker names, removed at the end.
#   --fast   only the tests not marked slow (make test-fast): no browser, no platform, no broker faults
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fast" ]; then
  shift
  set -- -m "not slow" "$@"
  MMM_SKIP_WEB=1 ./scripts/bootstrap.sh  # the fast tier never serves the web client
else
  ./scripts/bootstrap.sh --with-browser
fi
if ! .venv/bin/python -c 'from testcontainers.core.docker_client import DockerClient; DockerClient().client.ping()' >/dev/null 2>&1; then
  .venv/bin/mmm check
fi
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "no tests were collected" >&2
fi
exit $rc
