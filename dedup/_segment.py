"""Split documents into passages that remember exactly where they came from."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from ._read import Document

__all__ = ["LINE_BREAK", "Passage", "Passages", "Unit", "line_breaks", "line_keys", "line_starts", "segment"]

Unit = Literal["paragraph", "sentence", "document"]
UNITS: tuple[str, ...] = ("paragraph", "sentence", "document")

# A sentence ends at a run of terminators, with any closing quotes or brackets
# kept on it; a Western full stop only counts when whitespace or the line end follows.
_SENTENCE_END = re.compile(r"(?:[。！？；!?;…]+|\.(?=\s|$))[”’」』）)\]\"'》]*")
# ... except after an initial or an abbreviation ("J. Smith", "the U.S. economy", "Dr. Li"), or before a
# word in lower case ("e.g. the"): the word before the stop, and the first letter after it.
_WORD_BEFORE_STOP = re.compile(r"([^\s(\[\"'“‘]*)\.$")
_INITIALS = re.compile(r"[A-HJ-Z]|(?:[A-Za-z]\.)+[A-Za-z]")  # "J", "U.S", "e.g", "a.m" (not "I", "3.14", "www.x.com")
_ABBREVIATIONS = frozenset(("mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "fig", "figs", "vs", "cf",
                            "approx", "dept", "gen", "gov", "sen", "rep", "jan", "feb", "apr", "jun", "jul", "aug",
                            "sept", "oct", "nov", "dec"))


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage and where it sits: ``document.text[start:end] == text``; line is 1-based."""

    doc: str
    index: int
    line: int
    start: int
    end: int
    text: str


class Passages(Sequence[Passage]):
    """All passages of a corpus as parallel arrays (corpus order: documents by id, then index).

    ``doc_pos`` is the position of each passage's document in ``documents``;
    ``index_in_doc`` (its number within the document), ``line``, ``start`` and ``end``
    are per passage too. Item access builds a ``Passage`` on demand, so a large corpus
    costs a few bytes a passage beyond its text.
    """

    def __init__(self, documents: Sequence[Document], doc_pos: np.ndarray, index_in_doc: np.ndarray,
                 line: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.documents = documents
        self.doc_pos = doc_pos
        self.index_in_doc = index_in_doc
        self.line = line
        self.start = start
        self.end = end

    def __len__(self) -> int:
        return len(self.doc_pos)

    @overload
    def __getitem__(self, i: int) -> Passage: ...
    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...
    def __getitem__(self, i: int | slice) -> Passage | list[Passage]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        document = self.documents[int(self.doc_pos[i])]
        start, end = int(self.start[i]), int(self.end[i])
        return Passage(document.id, int(self.index_in_doc[i]), int(self.line[i]), start, end, document.text[start:end])

    def text(self, i: int) -> str:
        """The text of passage *i*."""
        return self.documents[int(self.doc_pos[i])].text[int(self.start[i]):int(self.end[i])]

    def texts(self) -> Iterator[str]:
        """The texts of all passages, in order."""
        for i in range(len(self)):
            yield self.text(i)

    def lengths(self) -> np.ndarray:
        """Length of each passage in code points."""
        return self.end - self.start

    def where(self, i: int) -> str:
        """Where passage *i* is, as reports name it: ``FILE:LINE``, and ``#K`` (its place among the passages
        that start on that line, from 1) when the line starts more than one.

        >>> from dedup._read import Document
        >>> p = segment([Document("a.txt", "一句话。两句话。\\n第三行")], "sentence")
        >>> [p.where(i) for i in range(len(p))]
        ['a.txt:1#1', 'a.txt:1#2', 'a.txt:2']
        """
        if i < 0:
            i += len(self)
        # Passages of a line are neighbours (corpus order is document, then place in it): its run of keys.
        keys = self._line_keys()
        first, end = np.searchsorted(keys, keys[i], "left"), np.searchsorted(keys, keys[i], "right")
        place = f"#{i - first + 1}" if end - first > 1 else ""
        return f"{self.documents[int(self.doc_pos[i])].id}:{int(self.line[i])}{place}"

    def _line_keys(self) -> np.ndarray:
        """``line_keys`` of these passages, made once (8 bytes a passage, for reports)."""
        keys = vars(self).get("_keys")
        if keys is None:
            keys = self._keys = line_keys(self.doc_pos, self.line)
        return keys


def line_keys(doc_pos: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Each passage's (document, line) as one int64 key: sorted when the passages are in corpus order, so the
    passages of a line are a run of equal keys.

    >>> line_keys(np.array([0, 0, 1]), np.array([1, 2, 1])).tolist()
    [1, 2, 4294967297]
    """
    return (np.asarray(doc_pos, np.int64) << 32) | np.asarray(line, np.int64)


# A line ends at \n, \r\n or a lone \r (old Mac files): what editors and str.splitlines take for one.
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    r"""Where each line of *text* starts (a line ends at ``LINE_BREAK``).

    >>> line_starts("a\nb\r\nc\rd")
    [0, 2, 5, 7]
    """
    return [0, *(m.end() for m in LINE_BREAK.finditer(text))]


def line_breaks(text: str) -> int:
    r"""How many line ends (``LINE_BREAK``) *text* holds.

    >>> line_breaks("a\r\nb\rc\n")
    3
    """
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _lone_returns_as_newlines(text: str) -> str:
    r"""*text* with each lone \r (an old Mac line end) made \n: the same length and offsets, one line rule.

    >>> _lone_returns_as_newlines("a\rb\r\nc")
    'a\nb\r\nc'
    """
    return _LONE_RETURN.sub("\n", text) if text.count("\r") != text.count("\r\n") else text


_LONE_RETURN = re.compile(r"\r(?!\n)")


def _paragraph_spans(text: str) -> Iterator[tuple[int, int, int]]:
    line_start = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped:
            offset = line_start + line.index(stripped)
            yield line_no, offset, offset + len(stripped)
        line_start += len(line) + 1


def _sentence_spans(text: str, paragraphs: list[tuple[int, int, int]]) -> Iterator[tuple[int, int, int]]:
    for line_no, start, end in paragraphs:
        # A paragraph joined across a page break (repair_breaks) spans lines: each piece starts on the line
        # reached so far.
        piece_start, line, counted = start, line_no, start
        for match in _SENTENCE_END.finditer(text, start, end):
            if match.group().startswith(".") and not _ends_sentence(text, match.start(), match.end(), end):
                continue
            line, counted = line + text.count("\n", counted, piece_start), piece_start
            yield from _stripped(text, line, piece_start, match.end())
            piece_start = match.end()
        line += text.count("\n", counted, piece_start)
        yield from _stripped(text, line, piece_start, end)


def _ends_sentence(text: str, stop: int, after: int, end: int) -> bool:
    """Whether the full stop at *stop* (its match running to *after*, the paragraph to *end*) ends a sentence:
    not after an initial (a capital letter but I; letters between stops, as in U.S.) or a common title or
    month, nor before lower case.

    >>> text = "Mr. Smith said the U.S. economy grew, e.g. in Q2. It did."
    >>> [k for k in range(len(text)) if text[k] == "." and _ends_sentence(text, k, k + 1, len(text))]
    [48, 56]
    """
    word = _WORD_BEFORE_STOP.search(text, max(0, stop - 24), stop + 1)
    before = word.group(1) if word else ""
    if _INITIALS.fullmatch(before) or before.lower() in _ABBREVIATIONS:
        return False
    following = text[after:end].lstrip()
    return not (following[:1].islower())


def _stripped(text: str, line_no: int, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        offset = start + piece.index(stripped)
        yield line_no + text.count("\n", start, offset), offset, offset + len(stripped)


def _repair_breaks(text: str, paragraphs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Join a paragraph cut mid-sentence (by a page break) with the paragraph that continues it."""
    out: list[tuple[int, int, int]] = []
    for line_no, start, end in paragraphs:
        if out and _cut_mid_sentence(text[out[-1][1]:out[-1][2]]) and not _MARKUP.match(text, start):
            out[-1] = (out[-1][0], out[-1][1], end)
        else:
            out.append((line_no, start, end))
    return out


def _cut_mid_sentence(paragraph: str) -> bool:
    # Prose (a clause mark somewhere) that stops without a sentence end; masthead lines have no clause marks.
    return (len(paragraph) >= _MIN_BROKEN and not _ENDS_SENTENCE.search(paragraph) and not _MARKUP.match(paragraph)
            and _CLAUSE.search(paragraph) is not None)


def _document_spans(text: str) -> Iterator[tuple[int, int, int]]:
    stripped = text.strip()
    if stripped:
        offset = text.index(stripped)
        yield text.count("\n", 0, offset) + 1, offset, offset + len(stripped)


# A paragraph cut by a page break ends without a sentence end; headings, bullets and
# short lines (mastheads, titles) are never taken for one.
_ENDS_SENTENCE = re.compile(r"[。！？；!?;…：:.”’」』）)\]\"'》]\s*$")
_MARKUP = re.compile(r"\s*(?:#|[-*+>]\s|\d+[.、]\s|\*\*)")
_MIN_BROKEN = 20
_CLAUSE = re.compile(r"[，。；、！？,;]")


def segment(documents: Sequence[Document], unit: Unit = "paragraph", repair_breaks: bool = False) -> Passages:
    """Split *documents* into passages of the given *unit*, each with index, line and offsets.

    ``paragraph``: each non-empty line, stripped. ``sentence``: each line cut after
    。！？；!?;… (closing quotes stay on their sentence). ``document``: the whole text, stripped.
    With *repair_breaks*, a paragraph of 20 or more characters that ends mid-sentence
    is joined with the next one (a page break cut it): the passage then spans the
    blank lines between, and its offsets still point into the original text.

    >>> p = segment([Document("a", "会议指出，今年以来全国工业经济运行呈现回升\\n\\n向好态势。")], repair_breaks=True)
    >>> [(x.line, x.start, x.end) for x in p]
    [(1, 0, 28)]

    >>> p = segment([Document("a.txt", "  one\\n\\ntwo。three")], "sentence")
    >>> [(x.index, x.line, x.start, x.end, x.text) for x in p]
    [(0, 1, 2, 5, 'one'), (1, 3, 7, 11, 'two。'), (2, 3, 11, 16, 'three')]
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    # Compact typed buffers: a corpus of millions of passages costs bytes, not objects, per passage.
    doc_idx, index, line = array("i"), array("i"), array("i")
    start, end = array("q"), array("q")
    for d, document in enumerate(documents):
        text = _lone_returns_as_newlines(document.text)  # for the spans only: offsets and lengths are the same
        if unit == "document":
            spans = list(_document_spans(text))
        else:
            spans = list(_paragraph_spans(text))
            if repair_breaks:
                spans = _repair_breaks(text, spans)
            if unit == "sentence":
                spans = list(_sentence_spans(text, spans))
        for i, (line_no, s, e) in enumerate(spans):
            doc_idx.append(d)
            index.append(i)
            line.append(line_no)
            start.append(s)
            end.append(e)
    return Passages(documents, np.frombuffer(doc_idx, np.int32).copy(), np.frombuffer(index, np.int32).copy(),
                    np.frombuffer(line, np.int32).copy(), np.frombuffer(start, np.int64).copy(),
                    np.frombuffer(end, np.int64).copy())
