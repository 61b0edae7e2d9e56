#!/usr/bin/env bash
# The test suite: real PostgreSQL and RabbitMQ (testcontainers when a Docker engine answers),
# its own databases and broker names, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh --with-browser
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
