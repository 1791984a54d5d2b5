"""Progress bars on stderr for long runs (nothing at all when they are off), and the stage clock."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["Clock", "steps"]

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


class Clock:
    """Adds the seconds since the previous call to ``timings[stage]`` (when there is a dict).

    >>> timings = {}
    >>> clock = Clock(timings)
    >>> clock("read"); sorted(timings)
    ['read']
    """

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now
