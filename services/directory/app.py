"""The directory service: its Flask app, event handlers and jobs."""
from __future__ import annotations

from services.directory import rules, search
from services.directory import search_index
from services.directory.api import BLUEPRINTS
from services.directory.errors import PROBLEM_TYPES
from services.directory.events import handlers
from services.directory.models import Base
from services.directory.jobs import jobs
from shared import config
from shared.app import create_service_app, db_of
from shared.db import engine_options
from shared.service import Service

DESCRIPTION = ("Searchable mentor profiles (R8, R9, R10): mentors fill and publish their profile; mentees search "
               "by free text and filters with facet counts, ranked by text relevance, open slots, availability "
               "and measured responsiveness.\n\nRanking:\n" + rules.__doc__.split("-------------")[1])


def create_app(overrides: dict | None = None):
    app = create_service_app("directory", BLUEPRINTS, title="MentorMeMed Directory", description=DESCRIPTION,
                             problem_types=PROBLEM_TYPES, overrides=overrides)
    # one index per machine, mapped by every API process ("off": each process builds its own)
    index_dir = config.setting("DIRECTORY_SEARCH_INDEX_DIR", search_index.default_directory(), app.config)
    searcher = search.Searcher(
        db_of(app).engine.url, cache_size=int(config.setting("DIRECTORY_SEARCH_CACHE_SIZE", "4096", app.config)),
        cache_mb=float(config.setting("DIRECTORY_SEARCH_CACHE_MB", "8", app.config)),
        shared_slots=int(config.setting("DIRECTORY_SEARCH_SHARED_SLOTS", "8192", app.config)),
        name_similarity=float(config.setting("DIRECTORY_NAME_SIMILARITY", "0.6", app.config)),
        engine_options=engine_options("api", app.config, name="directory-search"),
        index_dir=None if index_dir.strip().lower() == "off" else index_dir)
    app.extensions["directory"] = {"search": searcher}
    app.extensions.setdefault("mmm_readiness", {})["search_index"] = searcher.index.readiness
    if config.flag("DIRECTORY_SEARCH_WARM", "on", app.config):
        # map (or build) the search index now rather than on the first search (a build takes seconds at a
        # million profiles)
        searcher.index.warm_in_background()
    return app


service = Service(name="directory", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs)
