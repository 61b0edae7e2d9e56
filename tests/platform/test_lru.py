"""shared.lru: the least recently used entries go first, by count and, when weighed, by weight."""
from __future__ import annotations

from shared.lru import LRU


def test_the_least_recently_used_go_first_by_count():
    lru = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "b" is now the least recently used
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)


def test_weighed_entries_stay_within_the_budget_and_a_replaced_entry_is_weighed_once():
    lru = LRU(100, budget=10, weigh=len)
    lru.put("a", "xxxx")
    lru.put("b", "yyyy")
    lru.put("a", "xxx")  # replaces: 3 + 4, not 4 + 4 + 3
    assert lru.weight == 7 and len(lru) == 2
    lru.put("c", "zzzz")  # 11 > 10: the least recently used ("b") goes
    assert lru.get("b") is None and lru.weight == 7
    lru.pop("a")
    assert lru.weight == 4 and len(lru) == 1
    lru.put("d", "w" * 20)  # heavier than the whole budget: nothing is kept, not even it
    assert len(lru) == 0 and lru.weight == 0


def test_size_zero_keeps_nothing():
    lru = LRU(0, budget=10, weigh=len)
    lru.put("a", "x")
    assert lru.get("a") is None and len(lru) == 0
