"""The directory service: its Flask app, event handlers and jobs."""
from __future__ import annotations

from services.directory import rules, search
from services.directory import settings as settings_module
from services.directory.api import BLUEPRINTS
from services.directory.errors import PROBLEM_TYPES
from services.directory.events import handlers
from services.directory.models import Base
from services.directory.jobs import jobs
from shared.app import create_service_app, db_of
from shared.db import engine_options
from shared.service import Service

DESCRIPTION = ("Searchable mentor profiles (R8, R9, R10): mentors fill and publish their profile; mentees search "
               "by free text and filters with facet counts, ranked by text relevance, open slots, availability "
               "and measured responsiveness.\n\nRanking:\n" + rules.__doc__.split("-------------")[1])


def create_app(overrides: dict | None = None):
    app = create_service_app("directory", BLUEPRINTS, title="MentorMeMed Directory", description=DESCRIPTION,
                             problem_types=PROBLEM_TYPES, overrides=overrides)
    settings = settings_module.load(app.config)
    searcher = search.Searcher(
        db_of(app).engine.url, cache_size=settings.search_cache_size, cache_mb=settings.search_cache_mb,
        shared_slots=settings.search_shared_slots, name_similarity=settings.name_similarity,
        engine_options=engine_options("api", app.config, name="directory-search"),
        index_dir=settings.search_index_dir)
    app.extensions["directory"] = {"search": searcher, "settings": settings}
    app.extensions.setdefault("mmm_readiness", {})["search_index"] = searcher.index.readiness
    if settings.search_warm:
        searcher.index.warm_in_background()
    return app


service = Service(name="directory", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs,
                  load_settings=settings_module.load)
