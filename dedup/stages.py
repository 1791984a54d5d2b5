"""Building blocks: each stage of the pipeline as a plain function over arrays, for your own pipeline.

The data flow is read -> segment -> normalise -> shingle -> sign -> bucket -> verify ->
cluster -> decide; ``dedup.find_duplicates`` chains these in one process. The pipeline's stages
take the run's ``Settings`` and its data (``judge``, ``sign_passages``), the smaller pieces only
the values they use (``sign(batch, num_perm, seed)``); none keeps state, so the same calls run
against a persistent index or on workers.

>>> from dedup import Settings
>>> from dedup.stages import Shingler, sign, optimal_params
>>> sign(Shingler("char", 5)(["同一段文字出现了两次"]), num_perm=8).shape
(1, 8)
>>> optimal_params(Settings().threshold, Settings().num_perm) == (Settings().bands, Settings().rows)
True
"""

from ._arrays import gather_ranges
from ._boilerplate import find_boilerplate, flag_boilerplate, matching_texts
from ._cluster import centres, cluster_labels, components, keep_key, keep_order
from ._contain import (
    candidates_from_samples,
    contained_candidates,
    containment_candidates,
    sample_batch,
    with_contained,
)
from ._dask import SchedulerError, find_duplicates_dask, local_cluster, plan_partitions
from ._documents import PairSpans, covered, pair_spans, repeat_share
from ._exact import exact_groups, expand_exact, oversized, representatives, unique_pairs
from ._html import html_payload, render_html
from ._lsh import band_keys, bucket, candidate_pairs, estimate, optimal_params
from ._minhash import Signed, sign, sign_passages, to_datasketch
from ._normalize import Normalizer, normalize, normalize_passages
from ._output import LOG_NAME, MANIFEST_NAME, check_outside
from ._read import DEFAULT_INCLUDE, FolderScan, decode, encode, read_corpus, read_folder
from ._segment import Passages, segment
from ._shingle import ShingleBatch, Shingler, WordTokenizer
from ._spans import Prepared, Span, align, align_pairs, aligned_spans, prepare, prepare_normal, unaligned_runs
from ._tabular import read_objects, table_files
from ._verify import Overlap, SetIndex, Verified, judge, longest_extra_run, overlap

__all__ = [
    "DEFAULT_INCLUDE",
    "LOG_NAME",
    "MANIFEST_NAME",
    "FolderScan",
    "Normalizer",
    "Overlap",
    "PairSpans",
    "Passages",
    "Prepared",
    "SchedulerError",
    "SetIndex",
    "ShingleBatch",
    "Shingler",
    "Signed",
    "Span",
    "Verified",
    "WordTokenizer",
    "align",
    "align_pairs",
    "aligned_spans",
    "band_keys",
    "bucket",
    "candidate_pairs",
    "candidates_from_samples",
    "centres",
    "check_outside",
    "cluster_labels",
    "components",
    "contained_candidates",
    "containment_candidates",
    "covered",
    "decode",
    "encode",
    "estimate",
    "exact_groups",
    "expand_exact",
    "find_boilerplate",
    "find_duplicates_dask",
    "flag_boilerplate",
    "gather_ranges",
    "html_payload",
    "judge",
    "keep_key",
    "keep_order",
    "local_cluster",
    "longest_extra_run",
    "matching_texts",
    "normalize",
    "normalize_passages",
    "optimal_params",
    "overlap",
    "oversized",
    "pair_spans",
    "plan_partitions",
    "prepare",
    "prepare_normal",
    "read_corpus",
    "read_folder",
    "read_objects",
    "render_html",
    "repeat_share",
    "representatives",
    "sample_batch",
    "segment",
    "sign",
    "sign_passages",
    "table_files",
    "to_datasketch",
    "unaligned_runs",
    "unique_pairs",
    "with_contained",
]
