"""Each service's Alembic migrations create exactly what its models describe."""
from __future__ import annotations

import pytest
from alembic import command

from shared import config, migrations

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end


@pytest.mark.parametrize("service", config.SERVICES)
def test_migrations_match_the_models(infrastructure, service):
    migrations.upgrade(service)
    command.check(migrations.alembic_config(service))  # raises when autogenerate finds a difference
