"""Speed, memory and quality of dedup as users run it, against its peers, in one run; writes RESULTS.md.

    python benchmarks/run.py            # paragraphs 10k -> 1M, long documents 100 -> 10k (about 30-40 minutes)
    python benchmarks/run.py --quick    # seeds, 10k paragraphs, 100 and 300 long documents (a few minutes)

Two kinds of corpus, both at the command line's default settings (``dedup.Settings()``:
Jaccard >= 0.6 on character 5-grams, 128 permutations, containment search on):

- ``zh:N``: N Chinese paragraphs in documents of 20-50 (``corpus.build``), unit paragraph;
- ``sotu:N``: N long English documents of about 7,000 characters, a tenth of them edited
  whole-document copies (``corpus.build_long``), run at ``--unit document``.

Each corpus is written as a folder of files (its own documents), then measured by:

- ``cli``: ``python -m dedup FOLDER --json OUT`` in a subprocess, defaults, the text report
  on (written to a file, as a terminal would receive it); wall time and the child's peak
  resident memory (``os.wait4``). ``cli-quiet`` adds ``--quiet`` (no text report),
  ``cli-all-pairs`` adds ``--all-pairs``: its JSON lists every verified pair and is scored.
- ``dedup``: the same work in one fresh Python process with stage timings: ``find_duplicates``
  on the folder (the engine: its time is the row's), then ``clean``, the JSON and the text
  report, as the command line does them.
- peers, in a fresh process each, on the normalised passage texts (normalisation is free for
  them): ``datasketch`` MinHashLSH, ``rensa`` RMinHashLSH, ``gaoya`` MinHashStringIndex (its own
  Rust shingling), the last two also ``+verify`` (their candidates checked by exact Jaccard);
  and the exact prefix-filter join, the truth recall and precision are measured against.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing as mp
import os
import pickle
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from corpus import cached as cached_corpus  # noqa: E402
from corpus import write as write_corpus  # noqa: E402

import dedup  # noqa: E402
from dedup.stages import Normalizer, segment  # noqa: E402

DEFAULTS = dedup.Settings()
THRESHOLD, NUM_PERM = DEFAULTS.threshold, DEFAULTS.num_perm
BANDS, ROWS = DEFAULTS.bands, DEFAULTS.rows  # the LSH dedup uses: the +verify peers get the same
N = int(DEFAULTS.shingle.split(":")[1])
DATA = HERE / "data"

# The full run, in the order it runs: first what the goals need (10k -> 1M paragraphs with
# every peer at 10k and 100k; 100 -> 10k long documents), then the intermediate sizes that
# only sharpen the fitted slopes (dedup and the command line). Each corpus carries a guess of
# its minutes on an idle machine: the run scales the guesses by how slow it has been so far
# and leaves out what would overrun --budget, saying so in RESULTS.md.
PEERS = ["datasketch", "rensa", "rensa+verify", "gaoya", "gaoya+verify", "exact-join"]
CLI = ["cli", "cli-quiet", "cli-all-pairs"]
FULL: list[tuple[str, list[str], float]] = [
    ("seeds", ["dedup", *CLI, "exact-join"], 0.2),
    ("zh:10000", ["dedup", *CLI, *PEERS], 0.5),
    ("zh:100000", ["dedup", *CLI, *PEERS], 2.5),
    ("sotu:100", ["dedup", *CLI, *PEERS], 0.3),
    ("sotu:1000", ["dedup", *CLI, *PEERS], 3.0),
    # datasketch (about 8 minutes at 1M), rensa and the exact join (out of memory at 24 GB in
    # earlier runs of this harness) are left out at 1M: no truth there, so nothing is scored.
    ("zh:1000000", ["dedup", "cli", "cli-quiet", "gaoya"], 6.0),
    ("sotu:3000", ["dedup", "cli", "cli-quiet"], 2.0),
    # The exact join takes minutes at 1,000 long documents already: left out at 10,000.
    ("sotu:10000", ["dedup", *CLI, "datasketch", "rensa", "rensa+verify", "gaoya", "gaoya+verify"], 8.0),
    ("zh:30000", ["dedup", "cli"], 0.5),
    ("zh:300000", ["dedup", "cli"], 2.0),
    ("sotu:300", ["dedup", "cli"], 0.5),
]
QUICK: list[tuple[str, list[str], float]] = [
    ("seeds", ["dedup", *CLI, "exact-join"], 0.2),
    ("zh:10000", ["dedup", *CLI, *PEERS], 0.5),
    ("sotu:100", ["dedup", *CLI, *PEERS], 0.3),
    ("sotu:300", ["dedup", "cli", "cli-all-pairs", "datasketch", "exact-join"], 0.5),
]


# ---------------------------------------------------------------- corpora
def unit_of(name: str) -> str:
    return "document" if name.startswith("sotu") else "paragraph"


def load_corpus(name: str) -> list[tuple[str, str]]:
    """``seeds``, ``zh:N`` / ``en:N`` (corpus.build) or ``sotu:N`` (corpus.build_long), cached under benchmarks/data/."""
    if name == "seeds":
        return [(p.name, p.read_text("utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return cached_corpus(name, DATA)


def corpus_folder(name: str, docs: list[tuple[str, str]]) -> Path:
    """The corpus as a folder of UTF-8 files named by document id (written once, then reused)."""
    if name == "seeds":
        return ROOT / "seeds"
    folder = DATA / "folders" / name.replace(":", "-")
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_corpus(docs, folder)
        done.touch()
    return folder


def passages_of(docs: list[tuple[str, str]], unit: str) -> tuple[list[str], dict[tuple[str, int], int]]:
    """The normalised passage texts in document-id order (what the peers are given), and the
    position of each (document id, passage index in it): how dedup's pairs are matched to them."""
    ordered = sorted(docs)
    passages = segment([dedup.Document(i, t) for i, t in ordered], unit)
    ids = [i for i, _ in ordered]
    where = {(ids[d], k): pos for pos, (d, k) in
             enumerate(zip(passages.doc_pos.tolist(), passages.index_in_doc.tolist()))}
    return Normalizer().batch(list(passages.texts())), where


# ---------------------------------------------------------------- in-process methods, one fresh process each
def resident_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakSampler:
    """Samples resident memory every 2 ms on a thread: the peak of one stretch of work, not of the loading before it.

    ``before`` (where it started) and ``peak`` are bytes; ``reset()`` starts a new stretch at the
    resident size of the moment (``engine.py`` measures each stage so)."""

    def __init__(self) -> None:
        import threading

        self.peak = self.before = resident_bytes()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.002):
            self.peak = max(self.peak, resident_bytes())

    def reset(self) -> int:
        """Forget the peak so far: the next one is measured from now; returns the resident bytes now."""
        self.peak = now = resident_bytes()
        return now

    def top(self) -> int:
        """The peak so far, bytes."""
        return max(self.peak, resident_bytes())

    def grown_mb(self) -> float:
        """The peak so far above where the sampler started, MiB."""
        return (self.top() - self.before) / 2**20

    def done(self) -> float:
        """Stops sampling; the peak above where the sampler started, MiB."""
        self.stop.set()
        self.thread.join()
        return self.grown_mb()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _as_array(found: set[tuple[int, int]]) -> np.ndarray:
    return np.array(sorted(found), np.int64).reshape(-1, 2)


def _dedup_cli_path(folder: str, unit: str, out_dir: str, where: dict[tuple[str, int], int],
                    stages: dict[str, float], sampler: PeakSampler, out: Any, text_report: bool) -> None:
    """What ``python -m dedup FOLDER --json OUT`` does, stage by stage.

    Sends the engine's row (pairs at or above the threshold as corpus positions, seconds of
    find_duplicates alone) as soon as it has them, then the row again with the clean, JSON and
    text report stages: a report stage that runs out of time does not lose the engine's figures.
    """
    from dedup._output import atomic_write
    from dedup._report import write_json, write_text_report

    cpu = _cpu()
    start = time.perf_counter()
    result = dedup.find_duplicates(folder, dedup.Settings(unit=unit), timings=stages)
    engine = time.perf_counter() - start
    # Pairs at Jaccard >= threshold (exact, near, and contained pairs that reach it), as positions
    # in passages_of's order.
    passages = result.passages
    ids = [d.id for d in passages.documents]
    pos = np.array([where[(ids[d], k)] for d, k in zip(passages.doc_pos.tolist(), passages.index_in_doc.tolist())],
                   np.int64)
    keep = ~(result.similarity < THRESHOLD - 1e-9)  # NaN (unverified) counts as reported
    row = {"seconds": engine, "stages": dict(stages), "pairs": np.sort(pos[result.pair_index[keep]], axis=1),
           "peak_mb": sampler.grown_mb(), "cpu": _cpu() - cpu, "with_report": None}
    out.send({"dedup": row})
    del pos
    pause = time.perf_counter() - start - engine  # the mapping above is the harness's, not dedup's
    cleaned = None
    for stage in ("clean", "json", "text report"):
        if stage == "text report" and not text_report:
            break
        t = time.perf_counter()
        if stage == "clean":
            cleaned = dedup.clean(result)
        elif stage == "json":
            _write_json(result, folder, out_dir, write_json, atomic_write)
        else:
            _write_text(cleaned, out_dir, write_text_report)
        stages[stage] = time.perf_counter() - t
        row.update(stages=dict(stages), peak_mb=sampler.grown_mb(), cpu=_cpu() - cpu,
                   with_report=time.perf_counter() - start - pause)
        out.send({"dedup": row})


def _write_json(result: Any, folder: str, out_dir: str, write_json: Any, atomic_write: Any) -> None:
    buffer = io.StringIO()
    write_json(result, buffer, False, False, folder)
    atomic_write(Path(out_dir) / "report.json", buffer.getvalue().encode("utf-8"))


def _write_text(cleaned: Any, out_dir: str, write_text_report: Any) -> None:
    with open(Path(out_dir) / "report.txt", "w", encoding="utf-8") as f:
        write_text_report(cleaned, f)


def _child(method: str, path: str, out: Any, text_report: bool = True) -> None:
    payload = pickle.loads(Path(path).read_bytes())
    # dedup reads the folder itself; the peers are given the normalised texts.
    payload["texts"] = None if method == "dedup" else pickle.loads(Path(payload["texts"]).read_bytes())
    import gc

    gc.collect()
    sampler = PeakSampler()
    cpu = _cpu()
    start = time.perf_counter()
    stages: dict[str, float] = {}
    rows: dict[str, dict[str, Any]] = {}
    texts = payload.get("texts")
    if method == "dedup":
        _dedup_cli_path(payload["folder"], payload["unit"], payload["out_dir"], payload["where"], stages, sampler, out,
                        text_report)
        out.send({"done": True})
        return
    if method == "datasketch":
        from peers import datasketch_pairs

        found, stages = datasketch_pairs(texts, THRESHOLD, NUM_PERM, n=N)
        rows[method] = {"seconds": time.perf_counter() - start, "stages": stages, "pairs": _as_array(found)}
    elif method in ("rensa", "rensa+verify"):
        from peers import rensa_pairs, verify_pairs

        if method == "rensa":
            found, stages = rensa_pairs(texts, THRESHOLD, NUM_PERM, n=N)
        else:
            # dedup's LSH: b x r hash values, b bands (rensa needs bands * rows == num_perm)
            found, stages = rensa_pairs(texts, THRESHOLD, BANDS * ROWS, n=N, num_bands=BANDS)
            found, stages["verify"] = verify_pairs(texts, found, THRESHOLD, N)
        rows[method] = {"seconds": time.perf_counter() - start, "stages": stages, "pairs": _as_array(found)}
    elif method in ("gaoya", "gaoya+verify"):
        from peers import gaoya_pairs, verify_pairs

        if method == "gaoya":
            found, stages = gaoya_pairs(texts, THRESHOLD, NUM_PERM, n=N)
        else:
            found, stages = gaoya_pairs(texts, THRESHOLD, NUM_PERM, n=N, estimate_filter=False, bands=(BANDS, ROWS))
            found, stages["verify"] = verify_pairs(texts, found, THRESHOLD, N)
        rows[method] = {"seconds": time.perf_counter() - start, "stages": stages, "pairs": _as_array(found)}
    elif method == "exact-join":
        from exact_join import exact_pairs

        found = exact_pairs(texts, THRESHOLD, N)
        rows[method] = {"seconds": time.perf_counter() - start, "stages": {}, "pairs": _as_array(set(found))}
    else:
        raise ValueError(method)
    cpu = _cpu() - cpu
    peak = sampler.done()
    for row in rows.values():
        row.update(peak_mb=peak, cpu=cpu)
    out.send(rows)
    out.send({"done": True})


def run_in_process(method: str, payload_path: Path, timeout: float, text_report: bool = True) -> dict[str, Any]:
    """Runs *method* in a fresh process; returns its rows (the last sent), or {"failed": why}.

    A child may send its rows several times as it goes (dedup: engine, then each report stage);
    when it runs out of time or crashes after the first, the rows so far are kept with a note.
    """
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(method, str(payload_path), send, text_report))
    proc.start()
    send.close()
    deadline = time.perf_counter() + timeout
    result: dict[str, Any] = {}
    why = None
    while True:
        try:
            if not receive.poll(max(deadline - time.perf_counter(), 0)):
                why = f"timed out after {timeout:.0f} s"
                break
            got = receive.recv()
        except EOFError:
            proc.join(5)
            why = f"crashed (exit code {proc.exitcode}; -9 is the out-of-memory killer)"
            break
        if "done" in got:
            break
        result = got
    if proc.is_alive():
        proc.kill()
    proc.join(5)
    if why and not result:
        return {"failed": why}
    if why:
        for row in result.values():
            row["unfinished"] = why
    return result


# ---------------------------------------------------------------- the command line in a subprocess
TIME = shutil.which("time", path="/usr/bin:/bin")  # GNU time, for the child's own peak memory


def run_cli(folder: Path, options: list[str], out_dir: Path, timeout: float) -> dict[str, Any]:
    """``python -m dedup FOLDER --json OUT [options]``: wall seconds, CPU seconds and peak RSS of the child.

    The child runs under GNU time, which reports its peak RSS: the kernel counts a child forked
    from this harness as having the harness's resident memory until its exec (gigabytes once a
    big corpus is loaded here), so ``os.wait4``'s figure for a direct child is the larger of the
    two; forked from the small ``time`` process, it is the command's own.
    """
    report = out_dir / "cli.json"
    report.unlink(missing_ok=True)
    usage_file = out_dir / "cli.rusage"
    usage_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "dedup", str(folder), "--json", str(report), *options]
    wrapped = [TIME, "-f", "%M %U %S", "-o", str(usage_file), *cmd] if TIME else cmd
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with open(out_dir / "cli.stdout", "wb") as stdout, open(out_dir / "cli.stderr", "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=stdout, stderr=stderr, cwd=ROOT, env=env, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                os.killpg(proc.pid, 9)  # time and the command under it
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return {"failed": f"timed out after {timeout:.0f} s: {' '.join(cmd)}"}
            time.sleep(0.01)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = (out_dir / "cli.stderr").read_text("utf-8", "replace")[-400:]
        return {"failed": f"exit code {proc.returncode}: {' '.join(cmd)}: {tail}"}
    if TIME:
        rss_kb, user, system = usage_file.read_text().split()[-3:]
        rss_mb, cpu = int(rss_kb) / 1024, float(user) + float(system)
    else:
        rss_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    return {"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb, "report": report,
            "text_bytes": (out_dir / "cli.stdout").stat().st_size}


def cli_pairs(report: Path, where: dict[tuple[str, int], int]) -> tuple[np.ndarray, int]:
    """Pairs of the JSON report at Jaccard >= threshold, as corpus positions; and how many pairs it lists."""
    listed = json.loads(report.read_text("utf-8"))["pairs"]
    # Similarities are rounded to 6 decimals in the JSON: exact and near pairs reach the threshold
    # by the engine's exact judgement; a contained pair counts when its rounded Jaccard does.
    got = [(where[(p["a"]["doc"], p["a"]["index"])], where[(p["b"]["doc"], p["b"]["index"])]) for p in listed
           if p["kind"] in ("exact", "near") or p["similarity"] >= THRESHOLD]
    return np.sort(np.array(got, np.int64).reshape(-1, 2), axis=1), len(listed)


def cli_baseline_mb(out_dir: Path) -> float:
    """Peak RSS of the command line on a folder of one short file: the interpreter, numpy and dedup's imports."""
    tiny = out_dir / "tiny"
    tiny.mkdir(exist_ok=True)
    (tiny / "a.txt").write_text("同一段文字出现了两次。\n同一段文字出现了两次。\n", "utf-8")
    got = run_cli(tiny, [], out_dir, 120)
    return got.get("rss_mb", float("nan"))


def warm_kernels(out_dir: Path, timeout: float) -> None:
    """Run the command once on zh:10000, large enough for every compiled kernel, so that numba's cache
    on disk holds them all before anything is timed: in a fresh checkout the first method measured
    would otherwise compile them inside its time (a zh:100000-only run measured 15.4 s for 3.6)."""
    got = run_cli(corpus_folder("zh:10000", load_corpus("zh:10000")), [], out_dir, timeout)
    if "failed" in got:
        raise SystemExit(f"the warm-up run failed: {got['failed']}")


def score(pairs: np.ndarray, truth: set[tuple[int, int]]) -> tuple[float, float]:
    found = set(map(tuple, pairs.tolist()))
    hit = len(found & truth)
    return (hit / len(truth) if truth else 1.0), (hit / len(found) if found else 1.0)


# ---------------------------------------------------------------- the report
def machine(packages: tuple[str, ...] = ("numpy", "numba", "datasketch", "rensa", "gaoya")) -> str:
    """The machine and the versions measured: cores, memory, kernel, Python, dedup and *packages*."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    return (f"{os.cpu_count()} cores, {mem:.0f} GiB memory, {platform.processor() or platform.machine()}, "
            f"Linux {platform.release()}, Python {platform.python_version()}; dedup {dedup.__version__}, {versions}")


def code_version() -> str:
    """The commit measured, and whether dedup/ had uncommitted changes (the working tree is what runs)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "dedup"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"commit {head}" + (f" with {len(dirty)} uncommitted files under dedup/" if dirty else "")


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def profile_summary(folder: Path, top: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    dedup.find_duplicates(folder, dedup.Settings())
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in buffer.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:start + top + 1])


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(seconds) against log(size): 1 is linear, 2 quadratic."""
    pts = [(n, s) for n, s in points if s > 0]
    if len(pts) < 2:
        return float("nan")
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def _cpu_share(r: dict[str, Any]) -> float:
    """The share of a core the row's process had: CPU seconds / wall seconds, at most 1.

    On the shared machine a process often got a third of a core; scaling its stage times by
    this share estimates them on an idle machine (assuming the others slowed every stage alike),
    so that sizes measured under different load can be fitted together."""
    wall = r.get("with_report") or r["seconds"]
    return min(1.0, r["cpu"] / wall) if wall > 0 and r["cpu"] == r["cpu"] else 1.0


def stage_points(rows: list[dict[str, Any]], kind: str, method: str = "dedup", smallest: int = 0,
                 cpu_scaled: bool = False) -> dict[str, list[tuple[float, float]]]:
    """(size, seconds) per stage of *method* over the corpora of *kind* (zh or sotu), and find_duplicates
    as a whole; with *cpu_scaled*, each time is scaled by its process's share of a core."""
    out: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        if r["method"] != method or not r["corpus"].startswith(kind) or r["passages"] < smallest:
            continue
        share = _cpu_share(r) if cpu_scaled else 1.0
        for stage, seconds in r["stages"].items():
            out.setdefault(stage, []).append((r["passages"], seconds * share))
        out.setdefault("find_duplicates", []).append((r["passages"], r["seconds"] * share))
    return out


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    for (kind, label), (ax_t, ax_s, ax_m) in zip((("zh", "Chinese paragraphs"), ("sotu", "long documents (--unit document)")),
                                                 axes):
        sub = [r for r in rows if r["corpus"].startswith(kind)]
        for method in dict.fromkeys(r["method"] for r in sub):
            pts = sorted((r["passages"], r["seconds"], r["peak_mb"]) for r in sub if r["method"] == method)
            if len(pts) < 2:
                continue
            xs = [p[0] for p in pts]
            style = "-" if method.startswith(("cli", "dedup")) else "--"
            ax_t.plot(xs, [p[1] for p in pts], style, marker="o", label=method)
            ax_m.plot(xs, [p[2] for p in pts], style, marker="o", label=method)
        colours = plt.get_cmap("tab20").colors
        for k, (stage, pts) in enumerate(stage_points(rows, kind, cpu_scaled=True).items()):
            if len(pts) >= 2 and max(s for _, s in pts) >= 0.01:
                pts.sort()
                ax_s.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", color=colours[k % len(colours)],
                          linewidth=2.5 if stage == "find_duplicates" else 1.2,
                          label=f"{stage} ({slope([p for p in pts if p[0] >= (10_000 if kind == 'zh' else 100)]):.2f})")
        for ax, ylabel in ((ax_t, "seconds, wall"), (ax_s, "seconds per stage, scaled to a core"),
                           (ax_m, "peak memory, MiB")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(f"passages: {label}")
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    axes[0][1].set_title("legend: stage (fitted log-log slope)", fontsize=9)
    fig.suptitle(f"dedup (command line and in-process) vs peers: time and memory against corpus size "
                 f"(char {N}-grams, Jaccard >= {THRESHOLD})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _extrapolate(points: list[tuple[float, float]], size: int) -> float:
    """Seconds at *size* from (size, seconds) at smaller sizes: the log-log slope through them
    (never below 1) from the largest; linear from a single point; 0 from none."""
    points = sorted(p for p in points if p[0] < size and p[1] > 0)
    if not points:
        return 0.0
    n0, t0 = points[-1]
    power = max(slope(points), 1.0) if len(points) >= 2 else 1.0
    return t0 * (size / n0) ** power


def _expected(rows: list[dict[str, Any]], name: str, method: str, size: int, stage: str | None = None) -> float:
    """Seconds *method* (or one stage of dedup's) should take at *size*, judged from the smaller
    sizes of the same kind. For dedup each stage is extrapolated on its own and summed: one
    quadratic stage shows up even while the others hide it in the total."""
    kind = name.split(":")[0]
    before = [r for r in rows if r["method"] == method and r["corpus"].split(":")[0] == kind and r["passages"] < size]
    if not before:
        return 0.0
    if stage is not None:
        if any(stage not in r["stages"] for r in before):
            return float("inf")  # left out or unfinished at a smaller size already
        return _extrapolate([(r["passages"], r["stages"][stage]) for r in before], size)
    if method == "dedup":
        engine = [k for k in before[0]["stages"] if k not in ("clean", "json", "text report")]
        return sum(_extrapolate([(r["passages"], r["stages"].get(k, 0.0)) for r in before], size) for k in engine)
    return _extrapolate([(r["passages"], r["seconds"]) for r in before], size)


def run_corpus(name: str, methods: list[str], work: Path, timeout: float, baseline_mb: float,
               rows: list[dict[str, Any]], failures: list[str], deadline: float = float("inf")) -> None:
    t_load = time.perf_counter()
    docs = load_corpus(name)
    unit = unit_of(name)
    folder = corpus_folder(name, docs)
    texts, where = passages_of(docs, unit)
    text_bytes = sum(len(t.encode("utf-8")) for _, t in docs)
    del docs
    payload = work / "payload.pickle"
    # The peers' texts apart: dedup's process never loads them (loaded and freed, they would leave it a heap
    # its run reuses, and its memory growth would read some 600 MB low at 1M).
    (work / "texts.pickle").write_bytes(pickle.dumps(texts, protocol=5))
    payload.write_bytes(pickle.dumps({"texts": str(work / "texts.pickle"), "folder": str(folder), "unit": unit,
                                      "out_dir": str(work), "where": where}, protocol=5))
    print(f"{name}: {len(texts):,} passages ready in {time.perf_counter() - t_load:.0f} s", file=sys.stderr, flush=True)
    results: dict[str, dict[str, Any]] = {}
    # --all-pairs is the scoring run: --quiet, so a slow text report does not hold up the score.
    cli_options = {"cli": [], "cli-quiet": ["--quiet"], "cli-all-pairs": ["--all-pairs", "--quiet"]}
    for method in methods:
        limit = min(timeout, deadline - time.time())
        expected = _expected(rows, name, method, len(texts))
        # Left out only when clearly hopeless: the extrapolation carries the load of the moment.
        if expected > 2 * limit:
            failures.append(f"{name}: {method} left out: about {expected:.0f} s expected (extrapolated from the "
                            f"smaller sizes of this run), over twice the {limit:.0f} s it could have")
            print(failures[-1], file=sys.stderr, flush=True)
            continue
        print(f"{name}: {method} ...", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        if method in cli_options:
            options = cli_options[method] + (["--unit", unit] if unit != "paragraph" else [])
            got = run_cli(folder, options, work, limit)
            if "failed" not in got:
                pairs, listed = cli_pairs(got.pop("report"), where)
                # cli and cli-quiet list the default report's pairs (members to kept passages,
                # contained relations, pairs across clusters): timed, not scored.
                got.update(pairs=pairs, listed=listed, scored=method == "cli-all-pairs", stages={},
                           peak_mb=got["rss_mb"] - baseline_mb)
                got = {method: got}
        else:
            report = True
            report_s = _expected(rows, name, method, len(texts), "text report")
            if method == "dedup" and report_s > limit - expected:
                report = False
                failures.append(f"{name}: dedup's text report stage left out: about {report_s:.0f} s expected "
                                f"(extrapolated from the smaller sizes), over the time left")
            got = run_in_process(method, payload, limit, report)
        if "failed" in got:
            print(f"{name}: {method} {got['failed']}", file=sys.stderr, flush=True)
            failures.append(f"{name}: {method} {got['failed']}")
            continue
        for key, row in got.items():
            row["load"] = load
            results[key] = row
            if "unfinished" in row:
                done = ", ".join(row["stages"]) or "nothing"
                failures.append(f"{name}: {key} {row['unfinished']} after {done} (the figures up to there are kept)")
    truth_pairs = results.get("exact-join", {}).get("pairs")
    truth = set(map(tuple, truth_pairs.tolist())) if truth_pairs is not None else None
    for method, got in results.items():
        scored = truth is not None and got.get("scored", True)
        recall, precision = score(got["pairs"], truth) if scored else (float("nan"),) * 2
        rows.append({"corpus": name, "method": method, "passages": len(texts), "text_bytes": text_bytes,
                     "seconds": got["seconds"], "cpu": got.get("cpu", float("nan")), "peak_mb": got["peak_mb"],
                     "rss_mb": got.get("rss_mb"), "pairs": got.get("listed", len(got["pairs"])), "recall": recall,
                     "precision": precision, "stages": got.get("stages", {}), "truth": len(truth or ()),
                     "with_report": got.get("with_report"), "report_bytes": got.get("text_bytes"),
                     "load": got["load"]})
        print(f"{name}: {method} {got['seconds']:.2f} s, recall {recall:.4f}, precision {precision:.4f}, "
              f"peak {got['peak_mb']:.0f} MiB", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="seeds, 10k paragraphs, 100 and 300 long documents")
    parser.add_argument("--only", nargs="*", help="run only these corpora of the plan (e.g. zh:100000 sotu:1000)")
    parser.add_argument("--methods", nargs="*", help="with --only: run only these methods")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--plot", type=Path, default=HERE / "scaling.png")
    parser.add_argument("--timeout", type=float, default=480, help="seconds a method may take on one corpus")
    parser.add_argument("--budget", type=float, default=40, help="minutes the whole run may take (sizes that "
                        "would overrun it are left out)")
    parser.add_argument("--merge", action="store_true",
                        help="with --only: replace those corpora's rows in the last run's saved measurements")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md and the plot from the last run's saved measurements")
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    # A run of some corpora (--only) keeps its own measurements: the full run's, which RESULTS.md
    # is written from, are replaced only through --merge.
    saved = DATA / ("rows-quick.pickle" if args.quick else "rows-only.pickle" if args.only and not args.merge
                    else "rows.pickle")
    if args.report_only:
        rows, failures, profile, meta = pickle.loads(saved.read_bytes())
        plot(rows, args.plot)
        write_report(args.out, rows, profile, args.quick, failures, meta)
        return 0
    previous = pickle.loads(saved.read_bytes()) if args.merge and saved.exists() else None
    plan = QUICK if args.quick else FULL
    if args.only:
        known = {name: (methods, guess) for name, methods, guess in FULL + QUICK}
        plan = [(name, *known.get(name, (["dedup", "cli"], 1.0))) for name in args.only]
        if args.methods:
            plan = [(name, [m for m in methods if m in args.methods], guess) for name, methods, guess in plan]
    # A private working folder: other people running this harness on the same checkout
    # share benchmarks/data/ (the corpus caches) but not the payloads and reports.
    work = DATA / f"work-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    meta = {"started": started, "load_start": os.getloadavg(), "baseline_mb": cli_baseline_mb(work),
            "budget": args.budget, "code": code_version()}
    warm_kernels(work, args.timeout)
    guessed = spent = 0.0
    try:
        for name, methods, guess in plan:
            elapsed = (time.time() - started) / 60
            slowdown = max(spent / guessed, 1.0) if guessed else 1.0
            if elapsed + guess * slowdown > args.budget:
                failures.append(f"{name}: left out: about {guess * slowdown:.0f} minutes expected "
                                f"({slowdown:.1f}x the idle-machine guess, as the run so far), "
                                f"{args.budget - elapsed:.0f} left of the {args.budget:.0f}-minute budget")
                print(failures[-1], file=sys.stderr, flush=True)
                continue
            t0 = time.time()
            deadline = started + args.budget * 60
            run_corpus(name, methods, work, args.timeout, meta["baseline_mb"], rows, failures, deadline)
            guessed += guess
            spent += (time.time() - t0) / 60
            meta["seconds"] = time.time() - started
            # Saved as it goes: a later failure loses nothing measured (rewrite with --report-only).
            partial = DATA / "rows-merge-partial.pickle" if args.merge else saved
            partial.write_bytes(pickle.dumps((rows, failures, "(no profile: the run did not finish)", meta)))
            write_report(args.out, rows, "(profile comes at the end of the run)", args.quick, failures, meta)
        meta["load_end"] = os.getloadavg()
        profiled = next((n for n in ("zh:100000", "zh:10000") if any(r["corpus"] == n for r in rows)), None)
        profile = (profile_summary(corpus_folder(profiled, load_corpus(profiled)))
                   if profiled else "(no Chinese paragraph corpus in this run)")
        meta["profiled"] = profiled
        meta["seconds"] = time.time() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if previous:
        # A re-measurement of some corpora (e.g. one left out for time) folded into the last full run.
        old_rows, old_failures, old_profile, old_meta = previous
        names = {name for name, _, _ in plan}
        redone = {(name, m) for name, methods, _ in plan for m in methods}
        rows = [r for r in old_rows if (r["corpus"], r["method"]) not in redone] + rows
        failures = [f for f in old_failures
                    if not f.startswith(tuple(f"{name}: left out" for name in names))
                    and not any(f.startswith(f"{name}: {m} ") or f.startswith(f"{name}: {m}'s ")
                                for name, m in redone)] + failures
        profile = profile if meta.get("profiled") else old_profile
        old_meta.setdefault("merged", []).append(
            f"{', '.join(sorted(names))} measured again in a separate run started "
            f"{time.strftime('%H:%M', time.gmtime(started))} UTC ({meta['seconds'] / 60:.0f} minutes, on {meta['code']})")
        if meta.get("profiled"):
            old_meta["profiled"] = meta["profiled"]
        meta = old_meta
    saved.write_bytes(pickle.dumps((rows, failures, profile, meta)))
    plot(rows, args.plot)
    write_report(args.out, rows, profile, args.quick, failures, meta)
    print(f"wrote {args.out} and {args.plot} in {meta['seconds'] / 60:.1f} minutes", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- RESULTS.md
def _row(rows: list[dict[str, Any]], corpus: str, method: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["corpus"] == corpus and r["method"] == method), None)


def _catch(bands: int, rows: int) -> float:
    """Probability that LSH with these bands and rows proposes a pair at exactly the threshold."""
    return 1 - (1 - THRESHOLD**rows) ** bands


def _verdict(peer: dict[str, Any], ours: dict[str, Any], factor: float = 1.0) -> str:
    """Met when the peer takes more than *factor* times ours by wall clock and by CPU seconds;
    mixed when the two disagree (the load of the moment, or a peer on two threads)."""
    wall, cpu = peer["seconds"] / ours["seconds"] > factor, peer["cpu"] / ours["cpu"] > factor
    if wall == cpu:
        return _yes(wall)
    return "**mixed**: met by wall clock, missed by CPU seconds" if wall else "**mixed**: met by CPU seconds only"


def _combine(verdicts: list[str]) -> str:
    if all(v == _yes(True) for v in verdicts):
        return _yes(True)
    return _yes(False) + (" at some sizes" if any(v == _yes(True) for v in verdicts) else "")


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def beyond_text(r: dict[str, Any]) -> float:
    """Peak memory per passage above the start-up baseline, less the input's UTF-8 bytes."""
    return (r["peak_mb"] * 2**20 - r["text_bytes"]) / r["passages"]


def goals(rows: list[dict[str, Any]], failures: list[str], merged: bool = False) -> list[str]:
    """The issue's goals, each with the figure measured in this run and whether it is met."""
    out = ["## Goals", "",
           "Measured side by side in this run" + (" (a corpus measured again in a separate run, named above, is "
                                                  "compared within that run)" if merged else "") + ". `cli` is `python -m dedup FOLDER --json R` with every default "
           "(containment search on, text report on); ratios are the peer's time / the command line's time, by "
           "wall clock and (in brackets) by CPU seconds, which the other work on the machine disturbs less.", "",
           "| goal | measured | |", "|---|---|---|"]

    def ratio(peer: dict[str, Any], ours: dict[str, Any]) -> str:
        return f"{peer['seconds'] / ours['seconds']:.2f}x ({peer['cpu'] / ours['cpu']:.2f}x CPU)"

    def missing(corpus: str, method: str) -> str:
        why = [f.split(": ", 1)[1] for f in failures if f.startswith(f"{corpus}: {method} ")]
        return f"`{method}` at {corpus}: " + (why[0] if why else "not run")

    zh = "zh:100000"
    cli, quiet, allp = _row(rows, zh, "cli"), _row(rows, zh, "cli-quiet"), _row(rows, zh, "cli-all-pairs")
    sketch = _row(rows, zh, "datasketch")
    goal = "CLI defaults, 100k Chinese paragraphs: >= 30x datasketch"
    if cli and sketch:
        extra = f"; `--quiet` {quiet['seconds']:.1f} s: {ratio(sketch, quiet)}" if quiet else ""
        out.append(f"| {goal} | {cli['seconds']:.1f} s against {sketch['seconds']:.1f} s: {ratio(sketch, cli)}"
                   f"{extra} | {_verdict(sketch, cli, 30)} |")
    else:
        out.append(f"| {goal} | {missing(zh, 'cli' if not cli else 'datasketch')} | **missed** (not measured) |")
    for peer in ("gaoya", "rensa"):
        ver, raw = _row(rows, zh, f"{peer}+verify"), _row(rows, zh, peer)
        if cli and ver:
            rawtxt = f"; unverified {raw['seconds']:.1f} s, recall {raw['recall']:.4f}: {ratio(raw, cli)}" if raw else ""
            out.append(f"| ... faster than {peer} with exact verification | {peer}+verify {ver['seconds']:.1f} s, "
                       f"recall {ver['recall']:.4f}: {ratio(ver, cli)}{rawtxt} | {_verdict(ver, cli)} |")
    if allp:
        ok = allp["recall"] >= 0.99 and allp["precision"] == 1.0
        out.append(f"| ... recall >= 0.99 and precision 1.0 against the exact join (`--all-pairs`) | recall "
                   f"{allp['recall']:.4f}, precision {allp['precision']:.4f} ({allp['truth']:,} true pairs) | {_yes(ok)} |")
    docs = sorted({r["corpus"] for r in rows if r["corpus"].startswith("sotu")} |
                  {f.split(": ")[0] for f in failures if f.startswith("sotu")}, key=lambda c: int(c.split(":")[1]))
    parts, verdicts = [], []
    for c in docs:
        a, b = _row(rows, c, "cli"), _row(rows, c, "datasketch")
        if not b:
            continue
        if a:
            parts.append(f"{int(c.split(':')[1]):,} docs: {a['seconds']:.1f} s against {b['seconds']:.1f} s, "
                         f"{ratio(b, a)}")
            verdicts.append(_verdict(b, a))
        else:
            parts.append(f"{int(c.split(':')[1]):,} docs: datasketch {b['seconds']:.1f} s; {missing(c, 'cli')}")
            verdicts.append(_yes(False))
    if parts:
        out.append(f"| Long documents, `--unit document`, text report on: faster than datasketch MinHashLSH | "
                   f"{'; '.join(parts)} | {_combine(verdicts)} |")
    big, big_quiet = _row(rows, "zh:1000000", "cli"), _row(rows, "zh:1000000", "cli-quiet")
    if big:
        extra = f"; `--quiet` {big_quiet['seconds']:.1f} s" if big_quiet else ""
        out.append(f"| 1M paragraphs, CLI defaults, under 60 s on 2 cores | {big['seconds']:.1f} s wall, "
                   f"{big['cpu']:.0f} s of CPU{extra} | {_yes(big['seconds'] < 60)} |")
        per = beyond_text(big)
        out.append(f"| ... peak memory under 1 KB a passage beyond the text | {big['rss_mb']:,.0f} MiB peak RSS, "
                   f"{big['peak_mb']:,.0f} above start-up, {big['text_bytes'] / 2**20:,.0f} MiB of text: "
                   f"{per:,.0f} bytes a passage beyond it | {_yes(per < 1024)} |")
    else:
        out.append(f"| 1M paragraphs, CLI defaults, under 60 s on 2 cores | {missing('zh:1000000', 'cli')} | "
                   "**missed** (not measured) |")
    fits = [(stage, slope(pts), max(t for _, t in pts)) for stage, pts in
            stage_points(rows, "zh", smallest=10_000, cpu_scaled=True).items() if len(pts) >= 3]
    cli_pts = [(r["passages"], r["cpu"]) for r in rows
               if r["method"] == "cli" and r["corpus"].startswith("zh") and r["passages"] >= 10_000]
    if len(cli_pts) >= 3:
        fits.append(("cli (CPU seconds)", slope(cli_pts), max(t for _, t in cli_pts)))
    if fits:
        # Stages under a second at the largest size are reported, not judged: their slope is
        # mostly start-up and noise.
        judged = [f for f in fits if f[2] >= 1.0]
        sizes = sorted({r["passages"] for r in rows if r["method"] == "dedup" and r["corpus"].startswith("zh")
                        and r["passages"] >= 10_000})
        text = ", ".join(f"{stage} {b:.2f}" + ("" if top >= 1.0 else " (under 1 s)") for stage, b, top in fits)
        out.append(f"| Every stage near-linear, paragraphs {sizes[0]:,} -> {sizes[-1]:,} (log-log slope of seconds "
                   f"against size, stage times scaled by their process's share of a core; judged <= 1.15 on stages "
                   f"taking 1 s or more at the largest size) | {text} | "
                   f"{_yes(bool(judged) and max(f[1] for f in judged) <= 1.15)} |")
    return [*out, ""]


def table(rows: list[dict[str, Any]], corpus: str) -> list[str]:
    sub = [r for r in rows if r["corpus"] == corpus]
    base = _row(rows, corpus, "cli") or _row(rows, corpus, "dedup") or sub[0]
    unit = unit_of(corpus)
    first = sub[0]
    truth = (f"{first['truth']:,} true pairs" if any(r["method"] == "exact-join" for r in sub)
             else "no exact join at this size, so no recall")
    out = [f"### {corpus} ({first['passages']:,} {unit}s, {first['text_bytes'] / 2**20:,.1f} MiB of text, {truth})", "",
           f"| method | seconds | x {base['method']} time | CPU s | peak MiB | bytes/passage beyond text | pairs | "
           "recall | precision | load |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sub:
        ratio = r["seconds"] / base["seconds"]
        pairs = f"{r['pairs']:,}" + (" listed" if r["method"] in ("cli", "cli-quiet") else "")
        out.append(f"| {r['method']} | {r['seconds']:.2f} | {ratio:.2f} | {r['cpu']:.1f} | {r['peak_mb']:,.0f} | "
                   f"{beyond_text(r):,.0f} | {pairs} | {r['recall']:.4f} | {r['precision']:.4f} | {r['load']:.1f} |")
    ded = _row(rows, corpus, "dedup")
    if ded and ded["stages"]:
        out += ["", "dedup in-process stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in ded["stages"].items())
                + f"; find_duplicates {ded['seconds']:.2f}"
                + (f", with clean, JSON and text report {ded['with_report']:.2f}" if "text report" in ded["stages"]
                   else "")]
    cli = _row(rows, corpus, "cli")
    if cli and cli.get("report_bytes") is not None:
        out += ["", f"Text report: {cli['report_bytes']:,} bytes."]
    return [*out, ""]


NOTES_START = "<!-- notes: written by hand after a run; kept when the report is regenerated -->"
NOTES_END = "<!-- /notes -->"


def _kept_notes(path: Path) -> str:
    """The hand-written notes of the report at *path*, if it has any."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        return ""
    if NOTES_START not in text or NOTES_END not in text:
        return ""
    return text.split(NOTES_START, 1)[1].split(NOTES_END, 1)[0].strip("\n")


def write_report(path: Path, rows: list[dict[str, Any]], profile: str, quick: bool, failures: list[str],
                 meta: dict[str, Any]) -> None:
    loads = [r["load"] for r in rows] or [float("nan")]
    out = ["# Benchmark results", "",
           f"Generated by `python benchmarks/run.py{' --quick' if quick else ''}`, started "
           f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(meta['started']))} UTC, "
           f"{meta.get('seconds', 0) / 60:.0f} minutes, on {meta.get('code', 'unknown')}"
           + "".join(f"; {m}" for m in meta.get("merged", [])) + ".", "",
           f"Machine: {machine()}. The machine was shared while this ran: the 1-minute load average "
           f"at the start of each method ranged {min(loads):.1f}-{max(loads):.1f} (column `load`; 2 means both "
           "cores busy), so absolute times are inflated by others' work, most where the load is high; ratios "
           "within one corpus are measured minutes apart under similar load.", "",
           f"Task: every pair of passages with Jaccard >= {THRESHOLD} on character {N}-grams of the normalised text "
           "(NFKC, case fold, whitespace removed), 128 permutations: the command line's defaults. "
           "Truth: the exact prefix-filter join (`benchmarks/exact_join.py`) on the same normalised passages.", "",
           "Methods:", "",
           "- `cli`: `python -m dedup FOLDER --json R` (plus `--unit document` for the long documents) in a "
           "subprocess: every default, containment search on, text report on (to a file). Time is wall time from "
           "launch to exit, interpreter start-up included; memory is the child's peak RSS less "
           f"{meta['baseline_mb']:.0f} MiB, the peak of the same command on a one-line file (interpreter, numpy, "
           "dedup). Its JSON lists each member's pair with its kept passage, contained relations and pairs across "
           "clusters: `pairs` counts those, and it is not scored. `cli-quiet` adds `--quiet` (no text report); "
           "`cli-all-pairs` adds `--all-pairs --quiet` (every verified pair listed): that one is scored.",
           "- `dedup`: the same work in one process with stage timings: `find_duplicates(FOLDER)` (the row's "
           "time; read, segment, normalise, shingle, sign, bucket, verify, containment, cluster), then `clean`, "
           "the JSON and the text report (the stages line gives them; peak memory covers all of it, above the "
           "process's start).",
           "- peers, each in a fresh process given the normalised passage texts ready-made, as their documentation "
           "shows: `datasketch` (MinHash.bulk, MinHashLSH with its own 18 x 7 bands for 0.6 / 128), `rensa` "
           "(RMinHash.from_token_sets, RMinHashLSH: 16 x 8, the divisor split of 128 datasketch's error weighting "
           "prefers), `gaoya` (MinHashStringIndex with its own Rust character 5-gram shingling, datasketch's 18 x 7, "
           "par_bulk_insert_docs and par_bulk_query on native threads: it uses both cores, see CPU s; its query "
           "drops candidates whose estimated Jaccard is below the threshold). These settings miss pairs near the "
           f"threshold by design (a pair at exactly {THRESHOLD} is caught with probability {_catch(16, 8):.2f} by 16 x 8, "
           f"{_catch(18, 7):.2f} by 18 x 7). "
           f"`rensa+verify` and `gaoya+verify` get dedup's own LSH instead ({BANDS} bands x {ROWS} rows = "
           f"{BANDS * ROWS} hash values, catching a pair at the threshold with probability {_catch(BANDS, ROWS):.3f}; "
           "gaoya's estimate "
           "filter off) and check every candidate by the exact Jaccard of its shingle sets (dedup's vectorised "
           "`Shingler` + `overlap`, only on texts in a candidate): the same pipeline as dedup's, so these rows "
           "compare implementations.",
           "- `bytes/passage beyond text`: (peak memory above start-up - the input's UTF-8 bytes) / passages.", ""]
    out += goals(rows, failures, bool(meta.get("merged")))
    out += [NOTES_START, _kept_notes(path), NOTES_END, ""]
    for kind, title in (("seeds", "Seeds (unit paragraph)"), ("zh", "Chinese paragraphs (unit paragraph)"),
                        ("sotu", "Long documents (`--unit document`)")):
        corpora = list(dict.fromkeys(r["corpus"] for r in rows if r["corpus"].split(":")[0] == kind))
        if not corpora:
            continue
        out += [f"## {title}", ""]
        if kind == "sotu":
            out += ["State of the Union addresses (`sotu` 0.1.2) cut into documents of 5-12 paragraphs, about 7,000 "
                    "characters; past about 1,500 documents the paragraphs recombine real sentences "
                    "(`corpus.build_long`). A tenth of the documents are edited copies of others: exact, case, "
                    "quotes, paragraphs reordered, 1-2% character edits, paragraphs dropped or inserted, the first "
                    "half (excerpt), or the document followed by another (merge).", ""]
        if kind == "seeds":
            out += ["The seed corpus has headlines of under 8 characters: dedup matches those only exactly "
                    "(`--min-chars 8`), the exact join by 5-gram sets, so recall here measures that choice too.", ""]
        for corpus in sorted(corpora, key=lambda c: int(c.split(":")[1]) if ":" in c else 0):
            out += table(rows, corpus)
    slopes = []
    for kind, smallest, label in (("zh", 10_000, "paragraphs"), ("sotu", 100, "documents")):
        for scaled, how in ((False, "wall"), (True, "scaled to a whole core")):
            pts = stage_points(rows, kind, smallest=smallest, cpu_scaled=scaled)
            sizes = sorted({n for p in pts.values() for n, _ in p})
            if len(sizes) >= 2:
                slopes.append(f"- {label} ({', '.join(f'{n:,}' for n in sizes)}), {how}: " + ", ".join(
                    f"{stage} {slope(p):.2f}" for stage, p in pts.items() if len(p) >= 2))
        cli = sorted((r["passages"], r["cpu"], r["seconds"]) for r in rows
                     if r["method"] == "cli" and r["corpus"].startswith(kind) and r["passages"] >= smallest)
        if len(cli) >= 2:
            slopes.append(f"- {label}, the command line as a whole: CPU seconds "
                          f"{slope([(n, c) for n, c, _ in cli]):.2f}, wall {slope([(n, w) for n, _, w in cli]):.2f}")
    if slopes:
        out += ["## Scaling", "", "Fitted log-log slope of seconds against passages for each stage of the in-process "
                "run (1.0 is linear; stages of a few hundredths of a second are mostly noise). Wall times carry the "
                "load of the moment (the larger sizes ran under heavier load), so the stage times are also given "
                "scaled by their process's CPU seconds / wall seconds:", "", *slopes, "",
                "![time and memory against corpus size](scaling.png)", ""]
    if failures:
        out += ["## Runs that did not finish or were left out", ""] + [f"- {f}" for f in failures] + [""]
    if meta.get("profiled"):
        out += [f"## Where the time goes (cProfile of `find_duplicates` on {meta['profiled']}, defaults, "
                "top functions by own time)", "", "```", profile, "```", ""]
    path.write_text("\n".join(out), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
