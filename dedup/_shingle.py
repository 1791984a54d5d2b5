"""Turn normalised texts into hashed shingles: character n-grams or word n-grams."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ._arrays import run_offsets
from ._hash import POLY, hash_token, mix64, rolling

__all__ = ["ShingleBatch", "Shingler", "WordTokenizer"]

ShingleKind = Literal["char", "word", "mixed"]

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Han runs go to jieba; any other run of letters or digits is one word; punctuation is dropped.
_WORD_RUNS = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
# Mixed: each Han character is a token, each run of other letters or digits is one token.
_MIXED_TOKENS = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")
# Tags added before the final mix: every n-gram gets n * GRAM_TAG, a run shorter than n its length * SHORT_TAG
# on top, so that a short run never equals an n-gram (``_kernel`` hashes with the same tags).
GRAM_TAG, SHORT_TAG = 0xD6E8FEB86659FD93, 0x2545F4914F6CDD1D


@dataclass(frozen=True, slots=True)
class ShingleBatch:
    """Hashed shingles of a batch of texts in CSR form: text i owns ``hashes[offsets[i]:offsets[i+1]]``.

    Hashes are in text order (positional, duplicates kept); a text shorter than n
    tokens has one shingle, the hash of all its tokens; an empty text has none.
    """

    offsets: np.ndarray
    hashes: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def of(self, i: int) -> np.ndarray:
        """The shingle hashes of text *i*."""
        return self.hashes[self.offsets[i]:self.offsets[i + 1]]

    def counts(self) -> np.ndarray:
        """Number of shingles (with repeats) of each text."""
        return np.diff(self.offsets)


class WordTokenizer:
    """Words of mixed text: jieba for Han runs, Unicode letter/digit runs otherwise.

    jieba is loaded on first use, once per tokenizer, with its start-up chatter silenced.

    >>> WordTokenizer()("dedup 2.0支持中文分词")
    ['dedup', '2', '0', '支持', '中文', '分词']
    """

    def __init__(self, user_dict: str | None = None) -> None:
        self.user_dict = user_dict
        self._jieba: Any = None

    def _segmenter(self) -> Any:
        if self._jieba is None:
            from ._settings import SettingsError

            try:
                import jieba
            except ImportError:
                raise SettingsError("word and mixed shingles need jieba: pip install jieba") from None
            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            if self.user_dict:
                try:
                    segmenter.load_userdict(self.user_dict)
                except OSError as exc:
                    raise SettingsError(f"user_dict {self.user_dict}: cannot read it ({exc.strerror or exc})") from None
                except (UnicodeDecodeError, ValueError) as exc:
                    raise SettingsError(f"user_dict {self.user_dict}: not a jieba dictionary of UTF-8 lines "
                                        f"('word [frequency] [tag]'): {exc}") from None
            self._jieba = segmenter
        return self._jieba

    def __call__(self, text: str) -> list[str]:
        words: list[str] = []
        for han, other in _WORD_RUNS.findall(text):
            if han:
                words.extend(w for w in self._segmenter().cut(han) if w.strip())
            else:
                words.append(other)
        return words


@dataclass(frozen=True)
class Shingler:
    """Shingle settings: ``kind`` ``char`` (n consecutive characters), ``word`` (n consecutive
    words, jieba for Chinese) or ``mixed`` (n consecutive tokens, where a token is one Han
    character or one whole Latin word or number: for text that interleaves them).

    Calling it on a batch of normalised texts gives a ``ShingleBatch``; the work is
    vectorised over the whole batch (words are looked up once per distinct word).

    >>> batch = Shingler("char", 2)(["abc", "a", ""])
    >>> batch.counts().tolist()
    [2, 1, 0]
    """

    kind: ShingleKind = "char"
    n: int = 5
    user_dict: str | None = None
    tokenizer: WordTokenizer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("char", "word", "mixed"):
            raise ValueError(f"shingle kind must be 'char', 'word' or 'mixed', not {self.kind!r}")
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"shingle size n must be a positive integer, not {self.n!r}")
        object.__setattr__(self, "tokenizer", WordTokenizer(self.user_dict))

    def __call__(self, texts: Sequence[str]) -> ShingleBatch:
        tokens, lengths = self._tokens(texts)
        return _ngrams(tokens, lengths, self.n)

    def _tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "char":
            lengths = np.fromiter((len(t) for t in texts), np.int64, len(texts))
            codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
            return codes.astype(np.uint64), lengths
        ids: dict[str, int] = {}
        stream: list[int] = []
        lengths = np.zeros(len(texts), np.int64)
        split = self.tokenizer if self.kind == "word" else _MIXED_TOKENS.findall
        for i, text in enumerate(texts):
            words = split(text)
            lengths[i] = len(words)
            for w in words:
                h = ids.get(w)
                if h is None:
                    h = ids[w] = hash_token(w)
                stream.append(h)
        return np.array(stream, np.uint64), lengths


def _ngrams(tokens: np.ndarray, lengths: np.ndarray, n: int) -> ShingleBatch:
    """All n-gram hashes of each token run (runs laid end to end in *tokens*), in CSR form."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    grams = np.zeros(len(tokens), np.uint64)
    body = rolling(tokens, n)
    grams[:len(body)] = body
    keep = np.zeros(len(tokens), bool)
    keep[:len(body)] = True
    # An n-gram that starts in the last n-1 tokens of a run crosses into the next run.
    crossing = (ends[:, None] - np.arange(1, n)[None, :]).ravel()
    keep[crossing[(crossing >= 0) & (crossing < len(body))]] = False
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):
        grams[starts[short]] = _whole_runs(tokens, starts[short], lengths[short])
        keep[starts[short]] = True
    grams += np.uint64(n * GRAM_TAG % 2**64)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    offsets = run_offsets(counts)
    return ShingleBatch(offsets, mix64(grams[keep]))


def _whole_runs(tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The polynomial of each whole run shorter than n, tagged with its length."""
    acc = np.zeros(len(starts), np.uint64)
    for k in range(int(lengths.max())):
        inside = k < lengths
        acc[inside] = acc[inside] * POLY + tokens[starts[inside] + k]
    # Different from every full n-gram's tag, so a short run never equals an n-gram.
    return acc + lengths.astype(np.uint64) * np.uint64(SHORT_TAG)

