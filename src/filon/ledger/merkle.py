"""Merkle tree hashing and proofs exactly as RFC 9162 §2.1 (Certificate Transparency 2.0).

    leaf hash   = SHA-256(0x00 || leaf)
    node hash   = SHA-256(0x01 || left || right)
    MTH(D[n])   = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two smaller than n

`MerkleTree` keeps every *complete* aligned subtree hash, level by level (level 0 = leaf hashes,
level h = subtrees of 2**h leaves). An append adds one leaf and, amortised, one node; any root,
inclusion path (PATH, §2.1.3.1) or consistency proof (PROOF, §2.1.4.1) is assembled from
O(log n) stored nodes, never by rehashing leaves. The verifiers follow §2.1.3.2 and §2.1.4.2
step by step, so a third party can check them against the RFC text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only tree over leaf hashes with every complete subtree hash kept."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return len(self.levels[0])

    def append(self, leaf_digest: bytes) -> int:
        """Add one leaf hash; returns its index."""
        levels = self.levels
        index = len(levels[0])
        levels[0].append(leaf_digest)
        h, i = 0, index
        while i & 1:  # this node closes a pair: its parent is now complete
            if h + 1 == len(levels):
                levels.append([])
            row = levels[h]
            levels[h + 1].append(node_hash(row[i - 1], row[i]))
            h, i = h + 1, i >> 1
        return index

    def extend(self, leaf_digests: Iterable[bytes]) -> None:
        for digest in leaf_digests:
            self.append(digest)

    def leaf(self, index: int) -> bytes:
        return self.levels[0][index]

    def subtree_hash(self, start: int, size: int) -> bytes:
        """MTH(D[start:start+size]) for the ranges the RFC's recursion visits (start aligned)."""
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            return self.levels[size.bit_length() - 1][start // size]
        k = largest_power_of_two_below(size)
        return node_hash(self.subtree_hash(start, k), self.subtree_hash(start + k, size - k))

    def root(self, size: int | None = None) -> bytes:
        size = len(self) if size is None else size
        self._check_size(size)
        return self.subtree_hash(0, size)

    def inclusion_path(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf-side first."""
        size = len(self) if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise IndexError(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        start, n, m = 0, size, index
        while n > 1:
            k = largest_power_of_two_below(n)
            if m < k:
                path.append(self.subtree_hash(start + k, n - k))
                n = k
            else:
                path.append(self.subtree_hash(start, k))
                start, n, m = start + k, n - k, m - k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (empty when m == n)."""
        second = len(self) if second is None else second
        self._check_size(second)
        if not 0 < first <= second:
            raise ValueError(f"a consistency proof needs 0 < first <= second, got {first} and {second}")
        proof: list[bytes] = []
        start, n, m, complete = 0, second, first, True
        while m != n:
            k = largest_power_of_two_below(n)
            if m <= k:
                proof.append(self.subtree_hash(start + k, n - k))
                n = k
            else:
                proof.append(self.subtree_hash(start, k))
                start, n, m, complete = start + k, n - k, m - k, False
        if not complete:
            proof.append(self.subtree_hash(start, m))
        proof.reverse()
        return proof

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= len(self):
            raise ValueError(f"the tree has {len(self)} leaves; size {size} is out of range")


def verify_inclusion(leaf_index: int, tree_size: int, leaf_digest: bytes,
                     path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: True when `path` proves leaf `leaf_index` is in the tree `root`."""
    if leaf_index >= tree_size or leaf_index < 0:
        return False
    fn, sn = leaf_index, tree_size - 1
    r = leaf_digest
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: True when `proof` shows tree `second_hash` extends tree `first_hash`.

    Equal sizes need an empty proof and equal roots (§2.1.4.1: PROOF(n, D[n]) is empty)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0
