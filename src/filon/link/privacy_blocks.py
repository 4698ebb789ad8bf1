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
then next to each other, and the pairs of such a block grow linearly with it. The LSH bands are
scored by `similar_pairs`, which gathers a band's CLKs once in block order and compares each
row with the rows 1 ... `NEIGHBOURS` further on, so no pair costs a random gather of two CLKs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Records each record of a large block is paired with (the next ones in sorted order).
NEIGHBOURS = 20
#: Pairs scored per batch: two gathered CLK matrices of this many rows (128 bytes each) at a time.
BATCH = 1_000_000
#: Rows of a band's blocks whose CLKs are gathered and scored together (a few MB, cache-sized).
CHUNK = 16_384
_EMPTY = np.zeros(0, dtype=np.int64)


def _blocks(key: np.ndarray, order_key: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by (`key`, `order_key`), and the start and size (in that order) of each block of
    2 to `cap` rows sharing a key; empty starts when there are none."""
    order = np.lexsort((order_key, key))
    key = key[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.zeros(0, np.int64)
    sizes = np.diff(np.concatenate([starts, [len(key)]])).astype(np.int64) if len(key) else np.zeros(0, np.int64)
    keep = (sizes >= 2) & (sizes <= cap)
    return order, starts[keep], sizes[keep]


def block_pairs(key: np.ndarray, rows: np.ndarray, order_key: np.ndarray, cap: int,
                neighbours: int = NEIGHBOURS, batch: int = BATCH) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs (left, right) of `rows` sharing a `key`, in batches of about `batch` pairs. Blocks of
    more than `cap` rows are skipped; blocks of more than `neighbours` + 1 rows give each row's pairs
    with its `neighbours` next rows by `order_key` instead of all pairs."""
    order, starts, sizes = _blocks(key, order_key, cap)
    rows = rows[order]
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


def similar_pairs(key: np.ndarray, order_key: np.ndarray, clks: np.ndarray, ones: np.ndarray, cap: int,
                  threshold: float, neighbours: int = NEIGHBOURS, chunk: int = CHUNK
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The pairs of `block_pairs(key, arange(len(clks)), order_key, cap, neighbours)` whose Dice
    coefficient reaches `threshold`, with it: (left, right, score), a chunk of rows at a time.

    A block of at most `neighbours` + 1 rows pairs each row with all the rows after it, and a
    larger one with its `neighbours` next ones: both are the pairs (q, q + d), d = 1 ... neighbours,
    of the rows in block order that stay inside their block. So the CLKs are gathered once, in
    that order, and pair d is a row of this gathered block against the row d further on: no random
    gather per pair (at a million records that gather was most of the scoring time)."""
    order, starts, sizes = _blocks(key, order_key, cap)
    rows = order[np.repeat(starts, sizes) + _ranks(sizes)]                  # block members, block by block
    room = np.repeat(sizes, sizes) - 1 - _ranks(sizes)                      # rows after this one in its block
    width = clks.shape[1]
    grabbed = np.empty((chunk + neighbours, width), dtype=clks.dtype)
    one, other = np.empty((chunk, width), dtype=clks.dtype), np.empty((chunk, width), dtype=clks.dtype)
    for s in range(0, len(rows), chunk):
        e = min(s + chunk, len(rows))
        block = rows[s:e + neighbours]
        g = np.take(clks, block, axis=0, out=grabbed[:len(block)])
        counts = ones[block]
        here = room[s:e]
        for d in range(1, neighbours + 1):
            at = np.flatnonzero(here >= d)
            if not len(at):
                break
            # into buffers made once: fresh arrays of a few MB each time cost page faults, not work
            x, y = np.take(g, at, axis=0, out=one[:len(at)]), np.take(g, at + d, axis=0, out=other[:len(at)])
            np.bitwise_count(np.bitwise_and(x, y, out=x), out=x)
            score = 2 * np.einsum("ij->i", x) / np.maximum(counts[at] + counts[at + d], 1)
            ok = score >= threshold
            yield block[at[ok]], block[at[ok] + d], score[ok]


def pair_count(key: np.ndarray, cap: int, neighbours: int = NEIGHBOURS) -> int:
    """How many pairs `similar_pairs` scores for `key` (for the record of work done)."""
    _, sizes = np.unique(key, return_counts=True)
    sizes = sizes[(sizes >= 2) & (sizes <= cap)]
    d = np.minimum(sizes - 1, neighbours)
    return int((sizes * d - d * (d + 1) // 2).sum())


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ..., size - 1 for each size, concatenated."""
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def dice(clks: np.ndarray, ones: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dice coefficient 2|A∩B| / (|A| + |B|) of the CLKs of each pair; `ones` is each CLK's popcount."""
    both = np.bitwise_count(clks[left] & clks[right]).sum(axis=1, dtype=np.int64)
    total = ones[left] + ones[right]
    return np.where(total > 0, 2 * both / np.maximum(total, 1), 0.0)


def unique_pairs(left: np.ndarray, right: np.ndarray, score: np.ndarray, *, stable: bool = True
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with the smaller index first, without self-pairs or repeats (sorted), with their scores.
    A repeat keeps its first score; `stable=False` sorts faster and keeps any, for pairs whose
    repeats all carry one score (the Dice coefficient of the same two CLKs)."""
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    keep = lo != hi
    code = lo[keep].astype(np.int64) << 32 | hi[keep].astype(np.int64)
    order = np.argsort(code, kind="stable" if stable else "quicksort")
    code = code[order]
    first = np.concatenate([[True], code[1:] != code[:-1]]) if len(code) else np.zeros(0, dtype=bool)
    return code[first] >> 32, code[first] & 0xFFFFFFFF, score[keep][order[first]]


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
