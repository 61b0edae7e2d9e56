"""The search index: what search needs of every published profile, held in memory by each API process,
built from PostgreSQL and kept in step with it on every search.

Why: a search must rank and count facets over every visible match. Done in SQL that touches every
matching row (tens of thousands for a common word), which cost 0.1-1 s at 100,000 profiles. Here a
match set is a numpy mask over the profiles; a lexeme's postings, a facet value's profiles and the
ranking boost are arrays, so a broad search costs a few milliseconds.

PostgreSQL stays the source of truth and the linguist: the indexed lexemes are the profiles'
`search_vector` (the English configuration, kept by a trigger), a query is parsed by
`websearch_to_tsquery`, the display names a query may mean (one typo away: deletion variants in
`search_name_variants`; partial: pg_trgm in `search_names`) are found by PostgreSQL and only looked up
here by display name (`by_name`), phrase matches are checked by PostgreSQL, and the page's profiles
are read from `mentor_profiles` (with the visibility condition, R8, once more) or remembered per
profile state.

Freshness: every change that can alter a search result moves `search_state.version` in its own
transaction (service.touch_search), and every row change stamps `mentor_profiles.change_xid` with
its transaction id (trigger, migration 0003). A search reads the version first; when it differs from
the index's, the index reads the rows stamped since the oldest transaction that was still running at
its last read (`pg_snapshot_xmin`), in one REPEATABLE READ snapshot, before answering. So an ejected
mentor is gone from the very next search, in every process. Rows changed since the base was built
live in a small tail (pure Python); when the tail outgrows TAIL_LIMIT the base is rebuilt in a
background thread and swapped in.

Structures of the base (n published profiles at build time, numbered in user_id order, so that
the number order is the tie-break order):
- `postings`: lexeme -> [(profile numbers, weight)] per weight class (A 1.0, B 0.4, C 0.2, D 0.1 —
  the class of the lexeme's best-weighted occurrence in the profile);
- `facet_bits`: one row of packed bits (64-bit words) per facet value, `facet_row` its row per
  facet code; `codes`: n x width matrix of each profile's codes (0-padded). Facets of a few
  matches are counted with one bincount over their codes, of many with one AND and popcount of
  the match bits against every row (4 ms at a million profiles, whatever the matches);
- `boost` (rank_boost), `national`, `local_of` (institution -> local-scope profiles), `by_name`.
"""
from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from services.directory import rules

log = logging.getLogger(__name__)

WEIGHTS = rules.TEXT_CLASS_WEIGHTS
# Every search walks the tail in Python (a few microseconds a profile), so it is kept short.
TAIL_LIMIT = 1000
# Changes remembered for deciding whether a remembered response is still right (search.py).
LOG_LIMIT = 500
EMPTY = np.zeros(0, dtype=np.int32)
# Each base and each tail entry gets a new stamp: (user_id, stamp) names one state of a profile, for
# caching what is read of it.
STAMPS = itertools.count(1)

_SNAPSHOT = ("SELECT s.version, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin "
             "FROM search_state s WHERE s.id = 1")
_DOC_COLUMNS = ("p.user_id::text, p.institution_id::text, p.scope = 'national', p.rank_boost, p.facet_codes, "
                "p.display_name")
_BASE_DOCS = f"SELECT {_DOC_COLUMNS} FROM mentor_profiles p WHERE p.published ORDER BY p.user_id"
# A profile's lexemes with the class of their best-weighted occurrence; 'D' when stored without positions.
_BEST = ("CASE WHEN 'A' = ANY(t.weights) THEN 'A' WHEN 'B' = ANY(t.weights) THEN 'B' "
         "WHEN 'C' = ANY(t.weights) THEN 'C' ELSE 'D' END")  # (a subquery per lexeme took twice as long)
_BASE_POSTINGS = f"""
WITH d AS (SELECT (row_number() OVER (ORDER BY p.user_id) - 1)::int AS doc, p.search_vector
           FROM mentor_profiles p WHERE p.published)
SELECT t.lexeme, {_BEST} AS best, string_agg(int4send(d.doc), ''::bytea)
FROM d, unnest(d.search_vector) t GROUP BY 1, 2"""
_CHANGED = f"""
SELECT {_DOC_COLUMNS}, p.published,
       (SELECT coalesce(json_object_agg(t.lexeme, {_BEST}), '{{}}') FROM unnest(p.search_vector) t)::text
FROM mentor_profiles p WHERE p.change_xid >= CAST(:since AS bigint)"""
_FACET_VALUES = "SELECT code, facet, value FROM facet_values"


@dataclass(frozen=True)
class Doc:
    """A profile published or changed after the base was built (the tail)."""
    user_id: str
    institution_id: str
    national: bool
    boost: float
    codes: frozenset
    name: str | None
    terms: dict  # lexeme -> weight
    stamp: int = field(default_factory=lambda: next(STAMPS))


@dataclass
class Base:
    user_ids: list
    boost: np.ndarray
    national: np.ndarray
    local_of: dict
    by_name: dict
    postings: dict
    facet_bits: np.ndarray  # (facet values, words) uint64
    facet_row: dict  # facet code -> row of facet_bits
    codes: np.ndarray
    institutions: list = field(default_factory=list)
    names: list = field(default_factory=list)
    stamp: int = field(default_factory=lambda: next(STAMPS))

    @property
    def n(self) -> int:
        return len(self.user_ids)

    def facet_mask(self, code: int) -> np.ndarray:
        row = self.facet_row.get(code)
        if row is None:
            return np.zeros(self.n, dtype=bool)
        return np.unpackbits(self.facet_bits[row].view(np.uint8), count=self.n).view(bool)

    def packed(self, rows: np.ndarray) -> np.ndarray:
        """Profiles as bits in 64-bit words, as the rows of facet_bits are."""
        mask = np.zeros(-(-self.n // 64) * 64, dtype=bool)
        mask[rows] = True
        return np.packbits(mask).view(np.uint64)


@dataclass(frozen=True)
class View:
    """One consistent state: the base, which of its profiles still stand, and the tail."""
    base: Base
    row_of: dict  # user_id -> base number
    live: np.ndarray
    tail: dict  # user_id -> Doc
    version: int
    xmin: str
    facets: dict = field(default_factory=dict)  # code -> (facet, value)
    code_of: dict = field(default_factory=dict)  # (facet, value) -> code
    new_names: frozenset = frozenset()  # display names the tail brought that the base lacks
    # what changed, for keeping remembered responses that no change touched: one entry per catch-up,
    # (from version, to version, ((state before, state after), ...)); a state is a Doc, a base row
    # number or None (not published). Complete from version `log_from` on.
    log: tuple = ()
    log_from: int = 0

    @property
    def names_epoch(self) -> tuple:
        """Changes when a name appears that a misspelling could now find (the base's stamp and how
        many names the tail added): name lookups are remembered per epoch, not per version (a new
        name's words and their variants are written by the same transaction that publishes it)."""
        return (self.base.stamp, len(self.new_names))

    def stamp(self, user_id: str) -> int:
        """The stamp of the state of a profile this view holds."""
        doc = self.tail.get(user_id)
        return doc.stamp if doc is not None else self.base.stamp


def _read_snapshot(conn) -> tuple[int, str]:
    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    row = conn.execute(sa.text(_SNAPSHOT)).one()
    return row.version, row.xmin


def _facet_values(conn) -> tuple[dict, dict]:
    facets, code_of = {}, {}
    for code, facet, value in conn.execute(sa.text(_FACET_VALUES)):
        facets[code] = (facet, value)
        code_of[(facet, value)] = code
    return facets, code_of


def build(engine: sa.Engine) -> View:
    """Every published profile, in one snapshot."""
    with engine.connect() as conn:
        with conn.begin():
            version, xmin = _read_snapshot(conn)
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            user_ids, boost, national, local, by_name, code_lists = [], [], [], {}, {}, []
            institutions, names = [], []
            for i, (uid, inst, nat, rank_boost, codes, name) in enumerate(conn.execute(sa.text(_BASE_DOCS))):
                user_ids.append(uid)
                institutions.append(inst)
                names.append(name)
                boost.append(rank_boost)
                national.append(nat)
                if not nat:
                    local.setdefault(inst, []).append(i)
                if name:
                    by_name.setdefault(name, []).append(i)
                code_lists.append(codes or [])
            postings: dict[str, list] = {}
            for lexeme, best, docs in conn.execute(sa.text(_BASE_POSTINGS)):
                postings.setdefault(lexeme, []).append(
                    (np.sort(np.frombuffer(docs, dtype=">i4").astype(np.int32)), WEIGHTS[best]))
            facets, code_of = _facet_values(conn)
    n = len(user_ids)
    width = max((len(c) for c in code_lists), default=0) or 1
    top = max((max(c) for c in code_lists if c), default=0)
    matrix = np.zeros((n, width), dtype=np.uint16 if top < 2**16 else np.int32)
    for i, codes in enumerate(code_lists):
        matrix[i, :len(codes)] = codes
    facet_row, facet_rows = {}, []
    if n:
        flat = matrix.ravel()
        rows = np.repeat(np.arange(n, dtype=np.int32), width)
        keep = flat > 0
        order = np.argsort(flat[keep], kind="stable")
        codes_sorted, rows_sorted = flat[keep][order], rows[keep][order]
        bounds = np.flatnonzero(np.diff(codes_sorted)) + 1
        padded = -(-n // 64) * 64
        for chunk_codes, chunk_rows in zip(np.split(codes_sorted, bounds), np.split(rows_sorted, bounds)):
            mask = np.zeros(padded, dtype=bool)
            mask[chunk_rows] = True
            facet_row[int(chunk_codes[0])] = len(facet_rows)
            facet_rows.append(np.packbits(mask).view(np.uint64))
    facet_bits = np.vstack(facet_rows) if facet_rows else np.zeros((0, 1), dtype=np.uint64)
    base = Base(user_ids=user_ids, boost=np.asarray(boost, dtype=np.float64), national=np.asarray(national, bool),
                local_of={k: np.asarray(v, dtype=np.int32) for k, v in local.items()},
                by_name={k: np.asarray(v, dtype=np.int32) for k, v in by_name.items()},
                postings=postings, facet_bits=facet_bits, facet_row=facet_row, codes=matrix,
                institutions=institutions, names=names)
    return View(base=base, row_of={u: i for i, u in enumerate(user_ids)}, live=np.ones(n, dtype=bool), tail={},
                version=version, xmin=xmin, facets=facets, code_of=code_of, log_from=version)


def catch_up(engine: sa.Engine, view: View) -> View:
    """A new view with every row changed since `view` was read (nothing of `view` is modified)."""
    with engine.connect() as conn:
        with conn.begin():
            version, xmin = _read_snapshot(conn)
            rows = conn.execute(sa.text(_CHANGED), {"since": view.xmin}).all()
            facets, code_of = view.facets, view.code_of
            if any(c not in facets for r in rows for c in (r[4] or [])):
                facets, code_of = _facet_values(conn)
    live, tail = view.live, dict(view.tail)
    copied = False
    changes = []
    for uid, inst, nat, rank_boost, codes, name, published, terms in rows:
        row = view.row_of.get(uid)
        before = tail.pop(uid, None)
        if row is not None and live[row]:
            if not copied:
                live, copied = live.copy(), True
            live[row] = False
            before = row
        after = None
        if published:
            after = tail[uid] = Doc(uid, inst, bool(nat), float(rank_boost), frozenset(codes or ()), name,
                                    {k: WEIGHTS[v] for k, v in json.loads(terms).items()})
        if before is not None or after is not None:
            changes.append((before, after))
    log, log_from = view.log + ((view.version, version, tuple(changes)),), view.log_from
    while sum(len(entry[2]) for entry in log) > LOG_LIMIT and len(log) > 1:
        log, log_from = log[1:], log[1][0]
    new_names = view.new_names
    added = {d.name for d in tail.values() if d.name and d.name not in view.base.by_name} - new_names
    if added:
        new_names = new_names | added
    return View(base=view.base, row_of=view.row_of, live=live, tail=tail, version=version, xmin=xmin,
                facets=facets, code_of=code_of, new_names=new_names, log=log, log_from=log_from)


class SearchIndex:
    """The index of one database, shared by the threads of one process."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._view: View | None = None
        self._lock = threading.Lock()
        self._rebuilding = False
        self._warming = False

    def current(self, version: int) -> View | None:
        """The view if it is at least as new as `version`, without touching the database; else None."""
        view = self._view
        return view if view is not None and view.version >= version else None

    def view(self, version: int) -> View:
        """A view at least as new as `version` (the search version the caller read)."""
        view = self._view
        if view is not None and view.version >= version:
            return view
        with self._lock:
            view = self._view
            if view is None:
                view = build(self.engine)
            elif view.version < version:
                view = catch_up(self.engine, view)
            self._view = view
            if len(view.tail) > TAIL_LIMIT and not self._rebuilding:
                self._rebuilding = True
                threading.Thread(target=self._rebuild, name="search-index-rebuild", daemon=True).start()
            return view

    def warm_in_background(self) -> None:
        """Build the index now rather than on the first search; /readyz says so meanwhile."""
        self._warming = True
        threading.Thread(target=self._warm, name="search-index-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.view(0)
        except Exception:  # the first search builds it instead
            log.warning("search index warm-up failed", exc_info=True)
        finally:
            self._warming = False

    def readiness(self) -> str:
        """For /readyz: not ready while the index is being built at start."""
        return "building" if self._warming and self._view is None else "ok"

    def rebuild(self) -> View:
        """Build the base afresh and swap it in (the tail empties)."""
        fresh = build(self.engine)
        with self._lock:
            current = self._view
            # the rebuilt view may be older than what the current one caught up to meanwhile
            if current is not None and fresh.version < current.version:
                fresh = catch_up(self.engine, fresh)
            self._view = fresh
            return fresh

    def _rebuild(self) -> None:
        try:
            self.rebuild()
        except Exception:
            log.exception("search index rebuild failed; the tail keeps growing until the next attempt")
        finally:
            self._rebuilding = False


# --- queries ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:'((?:[^']|'')*)'(?::[*A-D]+)?|(<->|<\d+>)|([!&|()]))")


class Query:
    """A tsquery as PostgreSQL prints it (websearch_to_tsquery(...)::text), as a tree:
    ('term', lexeme) | ('not', x) | ('and'|'or'|'phrase', x, y). `phrase` is evaluated as `and`
    here and checked by PostgreSQL afterwards (positions are not held in memory)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise ValueError(f"unexpected tsquery text at {pos}: {text!r}")
            lexeme, phrase, op = m.groups()
            self.tokens.append(("term", lexeme.replace("''", "'")) if lexeme is not None
                               else ("op", "<->" if phrase else op))
            pos = m.end()
        self._i = 0
        self.has_phrase = any(t == ("op", "<->") for t in self.tokens)
        self.tree = self._or() if self.tokens else None

    def _peek(self):
        return self.tokens[self._i] if self._i < len(self.tokens) else None

    def _binary(self, op: str, name: str, lower):
        left = lower()
        while self._peek() == ("op", op):
            self._i += 1
            left = (name, left, lower())
        return left

    def _or(self):
        return self._binary("|", "or", self._and)

    def _and(self):
        return self._binary("&", "and", self._phrase)

    def _phrase(self):
        return self._binary("<->", "and", self._unary)

    def _unary(self):
        token = self._peek()
        self._i += 1
        if token == ("op", "!"):
            return ("not", self._unary())
        if token == ("op", "("):
            inner = self._or()
            self._i += 1  # ")"
            return inner
        if token is None or token[0] != "term":
            raise ValueError(f"unexpected tsquery token {token!r}")
        return token

    def lexemes(self) -> set[str]:
        out: set[str] = set()

        def walk(node):
            if node[0] == "term":
                out.add(node[1])
            elif node[0] != "not":
                for child in node[1:]:
                    walk(child)
        if self.tree is not None:
            walk(self.tree)
        return out


def evaluate(node, base: Base) -> tuple[np.ndarray, np.ndarray]:
    """(matches, summed weights of the matched positive lexemes) over the base."""
    kind = node[0]
    if kind == "term":
        mask, weight = np.zeros(base.n, dtype=bool), np.zeros(base.n, dtype=np.float64)
        for docs, w in base.postings.get(node[1], ()):
            mask[docs] = True
            weight[docs] = w
        return mask, weight
    if kind == "not":
        mask, _ = evaluate(node[1], base)
        return ~mask, np.zeros(base.n, dtype=np.float64)
    (m1, w1), (m2, w2) = evaluate(node[1], base), evaluate(node[2], base)
    if kind == "and":
        mask = m1 & m2
        return mask, np.where(mask, w1 + w2, 0.0)
    return m1 | m2, np.where(m1, w1, 0.0) + np.where(m2, w2, 0.0)


def evaluate_doc(node, terms: dict) -> tuple[bool, float]:
    kind = node[0]
    if kind == "term":
        w = terms.get(node[1])
        return (w is not None, w or 0.0)
    if kind == "not":
        return (not evaluate_doc(node[1], terms)[0], 0.0)
    (m1, w1), (m2, w2) = evaluate_doc(node[1], terms), evaluate_doc(node[2], terms)
    if kind == "and":
        return (m1 and m2, w1 + w2 if m1 and m2 else 0.0)
    return (m1 or m2, (w1 if m1 else 0.0) + (w2 if m2 else 0.0))



def evaluate_row(node, base: Base, row: int) -> bool:
    """Whether one base profile matches a query tree (phrases as AND)."""
    kind = node[0]
    if kind == "term":
        for docs, _ in base.postings.get(node[1], ()):
            at = np.searchsorted(docs, row)
            if at < len(docs) and docs[at] == row:
                return True
        return False
    if kind == "not":
        return not evaluate_row(node[1], base, row)
    if kind == "and":
        return evaluate_row(node[1], base, row) and evaluate_row(node[2], base, row)
    return evaluate_row(node[1], base, row) or evaluate_row(node[2], base, row)
