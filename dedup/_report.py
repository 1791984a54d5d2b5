"""Turn a result into what people and programs read: a text report and a JSON document."""

from __future__ import annotations

import json
from typing import Any, TextIO

import numpy as np

from ._clean import Cleaned
from ._result import Result, passage_dict
from ._verify import overlap

__all__ = ["SCHEMA_VERSION", "report_dict", "write_json", "write_text_report"]

SCHEMA_VERSION = 1
_SNIPPET = 40


def report_dict(result: Result) -> dict[str, Any]:
    """The machine-readable report: version, config, documents, pairs, clusters, errors."""
    counts = np.bincount(result.passages.doc, minlength=len(result.documents))
    return {
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
    }


def _num(x: float) -> float | None:
    return None if x != x else round(x, 6)  # NaN (no exact value without verification) becomes null


def write_json(result: Result, out: TextIO) -> None:
    json.dump(report_dict(result), out, ensure_ascii=False, indent=1)
    out.write("\n")


def write_text_report(cleaned: Cleaned, out: TextIO, max_clusters: int = 50) -> None:
    """Summary line, then clusters largest first: each member as ``file:line``, similarity, snippet."""
    result = cleaned.result
    total = sum(len(d.text) for d in result.documents)
    share = cleaned.chars_removed / total if total else 0.0
    out.write(f"{len(result.documents)} documents, {len(result.passages)} passages, "
              f"{len(result.clusters)} clusters, {len(cleaned.removed)} passages would be removed "
              f"({share:.1%} of characters)\n")
    similarity = _similarity_to_kept(result)
    for n, (cluster, members) in enumerate(zip(result.clusters, result.cluster_members()), start=1):
        if n > max_clusters:
            out.write(f"... {len(result.clusters) - max_clusters} more clusters (see --json)\n")
            break
        out.write(f"\ncluster {n}: {len(cluster.members)} passages\n")
        for passage, position in zip(cluster.members, members.tolist()):
            mark = "kept" if passage == cluster.kept else f"{similarity.get(position, 0.0):.2f}"
            out.write(f"  {mark:>4}  {passage.doc}:{passage.line}  {_snippet(passage.text)}\n")
    for error in result.errors:
        out.write(f"error: {error.path}: {error.error}\n")


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
