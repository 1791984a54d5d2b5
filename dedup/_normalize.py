"""Normalise passage text for comparison; the user's text itself is never changed."""

from __future__ import annotations

import dataclasses
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _kernel
from ._arrays import item_owners, run_offsets, text_lengths

if TYPE_CHECKING:
    from ._segment import Passages
    from ._settings import Settings

__all__ = ["Normalizer", "normalize", "normalize_passages"]

# Below this many characters a batch is normalised text by text; above it, building
# the per-character tables of the vectorised path pays for itself.
_VECTOR_MIN_CHARS = 200_000
_BMP = 0x10000
_CHUNK_CHARS = 1 << 20


def _punctuation_table() -> dict[int, None]:
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)).startswith("P")}


def _digit_table() -> dict[int, str]:
    return {cp: "0" for cp in range(sys.maxunicode + 1) if chr(cp).isdecimal()}


def _expand(pieces: np.ndarray, first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The output characters of a run of input characters, given where each one's normal form
    starts in *pieces* and how long it is."""
    # Every character's first output character, repeated as often as it has output
    # characters; then the few that expand (… -> ...) get their later characters.
    out = np.repeat(pieces[first], counts)
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        at = (np.cumsum(counts) - counts)[multi]
        for k in range(1, int(counts[multi].max())):
            more = counts[multi] > k
            out[at[more] + k] = pieces[first[multi[more]] + k]
    return out


def _composing() -> set[int]:
    """BMP characters that can compose with the character before them: combining marks, the second
    character of any two-character canonical decomposition (Tamil and Malayalam vowel signs...),
    and Hangul jamo (syllables are composed algorithmically)."""
    out = {cp for cp in range(_BMP) if unicodedata.combining(chr(cp))}
    for cp in range(_BMP):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            out.add(int(parts[1], 16))
    for start, end in ((0x1100, 0x1200), (0x3130, 0x3190), (0xA960, 0xA980), (0xD7B0, 0xD800), (0xFFA0, 0xFFDD)):
        out.update(range(start, end))
    return out


def _traditional_to_simplified() -> Callable[[str], str]:
    try:
        import opencc
    except ImportError as exc:
        raise ImportError("Traditional-to-Simplified folding needs OpenCC: pip install 'dedup[zh]'") from exc
    # Taiwan-standard phrases too (資訊 -> 信息, 軟體 -> 软件), not only characters.
    return opencc.OpenCC("tw2sp").convert


@dataclass(frozen=True)
class Normalizer:
    """Options for normalisation; call it on a text to get the comparison form.

    Always: Unicode NFKC (full-width to half-width) and removal of whitespace
    (``keep_spaces`` keeps one space between words instead, for word shingles).
    Options: ``casefold``, remove ``punctuation`` (Unicode category P*),
    fold every decimal ``digits`` to 0, fold ``traditional`` Chinese to Simplified
    (OpenCC ``tw2sp``: characters and Taiwan vocabulary such as 資訊 -> 信息).

    >>> Normalizer()("Ｈｅｌｌｏ，\\t世界 ！")
    'hello,世界!'
    >>> Normalizer(punctuation=True, digits=True)("2017年，增长6.6％")
    '0000年增长00'
    """

    casefold: bool = True
    punctuation: bool = False
    digits: bool = False
    traditional: bool = False
    keep_spaces: bool = False

    def __post_init__(self) -> None:
        # Translation tables are built once per normaliser, not per call.
        table: dict[int, str | None] = {}
        if self.punctuation:
            table.update(_punctuation_table())
        if self.digits:
            table.update(_digit_table())
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_t2s", _traditional_to_simplified() if self.traditional else None)

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        if self._t2s is not None:  # type: ignore[attr-defined]
            text = self._t2s(text)  # type: ignore[attr-defined]
        if self.casefold:
            text = text.casefold()
        if self._table:  # type: ignore[attr-defined]
            text = text.translate(self._table)  # type: ignore[attr-defined]
        return " ".join(text.split()) if self.keep_spaces else "".join(text.split())

    def batch(self, texts: Sequence[str], min_chars: int = _VECTOR_MIN_CHARS) -> list[str]:
        """``[self(t) for t in texts]``, vectorised over the whole batch for large inputs.

        Batches of at least *min_chars* characters map each character of the Basic
        Multilingual Plane through a table of what it normalises to (none, one or
        several characters); a text holding a combining mark, Hangul jamo or a
        supplementary-plane character takes the text-by-text path, so the result is
        always the same.

        >>> Normalizer().batch(["Ａ，b c", "ﬁ…"], min_chars=0)
        ['a,bc', 'fi...']
        """
        total = sum(map(len, texts))
        if total < min_chars or self.keep_spaces or self.traditional:
            return [self(t) for t in texts]
        tables = self._vector_tables()
        if _kernel.use_kernels(total):
            # Compiled: one pass a chunk, what the numpy path below computes (property-tested).
            mapped, slow = _kernel.map_characters(texts, *tables)
            for i in np.flatnonzero(slow).tolist():
                mapped[i] = self(texts[i])
            return mapped
        out: list[str] = []
        start = 0
        # Chunks of about a million characters keep the arrays small enough to be reused.
        while start < len(texts):
            end, size = start, 0
            while end < len(texts) and (size < _CHUNK_CHARS or end == start):
                size += len(texts[end])
                end += 1
            out += self._vectorised(texts[start:end], *tables)
            start = end
        return out

    def _vectorised(self, texts: Sequence[str], table: np.ndarray, pieces: np.ndarray) -> list[str]:
        lengths = text_lengths(texts)
        # Lone surrogates (possible in text given in memory) go text by text; they must survive encoding.
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
        # One look-up per character: bit 0 says "text by text", bits 1-5 the output length,
        # the rest where the output starts in `pieces`; supplementary characters are special.
        info = table[np.minimum(codes, _BMP - 1)] | (codes >= _BMP)
        bounds = run_offsets(lengths)
        nonempty = lengths > 0
        slow = np.zeros(len(texts), bool)
        slow[nonempty] = np.add.reduceat(info & 1, bounds[:-1][nonempty]) > 0
        counts = (info >> 1) & 31
        first = info >> 6
        out = _expand(pieces, first, counts)
        joined = out.tobytes().decode("utf-32-le", "surrogatepass")
        ends = np.cumsum(counts)[bounds[1:] - 1] if len(counts) else np.zeros(len(texts), np.int64)
        ends = np.where(nonempty, ends, 0)
        ends = np.maximum.accumulate(ends).tolist() if len(ends) else []
        result = [joined[a:b] for a, b in zip([0, *ends[:-1]], ends)]
        for i in np.flatnonzero(slow).tolist():
            result[i] = self(texts[i])
        return result

    def with_offsets(self, text: str) -> tuple[str, np.ndarray]:
        """The text normalised character by character, and for each output character the offset
        of the input character it came from. Whitespace is removed even with ``keep_spaces``, so
        that a span never starts or ends on a space; a letter and its combining mark stay apart,
        and Traditional folding works on characters, not phrases.

        >>> norm, offsets = Normalizer().with_offsets("Ａ ｂ，c…")
        >>> norm, offsets.tolist()
        ('ab,c...', [0, 2, 3, 4, 5, 5, 5])
        """
        if self.keep_spaces:
            return dataclasses.replace(self, keep_spaces=False).with_offsets(text)
        if not self.traditional:
            table, pieces = self._vector_tables()
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
            info = table[np.minimum(codes, _BMP - 1)] | (codes >= _BMP)
            if not (info & 1).any():
                counts = (info >> 1) & 31
                norm = _expand(pieces, info >> 6, counts).tobytes().decode("utf-32-le")
                return norm, item_owners(counts)
        outs = [self(ch) for ch in text]
        return "".join(outs), item_owners([len(o) for o in outs])

    def _vector_tables(self) -> tuple[np.ndarray, np.ndarray]:
        tables = self.__dict__.get("_tables_built")
        if tables is None:  # built on first use, once per normaliser
            tables = self._tables()
            object.__setattr__(self, "_tables_built", tables)
        return tables

    def _tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Per BMP character, packed: where its normal form starts in ``pieces`` (bits 6+),
        how long it is (bits 1-5) and whether it needs the text-by-text path (bit 0)."""
        table = np.zeros(_BMP, np.int64)
        pieces: list[int] = [0]
        composing = _composing()
        for cp in range(_BMP):
            ch = chr(cp)
            if (unicodedata.is_normalized("NFKC", ch) and not ch.isspace() and cp not in self._table  # type: ignore[attr-defined]
                    and (not self.casefold or ch.casefold() == ch) and cp not in composing):
                out = ch  # the common case: the character stays as it is
            else:
                out = self(ch)
            # Text by text when the character, or what it becomes, could compose with a neighbour.
            if 0xD800 <= cp < 0xE000 or len(out) > 31 or cp in composing or any(ord(o) in composing for o in out):
                table[cp] = 1
                continue
            table[cp] = (len(pieces) << 6) | (len(out) << 1)
            pieces.extend(map(ord, out))
        return table, np.array(pieces, np.uint32)


def normalize(text: str, **options: bool) -> str:
    """Return the comparison form of *text* (see ``Normalizer`` for the options).

    >>> normalize("全国工业和信息化工作会议（北京）")
    '全国工业和信息化工作会议(北京)'
    """
    return Normalizer(**options)(text)


def normalize_passages(settings: Settings, passages: Passages, chunk: int = 1 << 16) -> list[str]:
    """The normal form of every passage under *settings*, made in chunks so the raw slices never all
    exist at once.

    >>> from dedup._settings import Settings
    >>> from dedup._read import Document
    >>> from dedup._segment import segment
    >>> normalize_passages(Settings(), segment([Document("a", "Ａ b\\n，")]))
    ['ab', ',']
    """
    normalizer = settings.normalizer
    out: list[str] = []
    for start in range(0, len(passages), chunk):
        out += normalizer.batch([passages.text(i) for i in range(start, min(start + chunk, len(passages)))])
    return out
