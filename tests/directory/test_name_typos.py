"""Names found despite one typo: a substitution, insertion, deletion or transposition in a first or last
name of 4+ letters finds the mentor, ranked by closeness (the exact name, then one edit away, then a
partial name found by word similarity); recall measured over misspellings of 1,000 surnames."""
from __future__ import annotations

import json
import random
import time
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks import search as bench
from services.directory import rules, schemas, search
from shared import config, db, migrations
from tests.directory.conftest import profile

pytestmark = pytest.mark.slow  # the search reads what was committed, on connections and processes of its own

SURNAMES = [line.strip() for line in (Path(__file__).parent / "surnames.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
KINDS = ("substitution", "insertion", "deletion", "transposition")
# A typed letter lands on a neighbouring key more often than anywhere else (QWERTY rows).
NEIGHBOURS = {c: row[max(i - 1, 0):i] + row[i + 1:i + 2]
              for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for i, c in enumerate(row)}


def plain(letter: str) -> str:
    return unicodedata.normalize("NFKD", letter).encode("ascii", "ignore").decode().lower()


def misspell(name: str, kind: str, rng: random.Random) -> str:
    """`name` with one typo of `kind`, never spelling the same word once unaccented."""
    def nearby(letter: str) -> str:
        options = [c for c in NEIGHBOURS.get(plain(letter), "") if c != plain(letter)]
        return rng.choice(options or "aeiou".replace(plain(letter), ""))

    if kind == "substitution":
        i = rng.randrange(len(name))
        return name[:i] + nearby(name[i]) + name[i + 1:]
    if kind == "insertion":
        i = rng.randrange(len(name) + 1)
        return name[:i] + nearby(name[max(i - 1, 0)]) + name[i:]
    if kind == "deletion":
        i = rng.randrange(len(name))
        return name[:i] + name[i + 1:]
    swappable = [i for i in range(len(name) - 1) if plain(name[i]) != plain(name[i + 1])]
    i = rng.choice(swappable)
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def token_name() -> str:
    """A surname no other test's mentor has: letters only, as real names are."""
    return "Zy" + "".join(random.choice("bcdfghjklmnpqrstvwxz") + random.choice("aeiou") for _ in range(4))


def ids(result: dict) -> list[str]:
    return [r["id"] for r in result["results"]]


def relevance_of(result: dict, user_id: str) -> float:
    return next((r["text_relevance"] for r in result["results"] if r["id"] == user_id), 0.0)


def names_meant(searcher: search.Searcher, q: str) -> dict:
    """Display name -> text relevance of the names a query may mean, as a search computes them."""
    with searcher.engine.connect() as conn:
        _, similar, words, near = conn.execute(search._ANALYSE, {"q": q}).one()
    return search.names_found(json.loads(words), json.loads(near), json.loads(similar))


@pytest.fixture(scope="module")
def thousand(infrastructure):
    """A directory database of its own with 1,000 published mentors, one per surname (the benchmark's
    generated profiles, so their ranking boosts vary as real ones do), and a searcher on it."""
    url = f"{config.postgres_url().rsplit('/', 1)[0]}/{config.database_name('directory')}_typos"
    rng = random.Random(15)
    names = [f"Dr. {rng.choice(bench.FIRST)} {surname}" for surname in SURNAMES]
    migrations.upgrade("directory", url)
    searcher = None
    try:
        seconds = bench.seed(url, len(names), [uuid.uuid4()], names)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            by_name = dict(conn.execute(sa.text("SELECT display_name, user_id::text FROM mentor_profiles")).all())
        engine.dispose()
        searcher = search.Searcher(url, cache_size=0, engine_options={"pool_size": 3, "max_overflow": 0})
        yield {"searcher": searcher, "user_of": {s: by_name[n] for s, n in zip(SURNAMES, names)},
               "name_of": dict(zip(SURNAMES, names)), "seed_seconds": seconds}
    finally:
        if searcher is not None:
            searcher.dispose()
        db.drop_database(url)


def test_a_typo_of_each_kind_in_any_of_1000_surnames_finds_the_mentor_in_the_top_20(thousand, capsys):
    assert len(SURNAMES) == 1000 and all(len(s) >= 4 for s in SURNAMES)
    load, searcher = schemas.SearchQuery().load, thousand["searcher"]
    rng = random.Random(20261125)
    typos = [(surname, kind, misspell(surname, kind, rng)) for surname in SURNAMES for kind in KINDS]
    assert all(plain(typo) != plain(surname) for surname, _, typo in typos)

    def top_20(typo: str) -> list[str]:
        return ids(json.loads(searcher.search(load({"q": typo, "per_page": 20}), None, True).body))  # operator: all

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:  # as an API process's threads do; half the time is waiting for PostgreSQL
        tops = list(pool.map(top_20, [typo for _, _, typo in typos]))
    seconds = time.perf_counter() - started
    found = {kind: 0 for kind in KINDS}
    first = {kind: 0 for kind in KINDS}
    missed: dict[str, list] = {kind: [] for kind in KINDS}
    for (surname, kind, typo), top in zip(typos, tops):
        intended = thousand["user_of"][surname]
        if intended in top:
            found[kind] += 1
            first[kind] += top[0] == intended
        else:
            missed[kind].append(f"{typo} ({surname})")
    recall = {kind: found[kind] / len(SURNAMES) for kind in KINDS}
    overall = sum(found.values()) / (len(SURNAMES) * len(KINDS))
    with capsys.disabled():
        print("\n" + json.dumps({
            "name_typo_recall_top20": {**recall, "overall": overall},
            "ranked_first": {kind: first[kind] / len(SURNAMES) for kind in KINDS},
            "surnames": len(SURNAMES), "searches": len(SURNAMES) * len(KINDS),
            "seed_seconds": round(thousand["seed_seconds"], 1), "search_seconds": round(seconds, 1),
            "missed_examples": {kind: missed[kind][:5] for kind in KINDS}}))
    assert all(r >= 0.95 for r in recall.values()) and overall >= 0.95, missed


@pytest.mark.parametrize("typo,edits", [
    ("Chen", 0), ("Chan", 1), ("Cheen", 1), ("Chn", 1), ("Chne", 1), ("hCen", 1), ("Cnhe", 2), ("Cenh", 2),
    ("Chenng", 2), ("Ch", 2),
])
def test_a_four_letter_name_is_meant_by_one_edit_of_each_kind_and_not_by_two(thousand, typo, edits):
    """The shortest typo-tolerant names: "Chen" from "Chan", "Cheen", "Chn", "Chne" (substitution,
    insertion, deletion, transposition), by closeness; two edits away at most as a partial name."""
    meant = names_meant(thousand["searcher"], typo).get(thousand["name_of"]["Chen"], 0.0)
    if edits < 2:
        assert meant == pytest.approx(rules.name_relevance([edits]), abs=1e-9)
    else:
        assert meant <= rules.NAME_PARTIAL


def test_the_exact_name_ranks_before_one_edit_which_ranks_before_a_partial_name(world):
    inst = world.institution()
    stem = token_name()
    neighbour = stem[:4] + "a" + stem[5:]  # one substitution (a consonant there)
    same = dict(bio="Happy to talk about residency applications.")  # equal ranking boosts
    exact = world.mentor(inst, profile=profile(display_name=f"Dr. Lena {stem}", **same))
    one_edit = world.mentor(inst, profile=profile(display_name=f"Dr. Lena {neighbour}", **same))
    partial = world.mentor(inst, profile=profile(display_name=f"Dr. Lena {stem}ovska", **same))
    me = world.mentee(inst)
    result = world.search(me, q=stem)
    assert ids(result) == [exact["id"], one_edit["id"], partial["id"]]
    relevance = {r["id"]: r["text_relevance"] for r in result["results"]}
    assert relevance[exact["id"]] == pytest.approx(0.5, abs=1e-4)  # the full-text match of a name word
    assert relevance[one_edit["id"]] == pytest.approx(rules.name_relevance([1]), abs=1e-4)
    assert 0 < relevance[partial["id"]] <= rules.NAME_PARTIAL < relevance[one_edit["id"]]
    # a misspelling of the name: the mentor it was meant for first, by closeness
    typo = stem[:2] + stem[3] + stem[2] + stem[4:]
    assert ids(world.search(me, q=typo))[0] == exact["id"]
    # with the first name too: both words count, exact and one edit
    both = world.search(me, q=f"Lena {typo}")
    assert ids(both)[0] == exact["id"]
    assert both["results"][0]["text_relevance"] == pytest.approx(rules.name_relevance([0, 1]), abs=1e-4)


def test_a_name_is_found_by_closeness_only_when_every_long_query_word_is_in_it(world):
    """A query word of 4+ letters that is no name word ("cardiology") keeps a name from matching by
    closeness, as the full-text query's AND would; negated words and short ones ("Dr") do not, and
    the other words found add to the closeness; a typo in a word under 4 letters is no match."""
    inst = world.institution()
    stem = token_name()
    m = world.mentor(inst, profile=profile(display_name=f"Dr. Ida {stem}", specialties=["Urology"]))
    me = world.mentee(inst)
    typo = stem[:3] + stem[4:]  # a letter deleted (inside the word: the English stemmer only trims endings)
    one_edit = rules.name_relevance([1])
    assert relevance_of(world.search(me, q=typo), m["id"]) == pytest.approx(one_edit, abs=1e-4)
    assert relevance_of(world.search(me, q=f"{typo} -cardiology"), m["id"]) == pytest.approx(one_edit, abs=1e-4)
    assert relevance_of(world.search(me, q=f"Dr {typo}"), m["id"]) == pytest.approx(
        rules.name_relevance([0, 1]), abs=1e-4)
    assert relevance_of(world.search(me, q=f"ida {typo}"), m["id"]) == pytest.approx(
        rules.name_relevance([0, 1]), abs=1e-4)
    # at most a partial name (its trigrams) when another long word is not in the name
    assert relevance_of(world.search(me, q=f"{typo} cardiology"), m["id"]) <= rules.NAME_PARTIAL
    assert m["id"] not in ids(world.search(me, q="Ina"))  # "Ida": 3 letters, no typo tolerance
    # a word under 3 letters alone is no closeness match (every "Dr." would be one)
    assert max(names_meant(world.app.extensions["directory"]["search"], "Dr").values()) <= rules.NAME_PARTIAL
