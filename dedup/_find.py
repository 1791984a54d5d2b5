"""The whole pipeline in one call: read, segment, normalise, shingle, sign, bucket, verify, cluster, decide."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._arrays import text_lengths
from ._boilerplate import flag_boilerplate, matching_texts
from ._cluster import cluster_labels, keep_key, keep_order
from ._contain import with_contained
from ._exact import exact_groups, expand_exact, oversized, representatives
from ._lsh import bucket
from ._minhash import sign_passages
from ._normalize import normalize_passages
from ._progress import Clock
from ._read import TEXT_PATTERN, Document, ReadError, read_corpus
from ._result import Result
from ._segment import Passages, segment
from ._settings import Settings, SettingsError
from ._verify import Verified, judge

__all__ = ["Corpus", "decide", "find_duplicates", "resolve_settings"]

Corpus = str | Path | Iterable[tuple[str, str]] | Iterable[Document]


def resolve_settings(settings: Settings | None, overrides: dict[str, Any]) -> Settings:
    """*settings* (default ``Settings()``) with keyword *overrides* applied and validated.

    >>> resolve_settings(None, {"threshold": 0.5}).threshold
    0.5
    """
    if settings is not None and not isinstance(settings, Settings):
        raise SettingsError(f"settings must be a dedup.Settings, not {type(settings).__name__}; "
                            f"pass options as keywords or build Settings(...)")
    base = settings or Settings()
    return base.replace(**overrides) if overrides else base


def find_duplicates(corpus: Corpus, settings: Settings | None = None, *, include: str | Sequence[str] = TEXT_PATTERN,
                    encoding: str | None = None, text_field: str = "text", id_field: str | None = None,
                    glob: str | None = None, batch_size: int = 4096, progress: bool = False,
                    timings: dict[str, float] | None = None, engine: str = "local", client: Any = None,
                    **overrides: Any) -> Result:
    """Find exact, near-duplicate and contained passages in *corpus* (a folder, or ``(id, text)`` pairs).

    *settings* (a ``Settings``; keyword *overrides* such as ``threshold=0.5`` change it)
    say what counts as a duplicate; see ``Settings`` for every option. Every candidate is
    verified by the exact Jaccard similarity and containment of its shingle sets (unless
    ``verify=False``). *corpus* is a folder of text files, a table (JSON Lines, CSV/TSV,
    Parquet) or a folder of table shards, a DataFrame, Arrow table or ``datasets`` dataset,
    or an iterable of ``(id, text)`` pairs, dicts or ``Document``s; corpus order is input order.
    Options that do not change the answer: *include* (file name patterns inside a folder,
    case-insensitive; *glob* is its older name), *encoding* (instead of detecting it),
    *text_field* and *id_field* (for tables), *batch_size*, *progress* (bars on stderr), *timings* (a dict that receives the
    seconds spent in each stage), *engine* (``"local"``, or ``"dask"`` for the same answer from a
    Dask cluster: ``pip install 'dedup[dask]'``) and *client* (for Dask: a ``distributed.Client``,
    a scheduler address, or a number of local workers; see ``find_duplicates_dask``).

    >>> r = find_duplicates([("a", "重复的一段话，足够长。\\n别的"), ("b", "重复的一段话,足够长。")])
    >>> [(p.a.doc, p.b.doc, p.kind) for p in r.pairs], [c.kept.doc for c in r.clusters]
    ([('a', 'b', 'exact')], ['a'])
    """
    settings = resolve_settings(settings, overrides)
    if engine != "local" or client is not None:
        if engine != "dask":
            raise SettingsError(f"engine must be 'local' or 'dask', not {engine!r}" if engine != "local" else
                                "a Dask client (--scheduler, --workers) needs engine='dask' (--engine dask)")
        from ._dask import find_duplicates_dask  # only here: the local engine never imports Dask

        return find_duplicates_dask(corpus, settings, client=client, include=include, encoding=encoding,
                                    text_field=text_field, id_field=id_field, glob=glob, batch_size=batch_size,
                                    progress=progress, timings=timings)
    clock = Clock(timings)
    scan = read_corpus(corpus, glob or include, progress, encoding=encoding, text_field=text_field,
                       id_field=id_field)
    documents, errors = scan.documents, scan.errors
    clock("read")
    passages = segment(documents, settings.unit, settings.repair_breaks)  # type: ignore[arg-type]
    clock("segment")
    norms = normalize_passages(settings, passages)
    lengths = text_lengths(norms)
    flagged = flag_boilerplate(settings, passages, norms, lengths)
    clock("normalize")
    group = exact_groups(matching_texts(settings, norms, flagged))
    reps = representatives(settings, group, lengths)
    signed = sign_passages(settings, norms, reps, batch_size, progress, clock)
    local, estimates = bucket(settings, signed.keys, signed.compact)
    samples = signed.samples
    del signed  # keys and signatures (268 bytes a passage) are done with: not held through containment
    clock("bucket")
    if settings.verify:
        candidates = reps[with_contained(settings, samples, local, [norms[i] for i in reps.tolist()])]
        clock("contain")
        found = judge(settings, candidates, norms)
        clock("verify")
    else:
        found = Verified.estimated(reps[local], estimates)
    result = decide(settings, documents, passages, errors, lengths, flagged, group, found, skipped=scan.skipped)
    clock("cluster")
    return result


def decide(settings: Settings, documents: list[Document], passages: Passages, errors: list[ReadError],
           lengths: np.ndarray, flagged: np.ndarray, group: np.ndarray, found: Verified, *,
           skipped: list[str] | None = None,
           components: Callable[[Verified, np.ndarray], np.ndarray | None] | None = None) -> Result:
    """The ``Result`` of the verified pairs between representatives (*found*): pairs of equal texts added, the keep
    rule's ranks, clusters (the labels *components* gives for the pairs and ranks, when it gives any: Dask's
    components found on the cluster), and the passages too long to compare as errors. The last stages of both
    engines.

    >>> from dedup._segment import segment
    >>> docs = [Document("a", "同一段文字，出现两次。"), Document("b", "同一段文字，出现两次。")]
    >>> p = segment(docs)
    >>> r = decide(Settings(), docs, p, [], np.array([11, 11]), np.zeros(2, bool), np.array([0, 0]),
    ...            Verified.estimated(np.zeros((0, 2), np.int64), np.zeros(0)))
    >>> r.pair_index.tolist(), r.cluster_label.tolist()
    ([[0, 1]], [0, 0])
    """
    verified = expand_exact(settings, group, found)
    rank = keep_order(keep_key(settings, passages))
    labels = None if components is None else components(verified, rank)
    if labels is None:
        labels = cluster_labels(settings, rank, verified, group)
    return Result(settings=settings, documents=documents, passages=passages,
                  errors=list(errors) + oversized(settings, passages, lengths), pair_index=verified.index,
                  similarity=verified.similarity, containment=verified.containment, kind=verified.kind,
                  cluster_label=labels, keep_rank=rank, boilerplate=flagged, skipped=list(skipped or []))
