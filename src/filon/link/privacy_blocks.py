"""Candidate pairs of privacy-preserving linkage, in bounded memory: block, score, keep, block by block.

Records meet when they share an LSH band key of their CLKs, a name HMAC or a tax-id HMAC
(`privacy.candidate_pairs`). Among common surnames the LSH blocks are large and overlap from
band to band, so listing every pair of every block before scoring (a join and a DISTINCT over
all of them) grew faster than the records: a million records passed 13 GB. Here each block
family (one band, the names, the tax ids) is turned into pairs a few million at a time, each
batch is scored (Dice coefficient, numpy popcounts) and only the pairs that could link are
kept: those sharing a tax id, whatever their Dice, and the others from the lowest Dice at which
any rule links. What is kept is what `privacy.link_encoded` decides on, so the answer is the
one of scoring every pair, in memory that grows with the pairs that link.

Inside a block larger than `NEIGHBOURS` + 1 records (a bit pattern every QUISPE MAMANI shares)
each record is paired with its `NEIGHBOURS` next records in the order of another band's key and
its CLK (sorted neighbourhood), not with all of them: records that agree on a second band are
then next to each other, and the pairs of such a block grow linearly with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Records each record of a large block is paired with (the next ones in sorted order).
NEIGHBOURS = 20
#: Pairs scored per batch: two gathered CLK matrices of this many rows (128 bytes each) at a time.
BATCH = 1_000_000
_EMPTY = np.zeros(0, dtype=np.int64)


def block_pairs(key: np.ndarray, rows: np.ndarray, order_key: np.ndarray, cap: int,
                neighbours: int = NEIGHBOURS, batch: int = BATCH) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs (left, right) of `rows` sharing a `key`, in batches of about `batch` pairs. Blocks of
    more than `cap` rows are skipped; blocks of more than `neighbours` + 1 rows give each row's pairs
    with its `neighbours` next rows by `order_key` instead of all pairs."""
    order = np.lexsort((order_key, key))
    key, rows = key[order], rows[order]
    if not len(key):
        return
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(key)]]))
    keep = (sizes >= 2) & (sizes <= cap)
    starts, sizes = starts[keep], sizes[keep]
    small = sizes <= neighbours + 1
    for size in np.unique(sizes[small]):
        first = starts[small & (sizes == size)]
        i, j = np.triu_indices(size, 1)
        per = max(1, batch // len(i))
        for s in range(0, len(first), per):
            members = rows[first[s:s + per, None] + np.arange(size)]
            yield members[:, i].ravel(), members[:, j].ravel()
    big_starts, big_sizes = starts[~small], sizes[~small]
    if not len(big_starts):
        return
    # sorted neighbourhood: position p in a block pairs with p + 1 ... p + neighbours inside it
    pos = np.concatenate([np.arange(s, s + n) for s, n in zip(big_starts.tolist(), big_sizes.tolist())])
    end = np.repeat(big_starts + big_sizes, big_sizes)
    per = max(1, batch // neighbours)
    for s in range(0, len(pos), per):
        p, e = pos[s:s + per], end[s:s + per]
        for d in range(1, neighbours + 1):
            ok = p + d < e
            yield rows[p[ok]], rows[p[ok] + d]


def dice(clks: np.ndarray, ones: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dice coefficient 2|A∩B| / (|A| + |B|) of the CLKs of each pair; `ones` is each CLK's popcount."""
    both = np.bitwise_count(clks[left] & clks[right]).sum(axis=1, dtype=np.int64)
    total = ones[left] + ones[right]
    return np.where(total > 0, 2 * both / np.maximum(total, 1), 0.0)


def unique_pairs(left: np.ndarray, right: np.ndarray, score: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with the smaller index first, without self-pairs or repeats (sorted), with their scores."""
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    keep = lo != hi
    code = lo[keep].astype(np.int64) << 32 | hi[keep].astype(np.int64)
    code, at = np.unique(code, return_index=True)
    return code >> 32, code & 0xFFFFFFFF, score[keep][at]


class Members:
    """The records carrying each distinct CLK (code), for fanning pairs of CLKs out to their records."""

    def __init__(self, code: np.ndarray, rows: np.ndarray, count: int) -> None:
        order = np.argsort(code, kind="stable")
        self.rows = rows[order]
        self.size = np.bincount(code, minlength=count)
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]])

    def within(self, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """Every pair of records carrying one CLK, for CLKs of at most `cap` records."""
        lefts, rights = [_EMPTY], [_EMPTY]
        for size in np.unique(self.size):
            if 2 <= size <= cap:
                members = self.rows[self.start[self.size == size][:, None] + np.arange(size)]
                i, j = np.triu_indices(size, 1)
                lefts.append(members[:, i].ravel())
                rights.append(members[:, j].ravel())
        return np.concatenate(lefts), np.concatenate(rights)

    def cross(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair of records (x, y), x carrying CLK a[k] and y CLK b[k], with k."""
        na, nb = self.size[a], self.size[b]
        k = np.repeat(np.arange(len(a)), na * nb)
        within = np.arange(len(k)) - np.repeat(np.cumsum(na * nb) - na * nb, na * nb)
        x = self.rows[self.start[a][k] + within // nb[k]]
        y = self.rows[self.start[b][k] + within % nb[k]]
        return x, y, k
