"""Mentor search: free text, filters, facet counts and ranking over the published profiles a caller
may see, answered from the in-memory search index (search_index.py) that PostgreSQL keeps current.

- Only published profiles are searched (publishing needs an active, trained mentor; ejection and
  deactivation unpublish in the same transaction that handles the event).
- Visibility (R8): a local-scope mentor is visible only to callers of the mentor's institution;
  operators see all. The visible set is applied before anything is counted, so results, the total
  and every facet count come from visible profiles only; the page's profiles are then read from
  PostgreSQL with the same condition once more.
- The search version is known without asking: PostgreSQL announces it as each change commits
  (search_version.py), so a remembered response costs no round trip. A computed one costs one for a
  text query — PostgreSQL's parse of it (websearch_to_tsquery, English configuration) and the display
  names it may mean (`_ANALYSE`), remembered per query — and one for the page's profiles not
  remembered. Each process uses one connection for all of it. Phrase queries ("heart failure" in quotes) are matched as
  AND in memory and their matches checked by PostgreSQL.
- Names despite a typo: every word of a search name and, for words of 4+ characters, each variant
  with one character deleted are kept in `search_name_variants` (a trigger on search_names,
  migration 0005). Two words within one edit — substitution, insertion, deletion or adjacent
  transposition (Damerau-Levenshtein 1) — always share such a variant, so the query words' own
  variants find them by index lookups, and the deleted positions tell which edit it was (the
  candidates two edits apart are dropped in SQL). A name is found when every query word of 4+
  characters is in it exactly or one edit away; it ranks by closeness (rules.name_relevance: exact
  above one edit). pg_trgm word similarity (`<%`) still finds partial names ("Okonk"), ranked below
  any one-edit match (rules.partial_name_relevance). Names are only looked up for profiles the
  full-text query does not match; the index's memory holds names as display strings only.
- Ranking: score = W_TEXT * text + rank_boost, ties broken by mentor id (rules.py); the top
  page * per_page are kept, so pages are stable.
- Each process remembers the responses it computed (LRU: DIRECTORY_SEARCH_CACHE_SIZE entries, 0
  turns it off, and DIRECTORY_SEARCH_CACHE_MB MiB of gzipped response text, which a client that
  accepts gzip is sent as it is). A remembered response is served while the search version has not moved. Once it
  has, the index's log of each change's before and after state decides: profiles that matched
  the search neither before nor after leave it as it is; profiles that ranked below its top page
  both times only move its total and facet counts, which are adjusted; anything else (a change
  in or into the top page, a phrase query, a new display name) means computing it again. It also keeps
  each query's analysis until a new display name appears, phrase checks for the life of a base,
  and each profile's public JSON per profile state (stamp).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np

import sqlalchemy as sa

from services.directory import rules
from services.directory import search_index as ix
from services.directory.search_version import VersionWatch
from services.directory.shared_responses import SharedResponses
from shared import db
from shared.lru import LRU

log = logging.getLogger(__name__)

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


def filter_pairs(query: dict) -> list[tuple[str, str]]:
    return [(facet, value(query[param])) for param, facet, value in FILTERS if query.get(param) is not None]



# Facets of more than 1/BITSET_SHARE of the profiles are counted on bits (measured crossover, 2-3 %).
BITSET_SHARE = 40
FACET_BLOCK = 16

_STATE = sa.text("SELECT version FROM search_state WHERE id = 1")
# The query's tsquery; [display name, word similarity] of the names pg_trgm finds (partial names); the
# query's words (negated ones left out), normalised as name words are; [display name, query word, edits]
# of every name with a word equal to a query word or one edit from it. Query words are deleted from at
# 3+ characters, so that "Chn" finds "Chen"; a one-edit match needs a name word of 4+ characters.
# Sharing a deletion variant means, by the positions deleted (0: none): an exact word (same word), an
# insertion or deletion (one of them 0), a substitution (same position), a transposition (adjacent
# positions, the same letter deleted); any other pair is two edits apart.
_ANALYSE = sa.text("""
WITH q AS (SELECT w FROM search_name_words_of(regexp_replace(:q, '(^|[[:space:]])-[^[:space:]]*', ' ', 'g')) w),
qv AS (SELECT q.w, d.variant, d.pos FROM q, search_name_deletions(q.w, 3) d),
near AS (
  SELECT qv.w AS qword, v.word, min(CASE WHEN v.word = qv.w THEN 0 ELSE 1 END) AS edits
  FROM qv JOIN search_name_variants v
    ON v.variant = qv.variant AND v.variant = ANY (ARRAY(SELECT variant FROM qv))  -- index lookups, not a hash
  WHERE v.word = qv.w
     OR (length(v.word) >= 4 AND (qv.pos = 0 OR v.pos = 0 OR qv.pos = v.pos
         OR (abs(qv.pos - v.pos) = 1 AND substr(qv.w, qv.pos, 1) = substr(v.word, v.pos, 1))))
  GROUP BY 1, 2)
SELECT websearch_to_tsquery('english', unaccent(:q))::text,
       (SELECT coalesce(json_agg(json_build_array(n.name, word_similarity(:q, n.name))), '[]')
        FROM search_names n WHERE :q <% n.name)::text,
       (SELECT coalesce(json_agg(w), '[]') FROM q)::text,
       (SELECT coalesce(json_agg(json_build_array(n.name, near.qword, near.edits)), '[]')
        FROM near JOIN search_name_words n ON n.word = near.word)::text""")
_PHRASE = sa.text("SELECT user_id::text FROM mentor_profiles WHERE user_id = ANY(CAST(:ids AS uuid[])) "
                  "AND search_vector @@ CAST(:tsq AS tsquery)")


def names_found(words: list[str], near: list, similar: list) -> dict:
    """Display name -> text relevance of the names a query may mean (`_ANALYSE`'s last three columns):
    by closeness when every query word of 4+ characters is in the name or one edit from one of its
    words, else by word similarity (partial names)."""
    required = {w for w in words if len(w) >= 4}
    edits: dict[str, dict[str, int]] = {}
    for name, word, distance in near:
        found = edits.setdefault(name, {})
        found[word] = min(distance, found.get(word, distance))
    out = {name: rules.partial_name_relevance(similarity) for name, similarity in similar}
    for name, found in edits.items():
        # words under 3 characters ("Dr", initials) only add to a match: alone they would find everyone
        if required <= found.keys() and any(len(w) >= 3 for w in found):
            out[name] = max(out.get(name, 0.0), rules.name_relevance(found.values()))
    return out


def profiles_sql(institution_id: uuid.UUID | None, everything: bool) -> tuple[sa.TextClause, dict]:
    """Published profiles by id (`ids`), as (user_id, public JSON), those the caller may see only:
    for search pages and direct lookups alike."""
    where, params = visibility_sql(institution_id, everything)
    return sa.text(f"SELECT p.user_id::text, ({PUBLIC_JSON})::text FROM mentor_profiles p "
                   f"WHERE p.user_id = ANY(CAST(:ids AS uuid[])) AND p.published AND {where}"), params


@dataclass(frozen=True)
class Criteria:
    """What one search asks, resolved against an index view: who looks (R8), the filters' facet
    codes, the parsed text query and the display names it may mean."""
    viewer: str | None  # the caller's institution
    everything: bool  # operators see every institution's local mentors
    codes: tuple  # the filters' codes (None: a value no profile ever had, so nothing matches)
    tree: ix.Query | None  # None: no text query
    fuzzy: dict  # display name it may mean -> text relevance (names_found)

    def doc(self, doc: ix.Doc, phrase_ok=None) -> tuple[float, float] | None:
        """(-score, text relevance) of a tail profile if the search matches it; phrases as AND unless
        `phrase_ok(doc)` checks them."""
        if not (self.everything or doc.national or doc.institution_id == self.viewer):
            return None
        if not set(self.codes) <= doc.codes:
            return None
        relevance = 0.0
        if self.tree is not None:
            matched, weights = ix.evaluate_doc(self.tree.tree, doc.terms) if self.tree.tree is not None \
                else (False, 0.0)
            if matched and self.tree.has_phrase and phrase_ok is not None:
                matched = phrase_ok(doc)
            if matched:
                relevance = float(rules.text_relevance(weights))
            elif doc.name in self.fuzzy:
                relevance = float(self.fuzzy[doc.name])
            else:
                return None
        return -(rules.W_TEXT * relevance + doc.boost), relevance

    def row(self, base: ix.Base, row: int) -> bool:
        """Whether the search matches one base profile (phrases as AND)."""
        if not (self.everything or base.national[row] or base.institutions[row] == self.viewer):
            return False
        if not set(self.codes) <= set(base.codes[row].tolist()):
            return False
        return self.tree is None or (self.tree.tree is not None and ix.evaluate_row(self.tree.tree, base, row)) \
            or base.names[row] in self.fuzzy


@dataclass(frozen=True)
class Ask:
    """One search request: what it asks, who asks, and the key its response is remembered by."""
    query: dict
    text: str
    page: int
    per_page: int
    institution_id: uuid.UUID | None
    everything: bool
    key: tuple

    @classmethod
    def of(cls, query: dict, institution_id: uuid.UUID | None, everything: bool) -> Ask:
        page, per_page = query.get("page", 1), query.get("per_page", 20)
        viewer = "all" if everything else str(institution_id)
        asked = urlencode(sorted((k, str(v)) for k, v in query.items() if k not in ("page", "per_page")))
        return cls(query=query, text=(query.get("q") or "").strip(), page=page, per_page=per_page,
                   institution_id=institution_id, everything=everything, key=(viewer, asked, page, per_page))


@dataclass(frozen=True)
class Remembered:
    """A computed response and what it answered, so that it can be brought up to a newer index
    version without computing it again (`brought_up_to`)."""
    version: int  # the index version it was computed at
    criteria: Criteria
    names_epoch: tuple
    page: int
    per_page: int
    total: int
    counts: dict  # facet code -> matches
    top: frozenset  # user ids of the top page * per_page
    cutoff: tuple | None  # (-score, user id) of the last of them; None: every match is among them
    gzipped: bytes  # the response body, gzip-compressed (_gzip): a fifth of its size

    @property
    def body(self) -> str:
        return _gunzip(self.gzipped)

    def brought_up_to(self, view: ix.View) -> Remembered | None:
        """This response at `view`'s version, or None when it must be computed again. A changed profile
        that matched the search neither before nor after its change leaves it as it is; one that ranks
        below the remembered top both before and after only moves the total and the facet counts; any
        other change — in or into the top, or when the response cannot be followed (`_followable`) —
        means computing it again."""
        if self.version >= view.version:
            return self
        if not self._followable(view):
            return None
        total, counts, moved = self.total, Counter(self.counts), False
        for before, after in _changes_since(view, self.version):
            was = self._matched(view.base, before)
            now = self.criteria.doc(after) if after is not None else None
            if not was and now is None:
                continue
            if self._touches_top(view.base, before, after, was, now):
                return None
            moved = True
            if was:
                total -= 1
                counts.subtract(_codes_of(view.base, before))
            if now is not None:
                total += 1
                counts.update(after.codes)
        if not moved:
            return dataclasses.replace(self, version=view.version)
        results = json.loads(self.body)["results"]  # the page is as it was (only the body is kept: memory)
        body = _body(total, self.page, self.per_page, results, _facets(view, counts))
        return dataclasses.replace(self, version=view.version, total=total, counts=dict(counts), gzipped=_gzip(body))

    def _followable(self, view: ix.View) -> bool:
        """Whether the view's log covers every change since this response, and a change can be judged
        from the profile alone: not for a phrase query (PostgreSQL checks phrases) nor after a new
        display name appeared (a misspelling may now mean it)."""
        c = self.criteria
        if self.version < view.log_from or None in c.codes:
            return False
        return c.tree is None or (self.names_epoch == view.names_epoch and not c.tree.has_phrase)

    def _matched(self, base: ix.Base, before) -> bool:
        if isinstance(before, ix.Doc):
            return self.criteria.doc(before) is not None
        return before is not None and self.criteria.row(base, before)

    def _touches_top(self, base: ix.Base, before, after, was: bool, now) -> bool:
        """Whether a change of a profile that matches (before or after) moves the remembered top:
        it was in it, or it now ranks above the cutoff."""
        if after is not None:
            user_id = after.user_id
        else:
            user_id = before.user_id if isinstance(before, ix.Doc) else base.user_ids[before]
        if was and user_id in self.top:
            return True
        return now is not None and (self.cutoff is None or (now[0], user_id) < self.cutoff)


def _changes_since(view: ix.View, version: int):
    """(state before, state after) of every profile change the view logged after `version`."""
    for _, to_version, changes in view.log:
        if to_version > version:
            yield from changes


def _codes_of(base: ix.Base, state) -> list:
    if isinstance(state, ix.Doc):
        return list(state.codes)
    return [c for c in base.codes[state].tolist() if c]


def _body(total: int, page: int, per_page: int, results: list, facets: dict) -> str:
    return json.dumps({"total": total, "page": page, "per_page": per_page, "results": results, "facets": facets})


def _gzip(body: str) -> bytes:
    """gzip at level 1: 30 KB of results in 60 µs, to a fifth of their size (level 5, the gateway's,
    takes 3x longer for 15 % less)."""
    return zlib.compress(body.encode(), 1, wbits=31)


def _gunzip(gzipped: bytes) -> str:
    return zlib.decompress(gzipped, wbits=31).decode()


@dataclass(frozen=True)
class Answer:
    """A search's response: its body gzip-compressed (served as it is to a client that accepts gzip, which
    spares the gateway compressing it) and whether it was remembered."""
    gzipped: bytes
    remembered: bool
    text: str | None = None  # the body, when it was just computed

    @property
    def body(self) -> str:
        return self.text if self.text is not None else _gunzip(self.gzipped)


class Searcher:
    """Searches of one database: its index, the search version PostgreSQL announces, and its responses.

    One connection (a pool of one): it listens for the search version (VersionWatch, so a remembered
    response is served without a round trip) and runs, one search at a time, the few queries of a
    search that is computed. No ping before each checkout (a ping costs as much as a remembered search):
    a connection found dead is discarded and the search run again (SQLAlchemy's "optimistic" disconnect
    handling). Building a base (a minute at a million profiles) takes a connection of its own while it
    lasts, so that searches are not held up."""

    ATTEMPTS = 3

    def __init__(self, url, *, cache_size: int = 4096, cache_mb: float = 8, shared_slots: int = 8192,
                 name_similarity: float = 0.6, engine_options: dict | None = None,
                 index_dir: str | None = None) -> None:
        # inside the process's connection budget (shared.db.engine_options), as one connection
        options = {**(engine_options or db.engine_options("api", name="directory-search")),
                   "pool_size": 1, "max_overflow": 0}
        self.engine = sa.create_engine(url, pool_pre_ping=False, **options)

        @sa.event.listens_for(self.engine, "connect")
        def _name_similarity(dbapi_connection, _record):
            # partial names: the `<%` operator's threshold. 0.6 finds a name's first 3+ letters
            # ("Okon": 0.8); lower, it finds names sharing a syllable ("Marinez": "Maria" 0.5), which
            # crowd out the name meant. Typos are found by deletion variants (_ANALYSE).
            with dbapi_connection.cursor() as cur:
                cur.execute(f"SET pg_trgm.word_similarity_threshold = {name_similarity:.2f}")
            dbapi_connection.commit()

        @sa.event.listens_for(self.engine, "checkout")
        def _not_lost(dbapi_connection, _record, _proxy):
            # found lost while idle (VersionWatch reads its socket): the pool opens another (no round trip)
            if dbapi_connection.closed:
                raise sa.exc.DisconnectionError("the search connection was lost")

        self.watch = VersionWatch(self.engine)
        build_args = dict(options.get("connect_args", {}))
        if "application_name" in build_args:  # told apart in pg_stat_activity: mmm-directory-search-build:<pid>
            build_args["application_name"] = build_args["application_name"].replace(":", "-build:", 1)
        self._builder = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=build_args)
        # index_dir: the machine's snapshot of the index, shared by every process (None: this process's own)
        self.index = ix.SearchIndex(self.engine, index_dir, builder=self._builder)
        # Ask.key -> Remembered: at most cache_size responses and cache_mb MiB of their compressed bodies
        self.responses = LRU(cache_size, budget=int(cache_mb * 2**20), weigh=lambda r: len(r.gzipped))
        self.analyses = LRU(4096)  # (q, names epoch) -> (tsquery, names it may mean)
        self.profiles = LRU(5000)  # (user_id, stamp) -> public profile (JSON text: a third of a dict's memory)
        self.phrases = LRU(64)  # (tsquery, base stamp) -> packed mask of the base rows it matches
        # responses of every process of the machine, beside its snapshots (opened on the first search)
        self._shared_slots = shared_slots if self.index.snapshots is not None and cache_size else 0
        self._shared: SharedResponses | None = None

    def dispose(self) -> None:
        self.watch.stop()
        self.engine.dispose()
        self._builder.dispose()

    def search(self, query: dict, institution_id: uuid.UUID | None, everything: bool) -> Answer:
        """The response and whether it was remembered. Tried again on a fresh
        connection when the one held was found dead, and at a newer version when a hit was
        unpublished while the page was read."""
        ask = Ask.of(query, institution_id, everything)
        for attempt in range(1, self.ATTEMPTS + 1):
            last = attempt == self.ATTEMPTS
            try:
                answer = self._answer(ask, last)
            except sa.exc.DBAPIError as exc:
                if not exc.connection_invalidated or last:
                    raise
                continue
            if answer is not None:
                return answer
        raise AssertionError("the last attempt always answers")

    def _answer(self, ask: Ask, last: bool) -> Answer | None:
        """The response at the current version: remembered, brought up to it, or computed. None when a
        hit of the page was unpublished after the version was known (unless `last`: then it is left out)."""
        version = self._version()
        remembered = self.responses.get(ask.key)
        if remembered is not None and remembered.version >= version:
            return Answer(remembered.gzipped, True)
        shared = self._shared_responses()
        if shared is not None and (gzipped := shared.get(ask.key, version)) is not None:
            return Answer(gzipped, True)  # computed by another process of the machine
        # may catch the index up, on the connection: none is held here
        view = self.index.view(version)
        if remembered is not None:
            remembered = remembered.brought_up_to(view)
            if remembered is not None:
                # kept here only: writing every response brought up after a change to the shared slots cost
                # more than it saved (100,000 profiles, 2 changes/s: 711 searches/s with it, 973 without)
                self.responses.put(ask.key, remembered)
                return Answer(remembered.gzipped, True)
        with self._connection() as conn:
            criteria = self._criteria(conn, view, ask)
            limit = ask.page * ask.per_page
            hits, total, counts = _compute(conn, view, criteria, limit,
                                           lambda tsq, base, candidates: self._phrase_matches(conn, tsq, base,
                                                                                              candidates))
            start = (ask.page - 1) * ask.per_page
            page = hits[start:start + ask.per_page]
            profiles = self._profiles(conn, view, [h[1] for h in page], ask)
        if len(profiles) < len(page) and not last:
            return None  # computed again at the newer version, so that the total, the facets and the page agree
        results = [{"score": round(-neg_score, 4), "text_relevance": round(float(relevance), 4),
                    **json.loads(profiles[uid])} for neg_score, uid, relevance in page if uid in profiles]
        body = _body(total, ask.page, ask.per_page, results, _facets(view, counts))
        gzipped = _gzip(body)
        self.responses.put(ask.key, Remembered(
            gzipped=gzipped, version=view.version, criteria=criteria, names_epoch=view.names_epoch, page=ask.page,
            per_page=ask.per_page, total=total, counts=dict(counts), top=frozenset(h[1] for h in hits),
            cutoff=hits[-1][:2] if len(hits) == limit else None))
        if shared is not None:
            shared.put(ask.key, view.version, gzipped)
        return Answer(gzipped, False, body)

    def _shared_responses(self) -> SharedResponses | None:
        """The machine's shared responses of this database (None: off, or its directory unusable)."""
        if self._shared is None and self._shared_slots:
            try:
                self._shared = SharedResponses(self.index.snapshots.root, self.index.database_identity(),
                                               self._shared_slots)
            except OSError:
                log.warning("shared search responses off: %s unusable", self.index.snapshots.root, exc_info=True)
                self._shared_slots = 0
        return self._shared

    def _connection(self):
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _version(self) -> int:
        """The search version: as announced, or read when no connection listens (reading opens one that does)."""
        version = self.watch.version()
        if version is None:
            with self._connection() as conn:
                version = conn.execute(_STATE).scalar_one()
        return version

    def _criteria(self, conn, view: ix.View, ask: Ask) -> Criteria:
        """The search resolved against the view: the filters' codes and, for a text query, PostgreSQL's
        parse of it and the display names it may mean (remembered per names epoch)."""
        tree, fuzzy = None, {}
        if ask.text:
            analysis = self.analyses.get((ask.text, view.names_epoch))
            if analysis is None:
                tsq, similar, words, near = conn.execute(_ANALYSE, {"q": ask.text}).one()
                analysis = (ix.Query(tsq), names_found(json.loads(words), json.loads(near), json.loads(similar)))
                self.analyses.put((ask.text, view.names_epoch), analysis)
            tree, fuzzy = analysis
        return Criteria(viewer=str(ask.institution_id) if ask.institution_id is not None else None,
                        everything=ask.everything, codes=tuple(view.code_of.get(p) for p in filter_pairs(ask.query)),
                        tree=tree, fuzzy=fuzzy)

    def _phrase_matches(self, conn, tsq: str, base: ix.Base, candidates: np.ndarray) -> np.ndarray:
        """Which base profiles match a phrase query, checked by PostgreSQL once per base (a base
        never changes; `candidates`: every base profile with all the phrase's words)."""
        packed = self.phrases.get((tsq, base.stamp))
        if packed is None:
            rows = np.flatnonzero(candidates)
            ok = set(conn.scalars(_PHRASE, {"ids": [base.user_ids[r] for r in rows], "tsq": tsq}))
            verified = np.zeros(base.n, dtype=bool)
            verified[[r for r in rows if base.user_ids[r] in ok]] = True
            packed = np.packbits(verified)
            self.phrases.put((tsq, base.stamp), packed)
        return np.unpackbits(packed, count=base.n).view(bool)

    def _profiles(self, conn, view: ix.View, user_ids: list[str], ask: Ask) -> dict:
        """The public profiles of the page: remembered per profile state (stamp), the others read with
        the caller's visibility condition once more (a profile not visible, or unpublished, is absent)."""
        found, missing = {}, []
        for uid in user_ids:
            profile = self.profiles.get((uid, view.stamp(uid)))
            if profile is None:
                missing.append(uid)
            else:
                found[uid] = profile
        if missing:
            statement, params = profiles_sql(ask.institution_id, ask.everything)
            for uid, body in conn.execute(statement, {**params, "ids": missing}):
                found[uid] = body
                self.profiles.put((uid, view.stamp(uid)), body)
        return found


def _compute(conn, view: ix.View, c: Criteria, limit: int, phrase_matches) -> tuple[list, int, Counter]:
    """The top `limit` hits as (-score, user_id, text relevance), the total and the facet counts.
    `phrase_matches(tsq, base, candidates)`: which base profiles PostgreSQL's phrase operator matches."""
    base = view.base
    if None in c.codes:  # a filter value no profile ever had: nothing matches
        return [], 0, Counter()
    # the visible, standing base profiles that pass the filters
    if c.everything:
        match = view.live.copy()
    else:
        match = base.national & view.live
        local = base.local_of.get(c.viewer, ix.EMPTY) if c.viewer else ix.EMPTY
        match[local] = view.live[local]
    for code in c.codes:
        match &= base.facet_mask(code)
    if c.tree is None:
        rows = np.flatnonzero(match)
        rel = np.zeros(len(rows))
    else:
        # full-text matches, then profiles found only by their name (relevance: its closeness, names_found)
        by_text = None
        found, relevance = [ix.EMPTY], [np.zeros(0)]
        if c.tree.tree is not None:
            by_text, weights = ix.evaluate(c.tree.tree, base)
            if c.tree.has_phrase:
                by_text &= phrase_matches(c.tree.text, base, by_text)
            by_text &= match
            found[0] = np.flatnonzero(by_text)
            relevance[0] = rules.text_relevance(weights[found[0]])
        for name, closeness in c.fuzzy.items():
            named = base.by_name.get(name)
            if named is not None:
                named = named[match[named] & ~by_text[named]] if by_text is not None else named[match[named]]
                found.append(named)
                relevance.append(np.full(len(named), float(closeness)))
        rows, rel = np.concatenate(found), np.concatenate(relevance)
    tail_hits = _tail_hits(conn, view, c)
    score = rules.W_TEXT * rel + base.boost[rows]
    if len(rows) > limit:
        kth = score[np.argpartition(-score, limit - 1)[limit - 1]]
        keep = np.flatnonzero(score >= kth)
    else:
        keep = np.arange(len(rows))
    keep = keep[np.lexsort((rows[keep], -score[keep]))][:limit]
    hits = [(-float(score[i]), base.user_ids[rows[i]], float(rel[i])) for i in keep]
    hits += [h[:3] for h in tail_hits]
    hits.sort()
    counts = _count_base(base, rows)
    for h in tail_hits:
        counts.update(h[3])
    return hits[:limit], len(rows) + len(tail_hits), counts


def _tail_hits(conn, view: ix.View, c: Criteria) -> list:
    """The tail's matches as (-score, user_id, text relevance, facet codes); phrases checked by
    PostgreSQL."""
    def phrase_ok(doc: ix.Doc) -> bool:
        return conn.execute(_PHRASE, {"ids": [doc.user_id], "tsq": c.tree.text}).first() is not None

    out = []
    for doc in view.tail.values():
        hit = c.doc(doc, phrase_ok)
        if hit is not None:
            out.append((hit[0], doc.user_id, hit[1], doc.codes))
    return out


def _count_base(base: ix.Base, rows: np.ndarray) -> Counter:
    """How many matches carry each facet code: a bincount over the matches' codes when they are few,
    else a popcount of the match bits AND each facet value's bits."""
    if not len(rows):
        return Counter()
    if len(rows) * BITSET_SHARE < base.n:
        found = np.bincount(base.codes[rows].ravel())
        return Counter({code: int(n) for code, n in enumerate(found) if n and code})
    bits = base.packed(rows)
    # a block of facet values at a time: 2 MB of temporaries at a million profiles rather than 20
    found = np.concatenate([np.bitwise_count(base.facet_bits[i:i + FACET_BLOCK] & bits).sum(axis=1, dtype=np.int64)
                            for i in range(0, len(base.facet_bits), FACET_BLOCK)])
    return Counter({code: int(found[row]) for code, row in base.facet_row.items() if found[row]})


def _facets(view: ix.View, counts: Counter) -> dict:
    grouped: dict[str, list] = {name: [] for name in FACETS}
    for code, n in counts.items():
        if n > 0 and code in view.facets:
            facet, value = view.facets[code]
            if facet in grouped:
                grouped[facet].append((value, n))
    out = {}
    for name, values in grouped.items():
        values.sort(key=lambda vn: (-vn[1], vn[0]))
        if name == "interest":
            values = values[:INTEREST_FACET_SIZE]
        out[name] = [{"value": v, "count": n} for v, n in values]
    return out
