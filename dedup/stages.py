"""Building blocks: each stage of the pipeline as a plain function over arrays, for your own pipeline.

The data flow is read -> segment -> normalise -> shingle -> sign -> bucket -> verify ->
cluster -> decide; ``dedup.find_duplicates`` chains these in one process. Each stage takes
the run's ``Settings`` and its data, and keeps no state, so the same calls run against a
persistent index or on workers.

>>> from dedup import Settings
>>> from dedup.stages import Shingler, sign, optimal_params
>>> sign(Shingler("char", 5)(["同一段文字出现了两次"]), num_perm=8).shape
(1, 8)
>>> optimal_params(Settings().threshold, Settings().num_perm) == (Settings().bands, Settings().rows)
True
"""

from ._boilerplate import find_boilerplate, flag_boilerplate, matching_texts
from ._cluster import centres, cluster_labels, components, keep_key, keep_order
from ._contain import candidates_from_samples, containment_candidates, sample_batch
from ._documents import PairSpans
from ._exact import exact_groups, expand_exact, oversized, representatives, unique_pairs
from ._lsh import band_keys, bucket, candidate_pairs, estimate, optimal_params
from ._minhash import Signed, sign, sign_passages, to_datasketch
from ._normalize import Normalizer, normalize, normalize_passages
from ._read import decode, encode, read_corpus, read_folder
from ._segment import Passages, segment
from ._shingle import ShingleBatch, Shingler, WordTokenizer
from ._spans import Span, align_pairs, aligned_spans
from ._verify import Overlap, Verified, judge, longest_extra_run, overlap

__all__ = [
    "Normalizer",
    "Overlap",
    "PairSpans",
    "Passages",
    "ShingleBatch",
    "Shingler",
    "Signed",
    "Span",
    "Verified",
    "WordTokenizer",
    "align_pairs",
    "aligned_spans",
    "band_keys",
    "bucket",
    "candidate_pairs",
    "candidates_from_samples",
    "centres",
    "cluster_labels",
    "components",
    "containment_candidates",
    "decode",
    "encode",
    "estimate",
    "exact_groups",
    "expand_exact",
    "find_boilerplate",
    "flag_boilerplate",
    "judge",
    "keep_key",
    "keep_order",
    "longest_extra_run",
    "matching_texts",
    "normalize",
    "normalize_passages",
    "optimal_params",
    "overlap",
    "oversized",
    "read_corpus",
    "read_folder",
    "representatives",
    "sample_batch",
    "segment",
    "sign",
    "sign_passages",
    "to_datasketch",
    "unique_pairs",
]
