"""What one process keeps in its memory between requests: the values of the last few keys
asked, the least recently kept dropped past a bound (analytics.frames keeps the studies'
data frames so, analytics.dataset_answer the dataset answers' blocks).

A lock guards the keys and their order, so the requests of a threaded server never see
them half changed; the values themselves are never changed once kept."""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class ProcessKept(Generic[Key, Value]):
    """The values of the `most` keys kept last."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._values: OrderedDict[Key, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Value | None:
        """The value kept for `key`, or None."""
        with self._lock:
            return self._values.get(key)

    def keep(self, key: Key, value: Value) -> None:
        """Keep `value` as the latest, dropping the least recently kept past `most`."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.most:
                self._values.popitem(last=False)

    def drop(self, key: Key) -> None:
        """Keep nothing more for `key`."""
        with self._lock:
            self._values.pop(key, None)

    def keys(self) -> list[Key]:
        """The keys kept, the least recently kept first."""
        with self._lock:
            return list(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
