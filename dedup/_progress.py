"""Progress bars on stderr for long runs; nothing at all when they are off."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["steps"]

T = TypeVar("T")


def steps(items: Iterable[T], *, total: int, desc: str, enabled: bool) -> Iterator[T]:
    """Yield *items*, drawing a tqdm bar on stderr when *enabled*.

    >>> list(steps([1, 2], total=2, desc="x", enabled=False))
    [1, 2]
    """
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)
