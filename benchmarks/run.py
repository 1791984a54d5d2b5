"""Speed, memory and quality of dedup against its peers, measured in one run; writes RESULTS.md.

    python benchmarks/run.py            # seeds, zh 10k / 100k / 1M, en 10k / 100k (about 20-30 minutes)
    python benchmarks/run.py --quick    # seeds and zh 10k (about a minute)

Every method runs in its own fresh process (so peak memory is its own) on the same
passages: the paragraphs of the corpus, normalised as dedup does (NFKC, case fold,
whitespace removed), character 5-grams, Jaccard >= 0.5, 128 permutations.
dedup reads and normalises the documents itself (end to end); the peers get the
normalised passage texts for free. The exact prefix-filter join is the truth that
recall and precision are measured against.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing as mp
import os
import pickle
import platform
import pstats
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import dedup  # noqa: E402

THRESHOLD, NUM_PERM, N = 0.5, 128, 5
DATA = HERE / "data"


# ---------------------------------------------------------------- corpora
def load_corpus(name: str) -> list[tuple[str, str]]:
    """``seeds`` or ``zh:N`` / ``en:N`` (built by corpus.py, cached under benchmarks/data/)."""
    if name == "seeds":
        return [(p.name, p.read_text("utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    lang, size = name.split(":")
    cache = DATA / f"{lang}-{size}.pickle"
    if not cache.exists():
        import corpus

        DATA.mkdir(exist_ok=True)
        built = corpus.build(lang, int(size), seed=0)
        cache.write_bytes(pickle.dumps(built.docs, protocol=5))
    return pickle.loads(cache.read_bytes())


def passage_texts(docs: list[tuple[str, str]]) -> list[str]:
    """The normalised passage texts in dedup's corpus order (what the peers are given)."""
    passages = dedup.segment([dedup.Document(i, t) for i, t in sorted(docs)])
    return dedup.Normalizer().batch(list(passages.texts()))


# ---------------------------------------------------------------- one method in one process
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakSampler:
    """Samples resident memory every 2 ms on a thread: the peak of one method, not of the loading before it."""

    def __init__(self) -> None:
        import threading

        self.peak = self.before = _rss_mb()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.002):
            self.peak = max(self.peak, _rss_mb())

    def done(self) -> float:
        self.stop.set()
        self.thread.join()
        return max(self.peak, _rss_mb()) - self.before


def _child(method: str, path: str, out: Any) -> None:
    payload = pickle.loads(Path(path).read_bytes())
    import gc

    gc.collect()
    sampler = _PeakSampler()
    start = time.perf_counter()
    stages: dict[str, float] = {}
    if method.startswith("dedup"):
        result = dedup.find_duplicates(payload["docs"], threshold=THRESHOLD, num_perm=NUM_PERM, min_chars=1,
                                       containment=method == "dedup+contain", verify=method != "dedup-noverify",
                                       timings=stages)
        sims = result.similarity
        keep = ~(sims < THRESHOLD - 1e-9)  # NaN (unverified) counts as reported
        pairs = result.pair_index[keep]
    elif method == "datasketch":
        from peers import datasketch_pairs

        found, stages = datasketch_pairs(payload["texts"], THRESHOLD, NUM_PERM)
        pairs = np.array(sorted(found), np.int64).reshape(-1, 2)
    elif method == "rensa":
        from peers import rensa_pairs

        found, stages = rensa_pairs(payload["texts"], THRESHOLD, NUM_PERM)
        pairs = np.array(sorted(found), np.int64).reshape(-1, 2)
    elif method == "exact-join":
        from exact_join import exact_pairs

        found = exact_pairs(payload["texts"], THRESHOLD, N)
        pairs = np.array(sorted(found), np.int64).reshape(-1, 2)
    else:
        raise ValueError(method)
    seconds = time.perf_counter() - start
    out.send({"seconds": seconds, "stages": stages, "peak_mb": sampler.done(), "pairs": pairs})


def run_method(method: str, payload_path: Path, timeout: float) -> dict[str, Any] | None:
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(method, str(payload_path), send))
    proc.start()
    send.close()
    try:
        result = receive.recv() if receive.poll(timeout) else {"failed": f"timed out after {timeout:.0f} s"}
    except EOFError:
        proc.join(5)
        result = {"failed": f"crashed (exit code {proc.exitcode}; -9 is the out-of-memory killer)"}
    proc.join(5)
    if proc.is_alive():
        proc.kill()
    return result


def score(pairs: np.ndarray, truth: set[tuple[int, int]]) -> tuple[float, float]:
    found = set(map(tuple, pairs.tolist()))
    hit = len(found & truth)
    return (hit / len(truth) if truth else 1.0), (hit / len(found) if found else 1.0)


# ---------------------------------------------------------------- the report
def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{p} {_version(p)}" for p in ("numpy", "datasketch", "rensa", "jieba"))
    return (f"{os.cpu_count()} cores, {mem:.0f} GiB memory, {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}; dedup {dedup.__version__}, {versions}")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def profile_summary(docs: list[tuple[str, str]], top: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    dedup.find_duplicates(docs, threshold=THRESHOLD, min_chars=1, containment=False)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in buffer.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:start + top + 1])


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for method in sorted({r["method"] for r in rows}):
        pts = sorted((r["passages"], r["seconds"], r["peak_mb"]) for r in rows if r["method"] == method)
        if len(pts) < 2:
            continue
        xs = [p[0] for p in pts]
        ax_t.plot(xs, [p[1] for p in pts], marker="o", label=method)
        ax_m.plot(xs, [p[2] for p in pts], marker="o", label=method)
    for ax, label in ((ax_t, "seconds, end to end"), (ax_m, "peak memory above baseline, MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages (Chinese paragraphs)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.legend()
    fig.suptitle("dedup vs peers: time and memory against corpus size (char 5-grams, Jaccard >= 0.5)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="seeds and zh 10k only (about a minute)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a method may take on one corpus")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md and the plot from the last run's saved measurements")
    args = parser.parse_args(argv)
    if args.report_only:
        rows, failures = pickle.loads((DATA / "rows.pickle").read_bytes())
        sizes = [int(r["corpus"].split(":")[1]) for r in rows if r["corpus"].startswith("zh")]
        biggest = f"zh:{max(n for n in sizes if n <= 100_000)}"
        plot([r for r in rows if r["corpus"].startswith("zh")], HERE / "scaling.png")
        write_report(args.out, rows, profile_summary(load_corpus(biggest)), biggest, args.quick, failures)
        return 0
    corpora = ["seeds", "zh:10000"] if args.quick else ["seeds", "zh:10000", "zh:100000", "zh:1000000",
                                                         "en:10000", "en:100000"]
    methods = ["dedup", "dedup-noverify", "dedup+contain", "rensa", "datasketch", "exact-join"]
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    DATA.mkdir(exist_ok=True)
    for name in corpora:
        docs = load_corpus(name)
        texts = passage_texts(docs)
        payload = DATA / "payload.pickle"
        payload.write_bytes(pickle.dumps({"docs": docs, "texts": texts}, protocol=5))
        results: dict[str, dict[str, Any]] = {}
        for method in methods:
            if method in ("datasketch", "dedup+contain") and len(texts) > 150_000:
                continue  # both take minutes per 100k passages here: 1M would take most of the run
            if method == "exact-join" and name.startswith("en") and len(texts) > 20_000:
                continue  # long English paragraphs: over two minutes at 10k already
            if method in ("rensa", "exact-join") and len(texts) > 150_000:
                failures.append(f"{name}: {method} not run: at 1M passages it used up the 24 GB and was killed "
                                f"(out-of-memory, exit code -9) in an earlier run of this harness")
                continue
            print(f"{name}: {method} ...", file=sys.stderr, flush=True)
            got = run_method(method, payload, args.timeout)
            if "failed" in got:
                print(f"{name}: {method} {got['failed']}", file=sys.stderr)
                failures.append(f"{name}: {method} {got['failed']}")
                continue
            results[method] = got
        truth_pairs = results.get("exact-join", {}).get("pairs")
        truth = set(map(tuple, truth_pairs.tolist())) if truth_pairs is not None else set()
        for method, got in results.items():
            recall, precision = score(got["pairs"], truth) if truth_pairs is not None else (float("nan"),) * 2
            rows.append({"corpus": name, "method": method, "passages": len(texts), "seconds": got["seconds"],
                         "peak_mb": got["peak_mb"], "pairs": len(got["pairs"]), "recall": recall,
                         "precision": precision, "stages": got["stages"], "truth": len(truth)})
            print(f"{name}: {method} {got['seconds']:.2f} s, recall {recall:.4f}, precision {precision:.4f}",
                  file=sys.stderr, flush=True)
        write_report(args.out, rows, "(profile comes at the end of the run)", "-", args.quick, failures)
    (DATA / "rows.pickle").write_bytes(pickle.dumps((rows, failures)))
    biggest = max((c for c in corpora if c.startswith("zh") and int(c.split(":")[1]) <= 100_000),
                  key=lambda c: int(c.split(":")[1]))
    profile = profile_summary(load_corpus(biggest))
    plot([r for r in rows if r["corpus"].startswith("zh")], HERE / "scaling.png")
    write_report(args.out, rows, profile, biggest, args.quick, failures)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def goals(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's goals, each with the figure measured in this run and whether it is met."""
    def row(corpus: str, method: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["corpus"] == corpus and r["method"] == method), None)

    out = ["## Goals", "", "| goal | measured | met |", "|---|---|---|"]
    ours, sketch, rensa = row("zh:100000", "dedup"), row("zh:100000", "datasketch"), row("zh:100000", "rensa")
    if ours and sketch:
        ratio = sketch["seconds"] / ours["seconds"]
        out.append(f"| 100k: >= 30x faster than datasketch | {ratio:.1f}x | {'yes' if ratio >= 30 else 'no'} |")
    if ours and rensa:
        ratio = rensa["seconds"] / ours["seconds"]
        out.append(f"| 100k: at least level with rensa | {ratio:.1f}x faster | {'yes' if ratio >= 1 else 'no'} |")
    if ours:
        out.append(f"| 100k: recall >= 0.99, precision 1.0 | {ours['recall']:.4f}, {ours['precision']:.4f} | "
                   f"{'yes' if ours['recall'] >= 0.99 and ours['precision'] == 1.0 else 'no'} |")
        out.append(f"| 100k: about 2 s | {ours['seconds']:.2f} s | {'yes' if ours['seconds'] <= 2.5 else 'no'} |")
    big = row("zh:1000000", "dedup")
    if big:
        out.append(f"| 1M in well under two minutes | {big['seconds']:.0f} s | {'yes' if big['seconds'] < 90 else 'no'} |")
    sizes = sorted((r["passages"], r["peak_mb"] * 2**20) for r in rows
                   if r["method"] == "dedup" and r["corpus"].startswith("zh") and r["passages"] >= 10_000)
    if len(sizes) >= 2:
        # Memory above a fixed start-up cost: the bytes each further passage adds, between sizes.
        slopes = [(b2 - b1) / (n2 - n1) for (n1, b1), (n2, b2) in zip(sizes, sizes[1:])]
        per = ", ".join(f"{n1:,}->{n2:,}: {sl:,.0f}" for ((n1, _), (n2, _)), sl in zip(zip(sizes, sizes[1:]), slopes))
        out.append(f"| memory grows linearly (bytes each further passage adds, text included) | {per} | "
                   f"{'yes' if slopes[-1] <= 1.25 * slopes[0] else 'no'} |")
    if ours and ours["stages"]:
        total = sum(ours["stages"].values())
        shares = ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(ours["stages"].items(), key=lambda kv: -kv[1]))
        out += ["", f"Where dedup falls short, and why: at 100k its time splits into {shares}. No stage dominates: "
                "the Python-level work (NFKC and the exact-duplicate grouping on str objects, segmenting) and the "
                "numpy passes over every shingle (hash, bin, minimum, band keys) cost about the same, so neither a "
                "faster normaliser nor a faster signer alone reaches 2 s or 30x datasketch; a compiled kernel that "
                "fuses shingling, signing and banding per passage, and verification by merging sorted arrays, "
                "would. Memory a passage includes its normalised text (about 450 bytes for a 200-character "
                "Chinese paragraph as a Python str) and the Python objects of the passage list; the index itself "
                "is 268 bytes a passage (35 band keys of 4 bytes, 128 one-byte bins)."]
    return out + [""]


def write_report(path: Path, rows: list[dict[str, Any]], profile: str, profiled: str, quick: bool,
                 failures: list[str]) -> None:
    out = ["# Benchmark results", "",
           f"Generated by `python benchmarks/run.py{' --quick' if quick else ''}` on "
           f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC.", "",
           f"Machine: {machine()}.", "",
           "Task: all pairs of passages (paragraphs) with Jaccard >= 0.5 on character 5-grams of the normalised "
           "text (NFKC, case fold, whitespace removed), 128 permutations. Truth: the exact prefix-filter join "
           "(`benchmarks/exact_join.py`). dedup runs end to end from the documents (read, segment, normalise, "
           "shingle, sign, bucket, verify, cluster); the peers get the normalised passage texts ready-made. "
           "Each method runs alone in a fresh process; memory is its peak resident memory above what it held "
           "before starting (the corpus and texts already loaded). Ratios are other method's time / dedup's "
           "time in the same run (above 1: dedup is faster).", ""]
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        sub = [r for r in rows if r["corpus"] == corpus]
        base = next((r for r in sub if r["method"] == "dedup"), None)
        truth = (f"{sub[0]['truth']:,} true pairs" if any(r["method"] == "exact-join" for r in sub)
                 else "no exact join at this size, so no recall")
        out += [f"## {corpus} ({sub[0]['passages']:,} passages, {truth})", "",
                "| method | seconds | passages/s | x dedup time | peak MiB | bytes/passage | pairs | recall | precision |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in sub:
            ratio = r["seconds"] / base["seconds"] if base else float("nan")
            out.append(f"| {r['method']} | {r['seconds']:.2f} | {r['passages'] / r['seconds']:,.0f} | {ratio:.2f} | "
                       f"{r['peak_mb']:.0f} | {r['peak_mb'] * 2**20 / r['passages']:,.0f} | {r['pairs']:,} | "
                       f"{r['recall']:.4f} | {r['precision']:.4f} |")
        if base and base["stages"]:
            out += ["", "dedup stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in base["stages"].items())]
        out.append("")
    out += goals(rows)
    if failures:
        out += ["## Runs that did not finish", ""] + [f"- {f}" for f in failures] + [""]
    out += ["## Scaling", "", "![time and memory against corpus size](scaling.png)", "",
            f"## Where the time goes (cProfile of dedup on {profiled}, top functions by own time)", "",
            "```", profile, "```", ""]
    path.write_text("\n".join(out), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
