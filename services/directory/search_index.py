"""The search index: what search needs of every published profile, built from PostgreSQL once per machine,
mapped by every API process and kept in step with PostgreSQL on every search.

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
its transaction id (trigger, migration 0003). A search knows the version (announced by PostgreSQL as
the change commits, search_version.py); when it differs from the index's, the index reads the rows
stamped since the oldest transaction that was still running at its last read (`pg_snapshot_xmin`), in
one REPEATABLE READ snapshot, before answering. So an ejected mentor is gone from the next search of
every process once the notification reached it (measured: at once in 48 of 50 changes, 3.3 ms at
most). Rows changed since the base was built live in a small tail (pure Python); when the tail outgrows
TAIL_LIMIT the base is rebuilt in a background thread and swapped in.

One base per machine (DIRECTORY_SEARCH_INDEX_DIR, Snapshots): the base is flat numpy arrays only, written
as a snapshot (a directory of .npy files and a meta.json with the version, xmin, facet values and each
file's CRC-32, renamed into place whole) that every API process maps (`np.load(mmap_mode="r")`), so the
machine holds it once. A process starting maps the newest snapshot of its database and catches up from
its xmin (`catch_up`, as after any search) — ready in seconds — unless more than ADOPT_LIMIT profiles
changed since it was built. Only the holder of the directory's flock builds (one at a time); a process
that finds no usable snapshot waits for that lock (readiness "building"), then maps what the builder
wrote or builds one itself. A tail past TAIL_LIMIT asks for a new snapshot the same way; a process that
sees a newer snapshot in the directory (a stat on each catch-up) takes it in the background. The builder
removes superseded snapshots (a process still mapping one keeps its files until it lets go). A snapshot
of another layout or database, or whose files are not as written, is ignored, never served. Without a
directory each process builds its own base in memory, as before.

Structures of the base (n published profiles at build time, numbered in user_id order, so that
the number order is the tie-break order), flat arrays (ARRAYS) read through small views (Base):
- `user_ids[row]`: 16-byte ids (a binary search gives a user id's row); `institutions[row]`, `names[row]`
  and `by_name` / `local_of` (a name's / an institution's local rows): int32 codes into tables and rows
  grouped by code; display names and lexemes are tables of UTF-8 bytes, found by a 64-bit hash;
- `postings`: lexeme -> [(profile numbers, weight)] per weight class (A 1.0, B 0.4, C 0.2, D 0.1 —
  the class of the lexeme's best-weighted occurrence in the profile), slices of one int32 array;
- `facet_bits`: one row of packed bits (64-bit words) per facet value, `facet_row` its row per
  facet code; `codes`: n x width matrix of each profile's codes (0-padded). Facets of a few
  matches are counted with one bincount over their codes, of many with one AND and popcount of
  the match bits against every row (4 ms at a million profiles, whatever the matches);
- `boost` (rank_boost), `national`: a value per profile.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

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
_BASE_DOCS = ("SELECT uuid_send(p.user_id), p.institution_id::text, p.scope = 'national', p.rank_boost, p.facet_codes, "
              "p.display_name FROM mentor_profiles p WHERE p.published ORDER BY p.user_id")
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


# Codes of names and lexemes a table remembers (about 2 MB).
CODES_KEPT = 16_384


def _hash(key: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


class _Table:
    """Distinct strings (display names, lexemes) as one byte array and offsets, sorted by their UTF-8
    bytes, with no Python object per string; `code(s)` finds one by its 64-bit hash (a sorted array of
    them and the code of each) and checks the bytes: a few microseconds, as search may look up
    hundreds of similar names."""

    def __init__(self, a: dict, prefix: str) -> None:
        self.blob, self.offsets = a[f"{prefix}_blob"], a[f"{prefix}_offsets"]
        self.hashes, self.hash_codes = a[f"{prefix}_hashes"], a[f"{prefix}_hash_codes"]
        # the names and lexemes searched often, at a dict's speed (bounded: emptied past CODES_KEPT)
        self._codes: dict[str, int | None] = {}

    @staticmethod
    def arrays(strings, prefix: str) -> tuple[list[bytes], dict]:
        encoded = sorted({s.encode() for s in strings})
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        hashes = np.fromiter((_hash(b) for b in encoded), dtype=np.uint64, count=len(encoded))
        order = np.argsort(hashes, kind="stable")
        return encoded, {f"{prefix}_blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
                         f"{prefix}_offsets": offsets, f"{prefix}_hashes": hashes[order],
                         f"{prefix}_hash_codes": order.astype(np.int32)}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _bytes(self, i) -> bytes:
        return self.blob[self.offsets[i]:self.offsets[i + 1]].tobytes()

    def __getitem__(self, i) -> str:
        return self._bytes(i).decode()

    def code(self, s: str) -> int | None:
        code = self._codes.get(s, -1)
        if code == -1:
            if len(self._codes) >= CODES_KEPT:
                self._codes = {}
            code = self._codes[s] = self._find(s)
        return code

    def _find(self, s: str) -> int | None:
        key = s.encode()
        h = np.uint64(_hash(key))
        at = int(np.searchsorted(self.hashes, h))
        while at < len(self.hashes) and self.hashes[at] == h:  # more than one only when two hashes collide
            code = int(self.hash_codes[at])
            if self._bytes(code) == key:
                return code
            at += 1
        return None


def _groups(codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by code (codes < 0: in no group): (rows ordered by code, start of each code's rows)."""
    keep = np.flatnonzero(codes >= 0)
    rows = keep[np.argsort(codes[keep], kind="stable")].astype(np.int32)
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes[keep], minlength=count), out=starts[1:])
    return rows, starts


class _Ids:
    """The profiles' user ids (16 bytes each, in user id order, as the rows are): `[row]` is the id's
    text, `row(user_id)` a binary search."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row) -> str:
        # numpy drops the trailing zero bytes of an 'S16' item; formatted as str(uuid.UUID(...)) does, faster
        h = self.ids[row].ljust(16, b"\0").hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def row(self, user_id: str) -> int | None:
        key = uuid.UUID(user_id).bytes
        at = int(np.searchsorted(self.ids, key))
        return at if at < len(self.ids) and self.ids[at].ljust(16, b"\0") == key else None


class _RowOf:
    """user id -> base row, for View.row_of (`in`, `get`)."""

    def __init__(self, ids: _Ids) -> None:
        self.ids = ids

    def get(self, user_id: str, default=None):
        row = self.ids.row(user_id)
        return default if row is None else row

    def __contains__(self, user_id: str) -> bool:
        return self.ids.row(user_id) is not None


class _Coded:
    """A per-profile string held as a code per row into a table: `[row]` is the string or None."""

    def __init__(self, codes: np.ndarray, table) -> None:
        self.codes, self.table = codes, table

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, row):
        code = int(self.codes[row])
        return None if code < 0 else self.table[code]


class _Grouped:
    """A read-only mapping string -> rows (int32 array), grouped as `_groups` makes them."""

    def __init__(self, code_of, rows: np.ndarray, starts: np.ndarray) -> None:
        self.code_of, self.rows, self.starts = code_of, rows, starts

    def get(self, key: str, default=None):
        code = self.code_of(key)
        return default if code is None else self.rows[self.starts[code]:self.starts[code + 1]]

    def __contains__(self, key: str) -> bool:
        return self.code_of(key) is not None

    def __len__(self) -> int:
        return len(self.starts) - 1


class _Postings:
    """lexeme -> [(profile numbers, weight)] per weight class, over flat arrays: each lexeme's
    segments (lex_segs), each segment's weight and span (seg_weight, seg_starts) of post_docs."""

    def __init__(self, a: dict) -> None:
        self.lexemes = _Table(a, "lex")
        self.segs, self.weight, self.starts, self.docs = a["lex_segs"], a["seg_weight"], a["seg_starts"], a["post_docs"]

    def get(self, lexeme: str, default=()):
        code = self.lexemes.code(lexeme)
        if code is None:
            return default
        return [(self.docs[self.starts[s]:self.starts[s + 1]], float(self.weight[s]))
                for s in range(int(self.segs[code]), int(self.segs[code + 1]))]

    def __contains__(self, lexeme: str) -> bool:
        return self.lexemes.code(lexeme) is not None

    def __len__(self) -> int:
        return len(self.lexemes)


# The arrays of a base, as written to a snapshot (one .npy file each).
ARRAYS = ("ids", "boost", "national", "codes", "facet_bits", "facet_codes", "inst_ids", "inst_code", "local_rows",
          "local_starts", "name_code", "name_blob", "name_offsets", "name_hashes", "name_hash_codes", "name_rows",
          "name_starts", "lex_blob", "lex_offsets", "lex_hashes", "lex_hash_codes", "lex_segs", "seg_weight",
          "seg_starts", "post_docs")


class Base:
    """The profiles present when the index was built: flat numpy arrays only (ARRAYS), in memory or
    mapped from a snapshot file shared by every process of the machine. Read through:
    `user_ids[row]` (text), `institutions[row]`, `names[row]` (None: no display name),
    `by_name.get(name)` and `local_of.get(institution)` (rows), `postings.get(lexeme, ())`,
    `facet_row` (facet code -> row of facet_bits), `facet_bits`, `codes`, `boost`, `national`."""

    def __init__(self, arrays: dict, source: str | None = None) -> None:
        self.arrays = arrays
        self.source = source  # the snapshot it is mapped from (None: built in this process's memory)
        self.stamp = next(STAMPS)
        a = arrays
        self.boost, self.national, self.codes, self.facet_bits = a["boost"], a["national"], a["codes"], a["facet_bits"]
        self.user_ids = _Ids(a["ids"])
        self.facet_row = {int(code): row for row, code in enumerate(a["facet_codes"].tolist())}
        # institutions are few (hundreds): a Python table
        inst_table = [str(uuid.UUID(bytes=b.ljust(16, b"\0"))) for b in a["inst_ids"].tolist()]
        inst_code = {inst: code for code, inst in enumerate(inst_table)}
        self.institutions = _Coded(a["inst_code"], inst_table)
        self.local_of = _Grouped(inst_code.get, a["local_rows"], a["local_starts"])
        names = _Table(a, "name")
        self.names = _Coded(a["name_code"], names)
        self.by_name = _Grouped(names.code, a["name_rows"], a["name_starts"])
        self.postings = _Postings(a)

    @property
    def n(self) -> int:
        return len(self.user_ids)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())

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
    row_of: _RowOf  # user_id -> base number (`in`, `get`)
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
    """Every published profile, in one snapshot, as a base held in this process's memory."""
    with engine.connect() as conn:
        with conn.begin():
            version, xmin = _read_snapshot(conn)
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            ids, boost, national, code_lists, institutions, names = [], [], [], [], [], []
            for uid, inst, nat, rank_boost, codes, name in conn.execute(sa.text(_BASE_DOCS)):
                ids.append(uid)
                institutions.append(inst)
                names.append(name)
                boost.append(rank_boost)
                national.append(nat)
                code_lists.append(codes or [])
            segments: dict[str, list] = {}
            for lexeme, best, docs in conn.execute(sa.text(_BASE_POSTINGS)):
                segments.setdefault(lexeme, []).append(
                    (WEIGHTS[best], np.sort(np.frombuffer(docs, dtype=">i4").astype(np.int32))))
            facets, code_of = _facet_values(conn)
    n = len(ids)
    a = {"ids": np.frombuffer(b"".join(bytes(u) for u in ids), dtype="S16") if n else np.zeros(0, dtype="S16"),
         "boost": np.asarray(boost, dtype=np.float64), "national": np.asarray(national, dtype=bool)}
    del ids, boost
    # institutions: a code per profile; the local-scope profiles grouped by it
    inst_table = sorted({i for i in institutions if i is not None})
    inst_index = {inst: code for code, inst in enumerate(inst_table)}
    a["inst_ids"] = np.asarray([uuid.UUID(i).bytes for i in inst_table], dtype="S16").reshape(len(inst_table))
    a["inst_code"] = np.fromiter((inst_index.get(i, -1) for i in institutions), dtype=np.int32, count=n)
    del institutions
    local = np.where(a["national"], -1, a["inst_code"])
    a["local_rows"], a["local_starts"] = _groups(local, len(inst_table))
    # display names: a code per profile into a table sorted by bytes; profiles grouped by name
    encoded, table = _Table.arrays((s for s in names if s), "name")
    a.update(table)
    name_index = {b: code for code, b in enumerate(encoded)}
    a["name_code"] = np.fromiter((name_index[s.encode()] if s else -1 for s in names), dtype=np.int32, count=n)
    del names, name_index, encoded
    a["name_rows"], a["name_starts"] = _groups(a["name_code"], len(a["name_offsets"]) - 1)
    # postings: one array of profile numbers, a segment per (lexeme, weight class)
    encoded, table = _Table.arrays(segments, "lex")
    a.update(table)
    lex_segs, seg_weight, seg_sizes, docs = [0], [], [], []
    for lexeme in encoded:
        for weight, rows in sorted(segments.pop(lexeme.decode()), key=lambda s: -s[0]):
            seg_weight.append(weight)
            seg_sizes.append(len(rows))
            docs.append(rows)
        lex_segs.append(len(seg_weight))
    a["lex_segs"] = np.asarray(lex_segs, dtype=np.int64)
    a["seg_weight"] = np.asarray(seg_weight, dtype=np.float64)
    a["seg_starts"] = np.zeros(len(seg_sizes) + 1, dtype=np.int64)
    np.cumsum(seg_sizes, out=a["seg_starts"][1:])
    a["post_docs"] = np.concatenate(docs) if docs else EMPTY
    del docs, encoded
    # facets: each profile's codes, and a row of bits per facet value
    width = max((len(c) for c in code_lists), default=0) or 1
    top = max((max(c) for c in code_lists if c), default=0)
    matrix = np.zeros((n, width), dtype=np.uint16 if top < 2**16 else np.int32)
    for i, codes in enumerate(code_lists):
        matrix[i, :len(codes)] = codes
    del code_lists
    facet_codes, facet_rows = [], []
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
            facet_codes.append(int(chunk_codes[0]))
            facet_rows.append(np.packbits(mask).view(np.uint64))
    a["codes"] = matrix
    a["facet_bits"] = np.vstack(facet_rows) if facet_rows else np.zeros((0, 1), dtype=np.uint64)
    a["facet_codes"] = np.asarray(facet_codes, dtype=np.int64)
    return _view_of(Base(a), version, xmin, facets, code_of)


def _view_of(base: Base, version: int, xmin: str, facets: dict, code_of: dict) -> View:
    return View(base=base, row_of=_RowOf(base.user_ids), live=np.ones(base.n, dtype=bool), tail={}, version=version,
                xmin=xmin, facets=facets, code_of=code_of, log_from=version)


def catch_up(engine: sa.Engine, view: View) -> View:
    """A new view with every row changed since `view` was read (nothing of `view` is modified)."""
    version, xmin, rows, facets, code_of = _read_changes(engine, view)
    live, tail, changes = _apply_changes(view, rows)
    log, log_from = _logged(view, version, changes)
    return View(base=view.base, row_of=view.row_of, live=live, tail=tail, version=version, xmin=xmin,
                facets=facets, code_of=code_of, new_names=_new_names(view, tail), log=log, log_from=log_from)


def _read_changes(engine: sa.Engine, view: View) -> tuple[int, str, list, dict, dict]:
    """In one snapshot: the version and xmin now, the rows stamped since `view`'s xmin, and the facet
    values (read again only when a row carries a code the view does not know)."""
    with engine.connect() as conn:
        with conn.begin():
            version, xmin = _read_snapshot(conn)
            rows = conn.execute(sa.text(_CHANGED), {"since": view.xmin}).all()
            facets, code_of = view.facets, view.code_of
            if any(c not in facets for r in rows for c in (r[4] or [])):
                facets, code_of = _facet_values(conn)
    return version, xmin, rows, facets, code_of


def _apply_changes(view: View, rows: list) -> tuple[np.ndarray, dict, list]:
    """The live mask (copied on the first change only), the tail and each changed profile's (state
    before, state after): a base row that stood no longer does, a tail entry is replaced, and a
    published row becomes a tail entry."""
    live, tail = view.live, dict(view.tail)
    changes = []
    for uid, inst, nat, rank_boost, codes, name, published, terms in rows:
        row = view.row_of.get(uid)
        before = tail.pop(uid, None)
        if row is not None and live[row]:
            if live is view.live:
                live = live.copy()
            live[row] = False
            before = row
        after = None
        if published:
            after = tail[uid] = Doc(uid, inst, bool(nat), float(rank_boost), frozenset(codes or ()), name,
                                    {k: WEIGHTS[v] for k, v in json.loads(terms).items()})
        if before is not None or after is not None:
            changes.append((before, after))
    return live, tail, changes


def _logged(view: View, version: int, changes: list) -> tuple[tuple, int]:
    """The view's log with this catch-up's changes, its oldest entries dropped past LOG_LIMIT changes."""
    log, log_from = view.log + ((view.version, version, tuple(changes)),), view.log_from
    while sum(len(entry[2]) for entry in log) > LOG_LIMIT and len(log) > 1:
        log, log_from = log[1:], log[1][0]
    return log, log_from


def _new_names(view: View, tail: dict) -> frozenset:
    """The display names the tail brought that the base lacks (search.py looks names up per epoch)."""
    added = {d.name for d in tail.values() if d.name and d.name not in view.base.by_name} - view.new_names
    return view.new_names | added if added else view.new_names


# --- snapshots: one base per machine and database, mapped by every process ------------------------------------

# The layout of a snapshot; a snapshot of another layout is ignored.
FORMAT = 1
# A process starting (or taking a newer snapshot) maps the newest snapshot when at most this many profiles
# changed since it was built; else it builds one. Beyond TAIL_LIMIT (up to 4x) its tail gets a rebuild
# started at once, so a process starting while the machine's builder rebuilds need not wait for it.
ADOPT_LIMIT = 4 * TAIL_LIMIT
_CHANGED_COUNT = ("SELECT count(*) FROM (SELECT 1 FROM mentor_profiles WHERE change_xid >= CAST(:since AS bigint) "
                  "LIMIT :limit) c")
_IDENTITY = "SELECT current_database() || ':' || oid::text FROM pg_database WHERE datname = current_database()"


class InvalidSnapshot(Exception):
    pass


def default_directory() -> str:
    """DIRECTORY_SEARCH_INDEX_DIR's default: under the system's temp dir, per OS user."""
    return os.path.join(tempfile.gettempdir(), f"mmm-search-index-{os.getuid()}")


def _crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


class _CrcWriter:
    """A file that keeps the CRC-32 of what is written to it (np.save writes through it in chunks)."""

    def __init__(self, f) -> None:
        self.f, self.crc = f, 0

    def write(self, data) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self.f.write(data)


def private_dir(path: Path) -> None:
    """Create `path` (0700) or check it: ours and writable by nobody else, so that no other user can
    put a snapshot in it for us to serve."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(f"{path} must belong to uid {os.getuid()} and be writable by it alone")


class Snapshots:
    """The snapshots of one database in one directory: `snap-<version>-<time>/` with one .npy file per
    array (ARRAYS) and meta.json (format, database identity, version, xmin, facet values, each file's
    size and CRC-32), written under `.tmp-*` and renamed into place whole. `lock` is the machine's
    builder lock (flock: one builder at a time; the others wait, then map what it wrote)."""

    def __init__(self, root: str | os.PathLike, engine_url: sa.URL) -> None:
        parent = Path(root)
        private_dir(parent)
        # one subdirectory per database: named after it, so two platforms or test runs never share one
        name = f"{engine_url.host or 'local'}_{engine_url.port or 5432}_{engine_url.database}"
        self.root = parent / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        private_dir(self.root)
        self._listed: tuple[int, list[str]] = (-1, [])

    @contextlib.contextmanager
    def lock(self):
        private_dir(self.root)
        with open(self.root / "lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def names(self) -> list[str]:
        """The published snapshots, newest first (re-listed only when the directory changed)."""
        try:
            mtime = os.stat(self.root).st_mtime_ns
        except FileNotFoundError:  # removed (a temp dir cleaner): nothing to map; `lock` makes it again
            return []
        if mtime != self._listed[0]:
            self._listed = (mtime, sorted((e for e in os.listdir(self.root) if e.startswith("snap-")), reverse=True))
        return self._listed[1]

    def publish(self, view: View, identity: str) -> str:
        """Write `view`'s base as the newest snapshot, remove the others; returns its name. Under `lock`."""
        tmp = self.root / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir(mode=0o700)
        try:
            return self._publish(view, identity, tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _publish(self, view: View, identity: str, tmp: Path) -> str:
        files = {}
        for name in ARRAYS:
            with open(tmp / f"{name}.npy", "wb") as f:
                out = _CrcWriter(f)
                np.save(out, np.ascontiguousarray(view.base.arrays[name]), allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
                files[name] = {"bytes": f.tell(), "crc32": out.crc}
        meta = {"format": FORMAT, "identity": identity, "version": view.version, "xmin": view.xmin,
                "facets": [[code, facet, value] for code, (facet, value) in sorted(view.facets.items())],
                "files": files, "profiles": view.base.n, "built_by": os.getpid(), "built_at": time.time()}
        with open(tmp / "meta.json", "w") as f:
            json.dump(meta, f)
            f.flush()
            os.fsync(f.fileno())
        name = f"snap-{view.version:016d}-{time.time_ns()}"
        os.rename(tmp, self.root / name)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        # processes still mapping an older one keep its files until they let go (unlinked, not gone)
        for entry in os.listdir(self.root):
            if entry != name and (entry.startswith("snap-") or entry.startswith(".tmp-")):
                shutil.rmtree(self.root / entry, ignore_errors=True)
        return name

    def meta(self, name: str, identity: str) -> dict:
        """A snapshot's meta.json; InvalidSnapshot when missing or of another layout or database."""
        path = self.root / name
        try:
            meta = json.loads((path / "meta.json").read_text())
        except FileNotFoundError:
            if not path.exists():
                raise  # removed meanwhile (a newer one was published): the caller looks again
            raise InvalidSnapshot(f"{name}: no meta.json") from None
        except ValueError as exc:
            raise InvalidSnapshot(f"{name}: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("identity") != identity:
            raise InvalidSnapshot(f"{name}: another format or database")
        return meta

    def load(self, name: str, meta: dict) -> View:
        """The snapshot mapped (np.load(mmap_mode="r")), as a view at its version with an empty tail.
        InvalidSnapshot when any file is not as written (size, CRC-32, .npy header)."""
        path = self.root / name
        try:
            arrays = {}
            for array in ARRAYS:
                file, expected = path / f"{array}.npy", meta["files"][array]
                if file.stat().st_size != expected["bytes"] or _crc(file) != expected["crc32"]:
                    raise InvalidSnapshot(f"{name}: {array}.npy is not as written")
                # a plain ndarray over the mapping: np.memmap runs Python code on every slice and ufunc
                arrays[array] = np.asarray(np.load(file, mmap_mode="r", allow_pickle=False))
            facets = {code: (facet, value) for code, facet, value in meta["facets"]}
            code_of = {fv: code for code, fv in facets.items()}
            return _view_of(Base(arrays, source=name), int(meta["version"]), str(meta["xmin"]), facets, code_of)
        except (ValueError, KeyError, TypeError) as exc:  # unreadable meta.json or .npy header
            raise InvalidSnapshot(f"{name}: {exc}") from exc


class SearchIndex:
    """The index of one database, shared by the threads of one process; with `directory`, its base
    is a snapshot shared by every process of the machine (Snapshots)."""

    def __init__(self, engine: sa.Engine, directory: str | os.PathLike | None = None, *,
                 builder: sa.Engine | None = None) -> None:
        self.engine = engine  # catching up and looking at snapshots: short reads
        self.builder = builder or engine  # building a base: one long read (a minute at a million profiles)
        self.snapshots = None
        if directory is not None:
            try:
                self.snapshots = Snapshots(directory, engine.url)
            except OSError:
                log.warning("search index snapshots off: %s unusable; this process builds its own", directory,
                            exc_info=True)
        self._identity: str | None = None
        self._rejected: set[str] = set()  # snapshots found invalid (not read again)
        self._declined = ""  # the newest snapshot found too old to take (not looked at again unless building)
        self.builds = 0  # bases this process built (the others it mapped)
        self._view: View | None = None
        self._lock = threading.Lock()
        self._rebuilding = False
        self._warming = False

    def view(self, version: int) -> View:
        """A view at least as new as `version` (the search version the caller read)."""
        view = self._view
        if view is not None and view.version >= version:
            return view
        with self._lock:
            view = self._view
            if view is None:
                view = self._fresh(None, ADOPT_LIMIT, build=True)
            elif view.version < version:
                view = catch_up(self.engine, view)
            self._view = view
            if not self._rebuilding and (len(view.tail) > TAIL_LIMIT or self._newer_snapshot(view)):
                self._rebuilding = True
                threading.Thread(target=self._rebuild, args=(len(view.tail) > TAIL_LIMIT,),
                                 name="search-index-rebuild", daemon=True).start()
            return view

    def warm_in_background(self) -> None:
        """Build (or map) the index now rather than on the first search; /readyz says so meanwhile."""
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
        """For /readyz: not ready while the index is being built (or waited for) at start."""
        return "building" if self._warming and self._view is None else "ok"

    def rebuild(self, build: bool = True) -> View | None:
        """Swap in a newer base (the tail empties): the newest snapshot when another process wrote one
        since ours, else (when `build`) one built now. None: nothing newer, nothing built."""
        fresh = self._fresh(self._view, TAIL_LIMIT, build=build)
        if fresh is None:
            return None
        with self._lock:
            current = self._view
            # the new view may be older than what the current one caught up to meanwhile
            if current is not None and fresh.version < current.version:
                fresh = catch_up(self.engine, fresh)
            self._view = fresh
            return fresh

    def _rebuild(self, build: bool) -> None:
        try:
            self.rebuild(build)
        except Exception:
            log.exception("search index rebuild failed; the tail keeps growing until the next attempt")
        finally:
            self._rebuilding = False

    def _fresh(self, current: View | None, limit: int, build: bool) -> View | None:
        """A view on a newer base than `current`'s: without snapshots, one built now; with them, the
        newest snapshot newer than `current`'s base if at most `limit` profiles changed since it was
        built, else (when `build`) one built now by this process, or by another one this waited for."""
        if self.snapshots is None:
            return self._build() if build else None
        view = self._adopt(current, limit)
        if view is not None or not build:
            return view
        with self.snapshots.lock():  # another process building: wait for it, then map its snapshot
            view = self._adopt(current, limit)
            if view is not None:
                return view
            built = self._build()
            try:
                name = self.snapshots.publish(built, self.database_identity())
            except OSError:  # e.g. a full disk: this process serves its own, the next rebuild tries again
                log.exception("search index snapshot not written; this process keeps its own base")
                return built
        try:
            # map what was written and let the built arrays go: this process then holds the shared mapping only
            mapped = self.snapshots.load(name, self.snapshots.meta(name, self.database_identity()))
        except (OSError, InvalidSnapshot):
            log.exception("search index snapshot %s written but not readable; kept in memory", name)
            return built
        del built
        _release_freed_memory()
        return mapped

    def _build(self) -> View:
        self.builds += 1
        return build(self.builder)

    def _adopt(self, current: View | None, limit: int) -> View | None:
        """The newest valid snapshot newer than `current`'s base, mapped and caught up, if at most
        `limit` profiles changed since it was built; else None."""
        identity = self.database_identity()
        for _ in range(3):  # a snapshot removed while being read: look again
            try:
                for name in self.snapshots.names():
                    if current is not None and current.base.source is not None and name <= current.base.source:
                        return None
                    if name in self._rejected:
                        continue
                    try:
                        meta = self.snapshots.meta(name, identity)
                        with self.engine.connect() as conn:
                            changed = conn.execute(sa.text(_CHANGED_COUNT),
                                                   {"since": str(meta["xmin"]), "limit": limit + 1}).scalar_one()
                        if changed > limit:
                            self._declined = max(self._declined, name)
                            return None
                        view = self.snapshots.load(name, meta)
                    except (InvalidSnapshot, KeyError, sa.exc.DataError) as exc:
                        log.warning("search index snapshot ignored: %s", exc)
                        self._rejected.add(name)
                        continue
                    return catch_up(self.engine, view)
                return None
            except FileNotFoundError:
                continue
        return None

    def _newer_snapshot(self, view: View) -> bool:
        """Whether another process published a snapshot newer than `view`'s base (a directory stat)."""
        if self.snapshots is None or view.base.source is None:
            return False
        names = [n for n in self.snapshots.names() if n not in self._rejected]
        return bool(names) and names[0] > max(view.base.source, self._declined)

    def database_identity(self) -> str:
        """Which database (name and oid): a snapshot of a dropped and recreated one is never taken."""
        if self._identity is None:
            with self.engine.connect() as conn:
                self._identity = conn.execute(sa.text(_IDENTITY)).scalar_one()
        return self._identity


def _release_freed_memory() -> None:
    """Give the build's freed memory back to the OS (glibc keeps it otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


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
