"""A small thread-safe LRU map: what a process remembers (verified tokens, computed search answers);
the least recently used entries go first once it holds `size` entries or, with `weigh`, once their
weights add up to more than `budget` (bytes of text, say)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable


class LRU:
    def __init__(self, size: int, *, budget: int | None = None, weigh: Callable[[object], int] | None = None) -> None:
        self.size = size
        self.budget = budget
        self.weigh = weigh if budget is not None else None
        self.weight = 0  # of the entries held, when weighed
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        if not self.size:
            return
        with self._lock:
            self._forget(key)
            self._entries[key] = value
            if self.weigh is not None:
                self.weight += self.weigh(value)
            while len(self._entries) > self.size or (self.weigh is not None and self.weight > self.budget):
                self._forget(next(iter(self._entries)))

    def pop(self, key) -> None:
        with self._lock:
            self._forget(key)

    def _forget(self, key) -> None:
        value = self._entries.pop(key, None)
        if value is not None and self.weigh is not None:
            self.weight -= self.weigh(value)
