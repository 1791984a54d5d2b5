"""A self-contained HTML report: read the matches, not percentages, in any browser, from disk.

One file holds the page's data (a JSON document in a ``<script type="application/json">``
element, escaped so that no corpus text can close it), its CSS and its JavaScript; it loads
nothing from the network. The script builds every element with ``textContent``, so corpus
text is always shown as text, never parsed as markup.

What is embedded is bounded, so that a report of a large corpus stays small enough to open
at once: the ``top`` largest clusters (at most ``MAX_MEMBERS`` members each), at most
``PAIRS_PER_CLUSTER * top`` pairs and as many comparisons of a member with its kept passage,
``MAX_MARKS`` marked differences a pair, passage texts in full up to ``TEXT_BUDGET`` characters
in all and as snippets up to ``SNIPPET_BUDGET`` more, and the ``MAX_REPEAT_DOCS`` documents that
repeat themselves most, in full up to ``DOC_TEXT_BUDGET`` characters. At ``top=500`` that is at
most about 6 million characters of text (about 20 MB); a corpus of 100,000 passages gives about
2 MB. The page states what was left out, and its own size.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._clean import Cleaned
from ._documents import covered, repeats_from_spans
from ._errors import InputError, UsageError
from ._normalize import Normalizer
from ._output import atomic_write
from ._read import decode, read_corpus
from ._report import SCHEMA_VERSION, counted
from ._segment import line_starts
from ._settings import Settings, SettingsError
from ._spans import aligned_spans

__all__ = ["html_payload", "render_html", "write_html", "write_html_from_report"]

PAYLOAD_FORMAT = 1
KINDS = ("exact", "near", "contained", "linked")  # "linked": joined to the kept passage through other members
MARKS = ("width", "form", "case", "script", "digits", "ignored", "edit")
PAIRS_PER_CLUSTER = 4
MAX_MEMBERS = 50           # members embedded per cluster; the rest are counted
MAX_MARKS = 100            # normalisation differences marked per pair
ALIGNED_PAIRS = 20_000     # a report without spans: pairs aligned for the documents' figures, at most
PASSAGE_CHARS = 5_000      # a longer passage is shown up to here
TEXT_BUDGET = 2_000_000    # passage characters embedded in full; later passages get a snippet
SNIPPET_CHARS = 160
SNIPPET_BUDGET = 500_000   # characters of snippets; later passages are embedded without text
MAX_REPEAT_DOCS = 20
DOC_CHARS = 300_000        # a longer self-repeating document is shown up to here
DOC_TEXT_BUDGET = 1_500_000
MATRIX_DOCS = 12
MAX_OVERLAPS = 200
MAX_BOILERPLATE = 200
MAX_ERRORS = 1_000
_RESYNC_GAP = 32           # how far apart two texts may drift inside one aligned span (an edit)
_SIZE_MARK = "__DEDUP_FILE_SIZE__"


# ---------------------------------------------------------------------------------------- payload


def html_payload(report: Mapping[str, Any], texts: Mapping[str, str], settings_dict: Mapping[str, Any] | None = None,
                 top: int = 500) -> dict[str, Any]:
    """The data of the HTML page, from a report dict (``report_dict(result, spans=True, offsets=True)``)
    and the texts.

    *texts* maps document ids to their decoded text; passages of a document missing
    from it are shown without text. Pair spans come from the report when it has them
    and are aligned here otherwise, only for the pairs embedded. *top* bounds the
    clusters embedded (and so the pairs, ``PAIRS_PER_CLUSTER`` per cluster).

    >>> report = {"documents": [{"id": "a", "chars": 8, "passages": 1}, {"id": "b", "chars": 8, "passages": 1}],
    ...           "pairs": [{"a": {"doc": "a", "index": 0, "line": 1, "start": 0, "end": 8},
    ...                      "b": {"doc": "b", "index": 0, "line": 1, "start": 0, "end": 8},
    ...                      "similarity": 1.0, "containment_ab": 1.0, "containment_ba": 1.0, "kind": "exact"}],
    ...           "clusters": [{"kept": {"doc": "a", "index": 0}, "members": [{"doc": "a", "index": 0},
    ...                                                                         {"doc": "b", "index": 0}]}]}
    >>> payload = html_payload(report, {"a": "同一段文字出现了", "b": "同一段文字出现了"})
    >>> payload["summary"]["clusters"], payload["pairs"][0][6], [p[5] for p in payload["passages"]]
    (1, [[0, 8, 0, 8]], ['同一段文字出现了', '同一段文字出现了'])
    """
    return _Builder(report, texts, dict(settings_dict or report.get("config") or {}), max(0, int(top))).build()


class _Builder:
    """Collects documents and passages as they are referenced, so that only what is shown is embedded."""

    def __init__(self, report: Mapping[str, Any], texts: Mapping[str, str], settings: dict[str, Any], top: int):
        self.report, self.texts, self.settings, self.top = report, texts, settings, top
        self.warnings: list[str] = []
        self.run = _run_settings(settings, self.warnings)
        self.normalizer = _normalizer(self.run, settings)
        self.documents = list(report.get("documents") or [])
        self.doc_order = {d["id"]: i for i, d in enumerate(self.documents)}
        self.doc_ids: dict[str, int] = {}
        self.docs: list[list[Any]] = []
        self.passage_ids: dict[tuple[str, int], int] = {}
        self.passages: list[list[Any]] = []
        self.text_used = 0
        self.located: dict[tuple[str, int], dict[str, Any]] = {}
        for pair in report.get("pairs") or []:
            for side in (pair["a"], pair["b"]):
                self.located.setdefault((side["doc"], side["index"]), side)
        for cluster in report.get("clusters") or []:
            for m in [cluster["kept"], *cluster["members"]]:
                if "start" in m:
                    self.located.setdefault((m["doc"], m["index"]), m)
        self._lines: dict[str, list[int]] = {}
        self.aligned: dict[tuple[Any, ...], list[list[int]] | None] = {}  # pairs aligned here, by passages and kind

    # -- references -------------------------------------------------------------------------
    def doc(self, doc_id: str) -> int:
        at = self.doc_ids.get(doc_id)
        if at is None:
            entry = self.documents[self.doc_order[doc_id]] if doc_id in self.doc_order else {}
            at = self.doc_ids[doc_id] = len(self.docs)
            self.docs.append([doc_id, entry.get("chars", len(self.texts.get(doc_id, ""))), entry.get("passages", 0)])
        return at

    def passage(self, where: Mapping[str, Any]) -> int:
        key = (where["doc"], where["index"])
        at = self.passage_ids.get(key)
        if at is not None:
            return at
        loc = self.located.get(key, where)
        start, end = loc.get("start"), loc.get("end")
        text = self.texts.get(key[0])
        shown, cut = None, 0
        if text is not None and start is not None:
            # Whole passages while the budget lasts, then snippets, then nothing: the size stays bounded.
            used = self.text_used
            room = PASSAGE_CHARS if used < TEXT_BUDGET else SNIPPET_CHARS if used < TEXT_BUDGET + SNIPPET_BUDGET else 0
            shown = text[start:min(end, start + room)]
            cut = end - start - len(shown)
            self.text_used += len(shown)
        at = self.passage_ids[key] = len(self.passages)
        self.passages.append([self.doc(key[0]), key[1], loc.get("line"), start, end, shown, cut])
        return at

    # -- the parts ----------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        report = self.report
        pairs = list(report.get("pairs") or [])
        clusters = list(report.get("clusters") or [])
        pair_at = {}
        for row, pair in enumerate(pairs):
            a, b = (pair["a"]["doc"], pair["a"]["index"]), (pair["b"]["doc"], pair["b"]["index"])
            pair_at[(a, b)] = pair_at[(b, a)] = row
        shown_clusters = clusters[:self.top]
        chosen = _choose_pairs(pairs, shown_clusters, PAIRS_PER_CLUSTER * self.top)
        embedded = {row: n for n, row in enumerate(chosen)}
        out_pairs = [self.pair_entry(pairs[row]) for row in chosen]
        comparisons: list[list[Any]] = []
        out_clusters = [self.cluster_entry(c, pairs, pair_at, embedded, comparisons) for c in shown_clusters]
        # A report saved without --spans: the documents' figures come from the pairs it lists, aligned here
        # (up to ALIGNED_PAIRS of them; past that, whole passages), and the page says so.
        align = len(pairs) <= ALIGNED_PAIRS
        repeats = report.get("self_repeats")
        if repeats is None:
            repeats = self.derived_repeats(pairs, align)
        overlaps = report.get("document_overlaps")
        if overlaps is None:
            overlaps = self.derived_overlaps(pairs, align)
        figured = [what for key, what in (("self_repeats", "themselves"), ("document_overlaps", "each other"))
                   if report.get(key) is None]
        if pairs and figured:
            self.warnings.append(f"this report was saved without --spans: how much documents repeat "
                                 f"{' and '.join(figured)} is figured here from the {counted(len(pairs), 'pair')} it "
                                 f"lists{'' if align else ' (their whole passages: too many to align)'}, and can "
                                 f"differ from what --html shows for the same run; save it with --spans for those "
                                 f"figures")
        errors = list(report.get("errors") or [])
        return {
            "format": PAYLOAD_FORMAT,
            "version": report.get("version"),
            "input": report.get("input"),
            "settings": self.settings,
            "summary": self.summary(pairs, clusters, errors),
            "limits": {"clusters": [len(out_clusters), len(clusters)], "pairs": [len(out_pairs), len(pairs)],
                       "members": MAX_MEMBERS, "passage_chars": PASSAGE_CHARS},
            "kinds": list(KINDS),
            "marks": list(MARKS),
            "pairs": out_pairs,
            "comparisons": comparisons,
            "clusters": out_clusters,
            "repeats": self.repeat_entries(repeats),
            "overlaps": self.overlap_entries(overlaps),
            "boilerplate": self.boilerplate_entries(),
            "errors": errors[:MAX_ERRORS],
            "warnings": self.warnings,
            # Filled last: every document and passage referenced above.
            "docs": self.docs,
            "passages": self.passages,
        }

    def pair_entry(self, pair: Mapping[str, Any], kind: str | None = None) -> list[Any]:
        """``[passage a, passage b, similarity, containment a in b, b in a, kind, spans, marks]``."""
        a, b = pair["a"], pair["b"]
        pa, pb = self.passage(a), self.passage(b)
        kind = kind or pair.get("kind", "near")
        a_text, b_text = self.texts.get(a["doc"]), self.texts.get(b["doc"])
        boxes = self.boxes(pair, kind) or []
        marks: list[list[int]] = []
        if a_text is not None and b_text is not None:
            for a0, a1, b0, b1 in boxes:
                if len(marks) >= MAX_MARKS:
                    break
                marks += differences(self.normalizer, a_text, a0, a1, b_text, b0, b1)
            marks = marks[:MAX_MARKS]
        return [pa, pb, pair.get("similarity"), pair.get("containment_ab"), pair.get("containment_ba"),
                KINDS.index(kind) if kind in KINDS else 1, boxes, marks]

    def cluster_entry(self, cluster: Mapping[str, Any], pairs: list[Any], pair_at: dict[Any, int],
                      embedded: dict[int, int], comparisons: list[list[Any]]) -> list[Any]:
        """``[kept passage, member count, [[passage, similarity, kind, pair reference], ...]]``.

        A reference ``r >= 0`` is ``pairs[r]``, ``r < 0`` is ``comparisons[-r - 1]`` (kept and
        member not paired directly, or that pair not embedded), ``None`` the kept passage, and
        ``False`` a member not compared (past the budget of comparisons).
        """
        kept = cluster["kept"]
        kept_key = (kept["doc"], kept["index"])
        members = list(cluster["members"])
        # The kept passage first, then the others in the report's order, up to the cap.
        ordered = [m for m in members if (m["doc"], m["index"]) == kept_key][:1] or [kept]
        ordered += [m for m in members if (m["doc"], m["index"]) != kept_key][:MAX_MEMBERS - 1]
        rows = []
        for m in ordered:
            key = (m["doc"], m["index"])
            pid = self.passage(m)
            if key == kept_key:
                rows.append([pid, None, None, None])
                continue
            row = pair_at.get((kept_key, key))
            similarity, kind = m.get("similarity"), m.get("kind")
            if row is not None:
                pair = pairs[row]
                similarity = pair.get("similarity") if similarity is None else similarity
                kind = kind or pair.get("kind")
            if kind is None or (similarity is None and row is None):
                similarity, kind = self.compare(kept, m, similarity)
            ref: int | bool
            if row is not None and row in embedded:
                ref = embedded[row]
            elif len(comparisons) < PAIRS_PER_CLUSTER * self.top:
                # Shown like a pair, but kept out of the pairs list: the report lists no such pair.
                source = pairs[row] if row is not None else {"a": kept, "b": m, "similarity": similarity}
                comparisons.append(self.pair_entry(source, kind))
                ref = -len(comparisons)
            else:
                ref = False
            rows.append([pid, similarity, KINDS.index(kind) if kind in KINDS else 3, ref])
        return [self.passage(kept), len(members), rows]

    def compare(self, kept: Mapping[str, Any], member: Mapping[str, Any],
                similarity: float | None) -> tuple[float | None, str]:
        """Similarity and kind of a member the report did not pair with its kept passage."""
        a, b = self.text_of(kept), self.text_of(member)
        if a is None or b is None:
            return similarity, "linked"
        na, nb = self.normalizer(a), self.normalizer(b)
        if na == nb:
            return 1.0, "exact"
        if similarity is None:
            similarity = _jaccard(self.run, na, nb)
        return similarity, ("near" if similarity is not None and similarity >= self.run.threshold else "linked")

    def text_of(self, where: Mapping[str, Any]) -> str | None:
        loc = self.located.get((where["doc"], where["index"]), where)
        text = self.texts.get(where["doc"])
        if text is None:
            return None
        if loc.get("start") is not None:
            return text[loc["start"]:loc["end"]]
        if loc.get("line") is not None:
            starts = self.line_starts(where["doc"])
            line = loc["line"]
            if 1 <= line <= len(starts):
                end = starts[line] - 1 if line < len(starts) else len(text)
                return text[starts[line - 1]:end].strip()
        return None

    def line_starts(self, doc_id: str) -> list[int]:
        starts = self._lines.get(doc_id)
        if starts is None:
            starts = self._lines[doc_id] = line_starts(self.texts[doc_id])
        return starts

    def summary(self, pairs: list[Any], clusters: list[Any], errors: list[Any]) -> dict[str, Any]:
        given = dict(self.report.get("summary") or {})
        kinds: dict[str, int] = {}
        for pair in pairs:
            kinds[pair.get("kind", "near")] = kinds.get(pair.get("kind", "near"), 0) + 1
        chars = sum(int(d.get("chars", 0)) for d in self.documents)
        out: dict[str, Any] = {
            "documents": len(self.documents),
            "passages": sum(int(d.get("passages", 0)) for d in self.documents),
            "chars": chars,
            "pairs": len(pairs),
            "pairs_listed": len(pairs),  # a report may list fewer pairs than it verified (its summary says)
            "kinds": kinds,
            "clusters": len(clusters),
            "boilerplate": len(self.report.get("boilerplate") or []),
            "errors": len(errors),
            "skipped": None,
            # What cleaning removes: stated by the report (``report_dict``), unknown for an older one.
            "removed_passages": None,
            "removed_chars": None,
        }
        out.update({k: v for k, v in given.items() if v is not None})
        if out.get("removed_share") is None:
            removed = out["removed_chars"]
            out["removed_share"] = None if removed is None else removed / chars if chars else 0.0
        return out

    def derived_repeats(self, pairs: list[Any], align: bool = True) -> list[dict[str, Any]]:
        """Self-repeats from the pairs within one document (``shared_parts``), when the report lacks them."""
        spans: dict[str, list[tuple[int, int, int, int, str]]] = {}
        for pair in pairs:
            a, b = pair["a"], pair["b"]
            if a["doc"] != b["doc"]:
                continue
            kind = pair.get("kind", "near")
            spans.setdefault(a["doc"], []).extend((*box, kind) for box in self.shared_parts(pair, align))
        out = []
        for doc, found in spans.items():
            reps = repeats_from_spans(doc, found)
            if not reps:
                continue
            out.append({"doc": doc, "share": covered((r.start, r.end) for r in reps) / self.text_chars(doc),
                        "repeats": [{"span": [r.start, r.end], "of": [r.source_start, r.source_end], "kind": r.kind}
                                    for r in reps]})
        return out

    def text_chars(self, doc: str) -> int:
        """What *doc*'s shares are shares of: the characters of its passages (a report before ``text_chars``
        was written: all its characters), at least 1."""
        entry = self.documents[self.doc_order[doc]] if doc in self.doc_order else {}
        return max(1, int(entry.get("text_chars", entry.get("chars", 1))))

    def derived_overlaps(self, pairs: list[Any], align: bool = True) -> list[dict[str, Any]]:
        """Document overlaps from the pairs across documents (``shared_parts``), when the report lacks them."""
        sides: dict[tuple[str, str], tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        for pair in pairs:
            a, b = pair["a"], pair["b"]
            if a["doc"] == b["doc"]:
                continue
            a_side, b_side = sides.setdefault((a["doc"], b["doc"]), ([], []))
            for a0, a1, b0, b1 in self.shared_parts(pair, align):
                a_side.append((a0, a1))
                b_side.append((b0, b1))
        out = [{"a": da, "b": db, "share_a_in_b": covered(a_side) / self.text_chars(da),
                "share_b_in_a": covered(b_side) / self.text_chars(db)}
               for (da, db), (a_side, b_side) in sides.items()]
        return sorted(out, key=lambda o: (-max(o["share_a_in_b"], o["share_b_in_a"]), o["a"], o["b"]))

    def shared_parts(self, pair: Mapping[str, Any], align: bool) -> list[list[int]]:
        """What the two passages of *pair* share, for the documents' figures: its ``boxes`` (aligned here only
        when *align*), else (no texts, or not aligned) the whole passages."""
        boxes = self.boxes(pair, pair.get("kind", "near")) if align or pair.get("spans") is not None else None
        if boxes is None:
            a, b = pair["a"], pair["b"]
            return [[a["start"], a["end"], b["start"], b["end"]]]
        return boxes

    def boxes(self, pair: Mapping[str, Any], kind: str) -> list[list[int]] | None:
        """The shared spans of *pair* as ``[a0, a1, b0, b1]``: the report's, or else aligned here, once a pair (the
        whole passages for an exact pair, as ``pair_spans`` has them); ``None`` without the texts."""
        if pair.get("spans") is not None:
            return [[s["a"][0], s["a"][1], s["b"][0], s["b"][1]] for s in pair["spans"]]
        key = (pair["a"]["doc"], pair["a"]["index"], pair["b"]["doc"], pair["b"]["index"], kind)
        if key not in self.aligned:
            self.aligned[key] = self._aligned(pair, kind)
        return self.aligned[key]

    def _aligned(self, pair: Mapping[str, Any], kind: str) -> list[list[int]] | None:
        a, b = (self.located.get((side["doc"], side["index"]), side) for side in (pair["a"], pair["b"]))
        a_text, b_text = self.texts.get(a["doc"]), self.texts.get(b["doc"])
        if a_text is None or b_text is None or a.get("start") is None or b.get("start") is None:
            return None
        a0, a1, b0, b1 = a["start"], a["end"], b["start"], b["end"]
        if kind == "exact":  # equal after normalisation: the whole passages match
            return [[a0, a1, b0, b1]]
        return [[s.a_start, s.a_end, s.b_start, s.b_end] for s in
                aligned_spans(self.normalizer, a_text[a0:a1], a0, b_text[b0:b1], b0, min_len=self.run.shingle_size)]

    def repeat_entries(self, repeats: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The documents that repeat most (by characters), each with its text and repeated spans."""
        def repeated_chars(r: Mapping[str, Any]) -> float:
            return covered([tuple(x["span"]) for x in r["repeats"]])

        ranked = sorted(repeats, key=lambda r: (-repeated_chars(r), r["doc"]))
        shown = []
        budget = DOC_TEXT_BUDGET
        for r in ranked[:MAX_REPEAT_DOCS]:
            text = self.texts.get(r["doc"])
            # Whole documents while the budget lasts; a document past it is shown without text.
            body = None if text is None else text[:min(DOC_CHARS, max(0, budget))]
            cut = 0 if text is None or body is None else len(text) - len(body)
            budget -= 0 if body is None else len(body)
            shown.append({"doc": self.doc(r["doc"]), "share": r["share"], "chars": repeated_chars(r),
                          "text": body, "cut": cut,
                          "spans": [[x["span"][0], x["span"][1], x["of"][0], x["of"][1], x.get("kind", "")]
                                    for x in r["repeats"]]})
        return {"total": len(repeats), "docs": shown}

    def overlap_entries(self, overlaps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The documents that share most as a matrix, and the largest overlaps as a list."""
        weight: dict[str, float] = {}
        for o in overlaps:
            for doc, share in ((o["a"], o["share_a_in_b"]), (o["b"], o["share_b_in_a"])):
                weight[doc] = weight.get(doc, 0.0) + share * self.text_chars(doc)
        matrix = sorted(weight, key=lambda d: (-weight[d], d))[:MATRIX_DOCS]
        inside = set(matrix)
        cells = [[self.doc(o["a"]), self.doc(o["b"]), o["share_a_in_b"], o["share_b_in_a"]]
                 for o in overlaps if o["a"] in inside and o["b"] in inside]
        listed = [[self.doc(o["a"]), self.doc(o["b"]), o["share_a_in_b"], o["share_b_in_a"]]
                  for o in overlaps[:MAX_OVERLAPS]]
        return {"total": len(overlaps), "matrix": [self.doc(d) for d in matrix], "cells": cells, "list": listed}

    def boilerplate_entries(self) -> dict[str, Any]:
        """Flagged passages grouped by their normalised text, most frequent first."""
        groups: dict[str, list[Any]] = {}
        for entry in self.report.get("boilerplate") or []:
            text = self.text_of(entry)
            key = self.normalizer(text) if text is not None else f"{entry['doc']}:{entry.get('line')}"
            groups.setdefault(key, [text, []])[1].append((entry["doc"], entry.get("line")))
        ranked = sorted(groups.values(), key=lambda g: (-len(g[1]), g[1][0]))
        shown = [[text, len(where), [[self.doc(d), line] for d, line in where[:6]]]
                 for text, where in ranked[:MAX_BOILERPLATE]]
        return {"flagged": len(self.report.get("boilerplate") or []), "total": len(groups), "groups": shown}


def _choose_pairs(pairs: list[Any], clusters: list[Any], budget: int) -> list[int]:
    """Rows of the pairs to embed: first those within the clusters shown, in cluster order, up to
    half the budget; then the rest, largest shared text first (the long reprints found by containment)."""
    rank: dict[tuple[str, int], int] = {}
    for n, cluster in enumerate(clusters):
        for m in cluster["members"][:MAX_MEMBERS]:
            rank.setdefault((m["doc"], m["index"]), n)
    inside, outside = [], []
    for row, pair in enumerate(pairs):
        ra, rb = rank.get((pair["a"]["doc"], pair["a"]["index"])), rank.get((pair["b"]["doc"], pair["b"]["index"]))
        if ra is not None and ra == rb:
            inside.append((ra, row))
        else:
            outside.append((-_shared_chars(pair), row))
    inside.sort()
    chosen = [row for _, row in inside[:budget // 2]]
    outside.sort()
    chosen += [row for _, row in outside[:budget - len(chosen)]]
    return sorted(chosen)  # in the report's order: corpus order


def _shared_chars(pair: Mapping[str, Any]) -> float:
    a, b = pair["a"], pair["b"]
    la, lb = a.get("end", 0) - a.get("start", 0), b.get("end", 0) - b.get("start", 0)
    ca, cb = pair.get("containment_ab") or 0.0, pair.get("containment_ba") or 0.0
    return max(la * ca, lb * cb)


def _run_settings(config: Mapping[str, Any], warnings: list[str]) -> Settings:
    """The settings of the run a report describes, as far as the page uses them (normalisation,
    shingles, threshold): flat, as ``Settings.to_dict`` writes them, or an older report's
    ``normalizer`` block. Without OpenCC, Traditional folding is left out, and the page says so."""
    block = config.get("normalizer")
    flat = {**config, **block} if isinstance(block, Mapping) else config
    used = {k: flat[k] for k in ("threshold", "shingle", "user_dict", "casefold", "punctuation", "digits",
                                 "traditional") if k in flat}
    try:
        return Settings.from_dict(used)
    except SettingsError:
        if not used.get("traditional"):
            raise
    # The spans are still right for everything but Traditional/Simplified pairs; say so on the page.
    warnings.append("Traditional folding needs OpenCC (pip install 'dedup[zh]'); spans were aligned without it")
    return Settings.from_dict({**used, "traditional": False})


def _normalizer(run: Settings, config: Mapping[str, Any]) -> Normalizer:
    """The run's normaliser; an older report's ``normalizer`` block may state where spaces were kept."""
    block = config.get("normalizer")
    if isinstance(block, Mapping) and "keep_spaces" in block:
        return dataclasses.replace(run.normalizer, keep_spaces=bool(block["keep_spaces"]))
    return run.normalizer


def _jaccard(run: Settings, a: str, b: str) -> float | None:
    """Exact Jaccard of two normalised texts' shingle sets under the run's shingles."""
    import numpy as np

    from ._verify import overlap

    try:
        return float(overlap(run.shingler([a, b]), np.array([[0, 1]])).jaccard[0])
    except (ValueError, OSError, ImportError):
        return None


# ----------------------------------------------------------------------------- normalisation marks


def differences(normalizer: Normalizer, a_text: str, a0: int, a1: int, b_text: str, b0: int,
                b1: int) -> list[list[int]]:
    """Inside one aligned span, the characters that differ between the two sides, and why.

    Returns ``[side, start, end, reason]`` runs in document offsets (side 0 is a), where
    *reason* indexes ``MARKS``: ``width`` (full/half width), ``form`` (other compatibility
    forms), ``case``, ``script`` (Traditional/Simplified), ``digits``, ``ignored``
    (dropped by normalisation, e.g. punctuation) or ``edit`` (a small edit the span bridges).

    >>> differences(Normalizer(), "数据，ABC", 0, 6, "数据,abc", 0, 6)
    [[0, 2, 3, 0], [0, 3, 6, 2], [1, 2, 3, 0], [1, 3, 6, 2]]
    """
    sa, sb = a_text[a0:a1], b_text[b0:b1]
    if sa == sb:
        return []
    an, am = normalizer.with_offsets(sa)
    bn, bm = normalizer.with_offsets(sb)
    am_list, bm_list = am.tolist(), bm.tolist()
    runs: tuple[list[list[int]], list[list[int]]] = ([], [])

    def mark(side: int, at: int, end: int, reason: int) -> None:
        out = runs[side]
        start = (a0 if side == 0 else b0) + at
        stop = (a0 if side == 0 else b0) + end
        if out and out[-1][3] == reason and out[-1][2] >= start:
            out[-1][2] = max(out[-1][2], stop)
        else:
            out.append([side, start, stop, reason])

    i = j = 0
    while i < len(an) and j < len(bn):
        if an[i] == bn[j]:
            ca, cb = sa[am_list[i]], sb[bm_list[j]]
            if ca != cb:
                reason = _why(ca, cb, normalizer)
                mark(0, am_list[i], am_list[i] + 1, reason)
                mark(1, bm_list[j], bm_list[j] + 1, reason)
            i += 1
            j += 1
            continue
        step = _resync(an, i, bn, j)
        di, dj = step if step is not None else (len(an) - i, len(bn) - j)
        if di:
            mark(0, am_list[i], am_list[i + di - 1] + 1, MARKS.index("edit"))
        if dj:
            mark(1, bm_list[j], bm_list[j + dj - 1] + 1, MARKS.index("edit"))
        i, j = i + di, j + dj
    if i < len(an):
        mark(0, am_list[i], len(sa), MARKS.index("edit"))
    if j < len(bn):
        mark(1, bm_list[j], len(sb), MARKS.index("edit"))
    # Characters normalisation dropped on one side (punctuation with that option on), not spaces.
    for side, text, offsets in ((0, sa, am_list), (1, sb, bm_list)):
        kept = set(offsets)
        for at, ch in enumerate(text):
            if at not in kept and not ch.isspace():
                mark(side, at, at + 1, MARKS.index("ignored"))
    for out in runs:
        out.sort()
    return runs[0] + runs[1]


def _resync(an: str, i: int, bn: str, j: int) -> tuple[int, int] | None:
    """The nearest place after a difference where both normalised texts agree again (a few
    characters); the span's aligner bridged at most a small gap, so searching nearby suffices."""
    for total in range(1, 2 * _RESYNC_GAP + 1):
        for di in range(max(0, total - _RESYNC_GAP), min(total, _RESYNC_GAP) + 1):
            dj = total - di
            size = min(4, len(an) - i - di, len(bn) - j - dj)
            if size > 0 and an[i + di:i + di + size] == bn[j + dj:j + dj + size]:
                return di, dj
            if size <= 0 and i + di == len(an) and j + dj == len(bn):
                return di, dj
    return None


def _why(ca: str, cb: str, normalizer: Normalizer) -> int:
    na, nb = unicodedata.normalize("NFKC", ca), unicodedata.normalize("NFKC", cb)
    if na == nb:
        wide = {unicodedata.east_asian_width(ca), unicodedata.east_asian_width(cb)}
        return MARKS.index("width" if wide & {"F", "H"} else "form")
    if na.casefold() == nb.casefold():
        return MARKS.index("case")
    if normalizer.digits and na.isdecimal() and nb.isdecimal():
        return MARKS.index("digits")
    if normalizer.traditional:
        return MARKS.index("script")
    return MARKS.index("form")


# ------------------------------------------------------------------------------------- rendering


def render_html(payload: Mapping[str, Any]) -> str:
    """One self-contained HTML page showing *payload* (from ``html_payload``); its size is stated in it.

    >>> page = render_html({"summary": {}, "passages": [[0, 0, 1, 0, 17, "</script><b>x</b>", 0]]})
    >>> page.count("</script>"), "\\\\u003c/script\\\\u003e" in page
    (2, True)
    """
    data = json.dumps(_finite(payload), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # Inside <script> only "</" could end the element; escaping < > & (and the two line
    # separators JavaScript once rejected in strings) makes the JSON inert anywhere in HTML.
    data = (data.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    head, tail = _PAGE.split("__DEDUP_DATA__")
    rest = (data + tail).encode("utf-8")
    size = ""
    for _ in range(5):  # the size's own digits count too: settle on a stable statement
        stated = _size_text(len(head.replace(_SIZE_MARK, size, 1).encode("utf-8")) + len(rest))
        if stated == size:
            break
        size = stated
    return head.replace(_SIZE_MARK, size, 1) + data + tail


def _finite(value: Any) -> Any:
    """*value* with NaN and infinities as ``None``: JSON has no such numbers (an unverified
    similarity is NaN in a ``Result``).

    >>> _finite({"s": [float("nan"), 0.5]})
    {'s': [None, 0.5]}
    """
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _size_text(n: int) -> str:
    """A byte count for people.

    >>> _size_text(999), _size_text(123_456), _size_text(12_345_678)
    ('999 bytes', '123.5 kB', '12.3 MB')
    """
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def write_html(result: Any, path: str | Path, top: int = 500, *, source: str | None = None) -> None:
    """Write the HTML report of a ``Result`` (or a ``Cleaned``: its removals are counted) to *path*, atomically;
    *source* names the input on the page.

    >>> import pathlib, tempfile
    >>> from dedup import find_duplicates
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "r.html"
    >>> write_html(find_duplicates([("a", "同一段文字，出现了两次。"), ("b", "同一段文字，出现了两次。")]), page)
    >>> page.read_text("utf-8").startswith("<!DOCTYPE html>")
    True
    """
    from ._report import report_dict

    report = report_dict(result, spans=True, offsets=True)
    if source is not None:
        report["input"] = source
    texts = {d.id: d.text for d in (result.result if isinstance(result, Cleaned) else result).documents}
    atomic_write(Path(path), render_html(html_payload(report, texts, top=top)).encode("utf-8"))


def write_html_from_report(report_path: str | Path, html_path: str | Path,
                           corpus: str | Path | Mapping[str, str] | None = None, top: int = 500) -> None:
    """Write the HTML report of a saved ``--json`` report, reading the texts again; nothing is recomputed.

    The texts come from *corpus* (a folder, a table or folder of shards, a text file, or a mapping of
    document ids to texts) or else from the input the report names. Tables are read as the report's
    ``reading`` says (its text and id fields, as the scan read them). A document whose text no longer has
    the length the report recorded is an error (``ValueError``): its offsets would point at the wrong text.

    >>> import pathlib, tempfile
    >>> from dedup import find_duplicates, write_json
    >>> work = pathlib.Path(tempfile.mkdtemp())
    >>> (work / "corpus").mkdir()
    >>> for name in ("a.txt", "b.txt"):
    ...     _ = (work / "corpus" / name).write_text("同一段文字，出现了两次。\\n", "utf-8")
    >>> write_json(find_duplicates(work / "corpus"), work / "r.json", source=str(work / "corpus"))
    >>> write_html_from_report(work / "r.json", work / "r.html")
    >>> "b.txt" in (work / "r.html").read_text("utf-8")
    True
    """
    report = _saved_report(Path(report_path))
    documents = report["documents"]
    if isinstance(corpus, Mapping):
        texts = {d["id"]: corpus[d["id"]] for d in documents if d["id"] in corpus}
        missing = [d["id"] for d in documents if d["id"] not in corpus]
        if missing:
            raise UsageError(f"the corpus given lacks {len(missing)} documents of the report, e.g. {missing[0]}")
    else:
        root = _input_path(report, Path(report_path), corpus)
        from ._tabular import table_files

        reading = report.get("reading") or {}
        if table_files(root, reading.get("include")) is not None:
            texts = _table_texts(root, documents, reading)
        else:
            folder = root.parent if root.is_file() else root  # a report of one file: its id is the file name
            texts = {}
            for d in documents:
                path = folder / d["id"]
                try:
                    texts[d["id"]], _ = decode(path.read_bytes(), reading.get("encoding"))
                except OSError as exc:
                    raise UsageError(f"{path}: cannot read a document of the report ({exc.strerror or exc}); "
                                     f"give the corpus folder it was made from") from None
    for d in documents:
        if "chars" in d and len(texts[d["id"]]) != d["chars"]:
            raise UsageError(f"{d['id']}: has {len(texts[d['id']])} characters, the report says {d['chars']}; "
                             f"the file changed since the report was made")
    atomic_write(Path(html_path), render_html(html_payload(report, texts, top=top)).encode("utf-8"))


def _saved_report(path: Path) -> dict[str, Any]:
    """The ``--json`` report saved at *path*; ``InputError`` (exit 2) naming the file when it is not valid JSON or not
    such a report (of this schema)."""
    try:
        report = json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a dedup --json report (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a dedup --json report (not valid JSON: {exc})") from None
    needed = ("version", "config", "summary", "documents", "pairs", "clusters")
    if not isinstance(report, dict) or any(key not in report for key in needed):
        raise InputError(f"{path}: not a dedup --json report (it lacks {', '.join(needed)}); "
                         f"make one with: dedup CORPUS --json REPORT")
    if not isinstance(report.get("reading") or {}, dict):
        raise InputError(f"{path}: not a dedup --json report (its 'reading' is not an object)")
    if report["version"] != SCHEMA_VERSION:
        raise InputError(f"{path}: a report of schema version {report['version']!r}, this dedup reads "
                         f"{SCHEMA_VERSION}; make it again with: dedup CORPUS --json REPORT")
    return report


def _input_path(report: Mapping[str, Any], report_path: Path, corpus: str | Path | None) -> Path:
    """Where the report's texts are: *corpus*, or the input the report names (a relative one was relative to
    where the scan ran; failing that, to the report file)."""
    if corpus is not None:
        return Path(corpus)
    given = report.get("input")
    if not given:
        raise UsageError(f"{report_path}: the report does not name its input folder; give the corpus folder "
                         f"(corpus=, or dedup report --corpus PATH; write_json records it when given source=)")
    path = Path(given)
    if not path.is_absolute() and not path.exists() and (report_path.parent / path).exists():
        path = report_path.parent / path
    return path


def _table_texts(root: Path, documents: list[dict[str, Any]], reading: Mapping[str, Any]) -> dict[str, str]:
    """The texts of the report's *documents* from the table or folder of shards *root*, read as *reading* says."""
    scan = read_corpus(root, reading.get("include"), encoding=reading.get("encoding"),
                       text_field=reading.get("text_field") or "text", id_field=reading.get("id_field"))
    found = {d.id: d.text for d in scan.documents}
    missing = [d["id"] for d in documents if d["id"] not in found]
    if missing:
        raise UsageError(f"{root}: holds no row {missing[0]!r} of the report ({counted(len(missing), 'document')} "
                         f"missing); give the table it was made from with --corpus")
    return {d["id"]: found[d["id"]] for d in documents}


_PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>dedup report</title>
<style>
:root { --ink: #1d2125; --muted: #5f6b76; --line: #d9dee3; --bg: #f6f7f9; --card: #fff;
  --shared: #fff1a8; --repeat: #ffc2c2; --source: #cfe6ff; --accent: #1b5fb8;
  --cjk: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Serif CJK SC"; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg); line-height: 1.55; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Sans", sans-serif; }
.text { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Serif CJK SC", system-ui, sans-serif;
  white-space: pre-wrap; overflow-wrap: anywhere; }
header { background: #20262d; color: #f1f3f5; padding: 10px 20px; display: flex; gap: 16px;
  align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header .meta { color: #b8c1ca; font-size: 13px; }
nav { display: flex; gap: 2px; padding: 0 20px; background: #2c343c; flex-wrap: wrap; }
nav a { color: #d6dde4; text-decoration: none; padding: 8px 14px; font-size: 14px; }
nav a.on { background: var(--bg); color: var(--ink); border-radius: 6px 6px 0 0; }
main { padding: 16px 20px 60px; max-width: 1400px; margin: 0 auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 0 0 14px; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.stat b { display: block; font-size: 22px; }
.stat span { color: var(--muted); font-size: 13px; }
.muted { color: var(--muted); font-size: 13px; }
.warn { color: #9c3d00; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
tr.row { cursor: pointer; }
tr.row:hover, .member:hover { background: #eef4fb; }
.kind { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; color: #fff; white-space: nowrap; }
.kind-exact { background: #2b8a3e; } .kind-near { background: #1864ab; } .kind-contained { background: #862e9c; }
.kind-linked { background: #868e96; } .kind-kept { background: #e67700; }
.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: center; }
.filters input[type=number] { width: 70px; }
.filters input[type=search], .filters input[type=text] { width: 200px; }
.pager { display: flex; gap: 8px; align-items: center; margin: 10px 0; }
button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid var(--line); background: #fff;
  border-radius: 5px; cursor: pointer; }
button:disabled { opacity: .4; cursor: default; }
.cluster h3 { margin: 0 0 6px; font-size: 15px; }
.member { display: grid; grid-template-columns: 110px 210px 1fr; gap: 10px; padding: 4px 6px; border-radius: 5px;
  cursor: pointer; }
.member.kept { background: #fff8e6; cursor: default; }
.clip { display: -webkit-box; -webkit-line-clamp: 3; line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
.where { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace, var(--cjk); font-size: 12.5px;
  overflow-wrap: anywhere; }
.aligned td { width: 50%; }
.aligned tr.shared td { background: var(--shared); }
.aligned tr.only td { color: var(--muted); }
.aligned td.num { width: 2.5em; color: var(--muted); font-size: 12px; text-align: right; }
mark { background: transparent; color: inherit; }
mark.diff { border-bottom: 2px dotted #d9480f; background: #ffe3c2; }
mark.diff-edit { border-bottom: 2px solid #c92a2a; background: #ffd0d0; }
mark.diff-ignored { text-decoration: line-through; background: #e9ecef; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 13px; margin: 6px 0; }
.sw { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; margin-right: 4px;
  border: 1px solid #0002; }
.minimap { position: relative; height: 18px; background: #e9ecef; border-radius: 4px; margin: 8px 0;
  overflow: hidden; }
.minimap div { position: absolute; top: 0; bottom: 0; }
.minimap .r { background: #e03131; } .minimap .s { background: #4dabf7; top: 9px; }
.doctext { max-height: 70vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px;
  padding: 10px 12px; background: #fff; }
mark.repeat { background: var(--repeat); cursor: pointer; } mark.source { background: var(--source); }
mark.flash { outline: 3px solid #f08c00; }
.heat td.cell { text-align: center; font-size: 12px; cursor: pointer; min-width: 54px; }
.heat th.col { writing-mode: vertical-rl; transform: rotate(180deg); max-height: 180px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; font-weight: 500; }
.heat th.rowh { max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 500; }
.back { margin-bottom: 10px; }
</style>
</head>
<body>
<header><h1>dedup report</h1><span class="meta" id="input"></span>
<span class="meta">This file: <span id="filesize">__DEDUP_FILE_SIZE__</span>, self-contained (opens offline)</span>
</header>
<nav id="tabs"></nav>
<main>
<div id="filterbar" class="card" hidden></div>
<div id="view"></div>
<noscript><p>This report needs JavaScript to show its data.</p></noscript>
</main>
<script type="application/json" id="dedup-data">__DEDUP_DATA__</script>
<script>
(function () {
"use strict";
const D = JSON.parse(document.getElementById("dedup-data").textContent);
const KINDS = D.kinds || ["exact", "near", "contained", "linked"];
const MARKS = D.marks || [];
const MARK_NAMES = {width: "full/half width", form: "compatibility form", case: "letter case",
  script: "Traditional/Simplified", digits: "digits", ignored: "ignored by normalisation", edit: "edited"};
const P = D.passages || [], DOCS = D.docs || [], PAIRS = D.pairs || [], CMP = D.comparisons || [];
const CLUSTERS = D.clusters || [], S = D.summary || {}, L = D.limits || {};
const view = document.getElementById("view"), bar = document.getElementById("filterbar");
const ALL_KINDS = ["exact", "near", "contained", "linked"];
const state = {kinds: new Set(ALL_KINDS), min: 0, max: 1, doc: "", doc2: "", q: "", sort: "order",
  page: {pairs: 0, clusters: 0}};
const fmt = new Intl.NumberFormat("en");

function el(tag, props, ...kids) {
  // Every string becomes a text node or an attribute value: corpus text is never parsed as HTML.
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
  }
  for (const c of kids.flat()) if (c != null && c !== false) e.append(typeof c === "number" ? String(c) : c);
  return e;
}
const n = (x) => fmt.format(x);
const pct = (x) => (x == null ? "–" : (100 * x).toFixed(1) + "%");
const num2 = (x) => (x == null ? "–" : Number(x).toFixed(2));
const docName = (d) => (DOCS[d] ? DOCS[d][0] : "?");
const where = (p) => docName(P[p][0]) + ":" + (P[p][2] == null ? "#" + P[p][1] : P[p][2]);
const ptext = (p) => (P[p][5] == null ? "" : P[p][5]);
const kindBadge = (k) => el("span", {class: "kind kind-" + k, text: k});
function snippet(text, size) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > size ? flat.slice(0, size - 1) + "…" : flat;
}
const backButton = (label, hash) => el("div", {class: "back"}, el("button", {onclick: () => {
  if (history.length > 1) history.back(); else location.hash = hash; }}, label));

// ------------------------------------------------------------------------------------ filters
const lower = new Map();
function hay(p) {
  let h = lower.get(p);
  if (h === undefined) { h = (ptext(p) + "\n" + docName(P[p][0])).toLowerCase(); lower.set(p, h); }
  return h;
}
const docIds = new Set(DOCS.map((d) => d[0]));
function docMatch(p, value) {
  // A whole document id matches that document only; anything else matches as part of ids.
  if (!value) return true;
  const id = docName(P[p][0]);
  return docIds.has(value) ? id === value : id.toLowerCase().includes(value.toLowerCase());
}
const simOk = (s) => s == null || (s >= state.min - 1e-9 && s <= state.max + 1e-9);
function pairMatches(r) {
  if (!state.kinds.has(KINDS[r[5]]) || !simOk(r[2])) return false;
  const [a, b] = r, d1 = state.doc, d2 = state.doc2;
  if ((d1 || d2) && !((docMatch(a, d1) && docMatch(b, d2)) || (docMatch(b, d1) && docMatch(a, d2)))) return false;
  if (state.q) {
    const q = state.q.toLowerCase();
    if (!hay(a).includes(q) && !hay(b).includes(q)) return false;
  }
  return true;
}
function clusterMatches(c) {
  const rows = c[2];
  if (!rows.some((m) => m[3] != null && state.kinds.has(KINDS[m[2]]) && simOk(m[1]))) return false;
  if (state.doc && !rows.some((m) => docMatch(m[0], state.doc))) return false;
  if (state.doc2 && !rows.some((m) => docMatch(m[0], state.doc2))) return false;
  if (state.q) {
    const q = state.q.toLowerCase();
    if (!rows.some((m) => hay(m[0]).includes(q))) return false;
  }
  return true;
}
function buildFilterBar() {
  const boxes = ALL_KINDS.map((k) => el("label", null, el("input", {type: "checkbox", name: "kind", value: k,
    checked: state.kinds.has(k), onchange: (e) => {
      if (e.target.checked) state.kinds.add(k); else state.kinds.delete(k);
      refilter();
    }}), " ", kindBadge(k)));
  const number = (key, label) => el("label", null, label + " ", el("input", {type: "number", name: key, min: 0,
    max: 1, step: 0.05, value: state[key], oninput: (e) => {
      const v = parseFloat(e.target.value);
      state[key] = isNaN(v) ? (key === "min" ? 0 : 1) : v;
      refilter();
    }}));
  // Typing pauses 120 ms before the lists are filtered again, then every text box is read.
  let timer = null;
  const typed = () => {
    for (const box of bar.querySelectorAll("input[data-text]")) state[box.name] = box.value.trim();
    refilter();
  };
  const text = (key, label, type, hint) => el("label", null, label + " ", el("input", {type: type, name: key,
    "data-text": true, value: state[key], list: type === "text" ? "doclist" : null, placeholder: hint,
    oninput: () => { clearTimeout(timer); timer = setTimeout(typed, 120); }}));
  const reset = () => {
    Object.assign(state, {kinds: new Set(ALL_KINDS), min: 0, max: 1, doc: "", doc2: "", q: ""});
    buildFilterBar();
    refilter();
  };
  bar.replaceChildren(el("div", {class: "filters"}, el("span", {class: "muted", text: "kind"}), boxes,
    el("span", {class: "muted", text: "similarity"}), number("min", "from"), number("max", "to"),
    text("doc", "document", "text", "any"), text("doc2", "with", "text", "any"),
    text("q", "search", "search", "text in either passage"), el("button", {onclick: reset}, "reset"),
    el("span", {id: "count", class: "muted"})),
  el("datalist", {id: "doclist"}, DOCS.slice(0, 5000).map((d) => el("option", {value: d[0]}))));
}
function refilter() { state.page.pairs = 0; state.page.clusters = 0; route(); }
function refilterTo(hash) {
  state.page.pairs = 0; state.page.clusters = 0;
  if (location.hash === hash) route(); else location.hash = hash;
}
function setCount(shown, embedded, what, limit) {
  const c = document.getElementById("count");
  if (c) c.textContent = n(shown) + " of " + n(embedded) + " " + what + " shown" +
    (limit && limit[1] > limit[0] ? " (" + n(limit[1]) + " in the report)" : "");
}

// -------------------------------------------------------------------------------------- views
const TABS = [["summary", "Summary"], ["clusters", "Clusters"], ["pairs", "Pairs"], ["documents", "Documents"],
  ["boilerplate", "Boilerplate"]];
function tabs(active) {
  const counts = {clusters: S.clusters, pairs: S.pairs_listed,
    boilerplate: (D.boilerplate || {}).total};
  document.getElementById("tabs").replaceChildren(...TABS.map(([id, label]) => el("a", {href: "#" + id,
    id: "tab-" + id, class: id === active ? "on" : null},
  label + (counts[id] != null ? " (" + n(counts[id]) + ")" : ""))));
}
function pager(total, size, key) {
  const pages = Math.max(1, Math.ceil(total / size)), page = Math.min(state.page[key], pages - 1);
  state.page[key] = page;
  const go = (p) => { state.page[key] = p; route(); window.scrollTo(0, 0); };
  return el("div", {class: "pager"}, el("button", {disabled: page === 0, onclick: () => go(page - 1)}, "‹ previous"),
    el("span", {class: "muted", text: "page " + (page + 1) + " of " + pages}),
    el("button", {disabled: page >= pages - 1, onclick: () => go(page + 1)}, "next ›"));
}

function summaryView() {
  const stat = (value, label) => el("div", {class: "stat"}, el("b", {text: value}), el("span", {text: label}));
  const kinds = S.kinds || {}, removed = S.removed_passages != null;
  const pairs = (S.pairs_listed < S.pairs ? n(S.pairs_listed) + " listed: " : "") +
    ["exact", "near", "contained"].map((k) => n(kinds[k] || 0) + " " + k).join(", ");
  const unread = S.skipped ? [n(S.errors || 0) + " / " + n(S.skipped), "errors / skipped files"]
    : [n(S.errors || 0), "files that could not be read"];
  const cards = [el("div", {class: "card"}, el("div", {class: "stats", id: "summary"},
    stat(n(S.documents || 0), "documents"), stat(n(S.passages || 0), "passages"),
    stat(n(S.clusters || 0), "clusters of duplicates"), stat(n(S.pairs || 0), "verified pairs: " + pairs),
    stat(removed ? n(S.removed_passages) : "–",
      "passages cleaning would remove" + (removed ? "" : " (not stated by this report)")),
    stat(pct(S.removed_share), "of the characters" +
      (removed ? " (" + n(S.removed_chars || 0) + " of " + n(S.chars || 0) + ")" : "")),
    stat(n(S.boilerplate || 0), "boilerplate passages" +
      (S.boilerplate_clusters != null ? " (" + n(S.boilerplate_clusters) + " clusters)" : "")),
    stat(unread[0], unread[1])))];
  const shown = [];
  if (L.clusters) shown.push(n(L.clusters[0]) + " of " + n(L.clusters[1]) + " clusters (largest first)");
  if (L.pairs) shown.push(n(L.pairs[0]) + " of " + n(L.pairs[1]) + " pairs");
  const more = L.clusters && L.clusters[1] > L.clusters[0] ? el("span", {class: "warn",
    text: " " + n(L.clusters[1] - L.clusters[0]) + " more clusters are not embedded (see the JSON report)."}) : null;
  cards.push(el("div", {class: "card", id: "limits"}, el("b", {text: "In this file: "}), shown.join(", ") + ".", more,
    el("div", {class: "muted", text: "Pairs embedded: those within the clusters shown, then the largest other " +
      "matches. Each cluster shows up to " + n(L.members || 0) + " members; passages longer than " +
      n(L.passage_chars || 0) + " characters are cut."})));
  for (const w of D.warnings || []) cards.push(el("div", {class: "card warn", text: w}));
  if ((D.errors || []).length) {
    cards.push(el("div", {class: "card", id: "errors"}, el("b", {text: "Files that could not be read"}),
      el("table", null, D.errors.map((e) => el("tr", null, el("td", {class: "where", text: e.path}),
        el("td", {text: e.error}))))));
  }
  const settings = Object.entries(D.settings || {}).map(([k, v]) => el("tr", null, el("td", {class: "where", text: k}),
    el("td", {class: "where", text: typeof v === "object" ? JSON.stringify(v) : String(v)})));
  cards.push(el("details", {class: "card"}, el("summary", null, "Settings of the run"), el("table", null, settings)));
  view.replaceChildren(...cards);
}

function pairsView() {
  const rows = [];
  for (let i = 0; i < PAIRS.length; i++) if (pairMatches(PAIRS[i])) rows.push(i);
  const inside = (r) => Math.max(r[3] || 0, r[4] || 0);
  if (state.sort === "similarity") rows.sort((x, y) => (PAIRS[y][2] || 0) - (PAIRS[x][2] || 0));
  if (state.sort === "containment") rows.sort((x, y) => inside(PAIRS[y]) - inside(PAIRS[x]));
  setCount(rows.length, PAIRS.length, "pairs", L.pairs);
  const size = 100, top = pager(rows.length, size, "pairs"), first = state.page.pairs * size;
  const body = rows.slice(first, first + size).map((i) => {
    const r = PAIRS[i];
    return el("tr", {class: "row pair", "data-pair": i, "data-kind": KINDS[r[5]],
      onclick: () => { location.hash = "#pair/p" + i; }},
    el("td", null, kindBadge(KINDS[r[5]])), el("td", {text: num2(r[2])}),
    el("td", {text: pct(r[3]) + " / " + pct(r[4])}),
    el("td", {class: "where", text: where(r[0])}), el("td", {class: "where", text: where(r[1])}),
    el("td", {class: "text clip", text: snippet(ptext(r[0]), 90)}));
  });
  const orders = [["order", "in corpus order"], ["similarity", "similarity, highest first"],
    ["containment", "containment, highest first"]];
  const sort = el("select", {name: "sort", onchange: (e) => { state.sort = e.target.value; route(); }},
    orders.map(([v, t]) => el("option", {value: v, selected: state.sort === v}, t)));
  const head = el("tr", null,
    ["kind", "similarity", "containment", "a", "b", "text of a"].map((h) => el("th", {text: h})));
  view.replaceChildren(el("div", {class: "card"}, el("div", {class: "muted"}, "order: ", sort,
    " · similarity: Jaccard similarity of the shingle sets; containment: share of a found in b / of b found in a"),
  top, el("table", {id: "pairs"}, head, body), rows.length > size ? pager(rows.length, size, "pairs") : null));
}

function clustersView() {
  const rows = [];
  for (let i = 0; i < CLUSTERS.length; i++) if (clusterMatches(CLUSTERS[i])) rows.push(i);
  setCount(rows.length, CLUSTERS.length, "clusters", L.clusters);
  const size = 30, top = pager(rows.length, size, "clusters"), first = state.page.clusters * size;
  const member = ([p, sim, kind, ref]) => {
    const kept = ref === null, open = () => { location.hash = ref >= 0 ? "#pair/p" + ref : "#pair/c" + (-ref - 1); };
    const linked = typeof ref === "number";
    return el("div", {class: "member" + (kept ? " kept" : ""), onclick: linked ? open : null,
      title: kept ? "the passage this cluster keeps" : linked ? "compare with the kept passage" : null},
    el("div", null, kept ? kindBadge("kept") : [kindBadge(KINDS[kind]), " ", el("span", {text: num2(sim)})]),
    el("div", {class: "where", text: where(p)}), el("div", {class: "text clip", text: ptext(p)}));
  };
  const cards = rows.slice(first, first + size).map((i) => {
    const [, total, members] = CLUSTERS[i];
    const partial = total > members.length
      ? el("span", {class: "muted", text: " (" + n(members.length) + " shown)"}) : null;
    return el("div", {class: "card cluster", "data-cluster": i},
      el("h3", null, "Cluster " + (i + 1) + " · " + n(total) + " passages", partial), members.map(member));
  });
  view.replaceChildren(el("div", null, top, cards, rows.length > size ? pager(rows.length, size, "clusters") : null));
}

function marked(text, base, from, to, marks) {
  // text[from - base, to - base) with the normalisation differences inside it marked.
  const out = [];
  let at = from;
  for (const [s, e, why] of marks) {
    if (e <= at || s >= to) continue;
    const s2 = Math.max(s, at), e2 = Math.min(e, to), name = MARKS[why] || "form";
    if (s2 > at) out.push(text.slice(at - base, s2 - base));
    out.push(el("mark", {class: "diff diff-" + name, "data-why": name, title: MARK_NAMES[name] || name},
      text.slice(s2 - base, e2 - base)));
    at = e2;
  }
  if (at < to) out.push(text.slice(at - base, to - base));
  return out;
}

function pairView(which, i) {
  const r = (which === "c" ? CMP : PAIRS)[i];
  if (!r) { view.replaceChildren(el("p", {text: "No such pair in this file."})); return; }
  const [pa, pb, sim, cab, cba, k, spans, marks] = r;
  const A = P[pa], B = P[pb], at = ptext(pa), bt = ptext(pb), aEnd = A[3] + at.length, bEnd = B[3] + bt.length;
  const side = (s) => marks.filter((m) => m[0] === s).map((m) => [m[1], m[2], m[3]]);
  const am = side(0), bm = side(1), rows = [];
  // Rows in the order of a: what only one side has, then each shared span next to its counterpart.
  let ca = A[3], cb = B[3], num = 0;
  const gap = (a0, b0) => {
    const x = Math.min(a0, aEnd), y = Math.min(b0, bEnd);
    if (x > ca || y > cb) {
      rows.push(el("tr", {class: "only"}, el("td", {class: "num"}),
        el("td", {class: "text", text: x > ca ? at.slice(ca - A[3], x - A[3]) : ""}),
        el("td", {class: "text", text: y > cb ? bt.slice(cb - B[3], y - B[3]) : ""})));
    }
    ca = Math.max(ca, x); cb = Math.max(cb, y);
  };
  for (const [a0, a1, b0, b1] of spans) {
    gap(a0, b0);
    const x0 = Math.max(a0, ca), x1 = Math.min(a1, aEnd), y0 = Math.max(b0, B[3]), y1 = Math.min(b1, bEnd);
    num += 1;
    rows.push(el("tr", {class: "shared", "data-span": num}, el("td", {class: "num", text: String(num)}),
      el("td", {class: "text span-a", "data-start": a0, "data-end": a1}, x1 > x0 ? marked(at, A[3], x0, x1, am) : ""),
      el("td", {class: "text span-b", "data-start": b0, "data-end": b1}, y1 > y0 ? marked(bt, B[3], y0, y1, bm) : "")));
    ca = Math.max(ca, x1); cb = Math.max(cb, y1);
  }
  gap(aEnd, bEnd);
  const sharedA = spans.reduce((t, s) => t + (s[1] - s[0]), 0);
  const swatch = (color, label) => el("span", null, el("span", {class: "sw", style: "background:" + color}), label);
  const head = el("div", {class: "card"}, backButton("‹ back", "#pairs"),
    el("div", null, kindBadge(KINDS[k]), " similarity ", el("b", {text: num2(sim)}),
      " · a in b ", el("b", {text: pct(cab)}),
      " · b in a ", el("b", {text: pct(cba)}), " · ", el("span", {text: spans.length + " shared span" +
        (spans.length === 1 ? "" : "s") + ", " + n(sharedA) + " of a's " + n(A[4] - A[3]) + " characters"})),
    which === "c" ? el("div", {class: "muted",
      text: "Not a reported pair: the kept passage and this member of its cluster, compared here."}) : null,
    el("div", {class: "legend"}, swatch("var(--shared)", "shared (aligned)"),
      swatch("#ffe3c2", "same after normalisation (width, case, script…)"),
      swatch("#ffd0d0", "edited inside a shared span"), el("span", {class: "muted"}, "grey rows: only on one side")));
  const cut = (p) => (P[p][6] > 0 ? el("div", {class: "muted warn",
    text: "(" + n(P[p][6]) + " more characters of " + where(p) + " not embedded)"}) : null);
  const title = (label, p, X) => el("th", {class: "where", text: label + where(p) + "  [" + X[3] + ", " + X[4] + ")"});
  const table = el("table", {class: "aligned", id: "aligned"},
    el("tr", null, el("th"), title("a: ", pa, A), title("b: ", pb, B)), rows);
  view.replaceChildren(head, el("div", {class: "card"}, table, cut(pa), cut(pb)));
}

function documentsView() {
  const R = D.repeats || {docs: [], total: 0}, O = D.overlaps || {matrix: [], cells: [], list: [], total: 0};
  const header = el("tr", null, ["document", "repeats earlier text", "spans", "map"].map((h) => el("th", {text: h})));
  const line = (r, i) => el("tr", {class: "row repeat-doc", "data-doc": docName(r.doc),
    onclick: () => { location.hash = "#doc/" + i; }},
  el("td", {class: "where", text: docName(r.doc)}), el("td", null, el("b", {text: pct(r.share)}), " of its characters"),
  el("td", {text: n(r.spans.length)}), el("td", {style: "width:30%"}, minimap(r)));
  const rep = el("div", {class: "card", id: "repeats"}, el("h3", {text: "Documents that repeat themselves"}),
    R.total > R.docs.length ? el("div", {class: "muted",
      text: n(R.docs.length) + " of " + n(R.total) + " shown (most repeated text first)"}) : null,
    R.docs.length ? el("table", null, header, R.docs.map(line)) : el("p", {class: "muted", text: "None."}));
  view.replaceChildren(rep, overlapCard(O));
}

function overlapCard(O) {
  const docs = O.matrix, at = new Map(docs.map((d, i) => [d, i])), grid = docs.map(() => docs.map(() => null));
  for (const [a, b, ab, ba] of O.cells) { grid[at.get(a)][at.get(b)] = ab; grid[at.get(b)][at.get(a)] = ba; }
  const heat = (v) => "background:hsl(8,75%," + (97 - 50 * Math.min(1, Math.sqrt(v))).toFixed(0) + "%)";
  const filterPairs = (a, b) => {
    Object.assign(state, {doc: docName(a), doc2: docName(b)});
    buildFilterBar();
    refilterTo("#pairs");
  };
  const cell = (d, e, v) => v == null ? el("td", {class: "cell"}) : el("td", {class: "cell", style: heat(v),
    "data-a": docName(d), "data-b": docName(e), title: pct(v) + " of " + docName(d) + " is found in " + docName(e),
    text: pct(v), onclick: () => filterPairs(d, e)});
  const matrix = docs.length < 2 ? null : el("table", {class: "heat", id: "overlap-matrix", style: "width:auto"},
    el("tr", null, el("th", {class: "muted", text: "share of row found in column"}),
      docs.map((d) => el("th", {class: "col", title: docName(d), text: docName(d)}))),
    docs.map((d, i) => el("tr", null, el("th", {class: "rowh", title: docName(d), text: docName(d)}),
      docs.map((e, j) => (i === j ? el("td", {class: "cell muted", text: "·"}) : cell(d, e, grid[i][j]))))));
  const list = el("table", {id: "overlaps"},
    el("tr", null, ["a", "b", "share of a found in b", "of b found in a"].map((h) => el("th", {text: h}))),
    O.list.map(([a, b, ab, ba]) => el("tr", {class: "row overlap", onclick: () => filterPairs(a, b)},
      el("td", {class: "where", text: docName(a)}), el("td", {class: "where", text: docName(b)}),
      el("td", {text: pct(ab)}), el("td", {text: pct(ba)}))));
  return el("div", {class: "card"}, el("h3", {text: "Documents that share text"}),
    O.total > O.list.length
      ? el("div", {class: "muted", text: n(O.list.length) + " of " + n(O.total) + " listed"}) : null,
    matrix, O.list.length ? list : el("p", {class: "muted", text: "None."}));
}

function minimap(r) {
  const total = Math.max(1, DOCS[r.doc][1]);
  const box = el("div", {class: "minimap", "data-chars": total, title: "red: repeated text; blue: what it repeats"});
  // Unions of the intervals (closing gaps under 0.2%): one bar per run, however many spans there are.
  const union = (list) => {
    const out = [];
    for (const [s, e] of list.sort((x, y) => x[0] - y[0])) {
      const last = out[out.length - 1];
      if (last && s <= last[1] + total / 500) last[1] = Math.max(last[1], e); else out.push([s, e]);
    }
    return out;
  };
  const piece = (cls, s, e) => el("div", {class: cls,
    style: "left:" + (100 * s / total) + "%;width:" + Math.max(0.2, 100 * (e - s) / total) + "%"});
  box.append(...union(r.spans.map((x) => [x[2], x[3]])).map(([s, e]) => piece("s", s, e)),
    ...union(r.spans.map((x) => [x[0], x[1]])).map(([s, e]) => piece("r", s, e)));
  return box;
}

function docView(i) {
  const r = (D.repeats || {docs: []}).docs[i];
  if (!r) { view.replaceChildren(el("p", {text: "No such document in this file."})); return; }
  const text = r.text || "", len = text.length;
  // Sweep the repeat and source intervals into runs of text that are repeated, a source, or plain.
  const cuts = new Set([0, len]);
  for (const [s, e, ss, se] of r.spans) for (const x of [s, e, ss, se]) if (x > 0 && x < len) cuts.add(x);
  const points = [...cuts].sort((x, y) => x - y);
  const rep = new Int32Array(points.length), src = new Int32Array(points.length), first = new Map();
  const idx = (x) => {
    let lo = 0, hi = points.length - 1;
    while (lo < hi) { const m = (lo + hi) >> 1; if (points[m] < x) lo = m + 1; else hi = m; }
    return lo;
  };
  r.spans.forEach(([s, e, ss, se], k) => {
    for (let j = idx(Math.min(s, len)); j < idx(Math.min(e, len)); j++) {
      rep[j] += 1;
      if (!first.has(j)) first.set(j, k);
    }
    for (let j = idx(Math.min(ss, len)); j < idx(Math.min(se, len)); j++) src[j] += 1;
  });
  const pieces = [], targets = [];
  for (let j = 0; j + 1 < points.length; j++) {
    const s = points[j], e = points[j + 1], chunk = text.slice(s, e);
    if (rep[j]) {
      const sp = r.spans[first.get(j)], of = sp[2] + (s - sp[0]);
      const m = el("mark", {class: "repeat", "data-start": s, "data-end": e, "data-of": of,
        title: "repeats [" + sp[2] + ", " + sp[3] + ") (" + sp[4] + ")", onclick: () => jump(of)}, chunk);
      targets.push([s, m]); pieces.push(m);
    } else if (src[j]) {
      const m = el("mark", {class: "source", "data-start": s, "data-end": e}, chunk);
      targets.push([s, m]); pieces.push(m);
    } else pieces.push(chunk);
  }
  function jump(offset) {
    const hit = targets.filter(([s]) => s <= offset).pop() || targets[0];
    if (!hit) return;
    hit[1].scrollIntoView({block: "center"});
    hit[1].classList.add("flash");
    setTimeout(() => hit[1].classList.remove("flash"), 1200);
  }
  const map = minimap(r);
  // A click on the map scrolls the text to that place.
  map.style.cursor = "pointer";
  map.addEventListener("click", (e) => {
    const box = map.getBoundingClientRect();
    jump(Math.floor((e.clientX - box.left) / box.width * DOCS[r.doc][1]));
  });
  view.replaceChildren(el("div", {class: "card"}, backButton("‹ documents", "#documents"),
    el("h3", {class: "where", text: docName(r.doc)}),
    el("div", null, el("b", {text: pct(r.share)}), " of its " + n(DOCS[r.doc][1]) + " characters repeat earlier " +
      "text of the same document, in " + n(r.spans.length) + " spans. ",
    el("span", {class: "muted", text: "Red: the repeat; blue: what it repeats (click a repeat to see its source)."})),
    map, r.cut ? el("div", {class: "muted warn",
      text: "(the last " + n(r.cut) + " characters are not embedded)"}) : null,
    el("div", {class: "doctext text", id: "doctext"}, pieces)));
}

function boilerplateView() {
  const B = D.boilerplate || {groups: [], total: 0, flagged: 0};
  const about = n(B.flagged) + " short passages recur across documents (mastheads, dates, page references); " +
    "they are kept apart from the clusters. " + n(B.total) + " distinct texts" +
    (B.total > B.groups.length ? ", " + n(B.groups.length) + " shown." : ".");
  const places = (count, at) => at.map(([d, line]) => docName(d) + ":" + line).join(", ") +
    (count > at.length ? ", …" : "");
  view.replaceChildren(el("div", {class: "card", id: "boilerplate"}, el("div", {class: "muted", text: about}),
    el("table", null, el("tr", null, ["times", "text", "where"].map((h) => el("th", {text: h}))),
      B.groups.map(([text, count, at]) => el("tr", null, el("td", {text: n(count)}),
        el("td", {class: "text", text: text == null ? "?" : text}),
        el("td", {class: "where", text: places(count, at)}))))));
}

function route() {
  const t0 = performance.now();
  const [name, arg] = (location.hash.replace(/^#/, "") || "summary").split("/");
  tabs(name === "pair" ? "pairs" : name === "doc" ? "documents" : name);
  bar.hidden = !(name === "pairs" || name === "clusters");
  if (name === "pairs") pairsView();
  else if (name === "clusters") clustersView();
  else if (name === "pair") pairView((arg || "p")[0], Number((arg || "").slice(1)));
  else if (name === "documents") documentsView();
  else if (name === "doc") docView(Number(arg));
  else if (name === "boilerplate") boilerplateView();
  else summaryView();
  window.dedupRenderMs = performance.now() - t0;
}

document.getElementById("input").textContent = (D.input ? D.input + " · " : "") + n(S.documents || 0) + " documents";
buildFilterBar();
window.addEventListener("hashchange", route);
route();
window.dedupReady = performance.now();
})();
</script>
</body>
</html>
"""
