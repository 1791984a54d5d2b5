"""Explain one pair: exact and estimated similarity, aligned shared spans, and what normalisation did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ._documents import pair_spans
from ._errors import UsageError
from ._minhash import sign
from ._normalize import Normalizer
from ._report import counted
from ._result import Kind, Result
from ._segment import Passage
from ._spans import Span, aligned_spans
from ._verify import overlap

__all__ = ["Explanation", "explain", "find_passage", "normalization_notes", "render"]

_COLOUR = ("\x1b[1;32m", "\x1b[0m")
_BRACKETS = ("[[", "]]")


@dataclass(frozen=True)
class Explanation:
    """Everything known about a pair of passages, whether or not it was reported."""

    a: Passage
    b: Passage
    jaccard: float
    estimate: float
    containment_ab: float
    containment_ba: float
    kind: str | None
    spans: list[Span]
    notes_a: str
    notes_b: str
    where_a: str = ""  # FILE:LINE, or FILE:LINE#K where a line starts several passages (Passages.where)
    where_b: str = ""

    def __str__(self) -> str:
        return render(self)


def find_passage(result: Result, ref: str) -> int:
    """The global position of the passage named *ref* as reports name it: ``FILE:LINE``, ``FILE:LINE#K``
    (the K-th passage starting on that line, from 1; the text report's name), ``FILE:#N`` (the passage
    whose index in its document is N, as the JSON and the HTML report have it) or ``FILE`` (a document of
    one passage).

    >>> from dedup import find_duplicates
    >>> r = find_duplicates([("a.txt", "一句话。两句话。\\n第三行")], unit="sentence")
    >>> find_passage(r, "a.txt:1#2"), find_passage(r, "a.txt:2"), find_passage(r, "a.txt:#0")
    (1, 2, 0)
    """
    p = result.passages
    ids = {d.id: k for k, d in enumerate(result.documents)}
    doc, sep, place = ref.rpartition(":")
    line, _, k = place.partition("#")
    if ref in ids and not (sep and _number(line) and doc in ids):  # a whole document
        hits = np.flatnonzero(p.doc_pos == ids[ref])
        if len(hits) != 1:
            raise UsageError(f"{ref} holds {counted(len(hits), 'passage')}"
                             f"{f': name one as {ref}:LINE' if len(hits) else ''}")
        return int(hits[0])
    if sep and not line and _number(k) and doc in ids:  # FILE:#N, the passage of index N in its document
        hits = np.flatnonzero((p.doc_pos == ids[doc]) & (p.index_in_doc == int(k)))
        if len(hits) == 0:
            raise UsageError(f"{ref}: {doc} has no passage of index {k}")
        return int(hits[0])
    if not sep or not _number(line) or not (_number(k) or place == line):
        raise UsageError(f"{ref!r}: name a passage as FILE:LINE, e.g. report.txt:12 (FILE:LINE#K for the K-th "
                         f"passage starting on a line, FILE:#N for the passage of index N in its document, FILE "
                         f"alone for a document of one passage)")
    if doc not in ids:
        # Ids are paths inside the input folder: a path that ends in one was likely given from outside it.
        like = next((i for i in ids if doc.endswith("/" + i)), None)
        hint = f" (ids are paths inside the input folder: {like}:{place}?)" if like else ""
        raise UsageError(f"{doc}: no such document in the corpus{hint}")
    hits = np.flatnonzero((p.doc_pos == ids[doc]) & (p.line == int(line)))
    if len(hits) == 0:
        raise UsageError(f"{doc}:{line}: no passage starts on that line")
    if not k:
        if len(hits) > 1:
            raise UsageError(f"{ref}: {len(hits)} passages start on that line: name one as {ref}#1 to {ref}#{len(hits)}")
        return int(hits[0])
    if not 1 <= int(k) <= len(hits):
        raise UsageError(f"{ref}: {len(hits)} {'passage starts' if len(hits) == 1 else 'passages start'} on that "
                         f"line, not {k}")
    return int(hits[int(k) - 1])


def _number(text: str) -> bool:
    """Whether *text* is a number written in ASCII digits (``str.isdigit`` also takes ² and the like)."""
    return text.isascii() and text.isdigit()


def normalization_notes(normalizer: Normalizer, text: str) -> str:
    """What normalisation removed and folded, with examples.

    >>> normalization_notes(Normalizer(), "Ａ，b c")
    'removed 1 (whitespace 1); folded 2 (Ａ→a ，→,)'
    """
    removed: Counter[str] = Counter()
    folded: dict[str, str] = {}
    folds = 0
    for ch in text:
        out = normalizer(ch)
        if not out:
            removed["whitespace" if ch.isspace() else "punctuation" if not ch.isalnum() else "other"] += 1
        elif out != ch:
            folds += 1
            folded.setdefault(ch, out)
    parts = []
    if removed:
        parts.append(f"removed {sum(removed.values())} (" + ", ".join(f"{k} {v}" for k, v in removed.items()) + ")")
    if folds:
        parts.append(f"folded {folds} (" + " ".join(f"{k}→{v}" for k, v in list(folded.items())[:8]) + ")")
    return "; ".join(parts) or "nothing changed"


def explain(result: Result, i: int | str, j: int | str) -> Explanation:
    """Explain the pair of passages *i* and *j* of *result* (a ``Result``, or the ``Cleaned`` of one): global
    positions (rows of ``result.pair_index``) or names as reports print them (``FILE:LINE``, see ``find_passage``).

    >>> from dedup import find_duplicates
    >>> r = find_duplicates([("a", "同一段文字,出现了两次。"), ("b", "同一段文字，出现了两次。")])
    >>> e = explain(r, 0, 1)  # equal once normalised (，is folded to ,)
    >>> e.kind, [(s.a_start, s.a_end, s.b_start, s.b_end) for s in e.spans]
    ('exact', [(0, 12, 0, 12)])
    >>> explain(r, "a:1", "b:1").kind
    'exact'
    """
    result = getattr(result, "result", result)  # a Cleaned explains the run it came from
    if not isinstance(result, Result):
        raise UsageError(f"result must be what find_duplicates returned (a Result), not {type(result).__name__}")
    i, j = (find_passage(result, value) if isinstance(value, str) else value for value in (i, j))
    for name, value in (("i", i), ("j", j)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < len(result.passages):
            raise UsageError(f"{name} must be a passage's position in the result, 0 to {len(result.passages) - 1}, "
                             f"or its name as reports print it (FILE:LINE), not {value!r}")
    i, j = min(int(i), int(j)), max(int(i), int(j))
    a, b = result.passages[i], result.passages[j]
    if i == j:
        raise UsageError(f"a and b are the same passage ({result.passages.where(i)}): name two passages")
    norms = [result.normalizer(a.text), result.normalizer(b.text)]
    batch = result.shingler(norms)
    found = overlap(batch, np.array([[0, 1]]))
    signatures = sign(batch, result.settings.num_perm, result.settings.seed)
    rows = np.flatnonzero((result.pair_index[:, 0] == i) & (result.pair_index[:, 1] == j))
    kind = Kind(int(result.kind[rows[0]])).label if len(rows) else None
    # A reported pair's spans are the report's (whole passages for an exact pair); any other pair is aligned here.
    spans = pair_spans(result, int(rows[0])) if len(rows) else aligned_spans(
        result.normalizer, a.text, a.start, b.text, b.start, min_len=result.shingler.n)
    return Explanation(a, b, float(found.jaccard[0]), float((signatures[0] == signatures[1]).mean()),
                       float(found.containment_ab[0]), float(found.containment_ba[0]), kind, spans,
                       normalization_notes(result.normalizer, a.text), normalization_notes(result.normalizer, b.text),
                       result.passages.where(i), result.passages.where(j))


def _marked(p: Passage, spans: list[tuple[int, int]], colour: bool) -> str:
    left, right = _COLOUR if colour else _BRACKETS
    out, at = [], p.start
    for start, end in sorted(spans):
        out += [p.text[at - p.start:start - p.start], left, p.text[start - p.start:end - p.start], right]
        at = end
    out.append(p.text[at - p.start:])
    return "".join(out)


def render(e: Explanation, colour: bool = False) -> str:
    """The explanation as text: numbers, spans, then both passages with the shared spans marked."""
    verdict = f"reported as {e.kind}" if e.kind else "not reported (below the thresholds)"
    shared = "; ".join(f"[{s.a_start}, {s.a_end}) ~ [{s.b_start}, {s.b_end})" for s in e.spans) or "none"
    lines = [
        f"a: {e.where_a or f'{e.a.doc}:{e.a.line}'} (passage {e.a.index}, chars [{e.a.start}, {e.a.end}))",
        f"b: {e.where_b or f'{e.b.doc}:{e.b.line}'} (passage {e.b.index}, chars [{e.b.start}, {e.b.end}))",
        f"{verdict}: Jaccard {e.jaccard:.4f} exact, {e.estimate:.4f} MinHash estimate; "
        f"containment a in b {e.containment_ab:.4f}, b in a {e.containment_ba:.4f}",
        f"normalisation of a: {e.notes_a}",
        f"normalisation of b: {e.notes_b}",
        f"shared spans (a ~ b): {shared}",
        "",
        f"a: {_marked(e.a, [(s.a_start, s.a_end) for s in e.spans], colour)}",
        "",
        f"b: {_marked(e.b, [(s.b_start, s.b_end) for s in e.spans], colour)}",
    ]
    return "\n".join(lines) + "\n"
