"""The in-memory search index: the numpy base (profiles present when the index was built) and the
tail (profiles changed since) must answer every kind of query alike; a rebuild swaps the tail into
the base without changing an answer; PostgreSQL's tsquery text is parsed as PostgreSQL means it."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from services.directory import schemas, search
from services.directory import search_index as ix
from tests.directory.conftest import deliver, heard, profile, token
from tests.platform.events_support import wait_until

pytestmark = pytest.mark.slow  # the search reads what was committed, on connections and processes of its own


def queries(word: str, surname: str) -> list[dict]:
    misspelt = surname[:2] + surname[3] + surname[2] + surname[4:]
    return [
        {"q": word}, {"q": f"{word} cardiology"}, {"q": f"{word} -pediatrics"}, {"q": f"{word} or zzzunknown"},
        {"q": f'"{word} mentor"'}, {"q": f'"mentor {word}"'}, {"q": surname}, {"q": misspelt},
        {"q": word, "specialty": "Cardiology"}, {"q": word, "language": "Spanish", "meeting_mode": "video"},
        {"q": word, "has_open_slot": "true"}, {"q": word, "scope": "local"}, {"q": word, "per_page": 2, "page": 2},
        {"q": word, "interest": "rural health"}, {"q": "the and of"},
        {"state": "WY", "specialty": "Urology"}, {"shared_background": "low_ses", "state": "WY"},
    ]


def answers(searcher: search.Searcher, params: list[dict], viewers) -> list[dict]:
    load = schemas.SearchQuery().load
    out = []
    for query in params:
        for inst, everything in viewers:
            body = searcher.search(load(query), inst, everything).body
            out.append(json.loads(body))
    return out


@pytest.fixture()
def mentors(world):
    """Mentors of two institutions, one of them local, with varied text, filters and capacity."""
    word, surname = token(), "Okonkwo" + uuid.uuid4().hex[:4]
    a, b = world.institution(), world.institution()
    made = [
        world.mentor(a, profile=profile(display_name=f"Dr. Ada {surname}", bio=f"Cardiology mentor {word}",
                                        specialties=["Cardiology"], state="WY", languages=["English", "Spanish"],
                                        meeting_modes=["video"], clinical_interests=["Rural health"])),
        world.mentor(a, profile=profile(bio=f"Local mentor {word}", scope="local", specialties=["Urology"],
                                        state="WY", shared_background=["low_ses"])),
        world.mentor(b, profile=profile(bio=f"A {word} who teaches pediatrics", specialties=["Pediatrics"],
                                        state="WY", accepting_new_mentees=False)),
        world.mentor(b, profile=profile(bio=f"{word} {word} mentor", specialties=["Urology", "Cardiology"],
                                        state="WY", shared_background=["low_ses", "urim"])),
    ]
    world.start_mentorships(made[3], 3)
    return {"word": word, "surname": surname, "a": a, "b": b, "made": made}


def test_base_and_tail_answer_alike(world, mentors, monkeypatch):
    app_searcher = world.app.extensions["directory"]["search"]
    viewers = [(mentors["a"], False), (mentors["b"], False), (None, True)]
    params = queries(mentors["word"], mentors["surname"])
    # the app's index was built before these mentors existed (or is built now and caught up later)
    assert app_searcher.index.view(0) is not None
    monkeypatch.setattr(app_searcher, "responses", search.LRU(0))  # computed, not remembered
    tail = answers(app_searcher, params, viewers)
    fresh = search.Searcher(world.db.engine.url, cache_size=0)
    try:
        view = fresh.index.view(0)
        assert all(m["id"] in view.row_of for m in mentors["made"]) and not view.tail  # all in the base
        base = answers(fresh, params, viewers)
        # facets counted by bincount only, then on bits only: the same counts
        monkeypatch.setattr(search, "BITSET_SHARE", 0)
        assert answers(fresh, params, viewers) == base
        monkeypatch.setattr(search, "BITSET_SHARE", 10**9)
        assert answers(fresh, params, viewers) == base
    finally:
        fresh.dispose()
    assert base == tail
    by_query = dict(zip((json.dumps(p) for p in params), tail[::3]))  # as institution A's mentee
    word = mentors["word"]
    ids = [m["id"] for m in mentors["made"]]
    assert {r["id"] for r in by_query[json.dumps({"q": word})]["results"]} == set(ids)
    assert ids[2] not in {r["id"] for r in by_query[json.dumps({"q": f"{word} -pediatrics"})]["results"]}
    assert [r["id"] for r in by_query[json.dumps({"q": f'"{word} mentor"'})]["results"]] == [ids[3]]
    assert by_query[json.dumps({"q": word, "has_open_slot": "true"})]["total"] == 2  # paused and full drop out
    assert ids[0] in {r["id"] for r in by_query[json.dumps({"q": mentors["surname"][:2] + mentors["surname"][3]
                                                             + mentors["surname"][2] + mentors["surname"][4:]})]["results"]}
    # institution B never sees A's local mentor, in results or counts
    as_b = dict(zip((json.dumps(p) for p in params), tail[1::3]))
    assert ids[1] not in {r["id"] for r in as_b[json.dumps({"q": word})]["results"]}
    assert as_b[json.dumps({"q": word, "scope": "local"})]["total"] == 0


def test_a_rebuild_moves_the_tail_into_the_base_without_changing_an_answer(world, mentors, monkeypatch):
    fresh = search.Searcher(world.db.engine.url, cache_size=0)
    try:
        fresh.index.view(0)
        extra = [world.mentor(mentors["a"], profile=profile(bio=f"Another {mentors['word']}")) for _ in range(3)]
        params = [{"q": mentors["word"]}, {"q": mentors["word"], "has_open_slot": "true"}]
        viewers = [(mentors["a"], False)]
        monkeypatch.setattr(ix, "TAIL_LIMIT", 2)
        before = answers(fresh, params, viewers)  # catches up: a tail of 3+, so a rebuild starts
        deadline = time.monotonic() + 30
        while fresh.index._rebuilding and time.monotonic() < deadline:
            time.sleep(0.05)
        view = fresh.index.view(0)
        assert all(m["id"] in view.row_of for m in extra) and len(view.tail) <= 2
        assert answers(fresh, params, viewers) == before
        assert before[0]["total"] == 7
    finally:
        fresh.dispose()


@pytest.mark.parametrize("text,tree,phrase", [
    ("'cardiolog'", ("term", "cardiolog"), False),
    ("'heart' & 'failur'", ("and", ("term", "heart"), ("term", "failur")), False),
    ("'heart' <-> 'failur'", ("and", ("term", "heart"), ("term", "failur")), True),
    ("'a' | 'b' & !'c'", ("or", ("term", "a"), ("and", ("term", "b"), ("not", ("term", "c")))), False),
    ("!( 'x' <2> 'y' ) & 'o''brien'", ("and", ("not", ("and", ("term", "x"), ("term", "y"))),
                                       ("term", "o'brien")), True),
    ("", None, False),
])
def test_tsquery_text_is_parsed_with_postgresql_precedence(text, tree, phrase):
    parsed = ix.Query(text)
    assert parsed.tree == tree and parsed.has_phrase == phrase


def test_readiness_waits_for_the_index_built_at_start(world):
    fresh = search.Searcher(world.db.engine.url, cache_size=0)
    try:
        assert fresh.index.readiness() == "ok"  # not warming: the first search builds it
        fresh.index.warm_in_background()
        states = {fresh.index.readiness()}
        deadline = time.monotonic() + 30
        while fresh.index.readiness() != "ok" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert states <= {"building", "ok"} and fresh.index.readiness() == "ok"
        assert fresh.index.view(0) is not None
    finally:
        fresh.dispose()
    r = world.app.test_client().get("/readyz")
    assert r.get_json()["checks"]["search_index"] == "ok"


def test_a_misspelt_name_finds_a_mentor_published_after_the_same_search(world):
    inst = world.institution()
    surname = "Adeyemi" + uuid.uuid4().hex[:4]
    misspelt = surname[:2] + surname[3] + surname[2] + surname[4:]
    me = world.mentee(inst)
    assert world.search(me, q=misspelt)["total"] == 0  # remembered: no similar name yet
    m = world.mentor(inst, profile=profile(display_name=f"Dr. Kemi {surname}"))
    assert [r["id"] for r in world.search(me, q=misspelt)["results"]] == [m["id"]]


def test_concurrent_searches_while_mentors_change_never_show_what_they_must_not(world, monkeypatch):
    """Six threads search while mentors are published, change capacity and are ejected, with the tail
    rebuilt over and over: no response shows another institution's local mentor, and no search that
    starts after the process heard an ejection commit shows the ejected mentor."""
    import threading

    monkeypatch.setattr(ix, "TAIL_LIMIT", 3)
    word, a, b = token(), world.institution(), world.institution()
    for inst in (a, b):
        for scope in ("local", "national"):
            world.mentor(inst, profile=profile(bio=f"Stress {word}", scope=scope))
    searcher = search.Searcher(world.db.engine.url, cache_size=64)
    searcher.index.view(0)
    load = schemas.SearchQuery().load
    ejected: dict[str, float] = {}
    violations: list[str] = []
    done = threading.Event()
    searches = [0]

    def search_loop(inst, other):
        try:
            searches_of(inst, other)
        except Exception as exc:  # noqa: BLE001 - a failing search is a violation too
            violations.append(repr(exc))

    def searches_of(inst, other):
        while not done.is_set():
            started = time.monotonic()
            body = json.loads(searcher.search(load({"q": word, "per_page": 50}), inst, False).body)
            searches[0] += 1
            for r in body["results"]:
                if r["scope"] == "local" and r["institution_id"] != str(inst):
                    violations.append(f"local mentor {r['id']} of {other} shown to {inst}")
                if r["id"] in ejected and ejected[r["id"]] < started:
                    violations.append(f"ejected mentor {r['id']} shown after the ejection committed")
            if body["total"] != len(body["results"]):
                violations.append(f"total {body['total']} but {len(body['results'])} results")

    threads = [threading.Thread(target=search_loop, args=((a, b) if i % 2 else (b, a))) for i in range(6)]
    for t in threads:
        t.start()
    try:
        for i in range(8):
            inst = (a, b)[i % 2]
            m = world.mentor(inst, profile=profile(bio=f"Stress {word}", scope=("local", "national")[i % 3 == 0]))
            world.start_mentorships(m, 1 + i % 3)
            deliver(world.db, "MentorEjected", {"user_id": m["uuid"], "institution_id": inst, "reason": "unresponsive"})
            heard(searcher, world.db)  # PostgreSQL's notification of the change reached the process
            ejected[m["id"]] = time.monotonic()
    finally:
        done.set()
        for t in threads:
            t.join()
        searcher.dispose()
    assert not violations, violations[:5]
    assert searches[0] > 50


def test_a_remembered_response_is_kept_across_changes_that_cannot_alter_it_and_only_those(world):
    word, other = token(), token()
    a, b = world.institution(), world.institution()
    mine = world.mentor(a, profile=profile(bio=f"Kept {word}", state="WY"))
    elsewhere = world.mentor(a, profile=profile(bio=f"Unrelated {other}", state="WY"))
    b_local = world.mentor(b, profile=profile(bio=f"Local to B {word}", scope="local", state="WY"))
    me = world.mentee(a)
    # A new base (a rebuild, or a snapshot another test's searcher wrote) rightly forgets what changed
    # before it, so a remembered response is computed again: start on a settled base, with a short tail.
    index = world.app.extensions["directory"]["search"].index
    wait_until(lambda: not index._rebuilding, 60, what="a rebuild under way to finish")
    index.rebuild()

    def search(**params):
        r = world.call("get", "/mentors", me, q=word, **params)
        return r.headers["X-Search-Cache"], r.get_json()

    assert search()[0] == "miss" and search()[0] == "hit"
    _, before = search(state="WY")
    world.start_mentorships(elsewhere, 1)  # another word: cannot alter the search
    world.start_mentorships(b_local, 1)  # B's local mentor: invisible to A's mentee
    assert search() == ("hit", search()[1]) and search()[0] == "hit"
    assert search(state="WY") == ("hit", before)
    world.call("patch", "/me/profile", mine["headers"], {"state": "CA"}, expect=200)  # matched before
    cache, after = search(state="WY")
    assert cache == "miss" and after["total"] == 0
    cache, after = search()
    assert cache == "miss" and [r["state"] for r in after["results"]] == ["CA"]
    newcomer = world.mentor(a, profile=profile(bio=f"Newcomer {word}"))  # matches after its change
    cache, after = search()
    assert cache == "miss" and {r["id"] for r in after["results"]} == {mine["id"], newcomer["id"]}
    world.start_mentorships(mine, 1)  # capacity of a matching mentor: open slots shown must move
    cache, after = search()
    slots = {r["id"]: r["availability"]["open_slots"] for r in after["results"]}
    assert cache == "miss" and slots[mine["id"]] == 2


@pytest.mark.parametrize("seed", [20261125, 7, 99])
def test_remembered_responses_always_equal_fresh_ones_while_mentors_change(world, seed):
    """Random changes (capacity, state, specialty, bio words, scope, ejection, new mentors) between
    rounds of searches: every response served — remembered, kept or recomputed — is byte-identical
    to one computed from scratch by another index at the same moment."""
    import random

    rng = random.Random(seed)
    word, a, b = token(), world.institution(), world.institution()
    states, specialties = ["WY", "CA", "TX"], ["Cardiology", "Urology", "Pediatrics"]
    made = []

    def new_mentor():
        inst = rng.choice((a, b))
        made.append(world.mentor(inst, profile=profile(
            bio=f"{rng.choice(('Calm', 'Busy', 'Kind'))} {word}", state=rng.choice(states),
            specialties=[rng.choice(specialties)], scope=rng.choice(("local", "national")))))

    for _ in range(8):
        new_mentor()
    remembering = search.Searcher(world.db.engine.url, cache_size=512)
    fresh = search.Searcher(world.db.engine.url, cache_size=0)
    load = schemas.SearchQuery().load
    params = [{"q": word}, {"q": word, "per_page": 2}, {"state": "WY", "per_page": 1}, {"q": f"{word} calm"},
              {"q": word, "state": "WY"}, {"q": f"{word} -busy"},
              {"q": word, "specialty": "Cardiology", "has_open_slot": "true"}, {"q": word, "per_page": 3, "page": 2},
              {"q": f"{word} or kind", "scope": "local"}, {"q": word, "state": "TX"}]
    viewers = [(a, False), (b, False), (None, True)]
    kept = 0
    try:
        for round_ in range(12):
            for query in params:
                for inst, everything in viewers:
                    answer = remembering.search(load(query), inst, everything)
                    kept += answer.remembered
                    assert json.loads(answer.body) == json.loads(fresh.search(load(query), inst, everything).body), \
                        (round_, query, inst)
            m = rng.choice(made)
            change = rng.randrange(6)
            if change == 0:
                world.start_mentorships(m, 1)
            elif change == 1:
                world.call("patch", "/me/profile", m["headers"], {"state": rng.choice(states)}, expect=200)
            elif change == 2:
                world.call("patch", "/me/profile", m["headers"], {"specialties": [rng.choice(specialties)]},
                           expect=200)
            elif change == 3:
                world.call("patch", "/me/profile", m["headers"],
                           {"bio": f"{rng.choice(('Calm', 'Busy', 'Kind'))} {word}"}, expect=200)
            elif change == 4:
                deliver(world.db, "MentorEjected", {"user_id": m["uuid"], "institution_id": m["inst"],
                                                    "reason": "unresponsive"})
            else:
                new_mentor()
            heard(remembering, world.db)
            heard(fresh, world.db)
    finally:
        remembering.dispose()
        fresh.dispose()
    assert kept > 0
