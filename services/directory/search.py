"""Mentor search: PostgreSQL full text + pg_trgm over published profiles, in parts that are cached
by the search version and merged per caller.

- Only published profiles are searched (publishing needs an active, trained mentor; ejection and
  deactivation unpublish in the same transaction that handles the event).
- Visibility (R8): a local-scope mentor is visible only to callers of the mentor's institution;
  operators see all. A search is made of disjoint parts, each bounded by visibility: for a
  mentee, mentor or admin the national profiles, plus the local profiles of the caller's own
  institution; for an operator, everything. Results, the total and every facet count come from
  those parts only, so a local mentor of another institution never reaches a count either.
- A part is one SQL statement over one materialised set of matches, returning JSON built by
  PostgreSQL: the top `page * per_page` hits by `score DESC, user_id` (see rules.py), the total,
  and every facet's counts (one pass over each match's integer `facet_codes`; facet_values names
  them). Merging parts sums totals and counts and merges the sorted hits, then cuts the page, so
  pages are stable and results, total and facets always agree.
- Cache: a part depends only on the data, its visibility and the query. Every change that can
  alter a result moves `search_state.version` in the same transaction (service.touch_search), and a
  search reads the version — with the cached parts, in one round trip — before it reads any
  profile, so cached parts are used only while nothing has changed: an ejected mentor is gone from
  the very next search. Parts, and each merged response, live in the unlogged `search_cache` table,
  shared by every API process and replica; the national part is shared by the callers of every
  institution. A miss takes a
  transaction-level advisory lock on (key, version), so identical concurrent misses run once.
  jobs.py purges past versions. DIRECTORY_SEARCH_CACHE=off turns the cache off.
  Broad searches (a very common word over 100,000 profiles) take hundreds of milliseconds to
  compute; the cache is what makes them fast when they repeat.
"""
from __future__ import annotations

import heapq
import itertools
import json
import uuid
from urllib.parse import urlencode

import sqlalchemy as sa

from services.directory import rules

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


def normalise_language(value: str) -> str:
    return " ".join(w.capitalize() for w in value.strip().split())


# query parameter → (facet, how its value is stored)
FILTERS = (("specialty", "specialty", str), ("language", "language", normalise_language),
           ("meeting_mode", "meeting_mode", str), ("shared_background", "shared_background", str),
           ("interest", "interest", lambda v: v.strip().lower()), ("state", "state", str), ("scope", "scope", str),
           ("has_open_slot", "has_open_slot", lambda v: "true" if v else "false"))


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


def build(query: dict, visibility: str, params: dict, codes: list[int] | None) -> tuple[sa.TextClause, dict]:
    """The statement of one part: its `visibility` condition, a validated SearchQuery and the codes
    of its filters (None: no filter); the top page * per_page hits (every interest, not only the
    first 20: parts are merged first)."""
    params = dict(params)
    conditions = ["p.published", visibility]
    text = (query.get("q") or "").strip()
    if text:
        params["q"] = text
    if codes is not None:
        # all filters in one GIN condition, with the codes as a constant so that the planner can
        # estimate them (and AND this index with the full-text one)
        conditions.append("p.facet_codes @> CAST(:filter_codes AS int[])")
        params["filter_codes"] = codes
    params.update(w_text=rules.W_TEXT, limit=query.get("page", 1) * query.get("per_page", 20))
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
    facets = ",\n  ".join(f"'{name}', coalesce((SELECT vals FROM grouped WHERE facet = '{name}'), '{{}}')"
                           for name in FACETS)
    sql = f"""
WITH m AS MATERIALIZED (
  {matches}
), top AS (
  SELECT user_id, score, relevance FROM m ORDER BY score DESC, user_id LIMIT :limit
), grouped AS (
  SELECT f.facet, json_object_agg(f.value, c.n) AS vals
  FROM (SELECT code, count(*) AS n FROM m, unnest(m.facet_codes) AS code GROUP BY code) c
  JOIN facet_values f ON f.code = c.code GROUP BY f.facet
)
SELECT json_build_object(
  'total', (SELECT count(*) FROM m),
  'results', (SELECT coalesce(json_agg(
      (jsonb_build_object('score', top.score, 'text_relevance', top.relevance) || {PUBLIC_JSON}::jsonb)
      ORDER BY top.score DESC, top.user_id), '[]')
    FROM top JOIN mentor_profiles p ON p.user_id = top.user_id),
  'facets', json_build_object(
  {facets})
)::text"""
    return sa.text(sql), params


def filter_pairs(query: dict) -> list[tuple[str, str]]:
    return [(facet, value(query[param])) for param, facet, value in FILTERS if query.get(param) is not None]


class FacetCodes:
    """The codes of (facet, value) pairs, remembered by each process (a pair's code never changes)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], int] = {}

    def resolve(self, conn, pairs: list[tuple[str, str]]) -> list[int] | None:
        """The codes of every pair, or None when some value no profile ever had (nothing matches)."""
        missing = [p for p in pairs if p not in self._known]
        if missing:
            rows = conn.execute(_FACET_LOOKUP, {"facets": [f for f, _ in missing], "vals": [v for _, v in missing]})
            self._known.update({(f, v): code for code, f, v in rows})
        if any(p not in self._known for p in pairs):
            return None
        return sorted(self._known[p] for p in pairs)


_FACET_LOOKUP = sa.text(
    "SELECT f.code, f.facet, f.value FROM facet_values f JOIN unnest(CAST(:facets AS text[]), "
    "CAST(:vals AS text[])) AS x(facet, value) ON f.facet = x.facet AND f.value = x.value")
FACET_CODES = FacetCodes()


def lookup_sql(institution_id: uuid.UUID | None, everything: bool) -> tuple[sa.TextClause, dict]:
    """A published profile by id, as the caller may see it (nothing when they may not)."""
    where, params = visibility_sql(institution_id, everything)
    return sa.text(f"SELECT ({PUBLIC_JSON})::text FROM mentor_profiles p "
                   f"WHERE p.user_id = :mentor_id AND p.published AND {where}"), params


CACHED = sa.text("SELECT body FROM search_cache WHERE version = :version AND key = :key")
SINGLE_FLIGHT = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, :version))")
STORE = sa.text("INSERT INTO search_cache (version, key, body) VALUES (:version, :key, :body) ON CONFLICT DO NOTHING")


def parts(institution_id: uuid.UUID | None, everything: bool) -> list[tuple[str, str, dict]]:
    """(cache key prefix, visibility condition, parameters) of the disjoint parts a caller sees."""
    if everything:
        return [("all", "TRUE", {})]
    out = [("national", "p.scope = 'national'", {})]
    if institution_id is not None:
        out.append((f"local:{institution_id}", "p.scope = 'local' AND p.institution_id = :viewer_inst",
                    {"viewer_inst": institution_id}))
    return out


def _lookup(count: int) -> sa.TextClause:
    joins = " ".join(f"LEFT JOIN search_cache c{i} ON c{i}.version = s.version AND c{i}.key = :k{i}"
                     for i in range(count))
    return sa.text(f"SELECT s.version, {', '.join(f'c{i}.body' for i in range(count))} "
                   f"FROM search_state s {joins} WHERE s.id = 1")


def search(engine: sa.Engine, query: dict, institution_id: uuid.UUID | None, everything: bool, *,
           use_cache: bool = True) -> tuple[str, bool]:
    """The response body (JSON text) and whether it came from the cache.

    The caller's whole response is cached too (keyed by their visibility and the page), so a
    repeated search costs one round trip and no JSON work; on a miss, the parts come from the cache
    or are computed, then merged."""
    wanted = parts(institution_id, everything)
    terms = urlencode(sorted((k, str(v)) for k, v in query.items() if k not in ("page", "per_page")))
    page, per_page = query.get("page", 1), query.get("per_page", 20)
    keys = [f"{prefix}?{terms}&top={page * per_page}" for prefix, _, _ in wanted]
    response_key = "response:" + "+".join(prefix for prefix, _, _ in wanted) + f"?{terms}&page={page}&per_page={per_page}"
    with engine.connect() as conn:
        version, response = conn.execute(_lookup(1), {"k0": response_key}).one()
        if response is not None and use_cache:
            return response, True
        bodies = [None] * len(keys)
        if use_cache:
            bodies = list(conn.execute(_lookup(len(keys)), {f"k{i}": k for i, k in enumerate(keys)}).one()[1:])
        pairs = filter_pairs(query)
        codes = FACET_CODES.resolve(conn, pairs) if pairs else None
        if pairs and codes is None:  # a filter value no profile has: nothing matches
            codes = [-1]
        for i, (key, (_, visibility, params)) in enumerate(zip(keys, wanted)):
            if bodies[i] is not None:
                continue
            if use_cache:  # single flight: wait for an identical miss elsewhere, then take its part
                conn.execute(SINGLE_FLIGHT, {"key": key, "version": version})
                bodies[i] = conn.execute(CACHED, {"key": key, "version": version}).scalar_one_or_none()
            if bodies[i] is None:
                statement, bound = build(query, visibility, params, codes)
                bodies[i] = conn.execute(statement, bound).scalar_one()
                if use_cache:
                    conn.execute(STORE, {"version": version, "key": key, "body": bodies[i]})
            conn.commit()  # releases the advisory lock
        response = merge([json.loads(b) for b in bodies], page, per_page)
        if use_cache:
            conn.execute(STORE, {"version": version, "key": response_key, "body": response})
            conn.commit()
    return response, False


def merge(found: list[dict], page: int, per_page: int) -> str:
    """One response from disjoint parts: totals and facet counts summed, hits merged by score."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for part in found:
        for name, values in part["facets"].items():
            bucket = counts[name]
            for value, n in values.items():
                bucket[value] = bucket.get(value, 0) + n
    facets = {}
    for name, bucket in counts.items():
        ordered = sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0]))
        if name == "interest":
            ordered = ordered[:INTEREST_FACET_SIZE]
        facets[name] = [{"value": v, "count": n} for v, n in ordered]
    hits = heapq.merge(*(part["results"] for part in found), key=lambda h: (-h["score"], h["id"]))
    start = (page - 1) * per_page
    results = list(itertools.islice(hits, start, start + per_page))
    for h in results:
        h["score"] = round(h["score"], 4)
        h["text_relevance"] = round(h["text_relevance"], 4)
    return json.dumps({"total": sum(part["total"] for part in found), "page": page, "per_page": per_page,
                       "results": results, "facets": facets})


PURGE = sa.text("DELETE FROM search_cache WHERE version < (SELECT version FROM search_state WHERE id = 1) "
                "OR created_at < now() - :ttl")


def purge_cache(engine: sa.Engine, ttl) -> int:
    """Drop bodies of past versions, and bodies older than `ttl`."""
    with engine.begin() as conn:
        return conn.execute(PURGE, {"ttl": ttl}).rowcount or 0
