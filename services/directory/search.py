"""Mentor search: one SQL statement per search (PostgreSQL full text + pg_trgm), and a cache keyed by
the search version.

- Only published profiles are searched (publishing needs an active, trained mentor; ejection and
  deactivation unpublish in the same transaction that handles the event).
- Visibility (R8): a local-scope mentor is visible only to callers of the mentor's institution;
  operators see all. The same condition bounds the results, the total and every facet count.
- The result list, the total and the facets come from one statement over one materialised set of
  matches, so they always agree. Ordering is `score DESC, user_id` (see rules.py), so pages are
  stable.
- The statement returns the response body as JSON text, built by PostgreSQL.
- Cache: a response depends only on the data, the caller's visibility (their institution, or "all"
  for operators) and the query. Every change that can alter a result moves `search_state.version`
  in the same transaction (service.touch_search), and a search reads the version before it reads
  the profiles, so a cached body is served only while nothing has changed: an ejected mentor is gone
  from the very next search. Bodies live in the unlogged `search_cache` table, shared by every API
  process and replica (one round trip reads the version and the body); jobs.py purges past versions.
  Broad queries (a very common word over 100,000 profiles) take hundreds of milliseconds to compute;
  the cache is what makes them fast when they repeat. DIRECTORY_SEARCH_CACHE=off turns it off.
"""
from __future__ import annotations

import uuid
from urllib.parse import urlencode

import sqlalchemy as sa

from services.directory import rules

VERSION = sa.text("SELECT version FROM search_state WHERE id = 1")

# The public shape of a profile (search hits and direct lookups), built by PostgreSQL.
PUBLIC_JSON = """json_build_object(
  'id', p.user_id, 'institution_id', p.institution_id, 'display_name', p.display_name, 'pronouns', p.pronouns,
  'academic_rank', p.academic_rank, 'specialties', p.specialties, 'subspecialty', p.subspecialty,
  'clinical_interests', p.clinical_interests, 'research_interests', p.research_interests,
  'education_interests', p.education_interests, 'languages', p.languages, 'city', p.city, 'state', p.state,
  'career_highlights', p.career_highlights, 'bio', p.bio, 'shared_background', p.shared_background,
  'scope', p.scope,
  'availability', json_build_object('accepting_new_mentees', p.accepting_new_mentees,
      'hours_per_month', p.hours_per_month, 'meeting_modes', p.meeting_modes, 'time_windows', p.time_windows,
      'timezone', p.timezone, 'open_slots', p.open_slots),
  'responsiveness', json_build_object('requests_considered', p.requests_considered,
      'response_rate', p.response_rate, 'median_response_hours', p.median_response_hours,
      'score', p.responsiveness)
)"""

# facet name → SQL giving one value per (match, value)
ARRAY_FACETS = {"specialty": "specialties", "language": "languages", "meeting_mode": "meeting_modes",
                "shared_background": "shared_background"}
INTEREST_FACET_SIZE = 20


def visibility_sql(institution_id: uuid.UUID | None, everything: bool) -> tuple[str, dict]:
    if everything:
        return "TRUE", {}
    if institution_id is None:
        return "p.scope = 'national'", {}
    return "(p.scope = 'national' OR p.institution_id = :viewer_inst)", {"viewer_inst": institution_id}


def _facet(name: str, values: str, limit: int | None = None) -> str:
    """`values`: a SELECT of one column `v` over the matches `m`."""
    tail = f" LIMIT {int(limit)}" if limit else ""
    return (f"'{name}', (SELECT coalesce(json_agg(json_build_object('value', v, 'count', n)), '[]') FROM "
            f"(SELECT v, count(*) AS n FROM ({values}) x GROUP BY v ORDER BY n DESC, v{tail}) f)")


def build(query: dict, institution_id: uuid.UUID | None, everything: bool) -> tuple[sa.TextClause, dict]:
    """The search statement and its parameters for a validated SearchQuery."""
    where, params = visibility_sql(institution_id, everything)
    conditions = ["p.published", where]
    text = (query.get("q") or "").strip()
    if text:
        params["q"] = text
        conditions.append("(p.search_vector @@ tsq.q OR :q <% p.display_name)")
        relevance = ("CASE WHEN p.search_vector @@ tsq.q THEN ts_rank_cd(p.search_vector, tsq.q, 32) "
                     "ELSE word_similarity(:q, p.display_name) END")
        source = "mentor_profiles p, (SELECT websearch_to_tsquery('english', unaccent(:q)) AS q) tsq"
    else:
        relevance = "0.0"
        source = "mentor_profiles p"
    for param, column in (("specialty", "specialties"), ("language", "languages"),
                          ("meeting_mode", "meeting_modes"), ("shared_background", "shared_background")):
        if query.get(param):
            conditions.append(f"p.{column} @> ARRAY[CAST(:{param} AS text)]")
            params[param] = query[param] if param != "language" else normalise_language(query[param])
    if query.get("interest"):
        conditions.append("p.interest_tags @> ARRAY[CAST(:interest AS text)]")
        params["interest"] = query["interest"].strip().lower()
    if query.get("state"):
        conditions.append("p.state = :state")
        params["state"] = query["state"]
    if query.get("scope"):
        conditions.append("p.scope = :scope")
        params["scope"] = query["scope"]
    if query.get("has_open_slot") is not None:
        conditions.append("p.open_slots > 0" if query["has_open_slot"] else "p.open_slots = 0")
    per_page = query.get("per_page", 20)
    params.update(w_text=rules.W_TEXT, limit=per_page, offset=(query.get("page", 1) - 1) * per_page,
                  page=query.get("page", 1), per_page=per_page)
    facets = ",\n  ".join(
        [_facet(name, f"SELECT unnest(m.{column}) AS v FROM m") for name, column in ARRAY_FACETS.items()]
        + [_facet("interest", "SELECT unnest(m.interest_tags) AS v FROM m", INTEREST_FACET_SIZE),
           _facet("state", "SELECT m.state AS v FROM m WHERE m.state IS NOT NULL"),
           _facet("scope", "SELECT m.scope AS v FROM m"),
           _facet("has_open_slot", "SELECT (m.open_slots > 0)::text AS v FROM m")])
    sql = f"""
WITH m AS MATERIALIZED (
  SELECT p.user_id, p.specialties, p.languages, p.meeting_modes, p.shared_background, p.interest_tags,
         p.state, p.scope, p.open_slots, {relevance} AS relevance,
         CAST(:w_text AS float8) * {relevance} + p.rank_boost AS score
  FROM {source}
  WHERE {' AND '.join(conditions)}
), top AS (
  SELECT user_id, score, relevance FROM m ORDER BY score DESC, user_id LIMIT :limit OFFSET :offset
)
SELECT json_build_object(
  'total', (SELECT count(*) FROM m), 'page', CAST(:page AS int), 'per_page', CAST(:per_page AS int),
  'results', (SELECT coalesce(json_agg(
      (jsonb_build_object('score', round(top.score::numeric, 4), 'text_relevance', round(top.relevance::numeric, 4))
       || {PUBLIC_JSON}::jsonb) ORDER BY top.score DESC, top.user_id), '[]')
    FROM top JOIN mentor_profiles p ON p.user_id = top.user_id),
  'facets', json_build_object(
  {facets})
)::text"""
    return sa.text(sql), params


def normalise_language(value: str) -> str:
    return " ".join(w.capitalize() for w in value.strip().split())


def lookup_sql(institution_id: uuid.UUID | None, everything: bool) -> tuple[sa.TextClause, dict]:
    """A published profile by id, as the caller may see it (nothing when they may not)."""
    where, params = visibility_sql(institution_id, everything)
    return sa.text(f"SELECT ({PUBLIC_JSON})::text FROM mentor_profiles p "
                   f"WHERE p.user_id = :mentor_id AND p.published AND {where}"), params


LOOKUP = sa.text("SELECT s.version, c.body FROM search_state s LEFT JOIN search_cache c "
                 "ON c.version = s.version AND c.key = :key WHERE s.id = 1")
CACHED = sa.text("SELECT body FROM search_cache WHERE version = :version AND key = :key")
SINGLE_FLIGHT = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, :version))")
STORE = sa.text("INSERT INTO search_cache (version, key, body) VALUES (:version, :key, :body) ON CONFLICT DO NOTHING")


def cache_key(query: dict, institution_id: uuid.UUID | None, everything: bool) -> str:
    viewer = "*" if everything else str(institution_id or "-")
    return viewer + "?" + urlencode(sorted((k, str(v)) for k, v in query.items()))


def search(engine: sa.Engine, query: dict, institution_id: uuid.UUID | None, everything: bool, *,
           use_cache: bool = True) -> tuple[str, bool]:
    """The response body (JSON text) and whether it came from the cache.

    One round trip reads the search version and, for it, a cached body. On a miss, a transaction-level
    advisory lock on (key, version) makes concurrent identical searches — in any process or replica —
    wait for the first one and take its body rather than run again; the body is stored under the
    version read before the search ran (a body at least as new as its key)."""
    key = cache_key(query, institution_id, everything)
    with engine.connect() as conn:
        version, body = conn.execute(LOOKUP, {"key": key}).one()
        if not use_cache:
            statement, params = build(query, institution_id, everything)
            return conn.execute(statement, params).scalar_one(), False
        if body is not None:
            return body, True
        conn.execute(SINGLE_FLIGHT, {"key": key, "version": version})
        body = conn.execute(CACHED, {"key": key, "version": version}).scalar_one_or_none()
        if body is not None:  # another process computed it while this one waited
            conn.commit()
            return body, True
        statement, params = build(query, institution_id, everything)
        body = conn.execute(statement, params).scalar_one()
        conn.execute(STORE, {"version": version, "key": key, "body": body})
        conn.commit()
    return body, False


PURGE = sa.text("DELETE FROM search_cache WHERE version < (SELECT version FROM search_state WHERE id = 1) "
                "OR created_at < now() - :ttl")


def purge_cache(engine: sa.Engine, ttl) -> int:
    """Drop bodies of past versions, and bodies older than `ttl`."""
    with engine.begin() as conn:
        return conn.execute(PURGE, {"ttl": ttl}).rowcount or 0
