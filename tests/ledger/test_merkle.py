"""RFC 9162 hashing and proofs: published vectors, a naive second implementation, pymerkle, properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filon.ledger.merkle import (MerkleTree, leaf_hash, node_hash, verify_consistency, verify_inclusion)

# The RFC 6962 test leaves and roots of sizes 1..8, as used by the Certificate Transparency test
# suites (certificate-transparency-go merkletree tests, transparency-dev/merkle testonly/constants.go).
LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
          b"\x50\x51\x52\x53\x54\x55\x56\x57", bytes(range(0x60, 0x70))]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


# --- a second, naive implementation written straight from the RFC's recursive definitions ---
def naive_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return naive_path(m, d[:k]) + [naive_mth(d[k:])]
    return naive_path(m - k, d[k:]) + [naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return naive_subproof(m, d[:k], b) + [naive_mth(d[k:])]
    return naive_subproof(m - k, d[k:], False) + [naive_mth(d[:k])]


def tree_of(leaves: list[bytes]) -> MerkleTree:
    return MerkleTree(leaf_hash(x) for x in leaves)


def test_published_roots_for_sizes_1_to_8():
    tree = MerkleTree()
    assert tree.root().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for size, (leaf, root) in enumerate(zip(LEAVES, ROOTS), start=1):
        tree.append(leaf_hash(leaf))
        assert tree.root().hex() == root, size
        assert tree.root(size).hex() == naive_mth(LEAVES[:size]).hex()


def test_every_proof_of_the_vector_tree_matches_the_naive_recursion():
    tree = tree_of(LEAVES)
    for n in range(1, 9):
        for m in range(n):
            assert tree.inclusion_path(m, n) == naive_path(m, LEAVES[:n])
        for m in range(1, n + 1):
            assert tree.consistency_proof(m, n) == naive_subproof(m, LEAVES[:n], True)


def test_known_proof_vectors():
    """Proof vectors of the CT test suites (inclusion of leaf 0 in 8, consistency 1 -> 8)."""
    tree = tree_of(LEAVES)
    assert [h.hex() for h in tree.inclusion_path(0, 8)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    assert [h.hex() for h in tree.consistency_proof(1, 8)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]


def test_agrees_with_pymerkle():
    pymerkle = pytest.importorskip("pymerkle")
    ref = pymerkle.InmemoryTree(algorithm="sha256")  # security mode: RFC 9162 0x00/0x01 prefixes
    leaves = [f"entry {i}".encode() for i in range(70)]
    ours = MerkleTree()
    for i, leaf in enumerate(leaves, start=1):
        ref.append_entry(leaf)
        ours.append(leaf_hash(leaf))
        assert ref.get_root(i) == ours.root(i)
    for index in (0, 1, 17, 64, 69):
        proof = ref.prove_inclusion(index + 1, 70).serialize()
        assert [bytes.fromhex(h) for h in proof["path"][1:]] == ours.inclusion_path(index, 70)


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=60, deadline=None)
@given(n=sizes, data=st.data())
def test_inclusion_verifies_for_every_index(n, data):
    leaves = data.draw(st.lists(st.binary(max_size=8), min_size=n, max_size=n))
    tree = tree_of(leaves)
    root = tree.root()
    for m in range(n):
        assert verify_inclusion(m, n, tree.leaf(m), tree.inclusion_path(m), root)


@settings(max_examples=60, deadline=None)
@given(n=sizes)
def test_consistency_verifies_for_every_smaller_size(n):
    tree = tree_of([i.to_bytes(4, "big") for i in range(n)])
    for m in range(1, n + 1):
        assert verify_consistency(m, n, tree.root(m), tree.root(n), tree.consistency_proof(m, n))


@settings(max_examples=80, deadline=None)
@given(n=st.integers(min_value=2, max_value=200), data=st.data())
def test_tampered_proofs_fail(n, data):
    tree = tree_of([i.to_bytes(4, "big") for i in range(n)])
    m = data.draw(st.integers(0, n - 1))
    path = tree.inclusion_path(m)
    root = tree.root()
    if path:
        j = data.draw(st.integers(0, len(path) - 1))
        bad = list(path)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        assert not verify_inclusion(m, n, tree.leaf(m), bad, root)
        assert not verify_inclusion(m, n, tree.leaf(m), path[:-1], root)
        assert not verify_inclusion(m, n, tree.leaf(m), path + [root], root)
    other = (m + 1) % n
    assert not verify_inclusion(m, n, tree.leaf(other), path, root) or tree.leaf(other) == tree.leaf(m)
    assert not verify_inclusion(m, n, tree.leaf(m), path, node_hash(root, root))
    first = data.draw(st.integers(1, n - 1))
    proof = tree.consistency_proof(first, n)
    j = data.draw(st.integers(0, len(proof) - 1))
    bad = list(proof)
    bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
    assert not verify_consistency(first, n, tree.root(first), root, bad)
    assert not verify_consistency(first, n, node_hash(root, root), root, proof)
