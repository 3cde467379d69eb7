"""A least-recently-used cache bounded in bytes, for embeddings of caller text.

``functools.lru_cache`` counts entries, and an entry keyed by a caller's text is as large as the caller
makes it: 2,048 entries of 1 MB questions would hold 2 GB. This one counts the bytes of keys and values and
evicts the oldest entries past ``text_limits.cache_bytes``; an entry larger than the whole budget is not kept.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

R = TypeVar("R")


def size_of(value: Any) -> int:
    """Bytes ``value`` holds: arrays by their buffers, strings by their length, containers (tuples, lists,
    dataclasses with slots or a ``__dict__``) by their items."""
    if isinstance(value, np.ndarray):
        return value.nbytes + 112
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return sys.getsizeof(value)
    if isinstance(value, tuple | list):
        return sys.getsizeof(value) + sum(size_of(item) for item in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(size_of(k) + size_of(v) for k, v in value.items())
    fields = getattr(value, "__slots__", None) or getattr(value, "__dict__", {})
    if isinstance(fields, dict):
        return sys.getsizeof(value) + size_of(fields)
    return sys.getsizeof(value) + sum(size_of(getattr(value, name, None)) for name in fields)


class ByteBoundedCache:
    """Thread-safe LRU whose budget is read when an entry is added (the settings load after import)."""

    def __init__(self, budget: Callable[[], int]) -> None:
        self._budget = budget
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            self._entries.move_to_end(key)
            return True, entry[0]

    def put(self, key: Hashable, value: Any) -> None:
        size = size_of(key) + size_of(value)
        budget = self._budget()
        with self._lock:
            if key in self._entries or size > budget:
                return
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > budget:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def memoize(self, function: Callable[..., R]) -> Callable[..., R]:
        """``function`` with its results kept here, keyed by its name and its (hashable, positional)
        arguments. Two threads missing at once both compute; the first result is kept."""

        @functools.wraps(function)
        def cached(*args: Hashable) -> R:
            key = (function.__qualname__, *args)
            found, value = self.get(key)
            if found:
                return value
            value = function(*args)
            self.put(key, value)
            return value

        return cached
