"""The search-cache purge job: bodies of past search versions go; the current version's stay."""
from __future__ import annotations

import sqlalchemy as sa

from services.directory.jobs import jobs, purge_search_cache
from services.directory.service import touch_search


def test_purge_drops_past_versions_only(world, directory_db):
    me = world.mentee(world.institution())
    world.search(me, q="purge-test-one")
    with directory_db.unit_of_work() as session:
        touch_search(session)
    world.search(me, q="purge-test-two")
    with directory_db.engine.connect() as conn:
        current = conn.scalar(sa.text("SELECT version FROM search_state"))
        assert conn.scalar(sa.text("SELECT count(*) FROM search_cache WHERE version < :v"), {"v": current}) > 0
    assert purge_search_cache(directory_db) > 0
    with directory_db.engine.connect() as conn:
        versions = set(conn.scalars(sa.text("SELECT DISTINCT version FROM search_cache")))
    assert versions == {current}
    assert [j.name for j in jobs] == ["directory.purge-search-cache"]
