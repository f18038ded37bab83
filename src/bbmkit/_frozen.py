"""An immutable, hashable mapping for the mapping fields of frozen models."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

__all__ = ["FrozenMap"]


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that keeps its insertion order and hashes by its items.

    A model's ``points`` and ``event_caps`` are these, so ``model.points["x"]
    = "bad"`` cannot bypass the model's validation, and models hash like the
    other frozen classes. It equals any mapping with the same items, prints
    like a dict, and ``dict(frozen)`` gives a plain dict back.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = {} if data is None else dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))
