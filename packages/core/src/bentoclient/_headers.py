"""HTTP headers (pure): a leaf module, so the error tree and the protocol layer can both use
:class:`Headers` without importing each other."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Optional, Union

__all__ = ["Headers"]


class Headers(Mapping[str, str]):
    """Case-insensitive, order-keeping HTTP headers; repeated fields are joined with ``", "``."""

    __slots__ = ("_items",)

    def __init__(self, items: Union[Mapping[str, str], Iterable[tuple[str, str]], None] = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        pairs = items.items() if isinstance(items, Mapping) else (items or ())
        for key, value in pairs:
            self.add(key, value)

    def add(self, key: str, value: str) -> None:
        lower = key.lower()
        if lower in self._items:
            name, old = self._items[lower]
            self._items[lower] = (name, f"{old}, {value}")
        else:
            self._items[lower] = (key, value)

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def get_all(self, key: str, failobj: Optional[list[str]] = None) -> Optional[list[str]]:
        """The value as a one-item list (``http.client`` asks for headers this way)."""
        item = self._items.get(key.lower())
        return failobj if item is None else [item[1]]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"
