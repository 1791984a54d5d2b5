"""Where two passages share text: aligned spans in original offsets, and what normalisation changed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ._normalize import Normalizer

__all__ = ["Span", "aligned_spans", "normalize_with_offsets"]


@dataclass(frozen=True, slots=True)
class Span:
    """Text shared by two passages: ``a_text[a_start:a_end]`` matches ``b_text[b_start:b_end]`` (document offsets)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


def normalize_with_offsets(normalizer: Normalizer, text: str) -> tuple[str, list[int]]:
    """The text normalised character by character and, for each output character, the offset in
    *text* it came from.

    Whitespace is always removed here (also for word shingles, which keep single spaces), so
    that a span never starts or ends on a space; character by character, a letter and its
    combining mark stay separate, and Traditional folding works on characters, not phrases.

    >>> normalize_with_offsets(Normalizer(), "Ａ ｂ，c")
    ('ab,c', [0, 2, 3, 4])
    >>> normalize_with_offsets(Normalizer(keep_spaces=True), "a b")
    ('ab', [0, 2])
    """
    norm, offsets = normalizer.with_offsets(text)
    return norm, offsets.tolist()


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
    a_norm, a_map = normalize_with_offsets(normalizer, a_text)
    b_norm, b_map = normalize_with_offsets(normalizer, b_text)
    matcher = difflib.SequenceMatcher(None, a_norm, b_norm, autojunk=False)
    blocks = [(m.a, m.a + m.size, m.b, m.b + m.size) for m in matcher.get_matching_blocks() if m.size >= min_len]
    merged: list[list[int]] = []
    for a0, a1, b0, b1 in blocks:
        if merged and a0 - merged[-1][1] <= max_gap and 0 <= b0 - merged[-1][3] <= max_gap:
            merged[-1][1], merged[-1][3] = a1, b1
        else:
            merged.append([a0, a1, b0, b1])
    return [Span(a_offset + a_map[a0], a_offset + a_map[a1 - 1] + 1, b_offset + b_map[b0], b_offset + b_map[b1 - 1] + 1)
            for a0, a1, b0, b1 in merged]
