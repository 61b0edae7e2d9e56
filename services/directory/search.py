"""Mentor search: one SQL statement per search (PostgreSQL full text + pg_trgm), and a cache keyed by
the search version.

- Only published profiles are searched (publishing needs an active, trained mentor; ejection and
  deactivation unpublish in the same transaction that handles the event).
- Visibility (R8): a local-scope mentor is visible only to callers of the mentor's institution;
  operators see all. The same condition bounds the results, the total and every facet count.
- The result list, the total and the facets come from one statement over one materialised set of
  matches, so they always agree. Facets are counted in one pass over each match's integer
  `facet_codes` (facet_values names them). Ordering is `score DESC, user_id` (see rules.py), so pages are
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

FACETS = ("specialty", "interest", "language", "state", "meeting_mode", "shared_background", "scope",
          "has_open_slot")
INTEREST_FACET_SIZE = 20


def facet_pairs(p) -> list[tuple[str, str]]:
    """The (facet, value) pairs a profile counts in (`p`: a MentorProfile or an object like it)."""
    pairs = [("specialty", v) for v in p.specialties or []] + [("language", v) for v in p.languages or []]
    pairs += [("meeting_mode", v) for v in p.meeting_modes or []]
    pairs += [("shared_background", v) for v in p.shared_background or []]
    pairs += [("interest", v) for v in p.interest_tags or []]
    pairs += [(f, v) for f, v in (("state", p.state), ("scope", p.scope)) if v]
    pairs.append(("has_open_slot", "true" if (p.open_slots or 0) > 0 else "false"))
    return pairs


_NEW_FACET_VALUES = sa.text(
    "INSERT INTO facet_values (facet, value) SELECT x.facet, x.value "
    "FROM unnest(CAST(:facets AS text[]), CAST(:vals AS text[])) AS x(facet, value) "
    "WHERE NOT EXISTS (SELECT 1 FROM facet_values f WHERE f.facet = x.facet AND f.value = x.value) "
    "ON CONFLICT DO NOTHING")
_FACET_CODES = sa.text(
    "SELECT f.code FROM facet_values f JOIN unnest(CAST(:facets AS text[]), CAST(:vals AS text[])) AS x(facet, value) "
    "ON f.facet = x.facet AND f.value = x.value ORDER BY f.code")


def facet_codes(session, pairs: list[tuple[str, str]]) -> list[int]:
    params = {"facets": [f for f, _ in pairs], "vals": [v for _, v in pairs]}
    session.execute(_NEW_FACET_VALUES, params)
    return list(session.scalars(_FACET_CODES, params))


def visibility_sql(institution_id: uuid.UUID | None, everything: bool) -> tuple[str, dict]:
    if everything:
        return "TRUE", {}
    if institution_id is None:
        return "p.scope = 'national'", {}
    return "(p.scope = 'national' OR p.institution_id = :viewer_inst)", {"viewer_inst": institution_id}


def build(query: dict, institution_id: uuid.UUID | None, everything: bool) -> tuple[sa.TextClause, dict]:
    """The search statement and its parameters for a validated SearchQuery."""
    where, params = visibility_sql(institution_id, everything)
    conditions = ["p.published", where]
    text = (query.get("q") or "").strip()
    if text:
        params["q"] = text
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
    where = " AND ".join(conditions)
    columns = "p.user_id, p.facet_codes"
    if text:
        # full-text matches ranked by ts_rank_cd; profiles found only by their name's trigrams (a
        # misspelt name) ranked by word similarity. Two index scans, no OR to recheck per row.
        matches = f"""SELECT {columns}, r.relevance, CAST(:w_text AS float8) * r.relevance + p.rank_boost AS score
  FROM mentor_profiles p, (SELECT websearch_to_tsquery('english', unaccent(:q)) AS q) tsq,
       LATERAL (SELECT ts_rank_cd(p.search_vector, tsq.q, 32) AS relevance) r
  WHERE {where} AND p.search_vector @@ tsq.q
  UNION ALL
  SELECT {columns}, r.relevance, CAST(:w_text AS float8) * r.relevance + p.rank_boost AS score
  FROM mentor_profiles p, (SELECT websearch_to_tsquery('english', unaccent(:q)) AS q) tsq,
       LATERAL (SELECT word_similarity(:q, p.display_name) AS relevance) r
  WHERE {where} AND :q <% p.display_name AND NOT (p.search_vector @@ tsq.q)"""
    else:
        matches = f"SELECT {columns}, 0.0::real AS relevance, p.rank_boost AS score FROM mentor_profiles p WHERE {where}"
    facets = ",\n  ".join(f"'{name}', coalesce((SELECT vals FROM grouped WHERE facet = '{name}'), '[]')"
                           for name in FACETS)
    sql = f"""
WITH m AS MATERIALIZED (
  {matches}
), top AS (
  SELECT user_id, score, relevance FROM m ORDER BY score DESC, user_id LIMIT :limit OFFSET :offset
), counted AS (
  SELECT f.facet, f.value, c.n,
         row_number() OVER (PARTITION BY f.facet ORDER BY c.n DESC, f.value) AS r
  FROM (SELECT code, count(*) AS n FROM m, unnest(m.facet_codes) AS code GROUP BY code) c
  JOIN facet_values f ON f.code = c.code
), grouped AS (
  SELECT facet, json_agg(json_build_object('value', value, 'count', n) ORDER BY n DESC, value) AS vals
  FROM counted WHERE facet <> 'interest' OR r <= {INTEREST_FACET_SIZE} GROUP BY facet
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
