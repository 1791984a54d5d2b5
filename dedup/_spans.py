"""Where two passages share text: aligned spans in original offsets, and what normalisation changed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ._normalize import Normalizer

__all__ = ["Span", "aligned_spans"]


@dataclass(frozen=True, slots=True)
class Span:
    """Text shared by two passages: ``a_text[a_start:a_end]`` matches ``b_text[b_start:b_end]`` (document offsets)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


def aligned_spans(normalizer: Normalizer, a_text: str, a_offset: int, b_text: str, b_offset: int,
                  min_len: int = 5, max_gap: int = 10) -> list[Span]:
    """Blocks of at least *min_len* normalised characters that both texts share, in order of a.

    Matching blocks come from ``difflib.SequenceMatcher`` on the normalised texts
    (no junk heuristic); blocks separated by at most *max_gap* characters on both
    sides (a small edit) are merged. Offsets are mapped back to the original
    texts and shifted by *a_offset* / *b_offset* (the passages' document offsets).

    >>> aligned_spans(Normalizer(), "前言。重复的一句话在这里。", 0, "重复的一句话在这里。后记", 100)
    [Span(a_start=3, a_end=13, b_start=100, b_end=110)]
    """
    # Character by character (see Normalizer.with_offsets), so every output character has an offset.
    a_norm, a_map = normalizer.with_offsets(a_text)
    b_norm, b_map = normalizer.with_offsets(b_text)
    matcher = difflib.SequenceMatcher(None, a_norm, b_norm, autojunk=False)
    blocks = [(m.a, m.a + m.size, m.b, m.b + m.size) for m in matcher.get_matching_blocks() if m.size >= min_len]
    merged: list[list[int]] = []
    for a0, a1, b0, b1 in blocks:
        if merged and a0 - merged[-1][1] <= max_gap and 0 <= b0 - merged[-1][3] <= max_gap:
            merged[-1][1], merged[-1][3] = a1, b1
        else:
            merged.append([a0, a1, b0, b1])
    return [Span(a_offset + int(a_map[a0]), a_offset + int(a_map[a1 - 1]) + 1,
                 b_offset + int(b_map[b0]), b_offset + int(b_map[b1 - 1]) + 1) for a0, a1, b0, b1 in merged]
