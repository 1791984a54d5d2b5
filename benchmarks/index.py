"""The persistent index against the batch engine and datasketch (in memory and on Redis), in one run;
writes benchmarks/INDEX.md.

    python benchmarks/index.py            # zh 100k (all methods) and zh 1M (the index)
    python benchmarks/index.py --quick    # zh 10k, all methods (about a minute)

Needs ``pip install -e '.[bench]'`` (datasketch, redis) and Debian's ``redis-server``
(``apt-get install -y redis-server``); the benchmark starts its own Redis on loopback,
without persistence, and stops it afterwards.

Every method runs in its own process on the same corpus (the benchmark's People's Daily
paragraphs, see corpus.py), with dedup's default settings except ``min_chars=1`` (as in
run.py: the exact join that recall is measured against pairs short passages too). The
corpus minus its last documents (about 10,000 paragraphs) is indexed first; then single
paragraphs and single documents of the held-out part are queried; then the held-out part
is added. Recall and precision count pairs with Jaccard >= the threshold on the normalised
passages (the exact join is the truth; datasketch reports unverified LSH candidates).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import dedup  # noqa: E402
from dedup._index import Index  # noqa: E402

SETTINGS = dedup.Settings(min_chars=1)
HELD_OUT = 10_000  # paragraphs added to the finished index
CHUNK = 100_000  # paragraphs per add while building
QUERIES = 300
REPEATS = 2  # more runs of the build and of the batch engine, for the median of their speed ratio


# ---------------------------------------------------------------- data
def load_corpus(size: int) -> list[tuple[str, str]]:
    """The documents of zh:SIZE (corpus.py), cached under benchmarks/data/ as run.py caches them."""
    import pickle

    cache = HERE / "data" / f"zh-{size}.pickle"
    if not cache.exists():
        import corpus as build

        cache.parent.mkdir(exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(build.build("zh", size, seed=0).docs, protocol=5))
        tmp.replace(cache)
    return pickle.loads(cache.read_bytes())  # type: ignore[no-any-return]


class PeakMemory:
    """Peak resident memory growth of this process from now on, sampled every 2 ms on a thread."""

    def __init__(self) -> None:
        import threading

        self.peak = self.before = self._rss()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _rss() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _run(self) -> None:
        while not self.stop.wait(0.002):
            self.peak = max(self.peak, self._rss())

    def done(self) -> float:
        self.stop.set()
        self.thread.join()
        return max(self.peak, self._rss()) - self.before


def machine() -> str:
    import platform
    from importlib import metadata

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for name in ("numpy", "numba", "datasketch", "redis"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{name} {metadata.version(name)}")
    server = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[:3] \
        if shutil.which("redis-server") else []
    return (f"{os.cpu_count()} cores, {mem:.0f} GiB memory, Linux {platform.release()}, Python "
            f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}; {', '.join(versions)}"
            f"{'; ' + ' '.join(server) if server else ''}")


def corpus(size: int) -> tuple[list[tuple[str, str]], int]:
    """The documents of zh:SIZE and how many of them (from the start) are indexed before the held-out part."""
    docs = load_corpus(size)
    counts = [sum(1 for line in text.split("\n") if line.strip()) for _, text in docs]
    held, cut = 0, len(docs)
    while cut > 0 and held < min(HELD_OUT, size // 10):
        cut -= 1
        held += counts[cut]
    return docs, cut


def passage_texts(docs: list[tuple[str, str]]) -> list[str]:
    """Normalised passage texts in corpus order (dedup's positions; what the peers are given)."""
    from dedup._normalize import normalize_passages
    from dedup._segment import segment

    return normalize_passages(SETTINGS, segment([dedup.Document(i, t) for i, t in docs]))


def chunks(docs: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    """Consecutive runs of documents holding about *size* paragraphs each."""
    run: list[tuple[str, str]] = []
    count = 0
    for doc in docs:
        run.append(doc)
        count += sum(1 for line in doc[1].split("\n") if line.strip())
        if count >= size:
            yield run
            run, count = [], 0
    if run:
        yield run


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def query_sets(docs: list[tuple[str, str]], cut: int) -> tuple[list[list[tuple[str, str]]], list[list[tuple[str, str]]]]:
    """Single-paragraph and single-document queries drawn from the held-out documents."""
    rng = np.random.default_rng(0)
    held = docs[cut:]
    paragraphs = [(doc_id, line) for doc_id, text in held for line in text.split("\n") if line.strip()]
    picks = rng.choice(len(paragraphs), min(QUERIES, len(paragraphs)), replace=False)
    singles = [[(f"q{k}", paragraphs[int(i)][1])] for k, i in enumerate(picks)]
    whole = [[d] for d in held[: min(100, len(held))]]
    return singles, whole


# ---------------------------------------------------------------- methods, each in its own process
def method_batch(size: int) -> dict[str, Any]:
    docs, _ = corpus(size)
    sampler = PeakMemory()
    start = time.perf_counter()
    result = dedup.find_duplicates(docs, SETTINGS)
    seconds = time.perf_counter() - start
    keep = ~(result.similarity < SETTINGS.threshold - 1e-9)
    return {"seconds": seconds, "peak_mb": sampler.done(), "passages": len(result.passages),
            "pairs": result.pair_index[keep].tolist(), "contained": contained_pairs(result)}


def method_build(size: int, work: str) -> dict[str, Any]:
    """Only the index build of ``method_index`` (the same adds, the same sampler): a repeat of it."""
    docs, cut = corpus(size)
    sampler = PeakMemory()
    start = time.perf_counter()
    with Index(Path(work) / f"build-{size}-{time.time_ns()}.db", SETTINGS) as index:
        for run in chunks(docs[:cut], CHUNK):
            index.add(run)
        seconds = time.perf_counter() - start
        built = index.stats().passages
    sampler.done()
    return {"seconds": seconds, "passages": built}


def build_speed(rows: dict[str, dict[str, Any]], size: int) -> tuple[float, list[float], list[float]] | None:
    """The index's build speed as a share of the batch engine's: the median of the paired runs'
    ratios (the main measurement and the repeats), with each side's seconds."""
    ix, batch = rows.get(f"index {size}", {}), rows.get(f"batch {size}", {})
    if not batch.get("seconds") or "build_seconds" not in ix:
        return None
    pairs = [(ix["build_seconds"], batch["seconds"])] + [
        (r["index"], r["batch"]) for r in rows.get(f"build-repeats {size}", {}).get("runs", [])
        if r["index"] and r["batch"]]  # a failed repeat (its error is lost) is left out
    ratios = [(ix["built_passages"] / a) / (batch["passages"] / b) for a, b in pairs]
    return float(np.median(ratios)), [a for a, _ in pairs], [b for _, b in pairs]


def contained_pairs(result: dedup.Result) -> list[list[int]]:
    """The pairs of kind ``contained`` (positions in corpus order)."""
    return result.pair_index[result.kind == dedup.Kind.CONTAINED].tolist()


def seeds_containment() -> dict[str, Any]:
    """Contained pairs of the seed documents: the batch engine's, and the index's when the seeds are
    added at once and one document an add (the pairs across adds come from the shared samples)."""
    docs = [(p.name, p.read_text("utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    settings = dedup.Settings()
    batch = {tuple(p) for p in contained_pairs(dedup.find_duplicates(docs, settings))}
    out: dict[str, Any] = {"batch": len(batch)}
    with tempfile.TemporaryDirectory() as work:
        for name, runs in (("at_once", [docs]), ("by_document", [[d] for d in docs])):
            with Index(Path(work) / f"{name}.db", settings) as index:
                for run in runs:
                    index.add(run)
                found = {tuple(p) for p in contained_pairs(index.export())}
            out[name] = [len(found & batch), len(found - batch)]
    return out


def method_index(size: int, work: str) -> dict[str, Any]:
    docs, cut = corpus(size)
    path = Path(work) / f"index-{size}.db"
    singles, whole = query_sets(docs, cut)
    sampler = PeakMemory()
    out: dict[str, Any] = {"adds": [], "document_paragraphs": float(np.mean(
        [sum(1 for line in q[0][1].split("\n") if line.strip()) for q in whole]))}
    start = time.perf_counter()
    with Index(path, SETTINGS) as index:
        for run in chunks(docs[:cut], CHUNK):
            t = time.perf_counter()
            index.add(run)
            out["adds"].append(time.perf_counter() - t)
        out["build_seconds"] = time.perf_counter() - start
        out["built_passages"] = index.stats().passages
        index._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out["bytes_built"] = index.stats().bytes
        for name, queries in (("paragraph", singles), ("document", whole)):
            index.query(queries[0])  # warm the page cache the way a serving process has it
            seconds = []
            for q in queries:
                t = time.perf_counter()
                index.query(q)
                seconds.append(time.perf_counter() - t)
            out[f"query_{name}"] = percentiles(seconds)
        held = docs[cut:]
        t = time.perf_counter()
        index.add(held)
        out["add_held_seconds"] = time.perf_counter() - t
        out["held_passages"] = index.stats().passages - out["built_passages"]
        out["peak_mb"] = sampler.done()
        index._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out["bytes"] = index.stats().bytes
        t = time.perf_counter()
        index.vacuum()
        out["vacuum_seconds"] = time.perf_counter() - t
        out["bytes_vacuumed"] = index.stats().bytes
        out["tables"] = {name: size_ for name, size_ in index._con.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")}
        if size <= 200_000:
            exported = index.export()
            keep = ~(exported.similarity < SETTINGS.threshold - 1e-9)
            out["pairs"] = exported.pair_index[keep].tolist()
            out["contained"] = contained_pairs(exported)
    out["passages"] = out["built_passages"] + out["held_passages"]
    return out


def _datasketch_minhashes(texts: list[str]) -> tuple[list[int], list[Any]]:
    from datasketch import MinHash
    from peers import char_shingles

    keys = [i for i, t in enumerate(texts) if t]
    shingles = [[s.encode("utf-8") for s in char_shingles(texts[i])] for i in keys]
    return keys, MinHash.bulk(shingles, num_perm=SETTINGS.num_perm, seed=SETTINGS.seed)


def method_datasketch(size: int, storage: str, port: int) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH
    from peers import char_shingles
    docs, cut = corpus(size)
    texts = passage_texts(docs)
    built = len(passage_texts(docs[:cut]))
    singles, _ = query_sets(docs, cut)
    config = {"type": "redis", "redis": {"host": "127.0.0.1", "port": port}} if storage == "redis" else None
    sampler = PeakMemory()
    start = time.perf_counter()
    keys, minhashes = _datasketch_minhashes(texts)
    sign_seconds = time.perf_counter() - start
    lsh = MinHashLSH(threshold=SETTINGS.threshold, num_perm=SETTINGS.num_perm,
                     storage_config=config) if config else MinHashLSH(SETTINGS.threshold, SETTINGS.num_perm)
    first = [k for k, i in enumerate(keys) if i < built]
    t = time.perf_counter()
    with lsh.insertion_session() as session:
        for k in first:
            session.insert(keys[k], minhashes[k])
    insert_seconds = time.perf_counter() - t
    seconds = []
    normalizer = SETTINGS.normalizer
    for q in singles:
        t = time.perf_counter()
        m = MinHash(num_perm=SETTINGS.num_perm, seed=SETTINGS.seed)
        m.update_batch([s.encode("utf-8") for s in char_shingles(normalizer(q[0][1]))])
        lsh.query(m)
        seconds.append(time.perf_counter() - t)
    t = time.perf_counter()
    with lsh.insertion_session() as session:
        for k in range(len(first), len(keys)):
            session.insert(keys[k], minhashes[k])
    add_seconds = time.perf_counter() - t
    t = time.perf_counter()
    pairs = set()
    for i, m in zip(keys, minhashes):
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    all_query_seconds = time.perf_counter() - t
    out = {"sign_seconds": sign_seconds, "insert_seconds": insert_seconds, "inserted": len(first),
           "query_paragraph": percentiles(seconds), "add_held_seconds": add_seconds,
           "held_passages": len(keys) - len(first), "all_query_seconds": all_query_seconds,
           "peak_mb": sampler.done(), "pairs": sorted(pairs), "passages": len(texts)}
    if storage == "redis":
        import redis

        info = redis.Redis(host="127.0.0.1", port=port).info("memory")
        out["redis_mb"] = info["used_memory"] / 2**20
    return out


def method_truth(size: int) -> dict[str, Any]:
    from exact_join import exact_pairs

    docs, _ = corpus(size)
    found = exact_pairs(passage_texts(docs), SETTINGS.threshold, 5)
    return {"pairs": sorted(found)}


# ---------------------------------------------------------------- running
def run_method(args: list[str], timeout: float = 7200) -> dict[str, Any]:
    """Run one method in a fresh process; its JSON answer, or the error."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    proc = subprocess.run([sys.executable, __file__, "--method", *args, "--out", out], timeout=timeout,
                          capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout)[-2000:]}
        return json.loads(Path(out).read_text())
    finally:
        os.unlink(out)


@contextlib.contextmanager
def redis_server() -> Iterator[int | None]:
    """A Redis of our own on a free loopback port, without persistence; None when there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def score(found: list[list[int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    got = {(int(a), int(b)) for a, b in found}
    hit = len(got & truth)
    return hit / max(len(truth), 1), hit / max(len(got), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="zh 10k only")
    parser.add_argument("--sizes", type=int, nargs="+", help="corpus sizes (default: 100000 1000000; the "
                        "peers and the batch engine run up to 100000 only)")
    parser.add_argument("--report", action="store_true", help="only write INDEX.md from the saved measurements")
    parser.add_argument("--only", nargs="+", choices=["index", "batch", "truth", "datasketch"],
                        help="measure only these methods again (the others' saved figures stay)")
    parser.add_argument("--method", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.method:
        name, size, *rest = args.method
        call = {"batch": method_batch, "index": method_index, "truth": method_truth,
                "datasketch": method_datasketch, "build": method_build}[name]
        extra: list[Any] = [int(x) if x.isdigit() else x for x in rest]
        Path(args.out).write_text(json.dumps(call(int(size), *extra)))
        return 0
    sizes = args.sizes or ([10_000] if args.quick else [100_000, 1_000_000])
    # Each measurement is saved as soon as it exists: runs for several sizes combine, and a
    # failure while writing the report loses nothing (--report writes it again).
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    for part in sorted(out.glob("index-*.json")):
        rows.update(json.loads(part.read_text()))

    def measure(key: str, method: list[str]) -> None:
        if args.only and method[0] not in args.only:
            return
        print(f"{key}", flush=True)
        rows[key] = run_method(method)
        rows[key]["machine_load"] = os.getloadavg()[0]
        size = key.split()[-1]
        saved = out / f"index-{size}.json"
        saved.write_text(json.dumps({k: v for k, v in rows.items() if k.endswith(f" {size}")}))

    with tempfile.TemporaryDirectory(dir=HERE) as work:
        if not args.report and (not args.only or "index" in args.only):
            # A fresh checkout compiles its kernels on first use (numba's cache, seconds): not in a timing.
            # Each is compiled when first called, so the index's own are warmed by an index build.
            for warm in (["batch", "10000"], ["build", "10000", work]):
                if "error" in run_method(warm):  # else the compiling would land in the first timing, unseen
                    raise SystemExit(f"the warm-up {warm[0]} failed; run it alone to see why")
            rows["seeds"] = seeds_containment()
            (out / "index-seeds.json").write_text(json.dumps({"seeds": rows["seeds"]}))
        for size in [] if args.report else sizes:
            measure(f"index {size}", ["index", str(size), work])
            if size > 100_000:
                continue
            measure(f"batch {size}", ["batch", str(size)])
            if not args.only or {"index", "batch"} <= set(args.only):
                # The machine is noisy: the build and the batch run again, alternating, for a median.
                print(f"build-repeats {size}", flush=True)
                runs = [{"index": run_method(["build", str(size), work]).get("seconds"),
                         "batch": run_method(["batch", str(size)]).get("seconds"),
                         "load": os.getloadavg()[0]} for _ in range(REPEATS)]
                failed = sum(1 for r in runs if not (r["index"] and r["batch"]))
                if failed:
                    print(f"  {failed} repeat(s) failed: the median is of fewer runs", file=sys.stderr)
                rows[f"build-repeats {size}"] = {"runs": runs}
                (out / f"index-{size}.json").write_text(json.dumps({k: v for k, v in rows.items()
                                                                    if k.endswith(f" {size}")}))
            measure(f"truth {size}", ["truth", str(size)])
            measure(f"datasketch-memory {size}", ["datasketch", str(size), "memory", "0"])
            with redis_server() as port:
                if port:
                    measure(f"datasketch-redis {size}", ["datasketch", str(size), "redis", str(port)])
    every = sorted({int(k.split()[-1]) for k in rows if k != "seeds"})
    write_report(HERE / "INDEX.md", rows, [s for s in every if (s == 10_000) == bool(args.quick)], args.quick)
    print((HERE / "INDEX.md").read_text())
    return 0


def write_report(path: Path, rows: dict[str, dict[str, Any]], sizes: list[int], quick: bool) -> None:
    def get(key: str) -> dict[str, Any]:
        return rows.get(key) or {}

    lines = ["# The persistent index (`dedup.Index`) against the batch engine and datasketch", "",
             f"Measured by `python benchmarks/index.py{' --quick' if quick else ''}` (each size's figures saved in "
             f"benchmarks/out/, the report written from them) on {machine()}; "
             f"dedup {dedup.__version__}, default settings but `min_chars=1` (threshold "
             f"{SETTINGS.threshold}, char:5 shingles, {SETTINGS.num_perm} permutations, containment on). "
             "Each method runs in its own process; memory is the peak resident growth of that process "
             "(Redis's own memory apart).", ""]
    for key, row in rows.items():
        if "error" in row:
            lines += [f"- {key}: failed: `{row['error'].strip().splitlines()[-1] if row['error'].strip() else ''}`"]
    for size in sizes:
        ix, batch, truth = get(f"index {size}"), get(f"batch {size}"), get(f"truth {size}")
        if "build_seconds" not in ix:
            continue
        lines += ["", f"## zh {size:,} paragraphs", ""]
        n = ix["passages"]
        truth_pairs = {(a, b) for a, b in truth.get("pairs", [])}
        lines += ["| | dedup index | dedup batch | datasketch in memory | datasketch on Redis |",
                  "|---|---|---|---|---|"]
        mem, red = get(f"datasketch-memory {size}"), get(f"datasketch-redis {size}")

        def rate(count: float, seconds: float | None) -> str:
            return f"{count / seconds:,.0f}/s" if seconds else "-"

        def cell(row: dict[str, Any], key: str, fmt: str = "{:.2f}") -> str:
            value = row
            for part in key.split("."):
                value = value.get(part, {}) if isinstance(value, dict) else {}
            return fmt.format(value) if isinstance(value, (int, float)) else "-"

        built = ix["built_passages"]
        lines += [
            f"| build ({built:,} paragraphs) | {ix['build_seconds']:.1f} s ({rate(built, ix['build_seconds'])}, "
            f"{len(ix['adds'])} add{'s' if len(ix['adds']) > 1 else ''}) | {cell(batch, 'seconds', '{:.1f}')} s for all {n:,} | "
            f"{cell(mem, 'insert_seconds', '{:.1f}')} s insert + {cell(mem, 'sign_seconds', '{:.1f}')} s MinHash "
            f"({rate(mem.get('inserted', 0), mem.get('insert_seconds'))} inserts) | "
            f"{cell(red, 'insert_seconds', '{:.1f}')} s insert ({rate(red.get('inserted', 0), red.get('insert_seconds'))}"
            f" inserts) |",
            f"| add {ix['held_passages']:,} more | {ix['add_held_seconds']:.2f} s | rerun everything | "
            f"{cell(mem, 'add_held_seconds')} s | {cell(red, 'add_held_seconds')} s |",
            f"| query one paragraph, p50 / p99 | {cell(ix, 'query_paragraph.p50_ms')} / "
            f"{cell(ix, 'query_paragraph.p99_ms')} ms | - | {cell(mem, 'query_paragraph.p50_ms')} / "
            f"{cell(mem, 'query_paragraph.p99_ms')} ms | {cell(red, 'query_paragraph.p50_ms')} / "
            f"{cell(red, 'query_paragraph.p99_ms')} ms |",
            f"| query one document (~{ix.get('document_paragraphs', 0):.0f} paragraphs), p50 / p99 | "
            f"{cell(ix, 'query_document.p50_ms')} / {cell(ix, 'query_document.p99_ms')} ms | - | - | - |",
            f"| peak memory | {cell(ix, 'peak_mb', '{:,.0f}')} MB | {cell(batch, 'peak_mb', '{:,.0f}')} MB | "
            f"{cell(mem, 'peak_mb', '{:,.0f}')} MB | {cell(red, 'peak_mb', '{:,.0f}')} MB client + "
            f"{cell(red, 'redis_mb', '{:,.0f}')} MB Redis |",
            f"| on disk | {ix['bytes'] / 2**20:,.0f} MB, {ix['bytes'] / n:,.0f} B/paragraph "
            f"({ix['bytes_vacuumed'] / n:,.0f} after vacuum, {ix['vacuum_seconds']:.1f} s) | - | - | "
            f"{cell(red, 'redis_mb', '{:,.0f}')} MB in RAM |",
        ]
        if truth_pairs:
            cells = []
            for row in (ix, batch, mem, red):
                if row.get("pairs") is not None and "error" not in row:
                    recall, precision = score(row["pairs"], truth_pairs)
                    cells.append(f"{recall:.4f} / {precision:.4f}")
                else:
                    cells.append("-")
            lines.append(f"| recall / precision (pairs with Jaccard >= {SETTINGS.threshold}, "
                         f"{len(truth_pairs):,} true) | " + " | ".join(cells) + " |")
        if batch.get("contained") is not None and ix.get("contained") is not None:
            want, got = {tuple(p) for p in batch["contained"]}, {tuple(p) for p in ix["contained"]}
            lines += ["", f"Contained pairs: the index found {len(got & want):,} of the batch engine's {len(want):,} "
                      f"({len(got & want) / max(len(want), 1):.4f}) and {len(got - want):,} it did not find; the "
                      f"last {ix['held_passages']:,} paragraphs came in a second add."]
        speed = build_speed(rows, size)
        if speed:
            ratio, index_runs, batch_runs = speed
            lines += ["", f"Index build speed against the batch engine: {ratio:.2f} of its speed (goal: at least 0.5), "
                      f"the median of {len(index_runs)} paired runs (of {REPEATS + 1}), each in its own process, "
                      f"alternating (index "
                      f"build {', '.join(f'{x:.1f}' for x in index_runs)} s for {built:,} paragraphs; batch "
                      f"{', '.join(f'{x:.1f}' for x in batch_runs)} s for {n:,}); the table shows the first pair."]
        tables = ix.get("tables", {})
        if tables:
            lines += ["", "Bytes a paragraph by table after vacuum: " + ", ".join(
                f"{name} {value / n:,.0f}" for name, value in sorted(tables.items(), key=lambda x: -x[1])
                if value / n >= 1) + "."]
        lines += ["", f"Adds while building: {', '.join(f'{s:.1f}' for s in ix['adds'])} s."]
        loads = [f"{key.rsplit(' ', 1)[0]} {row['machine_load']:.1f}" for key, row in rows.items()
                 if key.endswith(f" {size}") and "machine_load" in row]
        lines += ["", "One-minute load average at the end of each measurement (above 2, other jobs shared the 2 "
                  f"cores): {', '.join(loads)}. Times are wall-clock."]
    seeds = rows.get("seeds", {})
    if seeds:
        lines += ["", f"## Contained pairs of the seeds ({seeds['batch']} in a batch run, default settings)", "",
                  f"- added at once: {seeds['at_once'][0]} of them found, {seeds['at_once'][1]} others;",
                  f"- one document an add: {seeds['by_document'][0]} found, {seeds['by_document'][1]} others "
                  "(a short passage inside a stored long one shares only the samples it holds)."]
    lines += goals(rows, sizes)
    lines += ["", *NOTES.strip("\n").splitlines()]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def goals(rows: dict[str, dict[str, Any]], sizes: list[int]) -> list[str]:
    """The issue's goals, each with the figure measured for it."""
    small, large = rows.get(f"index {min(sizes)}", {}), rows.get(f"index {max(sizes)}", {})
    if "build_seconds" not in small or "build_seconds" not in large:
        return []
    speed = (build_speed(rows, min(sizes)) or (float("nan"),))[0]
    n = large["passages"]
    q = large["query_paragraph"]
    tables = large.get("tables", {})
    samples = tables.get("samples", 0) / n

    def yes(ok: bool) -> str:
        return "yes" if ok else "no"

    return ["", "## Goals", "", "| goal | measured | met |", "|---|---|---|",
            f"| build {min(sizes):,} at least half the batch engine's speed | {speed:.2f} of its speed | "
            f"{yes(speed >= 0.5)} |",
            f"| {max(sizes):,} indexed on 2 cores in a few minutes | {large['build_seconds'] / 60:.1f} min in "
            f"{len(large['adds'])} adds | {yes(large['build_seconds'] <= 300)} |",
            f"| on disk at most ~1 KB a paragraph | {large['bytes'] / n:,.0f} B ({large['bytes_vacuumed'] / n:,.0f} "
            f"after vacuum; {samples:,.0f} of them the containment samples, not stored with `containment=False`) | "
            f"{yes(large['bytes'] / n <= 1024)} |",
            f"| add 10,000 to {max(sizes):,}: seconds, not a rebuild | {large['add_held_seconds']:.0f} s "
            f"(the build took {large['build_seconds']:.0f} s) | {yes(large['add_held_seconds'] <= 10)} |",
            f"| one-paragraph query against {max(sizes):,}: p50 < 5 ms, p99 < 50 ms | {q['p50_ms']:.1f} ms, "
            f"{q['p99_ms']:.1f} ms | {yes(q['p50_ms'] < 5 and q['p99_ms'] < 50)} |"]


NOTES = """
## What is stored (schema 2)

One SQLite file in WAL mode; `PRAGMA application_id` marks it as an index and `meta` holds the
schema version, the settings (as `Settings.to_dict()`) and whether document texts are kept.

| table | one row per | columns |
|---|---|---|
| `docs` | document | id, first passage number, passage count, add number, length, encoding, text (only with `keep_text`) |
| `passages` | passage | pid (insertion order), document, line, start, end, group; index on (group, pid) |
| `groups` | distinct normal form | gid (order of first passage), 64-bit hash (indexed), passage count, length, sample count, signature nibbles (the low 4 bits of each bin, num_perm / 2 bytes) |
| `texts` | 16 groups | their normal forms, GB18030 in one zlib block (a third smaller than one text a row, and 16 times fewer zlib calls) |
| `bands` | band of a group | `(band << 32 | 32-bit key, gid)`, a WITHOUT ROWID B-tree: the key is the index |
| `samples` | sampled shingle of a group | `(31-bit shingle hash, gid)`, WITHOUT ROWID: the 1/16 of shingles whose hash is smallest in range (schema 1: 1/8) |
| `links` | verified pair of groups | a, b, similarity, containment both ways, kind; index on b |

Passages with equal normal forms share a group, so duplicates cost a `passages` row (about 25
bytes) and nothing else. Exact duplicates are found through the hash (confirmed by the text),
whatever their length; only groups of `min_chars` to `max_chars` characters are banded.
Signatures are not stored whole (schema 1 kept each group's compact signature, 128 bytes): the
low nibbles of its bins bound how many bins agree, so an LSH candidate with a stored group whose
nibbles agree too rarely is dropped as the batch engine's estimate would drop it, and a stored
group that stays a candidate is signed again from its text for its estimate.

## Layout, measured

Band keys in one B-tree keyed by (key, gid) against an LSM-like layout of runs keyed by (run, key,
gid), measured with random keys (19 bands) before the index was written: building 300,000 passages
in adds of 10,000 took 26.7 s against 19.0 s, and one more add of 10,000 rewrote 93 MB of WAL in
1.4 s against 4 MB in 0.65 s, because random keys touch most pages of a B-tree. Runs would need
merging (rewrites that would make some adds slow) and a look-up per run; the single B-tree was
kept, and an add into a large index costs its share of page writes (see the add times above).
Texts: one zlib call per text costs about 60 us (its set-up), more than signing; GB18030 alone is
437 bytes a paragraph on this corpus, 16 to a zlib block 291, 64 to a block 270.

Writing an add: rows go in a hundred-odd a statement (multi-row `VALUES`): 1.7 million band rows
took 1.6 s one row a statement (`executemany`) and 0.6 s that way, in a hand run. The normal forms
are packed on a thread of their own while the rows go in (zlib and SQLite's steps let go of the
GIL); the fixed-rate samples come from a compiled pass; the bucket search ranks only keys that
two groups share. In hand runs of the 89,992-paragraph first add (in one process, beside the
batch engine in the same run) these took the add from 9.1-11.4 s to 5.2-5.5 s (batch 2.6-3.4 s).
The build-speed goal is judged on the median of three paired runs since 29fc656: one pair moved
between 0.47 and 0.54 from run to run on this machine, and the goal (0.5) lies inside that spread,
so it is met by a thin margin, not a wide one.

## What holds (tests/test_index.py)

- Without the containment search, adding a corpus in any number of batches, in corpus order,
  gives exactly the pairs (kinds and similarities), clusters and kept passages of one
  `find_duplicates` run with the same settings and seed (hypothesis, both cluster modes); every
  pair is reported once, by the add of its later passage, and `export` equals their union.
- With it (the default), a corpus added at once gives exactly the batch engine's pairs and
  clusters, contained pairs too: within an add the index runs the batch engine's containment
  search (tested with character, word and mixed shingles). Split into adds, every pair LSH finds
  is still found, and every pair is verified as the batch engine verifies it; the containment
  search's pairs across adds (contained ones, and the odd near pair LSH missed) come from shared
  sampled shingles instead of the batch engine's index of every shingle (which would cost about
  2.8 KB a passage on disk, an estimate: about 230 rows of some 12 bytes), so the index finds most but not all of them (counts above; a test
  checks a short passage inside a long one is found across adds, either one first). No
  incremental index could give the batch answer for every split: whether a sampled shingle
  counts (held by at most `max_posting` texts) depends on documents not yet added.
- Giant buckets and groups: equality holds while no LSH bucket and no group of equal texts has
  more than `max_bucket` members (and no link joins groups whose sizes multiply past
  `max_bucket**2`); beyond that the index reports a superset of the batch engine's star.
- Passages already indexed are always kept first ("first seen is kept"): day 2's `1b9c-new`
  no longer removes day 1's `7f3a-old`.
- `remove` gives the index of the remaining documents; a removed text is forgotten entirely.
- A SIGKILL in the middle of an add (a real subprocess, killed while its pages reach the WAL)
  leaves the index exactly as before; a reader in another process queries throughout a
  writer's adds and always sees the index between two adds; a locked, read-only, foreign,
  older or newer, or damaged file gives a clear error, and `dedup index check` runs
  `PRAGMA integrity_check` and the index's own invariants.
"""


if __name__ == "__main__":
    sys.exit(main())
