"""Long lists taken a slice at a time: ``IN (...)`` filters on ids the caller did not choose,
and bulk statements.

SQLite binds at most 32,766 parameters in one statement (999 before version 3.32), and on
either database a very long ``IN`` list costs more to parse and plan than several short ones,
so every query that filters on a list of any length reads it in slices of
:data:`IN_LIST_SIZE` (or of a size its caller states).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final, TypeVar

__all__ = ["IN_LIST_SIZE", "chunks"]

#: Values in one ``IN (...)`` list: below SQLite's oldest parameter limit (999), with room for
#: the query's other parameters.
IN_LIST_SIZE: Final = 900

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``, in order (none for no items)."""
    if size < 1:
        raise ValueError(f"a chunk holds at least one item, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]
