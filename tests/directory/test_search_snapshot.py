"""One search index per machine: Searchers on one snapshot directory (as the API processes of one
machine are) build the base once and map it; they answer as a Searcher with its own index does, an
ejected or unpublished mentor is gone from the very next search in each, a rebuild past TAIL_LIMIT
publishes a new snapshot that the others take, and a corrupt or half-written snapshot is never served."""
from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests

from services.directory import schemas, search
from services.directory import search_index as ix
from shared.testing import ApiProcesses, JwksServer
from tests.directory.conftest import deliver, heard, profile, token
from tests.directory.test_search_index import answers, mentors, queries  # noqa: F401 - fixture

pytestmark = pytest.mark.slow  # the search reads what was committed, on connections and processes of its own

VIEWERS_OF = ("a", "b")


@pytest.fixture()
def searchers(world, tmp_path):
    """`make()`: a Searcher on this test's snapshot directory; every one made is disposed of at the end."""
    made = []

    def make(**options):
        made.append(search.Searcher(world.db.engine.url, cache_size=options.pop("cache_size", 0),
                                    index_dir=str(tmp_path), **options))
        return made[-1]

    yield make
    for s in made:
        s.dispose()


def viewers(mentors) -> list:
    return [(mentors["a"], False), (mentors["b"], False), (None, True)]


def snapshots(searcher) -> list[str]:
    return sorted(p.name for p in searcher.index.snapshots.root.iterdir() if p.name != "lock")


def mapped(array: np.ndarray) -> bool:
    """Whether an array is a view of a file mapped by np.load(mmap_mode="r")."""
    while array is not None and not isinstance(array, np.memmap):
        array = array.base
    return array is not None


def wait_rebuilt(searcher) -> None:
    deadline = time.monotonic() + 30
    while searcher.index._rebuilding and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not searcher.index._rebuilding


def test_two_processes_starting_together_build_once_and_answer_as_an_own_index_does(world, mentors, searchers):
    first, second = searchers(), searchers()
    for s in (first, second):
        s.index.warm_in_background()  # both at once: one builds, the other waits for its snapshot
    deadline = time.monotonic() + 60
    while "building" in (first.index.readiness(), second.index.readiness()) and time.monotonic() < deadline:
        time.sleep(0.02)
    views = [first.index.view(0), second.index.view(0)]
    assert first.index.builds + second.index.builds == 1
    assert views[0].base.source == views[1].base.source == snapshots(first)[0]
    # the builder too serves from the mapped files, not from the arrays it built
    assert all(mapped(v.base.arrays[a]) for v in views for a in ix.ARRAYS)
    assert all(m["id"] in v.row_of for m in mentors["made"] for v in views)
    # a third comes later: mapped, not built
    third = searchers()
    assert third.index.view(0).base.source == views[0].base.source and third.index.builds == 0
    own = search.Searcher(world.db.engine.url, cache_size=0)
    try:
        expected = answers(own, queries(mentors["word"], mentors["surname"]), viewers(mentors))
    finally:
        own.dispose()
    for s in (first, second, third):
        assert answers(s, queries(mentors["word"], mentors["surname"]), viewers(mentors)) == expected


def test_an_ejected_or_unpublished_mentor_is_gone_from_the_next_search_in_every_process(world, mentors, searchers):
    both = [searchers(cache_size=64), searchers(cache_size=64)]
    word, (ejected, unpublished) = mentors["word"], mentors["made"][2:4]

    def found(s) -> set:
        heard(s, world.db)  # the next search once the process heard of the change
        return {r["id"] for r in answers(s, [{"q": word}], [(None, True)])[0]["results"]}

    assert [found(s) for s in both] == [{m["id"] for m in mentors["made"]}] * 2
    assert sum(s.index.builds for s in both) == 1
    deliver(world.db, "MentorEjected", {"user_id": ejected["uuid"], "institution_id": ejected["inst"],
                                        "reason": "unresponsive"})
    assert all(ejected["id"] not in found(s) for s in both)
    world.call("post", "/me/profile/unpublish", unpublished["headers"], expect=200)
    assert all(found(s) == {m["id"] for m in mentors["made"][:2]} for s in both)


def test_a_rebuild_past_the_tail_limit_publishes_a_snapshot_the_other_processes_take(world, mentors, searchers,
                                                                                      monkeypatch):
    builder, other = searchers(), searchers()
    builder.index.view(0)
    other.index.view(0)
    first = snapshots(builder)
    assert len(first) == 1 and builder.index.builds + other.index.builds == 1
    extra = [world.mentor(mentors["a"], profile=profile(bio=f"Another {mentors['word']}")) for _ in range(3)]
    params = [{"q": mentors["word"]}, {"q": mentors["word"], "has_open_slot": "true"}]
    monkeypatch.setattr(ix, "TAIL_LIMIT", 2)
    before = answers(builder, params, viewers(mentors))  # catches up: a tail of 3, so a rebuild starts
    wait_rebuilt(builder)
    view = builder.index.view(0)
    assert snapshots(builder) == [view.base.source] and view.base.source > first[0]  # the old one removed
    assert all(m["id"] in view.row_of for m in extra) and not view.tail
    # the other takes the new snapshot as soon as it sees it, before its own tail would ask for one
    monkeypatch.setattr(ix, "TAIL_LIMIT", 1000)
    builds = other.index.builds
    world.start_mentorships(extra[0], 1)  # moves the search version: the other catches up and looks
    heard(other, world.db)
    assert answers(other, params, viewers(mentors)) != before  # open slots moved
    wait_rebuilt(other)
    assert other.index.view(0).base.source == view.base.source and other.index.builds == builds
    assert answers(other, params, viewers(mentors)) == answers(builder, params, viewers(mentors))
    assert before[0]["total"] == 7


def test_a_corrupt_or_half_written_snapshot_is_never_served(world, mentors, searchers):
    first = searchers()
    good = answers(first, [{"q": mentors["word"]}], viewers(mentors))
    root = first.index.snapshots.root
    [name] = snapshots(first)
    # a byte of the postings flipped (same size), a newer-named one without meta.json, an unfinished one
    docs = root / name / "post_docs.npy"
    data = bytearray(docs.read_bytes())
    data[-1] ^= 0xFF
    docs.write_bytes(bytes(data))
    (root / "snap-9999999999999999-0").mkdir()
    (root / "snap-9999999999999999-0" / "ids.npy").write_bytes(b"\x93NUMPY")
    (root / ".tmp-1-dead").mkdir()
    second = searchers()
    view = second.index.view(0)
    assert second.index.builds == 1 and view.base.source not in (name, "snap-9999999999999999-0")
    assert snapshots(second) == [view.base.source]  # the bad ones removed by the builder
    assert answers(second, [{"q": mentors["word"]}], viewers(mentors)) == good
    # a snapshot of another database (recreated under the same name) is not taken either
    meta = root / view.base.source / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "identity": "elsewhere:1"}))
    third = searchers()
    assert third.index.view(0).base.source != view.base.source and third.index.builds == 1


def test_a_directory_another_user_could_write_is_not_used(world, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    s = search.Searcher(world.db.engine.url, cache_size=0, index_dir=str(shared))
    try:
        assert s.index.snapshots is None and s.index.view(0).base.source is None and s.index.builds == 1
        assert not list(shared.iterdir())
    finally:
        s.dispose()


def test_a_process_starting_while_another_builds_waits_for_its_snapshot(world, searchers):
    holder, waiter = searchers(), searchers()
    locked, release, published = threading.Event(), threading.Event(), []

    def build_slowly():  # as the machine's builder would: the lock held from the build to the publication
        with holder.index.snapshots.lock():
            locked.set()
            release.wait(30)
            published.append(holder.index.snapshots.publish(ix.build(world.db.engine), holder.index.database_identity()))

    t = threading.Thread(target=build_slowly)
    t.start()
    try:
        assert locked.wait(10)
        waiter.index.warm_in_background()
        assert waiter.index.readiness() == "building"
    finally:
        release.set()
        t.join()
    deadline = time.monotonic() + 60
    while waiter.index.readiness() == "building" and time.monotonic() < deadline:
        time.sleep(0.02)
    # it did not build one of its own: it waited and mapped the builder's
    assert waiter.index.readiness() == "ok" and waiter.index.builds == 0
    assert waiter.index.view(0).base.source == published[0]


def test_the_api_processes_of_a_machine_all_map_one_snapshot(world, signing_keys, tmp_path):
    """Three gunicorn workers of the directory API: one snapshot is written, and every worker maps its
    files (the index of a test's few profiles is too small to show in their memory: figures printed;
    benchmarks/search.py measures it)."""
    world.mentor(world.institution(), profile=profile(bio=f"Mapped {token()}"))
    index_dir = tmp_path / "index"
    env = {"LOG_LEVEL": "WARNING", "DIRECTORY_SEARCH_INDEX_DIR": str(index_dir)}
    with JwksServer(signing_keys) as jwks, ApiProcesses("directory", {**env, "AUTH_JWKS_URL": jwks.url}, count=1,
                                                        workers=3, threads=2, log_dir=str(tmp_path / "api")) as api:
        master = api.procs[0].pid
        deadline = time.monotonic() + 120
        while True:
            workers = [int(pid) for task in Path(f"/proc/{master}/task").iterdir()
                       for pid in (task / "children").read_text().split()]
            published = [p for d in index_dir.glob("*") if d.is_dir() for p in d.glob("snap-*")]
            mapping = {pid: Path(f"/proc/{pid}/maps").read_text() for pid in workers}
            if len(workers) == 3 and len(published) == 1 and all(
                    f"{published[0]}/boost.npy" in m for m in mapping.values()):
                break
            assert time.monotonic() < deadline, (workers, published)
            time.sleep(0.2)
        assert not any(f"{published[0]}/boost.npy (deleted)" in m for m in mapping.values())
        meta = json.loads((published[0] / "meta.json").read_text())
        assert meta["built_by"] in workers
        token_ = signing_keys.mint("mentee", inst=uuid.uuid4())
        r = requests.get(f"{api.urls[0]}/api/v1/directory/mentors", params={"q": "mapped"},
                         headers={"Authorization": f"Bearer {token_}"}, timeout=10)
        assert r.status_code == 200, r.text
        for pid in workers:
            status = Path(f"/proc/{pid}/status").read_text()
            print(pid, [line for line in status.splitlines() if line.startswith(("VmRSS", "RssAnon", "RssFile"))])


def test_a_process_starting_after_many_changes_builds_rather_than_map_an_old_snapshot(world, mentors, searchers,
                                                                                      monkeypatch):
    old = searchers()
    old.index.view(0)
    monkeypatch.setattr(ix, "ADOPT_LIMIT", 2)
    for _ in range(3):
        world.mentor(mentors["a"], profile=profile(bio=f"Later {mentors['word']}"))
    late = searchers()
    view = late.index.view(0)
    assert late.index.builds == 1 and not view.tail and view.base.source > old.index.view(0).base.source
    assert answers(late, [{"q": mentors["word"]}], viewers(mentors)) == answers(old, [{"q": mentors["word"]}],
                                                                                 viewers(mentors))


def test_a_response_computed_by_one_process_is_served_by_the_others_until_a_change(world, mentors, searchers):
    first, second, fresh = searchers(cache_size=64), searchers(cache_size=64), searchers()
    params = [{"q": mentors["word"]}, {"q": mentors["word"], "has_open_slot": "true"}, {"state": "WY"}]
    computed = [first.search(schemas.SearchQuery().load(p), mentors["a"], False) for p in params]
    taken = [second.search(schemas.SearchQuery().load(p), mentors["a"], False) for p in params]
    assert [a.remembered for a in computed] == [False] * 3 and [a.remembered for a in taken] == [True] * 3
    assert [a.body for a in taken] == [a.body for a in computed]
    assert len(second.responses) == 0  # none computed there

    world.start_mentorships(mentors["made"][0], 1)  # open slots move: the shared responses are older now
    for s in (first, second, fresh):
        heard(s, world.db)
    after = answers(second, params, [(mentors["a"], False)])
    assert after == answers(fresh, params, [(mentors["a"], False)]) and after != [json.loads(a.body) for a in taken]

    # a slot that cannot be read is a miss, not an error
    for slot in first._shared_responses().root.glob("slot-*"):
        slot.write_bytes(b"\x00" * 5)
    assert answers(first, params, [(mentors["a"], False)]) == after
