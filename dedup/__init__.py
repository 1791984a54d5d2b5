"""dedup: find near-duplicate passages in text corpora and say what repeats where.

The top level holds what users call; the building blocks of the pipeline live in
``dedup.stages``.

>>> import dedup
>>> result = dedup.find_duplicates([("a.txt", "同一段文字出现了两次。"), ("b.txt", "同一段文字出现了两次。")])
>>> [(c.kept.doc, len(c.members)) for c in result.clusters]
[('a.txt', 2)]
"""

__version__ = "0.2.0"

from ._clean import Cleaned, Removal, clean, restore
from ._documents import DocumentOverlap, Repeat, document_overlaps, self_repeats
from ._errors import DedupError, InputError, IntegrityError, OutputError, UsageError
from ._explain import Explanation, explain
from ._find import find_duplicates
from ._html import write_html, write_html_from_report
from ._index import Index, IndexFileError
from ._output import restore_folder, write_cleaned
from ._read import Document, ReadError, read_corpus
from ._report import report_dict, write_json, write_text_report
from ._result import Cluster, Kind, Pair, Result
from ._segment import Passage
from ._settings import Settings, SettingsError
from ._tabular import restore_tabular, row_annotations, write_annotated, write_cleaned_tabular, write_table

__all__ = [
    "Cleaned",
    "Cluster",
    "DedupError",
    "Document",
    "DocumentOverlap",
    "Explanation",
    "Index",
    "IndexFileError",
    "InputError",
    "IntegrityError",
    "Kind",
    "OutputError",
    "Pair",
    "Passage",
    "ReadError",
    "Removal",
    "Repeat",
    "Result",
    "Settings",
    "SettingsError",
    "UsageError",
    "clean",
    "document_overlaps",
    "explain",
    "find_duplicates",
    "read_corpus",
    "report_dict",
    "restore",
    "restore_folder",
    "restore_tabular",
    "row_annotations",
    "self_repeats",
    "write_annotated",
    "write_cleaned",
    "write_cleaned_tabular",
    "write_html",
    "write_html_from_report",
    "write_json",
    "write_table",
    "write_text_report",
]
