"""Turn a result into what people and programs read: a text report and a JSON document."""

from __future__ import annotations

import json
from typing import Any, TextIO

import numpy as np

from ._clean import Cleaned
from ._documents import document_overlaps, pair_spans, repeat_share, self_repeats
from ._result import Result, passage_dict
from ._verify import overlap

__all__ = ["SCHEMA_VERSION", "report_dict", "write_json", "write_text_report"]

SCHEMA_VERSION = 1
_SNIPPET = 40


def report_dict(result: Result, spans: bool = False) -> dict[str, Any]:
    """The machine-readable report: version, config, documents, pairs, clusters, errors.

    With *spans*, each pair also carries its aligned shared spans, and two more keys
    describe documents: ``self_repeats`` and ``document_overlaps``.
    """
    counts = np.bincount(result.passages.doc_pos, minlength=len(result.documents))
    report = {
        "version": SCHEMA_VERSION,
        "config": result.config,
        "documents": [{"id": d.id, "passages": int(n), "chars": len(d.text), "encoding": d.encoding}
                      for d, n in zip(result.documents, counts)],
        "pairs": [{"a": passage_dict(p.a), "b": passage_dict(p.b), "similarity": _num(p.similarity),
                   "containment_ab": _num(p.containment_ab), "containment_ba": _num(p.containment_ba),
                   "kind": p.kind} for p in result.pairs],
        "clusters": [{"kept": {"doc": c.kept.doc, "index": c.kept.index},
                      "members": [{"doc": m.doc, "index": m.index} for m in c.members]} for c in result.clusters],
        "errors": [{"path": e.path, "error": e.error} for e in result.errors],
        "boilerplate": [{"doc": p.doc, "index": p.index, "line": p.line}
                        for p in (result.passages[int(i)] for i in np.flatnonzero(result.boilerplate))],
    }
    if spans:
        for row, pair in enumerate(report["pairs"]):
            pair["spans"] = [{"a": [s.a_start, s.a_end], "b": [s.b_start, s.b_end]} for s in pair_spans(result, row)]
        repeats = self_repeats(result)
        report["self_repeats"] = [
            {"doc": doc, "share": round(repeat_share(result, reps), 6),
             "repeats": [{"span": [r.start, r.end], "of": [r.source_start, r.source_end], "kind": r.kind}
                         for r in reps]} for doc, reps in repeats.items()]
        report["document_overlaps"] = [{"a": o.a, "b": o.b, "share_a_in_b": round(o.share_a_in_b, 6),
                                        "share_b_in_a": round(o.share_b_in_a, 6)} for o in document_overlaps(result)]
    return report


def _num(x: float) -> float | None:
    return None if x != x else round(x, 6)  # NaN (no exact value without verification) becomes null


def write_json(result: Result, out: TextIO, spans: bool = False) -> None:
    json.dump(report_dict(result, spans), out, ensure_ascii=False, indent=1)
    out.write("\n")


def write_text_report(cleaned: Cleaned, out: TextIO, max_clusters: int = 50) -> None:
    """Summary line, then clusters largest first: each member as ``file:line``, similarity, snippet."""
    result = cleaned.result
    total = sum(len(d.text) for d in result.documents)
    share = cleaned.chars_removed / total if total else 0.0
    out.write(f"{len(result.documents)} documents, {len(result.passages)} passages, "
              f"{len(result.clusters)} clusters (and {len(result.boilerplate_clusters)} of boilerplate), "
              f"{len(cleaned.removed)} passages would be removed ({share:.1%} of characters)\n")
    similarity = _similarity_to_kept(result)
    for n, (cluster, members) in enumerate(zip(result.clusters, result.cluster_members()), start=1):
        if n > max_clusters:
            out.write(f"... {len(result.clusters) - max_clusters} more clusters (see --json)\n")
            break
        out.write(f"\ncluster {n}: {len(cluster.members)} passages\n")
        for passage, position in zip(cluster.members, members.tolist()):
            mark = "kept" if passage == cluster.kept else f"{similarity.get(position, 0.0):.2f}"
            out.write(f"  {mark:>4}  {passage.doc}:{passage.line}  {_snippet(passage.text)}\n")
    _write_boilerplate(result, out)
    _write_documents(result, out)
    for error in result.errors:
        out.write(f"error: {error.path}: {error.error}\n")


def _write_boilerplate(result: Result, out: TextIO, most: int = 12) -> None:
    clusters = result.boilerplate_clusters
    flagged = int(result.boilerplate.sum())
    if not flagged:
        return
    out.write(f"\nboilerplate: {flagged} short passages recur across documents "
              f"({len(clusters)} clusters of identical ones):\n")
    for cluster in clusters[:most]:
        out.write(f"  {len(cluster.members)}x  {_snippet(cluster.kept.text)}  "
                  f"({', '.join(f'{m.doc}:{m.line}' for m in cluster.members[:4])}"
                  f"{', …' if len(cluster.members) > 4 else ''})\n")
    if len(clusters) > most:
        out.write(f"  ... {len(clusters) - most} more\n")


def _write_documents(result: Result, out: TextIO, most: int = 8) -> None:
    repeats = self_repeats(result)
    if repeats:
        out.write("\ndocuments that repeat themselves:\n")
    for doc, reps in repeats.items():
        out.write(f"  {doc}: {repeat_share(result, reps):.1%} of its characters repeat earlier text, "
                  f"in {len(reps)} spans\n")
        for r in reps[:most]:
            out.write(f"    [{r.start}, {r.end}) repeats [{r.source_start}, {r.source_end}) ({r.kind})\n")
        if len(reps) > most:
            out.write(f"    ... {len(reps) - most} more (see --json with --spans)\n")
    overlaps = document_overlaps(result)
    if overlaps:
        out.write("\ndocuments that share text (share of a found in b, of b found in a):\n")
    for o in overlaps:
        out.write(f"  {o.a} ~ {o.b}: {o.share_a_in_b:.1%}, {o.share_b_in_a:.1%}\n")


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else flat[:_SNIPPET - 1] + "…"


def _similarity_to_kept(result: Result) -> dict[int, float]:
    """Exact Jaccard of each clustered passage with its cluster's kept passage."""
    kept = result.kept_positions()
    members = np.flatnonzero(kept != np.arange(len(kept)))
    known = {(int(a), int(b)): float(s) for (a, b), s in zip(result.pair_index, result.similarity)}
    out: dict[int, float] = {}
    missing = []
    for m in members.tolist():
        k = int(kept[m])
        value = known.get((min(m, k), max(m, k)))
        if value is None or value != value:
            missing.append((m, k))
        else:
            out[m] = value
    if missing:
        texts = [result.normalizer(result.passages.text(i)) for pair in missing for i in pair]
        found = overlap(result.shingler(texts), np.arange(len(texts)).reshape(-1, 2))
        out.update({m: float(j) for (m, _), j in zip(missing, found.jaccard)})
    return out
