"""Fixtures for every test: this run's own databases and broker names, removed at the end."""
from __future__ import annotations

import os

import pytest

from shared import testing

RUN_ID = testing.new_run_id()


def pytest_configure(config):
    # Set before any service module reads its configuration.
    os.environ["MMM_DATABASE_PREFIX"] = RUN_ID
    os.environ["MMM_BROKER_PREFIX"] = RUN_ID
    os.environ.setdefault("MMM_RETRY_DELAY", "PT0.5S")
    os.environ.setdefault("JWKS_MIN_REFRESH", "0")


@pytest.fixture(scope="session")
def infrastructure():
    infra = testing.start_infrastructure()
    os.environ["MMM_POSTGRES_URL"] = infra.postgres_url
    os.environ["AMQP_URL"] = infra.amqp_url
    testing.remove_stale(infra.postgres_url)
    yield infra
    testing.drop_run_databases(infra.postgres_url, RUN_ID)
    from shared import config
    from shared.events import broker

    try:
        broker.delete(RUN_ID, list(config.SERVICES) + ["probe", "probe2"])
    except Exception:  # noqa: BLE001 - broker stopped by a failed fault test; stale cleanup gets it later
        pass
    infra.close()


@pytest.fixture(scope="session")
def run_id():
    return RUN_ID


@pytest.fixture(scope="session")
def signing_keys():
    return testing.SigningKeys()


@pytest.fixture(scope="session")
def service_app(infrastructure, signing_keys):
    """`service_app("training")`: that service's app on this run's migrated database, test keys trusted."""
    from shared import migrations
    from mmm.services import load

    apps = {}

    def make(name: str, **overrides):
        if name not in apps or overrides:
            migrations.upgrade(name)
            overrides.setdefault("AUTH_JWKS_LOADER", lambda: signing_keys.jwks)
            overrides.setdefault("TESTING", True)
            apps[name] = load(name).create_app(overrides)
        return apps[name]

    return make
