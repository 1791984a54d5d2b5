"""The whole pipeline in one call: read, segment, normalise, shingle, sign, bucket, verify, cluster."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._arrays import decode_pairs, first_of_runs
from ._boilerplate import find_boilerplate
from ._cluster import components, keep_order
from ._contain import Sample, candidates_from_samples, sample_batch
from ._lsh import band_keys, candidate_pairs, group_pairs, optimal_params
from ._minhash import check_signing, sign
from ._normalize import Normalizer
from ._progress import steps
from ._read import Document, ReadError, read_corpus
from ._result import KINDS, Result
from ._segment import Passage, Passages, Unit, segment
from ._shingle import Shingler, parse_shingle
from ._verify import longest_extra_run, overlap

__all__ = ["Keep", "find_duplicates"]

Keep = Literal["first", "longest"] | Callable[[Passage], Any]
Boilerplate = Literal["mark", "ignore"]
Corpus = str | Path | Iterable[tuple[str, str]] | Iterable[Document]
EXACT, NEAR, CONTAINED = (KINDS.index(k) for k in ("exact", "near", "contained"))


def find_duplicates(
    corpus: Corpus,
    *,
    unit: Unit = "paragraph",
    threshold: float = 0.6,
    shingle: str | Shingler = "char:5",
    num_perm: int = 128,
    seed: int = 1,
    normalizer: Normalizer | None = None,
    min_chars: int = 8,
    max_chars: int = 1_000_000,
    verify: bool = True,
    keep: Keep = "first",
    glob: str = "*.txt",
    contained: float = 0.8,
    block: int = 40,
    max_bucket: int = 100,
    containment: bool = True,
    repair_breaks: bool = False,
    boilerplate: Boilerplate = "mark",
    boilerplate_chars: int = 32,
    boilerplate_docs: int = 2,
    batch_size: int = 4096,
    progress: bool = False,
    timings: dict[str, float] | None = None,
) -> Result:
    """Find exact and near-duplicate passages in *corpus* (a folder, or ``(id, text)`` pairs).

    Passages whose normalised texts are equal are ``exact`` pairs. Passages of at
    least *min_chars* normalised characters are also compared by MinHash LSH and,
    with ``containment``, by a search for passages lying inside others; every
    candidate is verified by the exact Jaccard similarity and containment of its
    shingle sets (unless ``verify=False``). A pair is ``near`` when its Jaccard
    reaches *threshold*, and ``contained`` when one side's shingles lie at least
    *contained* inside the other and the other carries more: below the threshold,
    or above it with an extra block of at least *block* characters. Exact and near
    pairs form clusters; each keeps one passage: ``keep="first"`` (corpus order),
    ``"longest"`` or a key function of a ``Passage`` (smallest key kept; ties go to
    corpus order).

    Boilerplate (short lines recurring across *boilerplate_docs* documents, such as
    mastheads; see ``find_boilerplate``) is flagged in ``Result.boilerplate`` and its
    clusters are kept apart in ``Result.boilerplate_clusters``; ``boilerplate="ignore"``
    leaves it out of matching altogether. ``repair_breaks`` joins paragraphs cut
    mid-sentence by a page break. ``progress`` draws bars on stderr. A *timings*
    dict receives the seconds spent in each stage.

    >>> r = find_duplicates([("a", "重复的一段话，足够长。\\n别的"), ("b", "重复的一段话,足够长。")])
    >>> [(p.a.doc, p.b.doc, p.kind) for p in r.pairs], [c.kept.doc for c in r.clusters]
    ([('a', 'b', 'exact')], ['a'])
    """
    shingler = parse_shingle(shingle) if isinstance(shingle, str) else shingle
    _check(threshold, min_chars, max_chars, contained, block, keep, boilerplate)
    check_signing(num_perm, seed)
    bands, rows = optimal_params(threshold, num_perm)
    normalizer = normalizer or Normalizer()
    if shingler.kind != "char" and not normalizer.keep_spaces:
        normalizer = dataclasses.replace(normalizer, keep_spaces=True)
    config = {"unit": unit, "threshold": threshold, "shingle": f"{shingler.kind}:{shingler.n}",
              "num_perm": num_perm, "bands": bands, "rows": rows, "seed": seed, "min_chars": min_chars,
              "verify": verify, "keep": keep if isinstance(keep, str) else "key",
              "containment": containment, "contained": contained, "block": block,
              "repair_breaks": repair_breaks, "boilerplate": boilerplate,
              "boilerplate_chars": boilerplate_chars, "boilerplate_docs": boilerplate_docs,
              "normalizer": dataclasses.asdict(normalizer)}

    clock = _Clock(timings)
    documents, errors = read_corpus(corpus, glob, progress)
    clock("read")
    passages = segment(documents, unit, repair_breaks)
    clock("segment")
    norms = _normalized(passages, normalizer)
    lengths = np.fromiter((len(t) for t in norms), np.int64, len(norms))
    errors = errors + _oversized(passages, lengths, max_chars)
    flagged = find_boilerplate(passages, norms, boilerplate_chars, boilerplate_docs)
    clock("normalize")

    # Ignored boilerplate is treated like an empty passage: it matches nothing.
    group = _exact_groups(norms if boilerplate == "mark" else ["" if f else t for t, f in zip(norms, flagged)])
    reps = np.flatnonzero((group == np.arange(len(norms))) & (lengths >= min_chars) & (lengths <= max_chars))
    # The containment index is sampled from the same shingle batches as the signatures.
    samples: list[Sample] | None = [] if containment and verify else None
    keys, compact = _sign(reps, norms, shingler, num_perm, seed, bands, rows, batch_size, progress, clock, samples)
    local = candidate_pairs(keys, max_bucket)
    estimate = _estimate(compact, local)
    if verify:
        # Drop candidates whose estimate lies hopelessly below the threshold before verifying.
        local = local[estimate >= threshold - _margin(threshold, num_perm)]
        candidates = reps[local]
        clock("bucket")
        if samples is not None:
            found = candidates_from_samples(samples, contained)
            del samples[:]
            candidates = _unique_pairs(np.concatenate((candidates, reps[found])), len(norms))
            clock("contain")
        judged = _judge(candidates, norms, shingler, threshold, contained, block)
        clock("verify")
    else:
        ok = estimate >= threshold
        judged = (reps[local[ok]], estimate[ok], np.full((int(ok.sum()), 2), np.nan),
                  np.full(int(ok.sum()), NEAR, np.int8))
        clock("bucket")
    pairs, sims, conts, kinds = _expand(group, *judged, max_bucket)

    linking = kinds != CONTAINED
    cluster = components(len(norms), pairs[linking])
    rank = keep_order(_keep_key(passages, keep))
    clock("cluster")
    return Result(documents, passages, errors, config, pairs, sims, conts, kinds, cluster, rank, normalizer, shingler,
                  flagged)


def _check(threshold: float, min_chars: int, max_chars: int, contained: float, block: int, keep: Keep,
           boilerplate: str) -> None:
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, not {threshold!r}")
    if min_chars < 1 or max_chars < min_chars:
        raise ValueError(f"need 1 <= min_chars <= max_chars, not {min_chars!r} and {max_chars!r}")
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    if block < 1:
        raise ValueError(f"block must be a positive number of characters, not {block!r}")
    if boilerplate not in ("mark", "ignore"):
        raise ValueError(f"boilerplate must be 'mark' or 'ignore', not {boilerplate!r}")
    if not callable(keep) and keep not in ("first", "longest"):
        raise ValueError(f"keep must be 'first', 'longest' or a key function of a Passage, not {keep!r}")


def _normalized(passages: Passages, normalizer: Normalizer, chunk: int = 1 << 16) -> list[str]:
    """The normal form of every passage, made in chunks so the raw slices never all exist at once."""
    out: list[str] = []
    for start in range(0, len(passages), chunk):
        out += normalizer.batch([passages.text(i) for i in range(start, min(start + chunk, len(passages)))])
    return out


def _oversized(passages: Passages, lengths: np.ndarray, max_chars: int) -> list[ReadError]:
    return [ReadError(passages.documents[int(passages.doc_pos[i])].id,
                      f"passage {int(passages.index_in_doc[i])} (line {int(passages.line[i])}) has {int(lengths[i]):,} "
                      f"characters, over max_chars={max_chars:,}: compared for exact duplicates only; "
                      f"split it with unit='sentence'")
            for i in np.flatnonzero(lengths > max_chars)]


def _exact_groups(norms: list[str]) -> np.ndarray:
    """For each passage, the position of the first passage with the same normalised text (-1: empty)."""
    first: dict[str, int] = {}
    group = np.fromiter((first.setdefault(t, i) for i, t in enumerate(norms)), np.int64, len(norms))
    empty = first.get("")
    if empty is not None:
        group[group == empty] = -1
    return group


class _Clock:
    """Adds the seconds since the previous call to ``timings[stage]`` (when there is a dict)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now


def _sign(reps: np.ndarray, norms: list[str], shingler: Shingler, num_perm: int, seed: int, bands: int, rows: int,
          batch_size: int, progress: bool, clock: _Clock,
          samples: list[Sample] | None) -> tuple[np.ndarray, np.ndarray]:
    """Band keys and a compact signature (the low 8 bits of each bin, for estimates) of each passage;
    with a *samples* list, each batch's containment index part is appended to it as well.

    Two different bins agree on 8 bits one time in 256, which lifts an estimate by at most
    that much: harmless for a filter that only throws away hopeless candidates. Kept per
    passage: 4 bytes a band and 1 a bin, 268 bytes with 35 bands and 128 bins.
    """
    # 32 bits of each band key: a chance collision only adds a candidate, which is estimated and verified.
    keys = np.zeros((len(reps), bands), np.uint32)
    compact = np.zeros((len(reps), num_perm), np.uint8)
    starts = range(0, len(reps), batch_size)
    for start in steps(starts, total=len(starts), desc="sign", enabled=progress):
        chunk = reps[start:start + batch_size]
        batch = shingler([norms[i] for i in chunk])
        clock("shingle")
        signatures = sign(batch, num_perm, seed)
        clock("sign")
        if samples is not None:
            samples.append(sample_batch(batch, start))
            clock("contain")
        keys[start:start + len(chunk)] = band_keys(signatures, bands, rows).astype(np.uint32)
        compact[start:start + len(chunk)] = signatures.astype(np.uint8)
        clock("bucket")
    return keys, compact


def _estimate(compact: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """Share of equal bins of each pair's compact signatures, in chunks to bound memory."""
    out = np.zeros(len(pairs))
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        out[start:start + chunk] = np.count_nonzero(compact[part[:, 0]] == compact[part[:, 1]], axis=1)
    return out / compact.shape[1]


def _margin(threshold: float, num_perm: int) -> float:
    """How far below the threshold an estimate may fall and still be verified: four standard
    errors of a num_perm-bin estimate at the threshold, plus one bin (a pair at the threshold
    falls further one time in 30,000; pairs above it, far more rarely)."""
    return 4 * float(np.sqrt(threshold * (1 - threshold) / num_perm)) + 1 / num_perm


def _judge(candidates: np.ndarray, norms: list[str], shingler: Shingler, threshold: float, contained: float,
           block: int, chunk_pairs: int = 5_000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Verify the candidates exactly; keep those that reach *threshold* or *contained*; tell near from contained."""
    if len(candidates) == 0:
        return candidates, np.zeros(0), np.zeros((0, 2)), np.zeros(0, np.int8)
    parts = [_judge_chunk(candidates[start:start + chunk_pairs], norms, shingler, threshold, contained, block)
             for start in range(0, len(candidates), chunk_pairs)]
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts]))


def _judge_chunk(candidates: np.ndarray, norms: list[str], shingler: Shingler, threshold: float, contained: float,
                 block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # Shingles are made again for the passages of this chunk: keeping every passage's shingles
    # from signing would cost 8 bytes a character for the whole corpus.
    involved, local = np.unique(candidates, return_inverse=True)
    local = local.reshape(-1, 2)
    batch = shingler([norms[i] for i in involved])
    found = overlap(batch, local)
    union = found.size_a + found.size_b - found.shared
    near = found.shared >= threshold * union - 1e-9
    inside = np.maximum(found.containment_ab, found.containment_ba) >= contained - 1e-9
    ok = near | inside
    local, jaccard, near = local[ok], found.jaccard[ok], near[ok]
    conts = np.stack([found.containment_ab[ok], found.containment_ba[ok]], axis=1)
    kinds = np.where(near, NEAR, CONTAINED).astype(np.int8)
    # A near pair whose one side mostly lies inside the other: is the other side's extra a whole block?
    inner = np.argmax(conts, axis=1)
    maybe = near & (conts.max(axis=1) >= contained - 1e-9)
    if maybe.any():
        rows = np.flatnonzero(maybe)
        outer_first = np.stack([local[rows, 1 - inner[rows]], local[rows, inner[rows]]], axis=1)
        extra = longest_extra_run(batch, outer_first) - (shingler.n - 1)
        kinds[rows[extra >= block]] = CONTAINED
    return candidates[ok], jaccard, conts, kinds


def _expand(group: np.ndarray, pairs: np.ndarray, sims: np.ndarray, conts: np.ndarray, kinds: np.ndarray,
            max_bucket: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add the exact pairs within each group of equal texts, and give every member its group's pairs."""
    n = len(group)
    # Equal texts form groups; their exact pairs come from the same all-pairs-or-star rule as LSH buckets.
    order = np.flatnonzero(group >= 0)
    order = order[np.argsort(group[order], kind="stable")]
    starts = np.flatnonzero(first_of_runs(group[order]))
    sizes = np.diff(np.append(starts, len(order)))
    starts, sizes = starts[sizes > 1], sizes[sizes > 1]
    within = decode_pairs(group_pairs(order, starts, sizes, max_bucket, n), n)
    members = {int(order[s]): order[s:s + k].tolist() for s, k in zip(starts.tolist(), sizes.tolist())}
    out_pairs, out_sims = [pairs, within], [sims, np.ones(len(within))]
    out_conts, out_kinds = [conts, np.ones((len(within), 2))], [kinds, np.full(len(within), EXACT, np.int8)]
    grouped = np.zeros(n, bool)
    grouped[list(members)] = True
    for k in np.flatnonzero(grouped[pairs[:, 0]] | grouped[pairs[:, 1]]).tolist():
        a, b = int(pairs[k, 0]), int(pairs[k, 1])
        ga, gb = members.get(a, [a]), members.get(b, [b])
        across = np.array([(x, y) for x in ga for y in gb if (x, y) != (a, b)]
                          if len(ga) * len(gb) <= max_bucket**2 else [], np.int64).reshape(-1, 2)
        out_pairs.append(across)
        out_sims.append(np.full(len(across), sims[k]))
        out_conts.append(np.repeat(conts[k:k + 1], len(across), axis=0))
        out_kinds.append(np.full(len(across), kinds[k], np.int8))
    all_pairs = np.concatenate(out_pairs).astype(np.int64).reshape(-1, 2)
    all_conts = np.concatenate(out_conts).reshape(-1, 2)
    swap = all_pairs[:, 0] > all_pairs[:, 1]
    all_pairs[swap] = all_pairs[swap][:, ::-1]
    all_conts[swap] = all_conts[swap][:, ::-1]
    by_position = np.argsort(all_pairs[:, 0] * n + all_pairs[:, 1], kind="stable")
    return (all_pairs[by_position], np.concatenate(out_sims)[by_position], all_conts[by_position],
            np.concatenate(out_kinds).astype(np.int8)[by_position])


def _unique_pairs(pairs: np.ndarray, n: int) -> np.ndarray:
    """The distinct rows of an (m, 2) array of positions below *n*, sorted."""
    return decode_pairs(np.unique(pairs[:, 0] * n + pairs[:, 1]), n)


def _keep_key(passages: Passages, keep: Keep) -> np.ndarray:
    """One sort key per passage for the keep rule; a stable sort breaks ties by corpus position."""
    if keep == "first":
        return np.arange(len(passages))
    if keep == "longest":
        return -passages.lengths()
    # A user key is any sortable value: rank the passages by it once, in Python.
    keyed = sorted(range(len(passages)), key=lambda i: (keep(passages[i]), i))  # type: ignore[operator]
    user_rank = np.empty(len(passages), np.int64)
    user_rank[keyed] = np.arange(len(keyed))
    return user_rank
