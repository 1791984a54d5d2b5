"""Cut duplicates out of a corpus, log every cut, and put them back on request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._errors import IntegrityError, UsageError
from ._find import Corpus, find_duplicates
from ._result import Kind, Result, passage_dict
from ._segment import LINE_BREAK
from ._settings import Settings, SettingsError

__all__ = ["Cleaned", "Removal", "clean", "plan_removals", "restore"]

Level = Literal["exact", "near", "contained", "span"]
Scope = Literal["corpus", "document"]
LEVELS: dict[str, tuple[str, ...]] = {
    "exact": ("exact",),
    "near": ("exact", "near"),
    "contained": ("exact", "near", "contained"),
    "span": ("exact", "near", "contained"),
}
SCOPES = ("corpus", "document")


@dataclass(frozen=True, slots=True)
class Removal:
    """One removed passage: where it was, the exact text cut (``doc_text[cut_start:cut_end]``),
    and the kept passage it duplicates.

    The cut is the passage's whole line, newline included, when nothing else is on
    that line; otherwise just the passage. A span cut (kind ``span``) takes only the
    part of a passage that repeats the kept passage.
    """

    doc: str
    index: int
    line: int
    start: int
    end: int
    cut_start: int
    cut_end: int
    text: str
    kept: dict[str, Any]
    similarity: float
    kind: str
    encoding: str

    def to_dict(self) -> dict[str, Any]:
        """The removal as plain data, one line of ``removed.jsonl`` (see ``from_dict``)."""
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: Any) -> Removal:
        """The removal from a line of ``removed.jsonl``; ``ValueError`` names a field that is missing or wrong.

        >>> Removal.from_dict({"doc": "a"})
        Traceback (most recent call last):
        ...
        ValueError: field 'index' is missing
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a removal must be a JSON object, not {type(data).__name__}")
        if not isinstance(data.get("doc"), str):
            raise ValueError("field 'doc' is missing or not a string")
        for name, kind in _FIELDS.items():
            if name not in data:
                raise ValueError(f"field {name!r} is missing")
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
                raise ValueError(f"field {name!r} must be {kind.__name__}, not {type(value).__name__} ({value!r:.40})")
            if isinstance(value, int) and kind is int and value < 0:
                raise ValueError(f"field {name!r} is negative ({value})")
        if data["cut_end"] - data["cut_start"] != len(data["text"]):
            raise ValueError(f"cut_start {data['cut_start']} and cut_end {data['cut_end']} do not span the "
                             f"{len(data['text'])} characters of text")
        return cls(**{name: data[name] for name in cls.__slots__})


# The type of every field of a serialised Removal (``similarity`` may be written as an integer).
_FIELDS: dict[str, type] = {"doc": str, "index": int, "line": int, "start": int, "end": int, "cut_start": int,
                            "cut_end": int, "text": str, "kept": dict, "similarity": float, "kind": str,
                            "encoding": str}


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text of every document (by id), the removal log, the run it came from, and the *level* and
    *scope* it was cleaned at."""

    texts: dict[str, str]
    removed: list[Removal]
    result: Result
    level: Level = "near"
    scope: Scope = "corpus"

    @property
    def chars_removed(self) -> int:
        return sum(len(r.text) for r in self.removed)


def plan_removals(result: Result, level: Level = "near", scope: Scope = "corpus") -> list[tuple[int, int, int]]:
    """Which passages go: ``(removed, kept, pair row)`` triples of global positions, in corpus order.

    The rule: walk the passages in keep order (the keep rule of *result*). A passage
    is removed when it forms a pair of the given *level* with a passage already kept
    (within the same document for ``scope="document"``); otherwise it is kept. So every
    removed passage is directly, verifiably similar to a passage that stays; chains
    of pairs never remove text. For ``contained`` pairs only the contained side goes. With the
    setting ``boilerplate="remove"`` the passages flagged as boilerplate go too, so they are never
    the kept side: a passage whose only matches are boilerplate stays.
    """
    if level not in LEVELS:
        raise UsageError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if scope not in SCOPES:
        raise UsageError(f"scope must be 'corpus' or 'document', not {scope!r}")
    allowed = np.isin(result.kind, [Kind.from_label(k) for k in LEVELS[level]])
    pairs = result.pair_index
    if scope == "document":
        allowed &= result.passages.doc_pos[pairs[:, 0]] == result.passages.doc_pos[pairs[:, 1]]
    # For contained pairs, only the inner side (higher containment) may be removed.
    inner_is_a = result.inner_is_a()
    is_contained = result.kind == Kind.CONTAINED
    partners: dict[int, list[tuple[int, int]]] = {}
    for row in np.flatnonzero(allowed).tolist():
        a, b = int(pairs[row, 0]), int(pairs[row, 1])
        if not is_contained[row] or inner_is_a[row]:
            partners.setdefault(a, []).append((b, row))
        if not is_contained[row] or not inner_is_a[row]:
            partners.setdefault(b, []).append((a, row))
    rank = result.keep_rank
    # Passages that go whatever this plan says: boilerplate, when it is removed.
    removed: set[int] = set(np.flatnonzero(result.boilerplate).tolist()) \
        if result.settings.boilerplate == "remove" else set()
    plan: list[tuple[int, int, int]] = []
    for i in sorted(partners, key=lambda k: int(rank[k])):
        match = [(other, row) for other, row in partners[i] if rank[other] < rank[i] and other not in removed]
        if match:
            other, row = max(match, key=lambda m: (result.similarity[m[1]], -rank[m[0]]))
            plan.append((i, other, row))
            removed.add(i)
    return sorted(plan)


def clean(corpus: Corpus | Result, settings: Settings | None = None, *, level: Level = "near",
          scope: Scope = "corpus", **options: Any) -> Cleaned:
    """Remove duplicate passages from every document; log each removal so ``restore`` can undo it.

    *corpus* is anything ``find_duplicates`` takes (with *settings* and *options* passed on,
    e.g. ``keep="longest"``) or a ``Result`` it returned. ``level``: ``exact``; ``near``
    (exact and near); ``contained`` (also passages lying inside a kept passage);
    ``span`` (also the part of a passage that repeats a contained passage kept before it).
    With the setting ``boilerplate="remove"``, every passage flagged as boilerplate goes too
    (kind ``boilerplate``).

    >>> c = clean([("a", "同一段文字，出现两次。\\n其他"), ("b", "前言\\n同一段文字，出现两次。\\n结尾")])
    >>> c.texts["b"], [(r.doc, r.line, r.kept["doc"]) for r in c.removed]
    ('前言\\n结尾', [('b', 2, 'a')])
    >>> restore(c.texts, c.removed)["b"]
    '前言\\n同一段文字，出现两次。\\n结尾'
    """
    if isinstance(corpus, Result) and (options or settings is not None):
        raise SettingsError(f"settings and options ({', '.join(sorted(options))}) apply to find_duplicates; "
                            f"a Result was given, which has run already")
    result = corpus if isinstance(corpus, Result) else find_duplicates(corpus, settings, **options)
    passages = result.passages
    cuts = planned_cuts(result, level, scope)
    removed = [_removal(result, i, k, cut_start, cut_end, similarity, kind)
               for i, k, similarity, kind, cut_start, cut_end in cuts]
    if level == "span":
        removed += _span_cuts(result, {cut[0]: (cut[1], cut[3]) for cut in cuts}, scope)
    by_doc: dict[str, list[Removal]] = {}
    for r in removed:
        by_doc.setdefault(r.doc, []).append(r)
    texts = {d.id: _cut_out(d.text, by_doc.get(d.id, [])) for d in passages.documents}
    return Cleaned(texts, sorted(removed, key=lambda r: (r.doc, r.cut_start)), result, level, scope)


def planned_cuts(result: Result, level: Level = "near", scope: Scope = "corpus"
                 ) -> list[tuple[int, int | None, float, str, int, int]]:
    """The whole passages ``clean`` removes, as ``(passage, kept passage or None, similarity, kind,
    cut_start, cut_end)``: those of ``plan_removals``, then (with ``boilerplate="remove"``) the
    boilerplate; a passage alone on its lines takes its line break with it.

    >>> from dedup import find_duplicates
    >>> planned_cuts(find_duplicates([("a", "同一段文字，出现两次。"), ("b", "前言\\n同一段文字，出现两次。\\n结尾")]))
    [(2, 0, 1.0, 'exact', 3, 15)]
    """
    passages = result.passages

    def cut(i: int) -> tuple[int, int]:
        return _cut(passages.documents[int(passages.doc_pos[i])].text, int(passages.start[i]), int(passages.end[i]))

    plan = plan_removals(result, level, scope)
    cuts: list[tuple[int, int | None, float, str, int, int]] = [
        (i, k, float(result.similarity[row]), Kind(int(result.kind[row])).label, *cut(i)) for i, k, row in plan]
    if result.settings.boilerplate == "remove":
        gone = {i for i, _, _ in plan}
        cuts += [(i, None, 1.0, "boilerplate", *cut(i)) for i in np.flatnonzero(result.boilerplate).tolist()
                 if i not in gone]
    return cuts


def _removal(result: Result, i: int, k: int | None, cut_start: int, cut_end: int, similarity: float,
             kind: str) -> Removal:
    passages = result.passages
    document = passages.documents[int(passages.doc_pos[i])]
    p = passages[i]
    kept = {} if k is None else passage_dict(passages[k])
    return Removal(p.doc, p.index, p.line, p.start, p.end, cut_start, cut_end, document.text[cut_start:cut_end],
                   kept, similarity, kind, document.encoding)


def _span_cuts(result: Result, gone: dict[int, tuple[int | None, str]], scope: str) -> list[Removal]:
    """Cut, from each surviving passage, the span that repeats a contained passage kept before it (one block
    holding at least ``contained_ratio`` of that passage's characters; a copy in pieces is not cut). *gone*: the
    passages removed whole, each with the passage kept in its place (None for boilerplate) and the kind. A
    contained passage removed as an exact copy names the passage its text stays in; one removed otherwise
    (a near copy, boilerplate) cuts nothing: the text cut would be in no passage checked against it."""
    from ._documents import pair_spans

    def staying(i: int) -> int | None:
        if i not in gone:
            return i
        kept, kind = gone[i]
        # An exact copy's kept passage stays (plan_removals never keeps a removed passage).
        return kept if kept is not None and kind == "exact" else None

    rank, passages = result.keep_rank, result.passages
    inner_sides = result.inner_is_a()
    cuts: dict[int, list[tuple[int, int, int, int]]] = {}
    for row in np.flatnonzero(result.kind == Kind.CONTAINED).tolist():
        a, b = (int(x) for x in result.pair_index[row])
        if scope == "document" and passages.doc_pos[a] != passages.doc_pos[b]:
            continue
        inner_is_a = bool(inner_sides[row])
        inner, outer = (a, b) if inner_is_a else (b, a)
        if outer in gone or rank[inner] > rank[outer]:
            continue
        source = staying(inner)  # the README's rule: a removal names a passage that stays
        if source is None:
            continue
        shared = pair_spans(result, row)
        # A copy is cut only when it is one block holding nearly all of the inner passage (small edits merged
        # into it): cutting pieces scattered through the later passage left fragments of it standing
        # ("Gentlemen of the Senate and of the House of Representatives:" less "Gentlemen of the House of
        # Representatives:" left " Senate and of the House ").
        if len(shared) != 1:
            continue
        s = shared[0]
        inner_start, inner_end = (s.a_start, s.a_end) if inner_is_a else (s.b_start, s.b_end)
        if inner_end - inner_start < result.settings.contained_ratio * (passages.end[inner] - passages.start[inner]):
            continue
        start, end = (s.b_start, s.b_end) if inner_is_a else (s.a_start, s.a_end)
        cuts.setdefault(outer, []).append((start, end, source, row))
    out = []
    for outer, spans in cuts.items():
        # Spans of one source that meet are one cut; where spans of different sources overlap, the later one
        # keeps only what the earlier does not cover, so that each cut is text of the passage it names.
        merged: list[list[int]] = []
        for start, end, inner, row in sorted(spans):
            if merged and start <= merged[-1][1] and inner == merged[-1][2]:
                merged[-1][1] = max(merged[-1][1], end)
            elif not merged or end > merged[-1][1]:
                merged.append([max(start, merged[-1][1]) if merged else start, end, inner, row])
        for start, end, inner, row in merged:
            out.append(_removal(result, outer, inner, start, end, float(result.containment[row].max()), "span"))
    return out


def _cut(text: str, start: int, end: int) -> tuple[int, int]:
    newline_before = text.rfind("\n", 0, start)
    line_start = max(newline_before, text.rfind("\r", newline_before + 1, start)) + 1  # no scan past the \n
    newline = LINE_BREAK.search(text, end)
    line_end = len(text) if newline is None else newline.end()
    if text[line_start:start].strip() or text[end:line_end].strip():
        return start, end
    return line_start, line_end


def _cut_out(text: str, removals: Iterable[Removal]) -> str:
    pieces, position = [], 0
    for r in sorted(removals, key=lambda r: r.cut_start):
        if r.cut_start < position:
            raise AssertionError(f"{r.doc}: overlapping cuts at {r.cut_start}; please report this as a bug")
        pieces.append(text[position:r.cut_start])
        position = r.cut_end
    pieces.append(text[position:])
    return "".join(pieces)


def restore(texts: Mapping[str, str], removed: Iterable[Removal]) -> dict[str, str]:
    """The original documents from cleaned *texts* and their removal log: nothing is ever lost.

    Raises ``IntegrityError`` (a ``ValueError``) naming the document when the log does
    not fit the texts (a cleaned text cut short, say), and ``UsageError`` for arguments of
    the wrong type. An edit of a cleaned text that leaves every logged cut in place is not
    seen here: a cleaned folder (``write_cleaned``) records each file's hash, and
    ``restore_folder`` checks it. Linear in the size of the texts plus the number of removals.

    >>> cleaned = clean([("a", "一段重复的文字。\\n"), ("b", "一段重复的文字。\\n尾声")])
    >>> cleaned.texts["b"], restore(cleaned.texts, cleaned.removed)["b"]
    ('尾声', '一段重复的文字。\\n尾声')
    """
    if not isinstance(texts, Mapping):
        raise UsageError(f"texts must map document ids to cleaned texts, not {type(texts).__name__}")
    if not isinstance(removed, Iterable) or isinstance(removed, (str, Mapping)):
        raise UsageError(f"removed must be the removal log (Cleaned.removed, a list of Removal), not "
                         f"{type(removed).__name__}")
    by_doc: dict[str, list[Removal]] = {}
    for r in removed:
        if not isinstance(r, Removal):
            raise UsageError(f"removed must hold Removal objects, not {type(r).__name__}")
        by_doc.setdefault(r.doc, []).append(r)
    out = dict(texts)
    for doc, removals in by_doc.items():
        if doc not in texts:
            raise IntegrityError(f"{doc}: in the removal log but not among the cleaned documents")
        cleaned = texts[doc]
        if not isinstance(cleaned, str):
            raise UsageError(f"texts[{doc!r}] must be str, not {type(cleaned).__name__}")
        pieces, taken, original = [], 0, 0
        for r in sorted(removals, key=lambda r: r.cut_start):
            keep = r.cut_start - original
            # Cuts in order, none overlapping, each exactly as long as its text, all inside the cleaned text.
            if keep < 0 or taken + keep > len(cleaned) or r.cut_end - r.cut_start != len(r.text):
                raise IntegrityError(f"{doc}: the removal log does not fit the cleaned text at character "
                                     f"{r.cut_start} (was it edited?)")
            pieces += [cleaned[taken:taken + keep], r.text]
            taken += keep
            original = r.cut_end
        pieces.append(cleaned[taken:])
        out[doc] = "".join(pieces)
    return out
