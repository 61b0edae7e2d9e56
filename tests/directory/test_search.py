"""Search: R8 visibility in results, facet counts and direct lookup; filters; facets; the ranking
formula; typo-tolerant names; stable pagination; the has-open-slot filter; bad queries."""
from __future__ import annotations

import gzip
import json
import uuid

import pytest

from tests.directory.conftest import PREFIX, deliver, heard, profile, token

pytestmark = pytest.mark.slow  # the search reads what was committed, on a connection of its own


def ids(result: dict) -> list[str]:
    return [r["id"] for r in result["results"]]


def facet(result: dict, name: str) -> dict:
    return {f["value"]: f["count"] for f in result["facets"][name]}


@pytest.fixture()
def two_schools(world):
    """School A with a local and a national mentor; school B with a national mentor."""
    word = token()
    a, b = world.institution(), world.institution()
    local_a = world.mentor(a, profile=profile(scope="local", bio=f"Local mentor {word}", specialties=["Cardiology"],
                                              state="IL"))
    national_a = world.mentor(a, profile=profile(scope="national", bio=f"National mentor {word}",
                                                 specialties=["Pediatrics"], state="IL"))
    national_b = world.mentor(b, profile=profile(scope="national", bio=f"Another national {word}",
                                                 specialties=["Cardiology"], state="TX"))
    return {"word": word, "a": a, "b": b, "local_a": local_a, "national_a": national_a, "national_b": national_b}


def test_local_mentors_never_reach_another_institutions_mentee(world, two_schools):
    s = two_schools
    from_a = world.search(world.mentee(s["a"]), q=s["word"])
    from_b = world.search(world.mentee(s["b"]), q=s["word"])
    assert set(ids(from_a)) == {s["local_a"]["id"], s["national_a"]["id"], s["national_b"]["id"]}
    assert set(ids(from_b)) == {s["national_a"]["id"], s["national_b"]["id"]}
    assert from_b["total"] == 2
    # facet counts follow the same visibility
    assert facet(from_a, "specialty") == {"Cardiology": 2, "Pediatrics": 1}
    assert facet(from_b, "specialty") == {"Cardiology": 1, "Pediatrics": 1}
    assert facet(from_b, "scope") == {"national": 2}
    # a filter that only the local mentor matches: nothing for B, not even in a count
    only_local = world.search(world.mentee(s["b"]), q=s["word"], scope="local")
    assert only_local["total"] == 0 and only_local["results"] == [] and only_local["facets"]["specialty"] == []
    # direct lookup: 404 for B's mentee and B's admin, visible to A's people and operators
    world.call("get", f"/mentors/{s['local_a']['id']}", world.mentee(s["b"]), expect=404)
    world.call("get", f"/mentors/{s['local_a']['id']}", world.admin(s["b"]), expect=404)
    world.call("get", f"/mentors/{s['local_a']['id']}", world.headers("mentor", inst=s["b"]), expect=404)
    for who in (world.mentee(s["a"]), world.admin(s["a"]), world.operator()):
        got = world.call("get", f"/mentors/{s['local_a']['id']}", who, expect=200).get_json()
        assert got["scope"] == "local" and got["availability"]["open_slots"] == 3
    # operators see everything
    assert world.search(world.operator(), q=s["word"])["total"] == 3


def test_unpublished_drafts_are_not_found(world):
    inst = world.institution()
    draft = world.mentor(inst, profile=profile(bio=f"Draft {token()}"), publish=False)
    world.call("get", f"/mentors/{draft['id']}", world.mentee(inst), expect=404)
    world.call("get", f"/mentors/{uuid.uuid4()}", world.mentee(inst), expect=404)


def test_ejected_mentor_is_gone_right_after_the_event_and_only_republishes_by_consent(world):
    inst, word = world.institution(), token()
    m = world.mentor(inst, profile=profile(bio=f"Soon ejected {word}"))
    mentee = world.mentee(inst)
    assert ids(world.search(mentee, q=word)) == [m["id"]]
    assert world.call("get", "/mentors", mentee, q=word).headers["X-Search-Cache"] == "hit"
    deliver(world.db, "MentorEjected", {"user_id": m["uuid"], "institution_id": inst, "reason": "unresponsive"})
    after = world.search(mentee, q=word)  # the cached body is not served: the search version moved
    assert after["total"] == 0 and after["results"] == []
    world.call("get", f"/mentors/{m['id']}", mentee, expect=404)
    own = world.call("get", "/me/profile", m["headers"], expect=200).get_json()
    assert own["status"] == "ejected" and own["published"] is False
    deliver(world.db, "MentorReinstated", {"user_id": m["uuid"], "institution_id": inst, "reason": "ok"})
    assert world.search(mentee, q=word)["total"] == 0  # publishable again, not published
    world.call("post", "/me/profile/publish", m["headers"], {"consent_to_search": True}, expect=200)
    assert ids(world.search(mentee, q=word)) == [m["id"]]


def test_deactivated_mentor_leaves_search(world):
    inst, word = world.institution(), token()
    m = world.mentor(inst, profile=profile(bio=f"Deactivated {word}"))
    deliver(world.db, "UserDeactivated", {"user_id": m["uuid"], "institution_id": inst, "role": "mentor"})
    assert world.search(world.mentee(inst), q=word)["total"] == 0


def test_mentor_with_three_active_mentees_has_no_open_slot(world):
    inst, word = world.institution(), token()
    full = world.mentor(inst, profile=profile(bio=f"Busy {word}"))
    free = world.mentor(inst, profile=profile(bio=f"Free {word}"))
    mentee = world.mentee(inst)
    started = world.start_mentorships(full, 3)
    result = world.search(mentee, q=word)
    slots = {r["id"]: r["availability"]["open_slots"] for r in result["results"]}
    assert slots == {full["id"]: 0, free["id"]: 3}
    assert facet(result, "has_open_slot") == {"true": 1, "false": 1}
    assert ids(world.search(mentee, q=word, has_open_slot="true")) == [free["id"]]
    assert ids(world.search(mentee, q=word, has_open_slot="false")) == [full["id"]]
    # a repeated MentorshipStarted does not count twice; a conclusion frees a slot
    deliver(world.db, "MentorshipStarted", {"mentorship_id": started[0], "mentor_id": full["uuid"],
                                            "mentee_id": uuid.uuid4(), "mentor_institution_id": inst,
                                            "mentee_institution_id": inst, "request_id": uuid.uuid4(),
                                            "started_at": "2026-01-01T00:00:00+00:00"})
    assert ids(world.search(mentee, q=word, has_open_slot="true")) == [free["id"]]
    deliver(world.db, "MentorshipConcluded", {"mentorship_id": started[0], "mentor_id": full["uuid"],
                                              "mentee_id": uuid.uuid4(), "mentor_institution_id": inst,
                                              "mentee_institution_id": inst, "reason": "goals met",
                                              "concluded_by": "mentee", "started_at": "2026-01-01T00:00:00+00:00",
                                              "concluded_at": "2026-03-01T00:00:00+00:00"})
    assert set(ids(world.search(mentee, q=word, has_open_slot="true"))) == {free["id"], full["id"]}
    # a late (out-of-order) Started of a concluded mentorship does not reopen it
    deliver(world.db, "MentorshipStarted", {"mentorship_id": started[0], "mentor_id": full["uuid"],
                                            "mentee_id": uuid.uuid4(), "mentor_institution_id": inst,
                                            "mentee_institution_id": inst, "request_id": uuid.uuid4(),
                                            "started_at": "2026-01-01T00:00:00+00:00"})
    own = world.call("get", "/me/profile", full["headers"], expect=200).get_json()
    assert own["active_mentees"] == 2 and own["open_slots"] == 1


def test_not_accepting_means_no_open_slot(world):
    inst, word = world.institution(), token()
    m = world.mentor(inst, profile=profile(bio=f"Paused {word}", accepting_new_mentees=False))
    [hit] = world.search(world.mentee(inst), q=word)["results"]
    assert hit["id"] == m["id"] and hit["availability"]["open_slots"] == 0


def test_filters_and_their_facets(world):
    inst, word = world.institution(), token()
    m1 = world.mentor(inst, profile=profile(bio=f"One {word}", specialties=["Family Medicine", "Pediatrics"],
                                            languages=["English", "Spanish"], state="CA", meeting_modes=["video"],
                                            shared_background=["urim"], clinical_interests=["Rural health"]))
    m2 = world.mentor(inst, profile=profile(bio=f"Two {word}", specialties=["Family Medicine"],
                                            languages=["English"], state="NY", meeting_modes=["in_person"],
                                            shared_background=[], clinical_interests=["Addiction care"]))
    m3 = world.mentor(inst, profile=profile(bio=f"Three {word}", specialties=["General Surgery"],
                                            languages=["Haitian Creole", "French"], state="CA",
                                            meeting_modes=["video", "phone"], shared_background=["low_ses", "urim"],
                                            scope="local"))
    me = world.mentee(inst)
    everyone = world.search(me, q=word)
    assert everyone["total"] == 3
    assert facet(everyone, "specialty") == {"Family Medicine": 2, "Pediatrics": 1, "General Surgery": 1}
    assert facet(everyone, "state") == {"CA": 2, "NY": 1}
    assert facet(everyone, "language")["English"] == 2 and facet(everyone, "language")["Haitian Creole"] == 1
    assert facet(everyone, "shared_background") == {"urim": 2, "low_ses": 1}
    assert facet(everyone, "scope") == {"national": 2, "local": 1}
    assert ids(world.search(me, q=word, specialty="Family Medicine", state="CA")) == [m1["id"]]
    assert set(ids(world.search(me, q=word, meeting_mode="video"))) == {m1["id"], m3["id"]}
    assert ids(world.search(me, q=word, language="haitian creole")) == [m3["id"]]
    assert set(ids(world.search(me, q=word, shared_background="urim"))) == {m1["id"], m3["id"]}
    assert ids(world.search(me, q=word, interest="RURAL HEALTH")) == [m1["id"]]
    assert ids(world.search(me, q=word, scope="local")) == [m3["id"]]
    filtered = world.search(me, q=word, specialty="Family Medicine")
    assert filtered["total"] == 2 and facet(filtered, "state") == {"CA": 1, "NY": 1}  # counts follow the filters
    assert facet(filtered, "interest")["rural health"] == 1 and "addiction care" in facet(filtered, "interest")
    assert ids(world.search(me, q=word, state="NY")) == [m2["id"]]


def test_free_text_covers_specialties_interests_bio_and_typo_tolerant_names(world):
    inst, word = world.institution(), token()
    surname = "Okonkwo" + uuid.uuid4().hex[:4]
    m = world.mentor(inst, profile=profile(display_name=f"Dr. Adaeze {surname}", bio=f"Loves teaching {word}",
                                           specialties=["Nephrology"], research_interests=["kidney transplantation"]))
    me = world.mentee(inst)
    assert m["id"] in ids(world.search(me, q=f"{word} nephrology"))
    assert m["id"] in ids(world.search(me, q=f"{word} transplant"))  # stemming: transplantation ~ transplant
    assert m["id"] in ids(world.search(me, q=f"teaching {word}"))
    assert m["id"] in ids(world.search(me, q=surname))
    typo = surname[:2] + surname[3] + surname[2] + surname[4:]  # two letters swapped
    hits = world.search(me, q=typo)
    assert m["id"] in ids(hits)
    assert hits["results"][0]["text_relevance"] > 0


def test_ranking_prefers_open_slots_availability_and_responsiveness_at_equal_relevance(world):
    inst, word = world.institution(), token()
    same = dict(bio=f"Same text {word}", display_name="Dr. Same Name")
    busy = world.mentor(inst, profile=profile(**same))
    free = world.mentor(inst, profile=profile(**same))
    world.start_mentorships(busy, 2)
    me = world.mentee(inst)
    result = world.search(me, q=word)
    assert ids(result) == [free["id"], busy["id"]]
    scores = {r["id"]: r for r in result["results"]}
    assert scores[free["id"]]["text_relevance"] == scores[busy["id"]]["text_relevance"]
    # responsiveness: two mentors alike in everything but their answers
    prompt = world.mentor(inst, profile=profile(**same))
    silent = world.mentor(inst, profile=profile(**same))
    for _ in range(3):
        world.outcome(prompt, "accepted", hours=2)
        world.outcome(silent, "expired")
    order = ids(world.search(me, q=word))
    assert order.index(prompt["id"]) < order.index(silent["id"])
    # more hours and time windows rank higher
    roomy = world.mentor(inst, profile=profile(**same, hours_per_month=8, time_windows=[
        {"day": d, "start": "18:00", "end": "20:00"} for d in ("mon", "tue", "wed", "thu", "fri")]))
    order = ids(world.search(me, q=word))
    assert order.index(roomy["id"]) < order.index(free["id"])  # both without any request yet
    # the score is the documented formula
    from services.directory import rules

    r = {x["id"]: x for x in world.search(me, q=word)["results"]}[free["id"]]
    expected = rules.score(r["text_relevance"], rules.static_score(
        active_mentees=0, accepting=True, hours_per_month=4, windows=1, responsiveness_score=0.5))
    assert r["score"] == pytest.approx(expected, abs=1e-3)


def test_text_relevance_outweighs_nothing_when_there_is_no_query(world):
    inst, word = world.institution(), token()
    m = world.mentor(inst, profile=profile(bio=f"Nothing special {word}", state="WY", specialties=["Urology"]))
    result = world.search(world.mentee(inst), state="WY", specialty="Urology")
    assert m["id"] in ids(result)
    assert all(r["text_relevance"] == 0 for r in result["results"])
    assert result["results"] == sorted(result["results"], key=lambda r: (-r["score"], r["id"]))


def test_pagination_is_stable_and_complete(world):
    inst, word = world.institution(), token()
    made = {world.mentor(inst, profile=profile(bio=f"Page {word}"))["id"] for _ in range(7)}
    me = world.mentee(inst)
    pages = [world.search(me, q=word, per_page=3, page=n) for n in (1, 2, 3)]
    seen = [i for p in pages for i in ids(p)]
    assert len(seen) == 7 and set(seen) == made and all(p["total"] == 7 for p in pages)
    assert [ids(world.search(me, q=word, per_page=3, page=n)) for n in (1, 2, 3)] == [ids(p) for p in pages]
    assert world.search(me, q=word, per_page=3, page=4)["results"] == []


@pytest.mark.parametrize("params,parameter", [
    ({"specialty": "Astrology"}, "specialty"), ({"state": "XX"}, "state"), ({"per_page": 500}, "per_page"),
    ({"page": 0}, "page"), ({"page": 51, "per_page": 20}, "page"), ({"has_open_slot": "perhaps"}, "has_open_slot"), ({"institution_id": "x"}, "institution_id"),
    ({"q": "x" * 201}, "q"), ({"meeting_mode": "fax"}, "meeting_mode"),
])
def test_bad_query_is_422_with_the_parameter_named(world, params, parameter):
    r = world.call("get", "/mentors", world.mentee(world.institution()), expect=422, **params)
    assert r.content_type == "application/problem+json"
    assert parameter in [e["parameter"] for e in r.get_json()["errors"]]


def test_search_needs_a_token(world):
    world.call("get", "/mentors", None, expect=401)


def test_stopword_only_query_finds_nothing_without_error(world):
    assert world.search(world.mentee(world.institution()), q="the and of")["total"] >= 0


def test_a_word_in_the_name_or_specialties_outranks_the_same_word_in_the_bio(world):
    inst, word = world.institution(), token()
    in_bio = world.mentor(inst, profile=profile(bio=f"Mentions {word} in passing", display_name="Dr. Bio Only"))
    in_name = world.mentor(inst, profile=profile(display_name=f"Dr. {word.capitalize()} Named"))
    result = world.search(world.mentee(inst), q=word)
    assert ids(result) == [in_name["id"], in_bio["id"]]
    relevance = {r["id"]: r["text_relevance"] for r in result["results"]}
    assert relevance[in_name["id"]] == pytest.approx(0.5, abs=1e-4)  # A: 1.0 / (1.0 + 1)
    assert relevance[in_bio["id"]] == pytest.approx(0.2 / 1.2, abs=1e-4)  # C: 0.2 / (0.2 + 1)


def test_a_client_that_accepts_gzip_is_sent_the_kept_gzip_and_others_the_same_json(world):
    inst, word = world.institution(), token()
    world.mentor(inst, profile=profile(bio=f"Zipped {word}"))
    me = world.mentee(inst)
    heard(world.app.extensions["directory"]["search"], world.db)

    def get(**headers):
        return world.c.get(PREFIX + "/mentors", query_string={"q": word}, headers={**me, **headers})

    computed, remembered, plain = get(**{"Accept-Encoding": "gzip, deflate"}), get(**{"Accept-Encoding": "gzip"}), get()
    assert [r.headers["X-Search-Cache"] for r in (computed, remembered, plain)] == ["miss", "hit", "hit"]
    assert computed.headers["Content-Encoding"] == remembered.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(computed.data)) == json.loads(gzip.decompress(remembered.data)) \
        == plain.get_json()
    assert plain.get_json()["total"] == 1
