"""dedup: find near-duplicate passages in text corpora and say what repeats where.

>>> import dedup
>>> result = dedup.find_duplicates([("a.txt", "同一段文字出现了两次。"), ("b.txt", "同一段文字出现了两次。")])
>>> [(c.kept.doc, len(c.members)) for c in result.clusters]
[('a.txt', 2)]
"""

from ._clean import Cleaned, Removal, clean, restore
from ._find import find_duplicates
from ._lsh import optimal_params
from ._minhash import sign, to_datasketch
from ._normalize import Normalizer, normalize
from ._read import Document, ReadError, read_folder
from ._result import Cluster, Pair, Result
from ._segment import Passage, Passages, segment
from ._shingle import ShingleBatch, Shingler, WordTokenizer
from ._verify import Overlap, overlap

__all__ = [
    "Cleaned",
    "Cluster",
    "Document",
    "Normalizer",
    "Overlap",
    "Pair",
    "Passage",
    "Passages",
    "ReadError",
    "Removal",
    "Result",
    "ShingleBatch",
    "Shingler",
    "WordTokenizer",
    "clean",
    "find_duplicates",
    "normalize",
    "optimal_params",
    "overlap",
    "read_folder",
    "restore",
    "segment",
    "sign",
    "to_datasketch",
]

__version__ = "0.1.0"
