"""Turn a result into what people and programs read: a text report and a JSON document."""

from __future__ import annotations

import json
import os
import re
from typing import Any, TextIO

import numpy as np

from ._arrays import distinct
from ._clean import Cleaned, clean, planned_cuts
from ._documents import PairSpans, document_overlaps, repeat_share, self_repeats
from ._errors import UsageError
from ._output import text_file
from ._read import reader_codec
from ._result import Kind, Result

__all__ = ["SCHEMA_VERSION", "SHOWN_ERRORS", "counted", "report_dict", "write_json", "write_text_report"]

SCHEMA_VERSION = 2
_SURROGATE = re.compile("[\ud800-\udfff]")
_SNIPPET = 40


def report_dict(result: Result | Cleaned, spans: bool = False, all_pairs: bool = False,
                source: str | None = None, *, offsets: bool = False,
                reading: dict[str, Any] | None = None) -> dict[str, Any]:
    """The machine-readable report: version, config, summary, documents, pairs, clusters, errors.

    ``pairs`` is linear in the input: each cluster member's pair with the passage its cluster
    keeps, every ``contained`` relation and every pair across clusters, but not the other
    pairs inside a cluster (k equal passages give k-1 pairs, not k(k-1)/2); *all_pairs* lists
    every verified pair. Each cluster member carries its similarity and kind to the kept
    passage. With *spans*, each pair also carries its aligned shared spans, and two more keys
    describe documents: ``self_repeats`` and ``document_overlaps``; at ``unit="document"``
    ``self_repeats`` is there without *spans* too (repeated paragraphs: no alignment). *source* names
    the input; *reading* says how it was read (``include``, ``encoding``, ``text_field``, ``id_field``: what
    ``dedup report`` needs to read a table's texts again; null when not given).

    The summary counts what cleaning removes (``removed_passages``, ``removed_chars``) and says at which
    ``level`` and ``scope``: a ``Cleaned`` given for *result* counts its own removals (those a run made, at
    its level), a ``Result`` what ``clean(result)`` removes at its defaults. A passage is named by document, index and line, in pairs also by its
    ``[start, end)`` offsets; with *offsets*, in clusters and boilerplate too (the HTML page
    reads passages by them: sentences share lines).

    >>> from dedup import find_duplicates
    >>> report = report_dict(find_duplicates([("a", "同一段文字，出现了两次。"), ("b", "同一段文字，出现了两次。")]))
    >>> report["summary"]["pairs"], report["clusters"][0]["kept"], report["pairs"][0]["kind"]
    (1, {'doc': 'a', 'index': 0, 'line': 1}, 'exact')
    """
    _check_run(result)
    if isinstance(result, Cleaned):
        cleaning = {"level": result.level, "scope": result.scope}
        removed_passages, removed_chars = len(result.removed), result.chars_removed
        result = result.result
    else:
        cleaning = {"level": "near", "scope": "corpus"}
        removed_passages, removed_chars = _removals(result)
    counts = np.bincount(result.passages.doc_pos, minlength=len(result.documents))
    rows = np.arange(len(result.pair_index)) if all_pairs else reported_pairs(result)
    assignment = result.assignment
    p = result.passages
    members = result.cluster_members()
    boilerplate = np.flatnonzero(result.boilerplate)
    locator = _Locator(result, np.concatenate([result.pair_index[rows].ravel(), boilerplate, *members]))
    locate = locator.span if offsets else locator
    report: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "input": source,
        "reading": reading,
        "config": result.config,
        "summary": {"documents": len(result.documents), "passages": len(p), "clusters": len(result.clusters),
                    "boilerplate_clusters": len(result.boilerplate_clusters),
                    "duplicates": int((assignment.duplicate_of >= 0).sum()), "removed_passages": removed_passages,
                    "removed_chars": removed_chars, "cleaning": cleaning, "pairs": len(result.pair_index),
                    "pairs_listed": len(rows), "errors": len(result.errors),
                    "skipped": len(result.skipped)},
        "documents": [{"id": d.id, "passages": int(n), "chars": len(d.text), "text_chars": int(t),
                       "encoding": reader_codec(d.encoding)}
                      for d, n, t in zip(result.documents, counts, result.text_chars.tolist())],
        "pairs": _pair_rows(result, rows, locator),
        "clusters": [{"number": number, "kept": locate(int(group[np.argmin(result.keep_rank[group])])),
                      "members": [{**locate(m), **_to_kept(result, m)} for m in group.tolist()]}
                     for number, group in enumerate(members, start=1)],
        "errors": [{"path": e.path, "error": e.error} for e in result.errors],
        "skipped": list(result.skipped),
        "boilerplate": [locate(i) for i in boilerplate.tolist()],
    }
    if spans:
        aligned = PairSpans(result)  # one alignment per pair, shared by the three views below
        found = aligned.rows(rows.tolist())
        for r, pair in zip(rows.tolist(), report["pairs"]):
            pair["spans"] = [{"a": [s.a_start, s.a_end], "b": [s.b_start, s.b_end]} for s in found[r]]
        report["self_repeats"] = _repeat_rows(result, self_repeats(result, spans=aligned))
        report["document_overlaps"] = [{"a": o.a, "b": o.b, "share_a_in_b": round(o.share_a_in_b, 6),
                                        "share_b_in_a": round(o.share_b_in_a, 6)}
                                       for o in document_overlaps(result, spans=aligned)]
    elif result.settings.unit == "document":  # repeated paragraphs need no alignment: always there
        report["self_repeats"] = _repeat_rows(result, self_repeats(result))
    return report


def _repeat_rows(result: Result, repeats: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """``self_repeats`` as the JSON report's rows."""
    return [{"doc": doc, "share": round(repeat_share(result, reps), 6),
             "repeats": [{"span": [r.start, r.end], "of": [r.source_start, r.source_end], "kind": r.kind}
                         for r in reps]} for doc, reps in repeats.items()]


def reported_pairs(result: Result) -> np.ndarray:
    """Rows of the pairs a report lists by default: member-to-kept pairs, contained relations and
    pairs across clusters (see ``report_dict``)."""
    i, j = result.pair_index[:, 0], result.pair_index[:, 1]
    duplicate_of = result.assignment.duplicate_of
    to_kept = (duplicate_of[i] == j) | (duplicate_of[j] == i)
    across = result.cluster_label[i] != result.cluster_label[j]
    return np.flatnonzero(to_kept | across | (result.kind == Kind.CONTAINED))


class _Locator:
    """Where each of the passages at *positions* is, as plain data, read from the passage arrays (no
    Passage objects; lists over only the passages the report names, unless that is most of them:
    lists over every passage held 150 MB at 1M)."""

    def __init__(self, result: Result, positions: np.ndarray) -> None:
        p = result.passages
        ids = [d.id for d in p.documents]
        wanted = distinct(positions)
        # A row a named passage; where most are named, every passage's row is its position (no mapping).
        if 2 * len(wanted) > len(p):
            wanted = np.arange(len(p))
        self._row = None if len(wanted) == len(p) else dict(zip(wanted.tolist(), range(len(wanted))))
        self.doc = [ids[d] for d in p.doc_pos[wanted].tolist()]
        self.index, self.line = p.index_in_doc[wanted].tolist(), p.line[wanted].tolist()
        self.start, self.end = p.start[wanted].tolist(), p.end[wanted].tolist()

    def __call__(self, i: int) -> dict[str, Any]:
        r = i if self._row is None else self._row[i]
        return {"doc": self.doc[r], "index": self.index[r], "line": self.line[r]}

    def span(self, i: int) -> dict[str, Any]:
        r = i if self._row is None else self._row[i]
        return {"doc": self.doc[r], "index": self.index[r], "line": self.line[r], "start": self.start[r],
                "end": self.end[r]}


def _check_run(run: object) -> None:
    """``UsageError`` unless *run* is what ``find_duplicates`` or ``clean`` returned (a report of anything else
    failed on an attribute deep inside)."""
    if not isinstance(run, (Result, Cleaned)):
        raise UsageError(f"a report is written of a Result (find_duplicates) or a Cleaned (clean), not "
                         f"{type(run).__name__}")


def _removals(result: Result) -> tuple[int, int]:
    """Passages and characters ``clean(result)`` removes at its defaults (level ``near``, scope
    ``corpus``), counted without cutting the texts."""
    cuts = planned_cuts(result)
    return len(cuts), sum(cut_end - cut_start for *_, cut_start, cut_end in cuts)


def _pair_rows(result: Result, rows: np.ndarray, locate: _Locator) -> list[dict[str, Any]]:
    kinds = [k.label for k in Kind]
    return [{"a": locate.span(i), "b": locate.span(j), "similarity": _num(s), "containment_ab": _num(ab),
             "containment_ba": _num(ba), "kind": kinds[k]}
            for (i, j), s, (ab, ba), k in zip(result.pair_index[rows].tolist(), result.similarity[rows].tolist(),
                                              result.containment[rows].tolist(), result.kind[rows].tolist())]


def _to_kept(result: Result, i: int) -> dict[str, Any]:
    a = result.assignment
    kind = int(a.kind[i])
    if a.duplicate_of[i] < 0:
        return {"similarity": 1.0, "kind": "kept"}
    return {"similarity": _num(float(a.similarity[i])), "kind": Kind(kind).label if kind >= 0 else None}


def _num(x: float) -> float | None:
    return None if x != x else round(x, 6)  # NaN (no exact value without verification) becomes null


def write_json(result: Result | Cleaned, out: TextIO | str | os.PathLike[str], spans: bool = False,
               all_pairs: bool = False, source: str | None = None, reading: dict[str, Any] | None = None) -> None:
    """Write ``report_dict`` as JSON to *out*: a text stream, or a file path (written whole, or not at all).

    >>> import io, json
    >>> from dedup import find_duplicates
    >>> out = io.StringIO()
    >>> write_json(find_duplicates([("a", "同一段文字，出现了两次。"), ("b", "同一段文字，出现了两次。")]), out)
    >>> json.loads(out.getvalue())["summary"]["duplicates"]
    1
    """
    if isinstance(out, (str, os.PathLike)):
        with text_file(out) as stream:
            write_json(result, stream, spans, all_pairs, source, reading)
        return
    # No indent: json's C encoder only runs without one (five times faster on large reports).
    text = json.dumps(report_dict(result, spans, all_pairs, source, reading=reading), ensure_ascii=False,
                      separators=(",", ":"))
    # A file name that is not UTF-8 holds lone surrogates: escape them, so the report stays valid UTF-8.
    out.write(_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    out.write("\n")


# Read errors listed one a line; past this many, a count (a table in the wrong encoding fails every row).
SHOWN_ERRORS = 20


def write_text_report(cleaned: Cleaned | Result, out: TextIO, max_clusters: int = 50, written_to: str | None = None,
                      max_errors: int = SHOWN_ERRORS) -> None:
    """Summary line, then clusters largest first: each member as ``file:line``, similarity, snippet; then
    boilerplate, documents that repeat themselves or each other, and the first *max_errors* read errors.
    *written_to*: where the cleaned copy went (the summary then says the passages were removed, not that
    they would be). A ``Result`` is cleaned first, at ``clean``'s defaults.

    >>> import io
    >>> from dedup import find_duplicates
    >>> out = io.StringIO()
    >>> write_text_report(find_duplicates([("a", "同一段文字，出现了两次。"), ("b", "同一段文字，出现了两次。")]), out)
    >>> out.getvalue().splitlines()[0]
    '2 documents, 2 passages, 1 cluster (and 0 of boilerplate), 1 passage would be removed (50.0% of characters)'
    """
    _check_run(cleaned)
    if isinstance(cleaned, Result):
        cleaned = clean(cleaned)
    result = cleaned.result
    total = sum(len(d.text) for d in result.documents)
    share = cleaned.chars_removed / total if total else 0.0
    fate = f"removed into {written_to}" if written_to else "would be removed"
    out.write(f"{counted(len(result.documents), 'document')}, {counted(len(result.passages), 'passage')}, "
              f"{counted(len(result.clusters), 'cluster')} (and {len(result.boilerplate_clusters)} of boilerplate), "
              f"{counted(len(cleaned.removed), 'passage')} {fate} ({share:.1%} of characters)\n")
    if not result.settings.verify:
        out.write("(unverified: similarities are MinHash estimates and no containment was looked for; without "
                  "--no-verify every pair is checked)\n")
    assignment = result.assignment
    for n, (cluster, members) in enumerate(zip(result.clusters, result.cluster_members()), start=1):
        if n > max_clusters:
            out.write(f"... {len(result.clusters) - max_clusters} more clusters (see --json)\n")
            break
        out.write(f"\ncluster {n}: {len(cluster.members)} passages\n")
        for passage, position in zip(cluster.members, members.tolist()):
            similarity = float(assignment.similarity[position])
            mark = "kept" if passage == cluster.kept else f"{similarity:.2f}"
            out.write(f"  {mark:>4}  {result.passages.where(position)}  {_snippet(passage.text)}\n")
    _write_inside(cleaned, out, max_clusters)
    _write_boilerplate(result, out)
    _write_documents(result, out)
    for error in result.errors[:max_errors]:
        out.write(f"error: {error.path}: {error.error}\n")
    if len(result.errors) > max_errors:
        out.write(f"... {len(result.errors) - max_errors} more errors (see --json)\n")
    if result.skipped:
        shown = ", ".join(result.skipped[:10]) + (f", ... ({len(result.skipped) - 10} more)" if len(result.skipped) > 10
                                                   else "")
        out.write(f"skipped (no --include pattern matches): {shown}\n")


def counted(count: int, noun: str) -> str:
    """*count* and *noun*, plural unless one.

    >>> counted(1, "cluster"), counted(3, "cluster")
    ('1 cluster', '3 clusters')
    """
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _write_inside(cleaned: Cleaned, out: TextIO, most: int) -> None:
    """The removals no cluster shows: passages inside one kept before them (``--level contained``) and the
    copies cut from later passages (``--level span``), each with the passage it lies in."""
    inside = [r for r in cleaned.removed if r.kind in ("contained", "span")]
    if not inside:
        return
    out.write(f"\nremoved inside passages kept before them ({counted(len(inside), 'removal')}):\n")
    for r in inside[:most]:
        what = "part of " if r.kind == "span" else ""
        out.write(f"  {what}{r.doc}:{r.line}  inside {r.kept['doc']}:{r.kept['line']}  {_snippet(r.text)}\n")
    if len(inside) > most:
        out.write(f"  ... {len(inside) - most} more (see --json)\n")


def _write_boilerplate(result: Result, out: TextIO, most: int = 12) -> None:
    clusters = result.boilerplate_clusters
    flagged = int(result.boilerplate.sum())
    if not flagged:
        return
    out.write(f"\nboilerplate: {flagged} short passages recur across documents "
              f"({len(clusters)} clusters of identical ones):\n")
    for cluster, members in zip(clusters[:most], result.cluster_members(boilerplate=True)):
        out.write(f"  {len(cluster.members)}x  {_snippet(cluster.kept.text)}  "
                  f"({', '.join(result.passages.where(m) for m in members[:4].tolist())}"
                  f"{', …' if len(cluster.members) > 4 else ''})\n")
    if len(clusters) > most:
        out.write(f"  ... {len(clusters) - most} more\n")


def _write_documents(result: Result, out: TextIO, most: int = 8, most_documents: int = 20) -> None:
    """The documents that repeat themselves most and the document pairs that share most: only these are
    aligned (see ``self_repeats`` and ``document_overlaps`` with a limit), so the report costs no more than
    what it shows."""
    aligned = PairSpans(result)
    repeats = self_repeats(result, spans=aligned, limit=most_documents)
    if repeats:
        out.write("\ndocuments that repeat themselves (most first):\n")
    for doc, reps in sorted(repeats.items(), key=lambda item: -repeat_share(result, item[1])):  # stable: ties stay
        out.write(f"  {doc}: {repeat_share(result, reps):.1%} of its characters repeat earlier text, "
                  f"in {counted(len(reps), 'span')}\n")
        for r in reps[:most]:
            out.write(f"    [{r.start}, {r.end}) repeats [{r.source_start}, {r.source_end}) ({r.kind})\n")
        if len(reps) > most:
            out.write(f"    ... {len(reps) - most} more (see --json with --spans)\n")
    overlaps = document_overlaps(result, spans=aligned, limit=most_documents)
    if overlaps:
        among = ("pairs of documents found near or contained" if result.settings.unit == "document"
                 else "documents with passages found in each other")
        out.write(f"\ndocument pairs that share text, at most the {most_documents} that share most, among {among} "
                  f"(share of a's text aligned in b, small edits within a span included, and of b's in a; all of "
                  f"them: --json --spans):\n")
    for o in overlaps:
        out.write(f"  {o.a} ~ {o.b}: {o.share_a_in_b:.1%}, {o.share_b_in_a:.1%}\n")


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else flat[:_SNIPPET - 1] + "…"
