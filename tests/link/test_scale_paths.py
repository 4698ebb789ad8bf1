"""The array paths that make a million records fit: they must give what the per-row definitions give."""

from __future__ import annotations

import numpy as np

from filon.link.benchmark_data import make_benchmark
from filon.link.privacy import ClkEncoder, bigrams, clk_matrix, lsh_keys
from filon.link.privacy_blocks import (
    Members,
    block_pairs,
    dice,
    pair_count,
    similar_pairs,
    unique_pairs,
)
from filon.link.records import build_records, name_features, signature_id_of
from filon.link.resolve import _greedy

SECRET = b"a-secret-of-enough-bytes-42"


def test_signatures_match_their_per_row_definition() -> None:
    raw = make_benchmark(300, seed=3).raw + [("t", "c", "k1", None, None, None, None, None),
                                             ("t", "c", "k2", "Ñandú  S.A.C.", " pe ", "Company", "20-10007097-0", None)]
    records, sigs = build_records(raw)
    assert records.num_rows == len(raw) and sigs["n_records"].to_numpy().sum() == len(raw)
    for row in sigs.to_pylist():
        assert row["unique_id"] == signature_id_of(tuple(row[k] for k in (
            "name_rotation", "legal_form", "kind", "country", "tax_key", "tax_alt", "tax_valid", "tax_verified")))
    by_id = {r["unique_id"]: r for r in sigs.to_pylist()}
    for (_t, _c, _k, name, *_rest), sig in zip(raw, records["signature"].to_pylist()):
        assert by_id[sig]["name_rotation"] == name_features(name).rotation


def test_clks_made_together_equal_clks_made_one_by_one() -> None:
    enc = ClkEncoder(SECRET, 1024, 20)
    names = [("QUISPE", "MAMANI", "JUAN"), ("MINERA", "SOL"), ()]
    together = enc.encode_many([bigrams(t) for t in names], chunk=2)
    import base64
    assert together == [base64.b64encode(enc.encode(bigrams(t))).decode() for t in names]
    assert ClkEncoder(SECRET, 1024, 20).encode_names(names, chunk=2) == together   # ORs of word CLKs


def test_similar_pairs_are_the_block_pairs_reaching_the_threshold() -> None:
    import pyarrow as pa
    raw = make_benchmark(400, seed=4).raw
    names = [tuple((r[3] or "").split()) for r in raw]
    clks = clk_matrix(pa.table({"name_clk": ClkEncoder(SECRET, 1024, 20).encode_names(names)}))
    ones = np.bitwise_count(clks).sum(axis=1, dtype=np.int64)
    keys = lsh_keys(clks, 2, 8)              # few bits: large blocks, so both small blocks and neighbours
    rows = np.arange(len(clks))
    want = [np.concatenate(x) for x in zip(*block_pairs(keys[:, 0], rows, keys[:, 1], cap=300, neighbours=6))]
    score = dice(clks, ones, *want)
    ok = score >= 0.6
    got = [np.concatenate(x) for x in zip(*similar_pairs(keys[:, 0], keys[:, 1], clks, ones, 300, 0.6, neighbours=6,
                                                          chunk=50))]
    assert all(np.array_equal(a, b) for a, b in zip(unique_pairs(want[0][ok], want[1][ok], score[ok]),
                                                     unique_pairs(*got, stable=False)))
    assert pair_count(keys[:, 0], 300, 6) == len(want[0])


def test_greedy_pass_refuses_two_tax_codes_and_breaks_ties_by_name() -> None:
    labels = np.arange(4)
    # 0-1 and 1-2 tie; by name "a" < "b", so 1 joins 2 first ("a-1", "a-2"), then 0 cannot join (two tax codes)
    _greedy(np.arange(4), np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([0.9, 0.9, 0.5]),
            np.zeros(3, dtype=bool), np.array([5, -1, 6, -1]), [], np.full(4, -1), ["b", "a", "a2", "c"], labels)
    assert labels[1] == labels[2] == labels[3] != labels[0]


def test_block_pairs_all_in_small_blocks_neighbours_in_big_ones_none_over_cap() -> None:
    key = np.array([1] * 4 + [2] * 50 + [3] * 500 + [4])
    rows = np.arange(len(key))
    got = [np.concatenate(x) for x in zip(*block_pairs(key, rows, rows, cap=100, neighbours=5, batch=7))]
    left, right, _ = unique_pairs(got[0], got[1], np.zeros(len(got[0])))
    assert {(a, b) for a, b in zip(left.tolist(), right.tolist()) if b < 4} == {(a, b) for a in range(4)
                                                                                for b in range(a + 1, 4)}
    big = (left >= 4) & (left < 54)
    assert big.sum() == sum(min(5, 49 - i) for i in range(50))     # each with its 5 next ones
    assert ((right[big] - left[big]) <= 5).all()
    assert not (left >= 54).any()                                   # the block of 500 is over the cap


def test_members_fan_clk_pairs_out_to_their_records() -> None:
    m = Members(np.array([0, 1, 0, 2, 1, 0]), np.arange(6), 3)
    left, right = m.within(cap=10)
    assert {tuple(sorted(p)) for p in zip(left.tolist(), right.tolist())} == {(0, 2), (0, 5), (2, 5), (1, 4)}
    x, y, k = m.cross(np.array([0, 2]), np.array([1, 1]))
    assert sorted(zip(x.tolist(), y.tolist(), k.tolist())) == [(0, 1, 0), (0, 4, 0), (2, 1, 0), (2, 4, 0), (3, 1, 1),
                                                               (3, 4, 1), (5, 1, 0), (5, 4, 0)]
