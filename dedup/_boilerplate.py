"""Boilerplate: short lines that recur across documents (mastheads, bylines, page-jump notes)."""

from __future__ import annotations

import re

import numpy as np

from ._arrays import first_of_runs, text_lengths
from ._segment import Passages, line_keys
from ._settings import Settings

__all__ = ["find_boilerplate", "flag_boilerplate", "matching_texts", "on_short_lines"]

_DIGITS = re.compile(r"\d")
# Unflagged short lines between two boilerplate lines of one block (a masthead's weekday,
# a paper's own name) are boilerplate too, up to this many in a row.
_MAX_GAP = 3


def find_boilerplate(passages: Passages, norms: list[str], max_chars: int = 32, min_docs: int = 2,
                     frequent_docs: int = 5, lengths: np.ndarray | None = None) -> np.ndarray:
    """Flag each passage that is boilerplate: a bool array in corpus order.

    A short passage (at most *max_chars* normalised characters, on a line that short: a
    short sentence of a longer paragraph is not) whose text, with digits folded, recurs in
    at least *min_docs* documents is a candidate (*lengths*: the normalised lengths, when
    *norms* holds only the short texts). It is
    boilerplate when it also
    - sits in a block of consecutive short lines holding three or more candidates (a masthead),
    - or recurs with different numbers (dates, issue and page numbers: 下转第4版 / 下转第6版),
    - or recurs in at least *frequent_docs* documents (and 1% of them).
    Short passages in a gap of up to three between two boilerplate passages of one
    block (a masthead's weekday, the paper's own name) are boilerplate too.
    A short line repeated verbatim in a few documents is a duplicate, not boilerplate.

    >>> from dedup._read import Document
    >>> from dedup._segment import segment
    >>> docs = [Document(f"p{i}", f"中国电子报社出版\\n2020年12月{i}日\\n星期{i}\\n今日8版\\n正文第{i}篇，内容各不相同，这一段话的长度远远超过了三十二个字符的上限，所以不算。")
    ...         for i in range(1, 3)]
    >>> p = segment(docs)
    >>> find_boilerplate(p, ["".join(t.split()) for t in p.texts()]).astype(int).tolist()
    [1, 1, 1, 1, 0, 1, 1, 1, 1, 0]
    """
    n = len(norms)
    lengths = text_lengths(norms) if lengths is None else lengths
    short = on_short_lines(passages.doc_pos, passages.line, lengths, max_chars)
    templates = [_DIGITS.sub("0", t) if s else "" for t, s in zip(norms, short)]
    docs_of: dict[str, set[int]] = {}
    texts_of: dict[str, set[str]] = {}
    for template, text, doc, s in zip(templates, norms, passages.doc_pos.tolist(), short):
        if s:
            docs_of.setdefault(template, set()).add(doc)
            texts_of.setdefault(template, set()).add(text)
    frequent = max(frequent_docs, len(set(passages.doc_pos.tolist())) // 100)
    candidate = np.fromiter((s and len(docs_of[t]) >= min_docs for t, s in zip(templates, short)), bool, n)
    varies = np.fromiter((c and len(texts_of[t]) > 1 for t, c in zip(templates, candidate)), bool, n)
    common = np.fromiter((c and len(docs_of[t]) >= frequent for t, c in zip(templates, candidate)), bool, n)
    flagged = candidate & (_in_block(candidate, short, passages.doc_pos) | varies | common)
    return flagged | _between(flagged, short, passages.doc_pos)


def on_short_lines(doc_pos: np.ndarray, line: np.ndarray, lengths: np.ndarray, max_chars: int) -> np.ndarray:
    """Whether each passage (in corpus order; *lengths* normalised) is a non-empty one on a line of at most
    *max_chars* normalised characters, all its passages counted: a sentence inside a longer paragraph (at
    unit="sentence") is no masthead, however short; the sentences of a short line are (第3版。要闻。).

    >>> on_short_lines(np.array([0, 0, 0]), np.array([1, 1, 2]), np.array([3, 4, 0]), 5).tolist()
    [False, False, False]
    """
    line_number = np.cumsum(first_of_runs(line_keys(doc_pos, line))) - 1
    per_line = np.bincount(line_number, weights=lengths)[line_number] if len(lengths) else np.zeros(0)
    return (lengths > 0) & (per_line <= max_chars)


def _blocks(short: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """A block number for each passage: consecutive short passages of one document share one."""
    starts = ~short | np.concatenate(([True], (doc[1:] != doc[:-1]) | ~short[:-1]))
    return np.cumsum(starts)


def _in_block(candidate: np.ndarray, short: np.ndarray, doc: np.ndarray) -> np.ndarray:
    block = _blocks(short, doc)
    per_block = np.bincount(block, weights=candidate)
    return short & (per_block[block] >= 3)


def _between(flagged: np.ndarray, short: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Short passages in a gap of at most _MAX_GAP between two flagged passages of one short block."""
    block = _blocks(short, doc)
    out = np.zeros(len(flagged), bool)
    last = -1  # position of the last flagged passage in the current block
    for i in np.flatnonzero(flagged).tolist():
        if last >= 0 and block[i] == block[last] and 1 < i - last <= _MAX_GAP + 1:
            out[last + 1:i] = True
        last = i
    return out


def flag_boilerplate(settings: Settings, passages: Passages, norms: list[str], lengths: np.ndarray) -> np.ndarray:
    """``find_boilerplate`` with the limits of *settings*: a bool per passage.

    >>> from dedup import Settings
    >>> from dedup._read import Document
    >>> from dedup._segment import segment
    >>> bodies = ["今天的天气很好，适合出门散步。", "经济发展需要坚持创新驱动才行。"]
    >>> p = segment([Document(f"d{k}", f"{body}\\n（下转第{k + 4}版）") for k, body in enumerate(bodies)])
    >>> norms = list(p.texts())
    >>> flag_boilerplate(Settings(), p, norms, np.array([len(t) for t in norms])).tolist()  # recurs, numbers aside
    [False, True, False, True]
    """
    return find_boilerplate(passages, norms, settings.boilerplate_chars, settings.boilerplate_docs, lengths=lengths)


def matching_texts(settings: Settings, norms: list[str], flagged: np.ndarray) -> list[str]:
    """The texts that take part in matching: with ``boilerplate="ignore"`` flagged passages are
    emptied, so they match nothing.

    >>> matching_texts(Settings(boilerplate="ignore"), ["a", "b"], np.array([True, False]))
    ['', 'b']
    """
    if settings.boilerplate != "ignore":
        return norms
    return ["" if f else t for t, f in zip(norms, flagged.tolist())]
