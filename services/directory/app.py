"""The directory service: its Flask app, event handlers and jobs."""
from __future__ import annotations

import sqlalchemy as sa

from services.directory import rules
from services.directory.api import BLUEPRINTS
from services.directory.events import handlers
from services.directory.models import Base
from services.directory.jobs import jobs
from shared import config
from shared.app import create_service_app, db_of
from shared.service import Service

DESCRIPTION = ("Searchable mentor profiles (R8, R9, R10): mentors fill and publish their profile; mentees search "
               "by free text and filters with facet counts, ranked by text relevance, open slots, availability "
               "and measured responsiveness.\n\nRanking:\n" + rules.__doc__.split("-------------")[1])


def create_app(overrides: dict | None = None):
    app = create_service_app("directory", BLUEPRINTS, title="MentorMeMed Directory", description=DESCRIPTION,
                             overrides=overrides)
    cache = str(app.config.get("DIRECTORY_SEARCH_CACHE", config.env("DIRECTORY_SEARCH_CACHE", "on")))
    app.extensions["directory"] = {"search_cache": cache.lower() not in ("off", "0", "false", "no")}
    threshold = float(app.config.get("DIRECTORY_NAME_SIMILARITY", config.env("DIRECTORY_NAME_SIMILARITY", "0.4")))
    parallel = int(app.config.get("DIRECTORY_SEARCH_PARALLEL_WORKERS",
                                  config.env("DIRECTORY_SEARCH_PARALLEL_WORKERS", "0")))

    @sa.event.listens_for(db_of(app).engine, "connect")
    def _name_similarity(dbapi_connection, _record):
        # typo-tolerant name matching: the `<%` operator's threshold (pg_trgm's default 0.6 misses
        # ordinary typos such as transposed letters)
        # ... and no parallel workers: under concurrent searches on a small machine they cost
        # throughput for little latency
        with dbapi_connection.cursor() as cur:
            cur.execute(f"SET pg_trgm.word_similarity_threshold = {threshold:.2f}")
            cur.execute(f"SET max_parallel_workers_per_gather = {parallel}")
        dbapi_connection.commit()

    return app


service = Service(name="directory", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs)
