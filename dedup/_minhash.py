"""MinHash signatures for a whole batch at once: one-permutation hashing with optimal densification."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import item_owners
from ._contain import Sample, sample_batch
from ._hash import mix64
from ._lsh import band_keys
from ._progress import Clock, steps
from ._settings import Settings
from ._shingle import ShingleBatch

__all__ = ["EMPTY", "Signed", "check_signing", "sign", "sign_passages", "to_datasketch"]

# The value of every bin of a text with no shingles; such texts are never candidates.
EMPTY = np.uint32(0xFFFFFFFF)
_PROBE_SALT = 0x5851F42D4C957F2D


def check_signing(num_perm: int, seed: int) -> None:
    """Raise ``ValueError`` unless 2 <= num_perm <= 4096 and 0 <= seed < 2**64."""
    if not isinstance(num_perm, int) or not 2 <= num_perm <= 4096:
        raise ValueError(f"num_perm must be an integer from 2 to 4096, not {num_perm!r}")
    if not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an integer from 0 to 2**64 - 1, not {seed!r}")


def _multiplier(seed: int) -> int:
    """An odd 64-bit multiplier drawn from the seed."""
    return int(mix64(np.array([seed], np.uint64))[0]) | 1


def _seeded(hashes: np.ndarray, seed: int) -> np.ndarray:
    # Shingle hashes are already well mixed: one odd multiplication (a bijection) re-draws them per seed.
    return hashes * np.uint64(_multiplier(seed))


def _probe(bins: np.ndarray, attempt: int, num_perm: int, seed: int) -> np.ndarray:
    """The bin that empty bin *bins* borrows from at *attempt*: the same for every text."""
    key = (bins.astype(np.uint64) << np.uint64(32)) + np.uint64(attempt)
    mixed = mix64(key ^ np.uint64((seed * _PROBE_SALT) % 2**64))
    return (((mixed >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.int64)


def sign(batch: ShingleBatch, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signatures of every text in *batch*: a ``(len(batch), num_perm)`` uint32 array.

    One hash per shingle picks a bin (of ``num_perm``) and a value; each bin keeps
    its minimum (one-permutation hashing), and an empty bin borrows the value of
    the bin a seeded probe sequence reaches first (optimal densification,
    Shrivastava 2017), so for two sets the chance that bin k agrees is their
    Jaccard similarity, as with ``num_perm`` independent permutations, at the cost
    of one hash per shingle instead of ``num_perm``. Same seed, same signature, on any machine.

    >>> from dedup._shingle import Shingler
    >>> s = sign(Shingler("char", 3)(["abcdef", "abcdef", "uvwxyz"]), num_perm=16)
    >>> s.shape, bool((s[0] == s[1]).all()), int((s[0] == s[2]).sum())
    ((3, 16), True, 0)
    """
    check_signing(num_perm, seed)
    n = len(batch)
    signatures = np.full((n, num_perm), EMPTY, np.uint32)
    if n == 0 or len(batch.hashes) == 0:
        return signatures
    h = _seeded(batch.hashes, seed)
    bins = (((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.int64)
    flat = item_owners(batch.counts()) * num_perm + bins
    np.minimum.at(signatures.reshape(-1), flat, (h & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    filled = np.zeros(n * num_perm, bool)
    filled[flat] = True
    _densify(signatures.reshape(-1), filled, batch.counts() > 0, num_perm, seed)
    return signatures


def _densify(flat_signatures: np.ndarray, filled: np.ndarray, nonempty: np.ndarray, num_perm: int,
             seed: int) -> None:
    todo = np.flatnonzero(~filled & np.repeat(nonempty, num_perm))
    rows, bins = np.divmod(todo, num_perm)
    attempt = 0
    while len(todo):
        attempt += 1
        source = rows * num_perm + _probe(bins, attempt, num_perm, seed)
        found = filled[source]
        flat_signatures[todo[found]] = flat_signatures[source[found]]
        todo, rows, bins = todo[~found], rows[~found], bins[~found]


def to_datasketch(signatures: np.ndarray, seed: int = 1) -> list[Any]:
    """Wrap signature rows as datasketch ``LeanMinHash`` objects, for datasketch's indexes and storage.

    They compare with each other (``jaccard``) and go into ``MinHashLSH`` as usual.

    >>> from dedup._shingle import Shingler
    >>> a, b = to_datasketch(sign(Shingler()(["同一段文字出现两次", "同一段文字出现两次"]), 16))
    >>> float(a.jaccard(b))
    1.0

    Do not mix them with MinHashes built by datasketch's own ``update``: the hash
    family differs (one-permutation hashing here, independent permutations there),
    so their bins do not correspond. They are tagged with datasketch's ``affine32``
    scheme only because that is its name for 32-bit hash values.
    """
    from datasketch import LeanMinHash

    return [LeanMinHash(seed=seed, hashvalues=row.astype(np.uint64), scheme="affine32") for row in signatures]


@dataclass(frozen=True, slots=True)
class Signed:
    """What signing leaves for bucketing: band keys, compact signatures and, where signing made them
    (word shingles, or the Dask engine), the containment samples.

    ``keys`` (m, bands) uint32: 32 bits of each band key (a chance collision only adds a
    candidate, which is estimated and verified). ``compact`` (m, num_perm) uint8: the low
    8 bits of each bin, for estimates; two different bins agree on 8 bits one time in 256,
    which lifts an estimate by at most that much, harmless for a filter that only throws
    away hopeless candidates. 268 bytes a passage with 35 bands and 128 bins.
    """

    keys: np.ndarray
    compact: np.ndarray
    samples: list[Sample]


def sign_passages(settings: Settings, norms: Sequence[str], reps: np.ndarray, batch_size: int = 4096,
                  progress: bool = False, clock: Clock | None = None, every_shingle: bool = False) -> Signed:
    """Shingle, sign and band the passages at *reps* (positions into *norms*); for word shingles
    with ``settings.containment`` (and verification), sample them for the containment search too.

    Character shingles go through the compiled kernel, one pass a passage; their containment
    search reads the texts themselves (``_contain.contained_candidates``), unless
    *every_shingle*: then each batch is sampled here with every distinct shingle in the index,
    as the Dask engine needs (it meets other partitions' queries there). Word shingles go
    through the numpy stages batch by batch.

    >>> s = sign_passages(Settings(threshold=0.5), ["同一段文字出现了两次", "同一段文字出现了两次"], np.arange(2))
    >>> s.keys.shape, bool((s.keys[0] == s.keys[1]).all()), len(s.samples)
    ((2, 35), True, 0)
    """
    clock = clock or Clock(None)
    contain = settings.containment and settings.verify
    if settings.shingle_kind == "char" and not (contain and every_shingle):
        # The compiled kernel shingles, signs and bands each passage in one pass (the same keys and
        # compact signatures, bit for bit; numpy where numba is missing).
        from ._kernel import sign_texts

        done = sign_texts([norms[i] for i in reps.tolist()], settings.shingle_size, settings.num_perm, settings.seed,
                          settings.bands, settings.rows)
        clock("sign")
        return Signed(done.keys, done.compact, [])
    keys = np.zeros((len(reps), settings.bands), np.uint32)
    compact = np.zeros((len(reps), settings.num_perm), np.uint8)
    samples = []
    starts = range(0, len(reps), batch_size)
    for start in steps(starts, total=len(starts), desc="sign", enabled=progress):
        chunk = reps[start:start + batch_size]
        batch = settings.shingler([norms[i] for i in chunk])
        clock("shingle")
        signatures = sign(batch, settings.num_perm, settings.seed)
        clock("sign")
        if contain:
            # The containment index is sampled from the same shingle batches as the signatures.
            samples.append(sample_batch(batch, start))
            clock("contain")
        keys[start:start + len(chunk)] = band_keys(signatures, settings.bands, settings.rows).astype(np.uint32)
        compact[start:start + len(chunk)] = signatures.astype(np.uint8)
        clock("bucket")
    return Signed(keys, compact, samples)
