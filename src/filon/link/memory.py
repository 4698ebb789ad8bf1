"""Link rows held in memory, without a workspace: for benchmarks and for comparing modes.

`link_source` reads a workspace, keeps state for incremental runs and writes CSV files; a
benchmark of a million generated rows, or the clear-text side of the privacy comparison,
needs only the answer: which entity each record belongs to. This runs the very same steps
(normalize, block, train, score, veto, constrained clustering) on raw rows and returns that
map, on arrays throughout (no Python object per pair).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from filon.detect.parameters import Parameters, defaults
from filon.link import splink_run
from filon.link.records import build_records
from filon.link.resolve import (
    ambiguous_signatures,
    capped_probabilities,
    cluster_labels,
    vetoed_mask,
)

Key = tuple[str, str, str]


@dataclass
class LinkedRows:
    entity_of: dict[Key, str]
    signatures: int
    scored_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def decisive_tax_codes(signatures: pa.Table) -> np.ndarray:
    """Per signature, its valid tax id as an int code (-1 when none, or a bare NIT that may carry
    its check digit: not decisive), for the clustering constraint."""
    decisive = pc.and_(pc.fill_null(signatures["tax_valid"], False), pc.is_null(signatures["tax_alt"]))
    keys = pc.if_else(decisive, signatures["tax_key"], pa.scalar(None, pa.string()))
    codes = pc.dictionary_encode(keys).combine_chunks().indices if isinstance(keys, pa.ChunkedArray) \
        else pc.dictionary_encode(keys).indices
    return np.asarray(codes.fill_null(-1), dtype=np.int64)


def resolve_arrays(signatures: pa.Table, rows: pa.Table, p: Parameters) -> np.ndarray:
    """Cluster label of each signature from the scored pairs (veto, namesakes, constraints)."""
    rows = rows.filter(pa.array(~vetoed_mask(rows)))
    tax = decisive_tax_codes(signatures)
    prob = capped_probabilities(rows, ambiguous_signatures(signatures), p.match_threshold)
    ids = signatures["unique_id"]
    left = np.asarray(pc.index_in(rows["unique_id_l"], value_set=ids), dtype=np.int64)
    right = np.asarray(pc.index_in(rows["unique_id_r"], value_set=ids), dtype=np.int64)
    n = signatures.num_rows
    return cluster_labels(n, left, right, prob, np.zeros(len(prob), dtype=bool), p.match_threshold, tax, [],
                          np.full(n, -1, dtype=np.int64), ids.to_pylist())


def entity_ids(signatures: pa.Table, labels: np.ndarray) -> pa.Array:
    """`resolve.entity_id_for` of each signature's cluster: a hash of its smallest member."""
    t = pa.table({"label": labels, "uid": signatures["unique_id"]})
    first = t.group_by("label").aggregate([("uid", "min")])
    names = {lab: "ENT-" + hashlib.sha1(uid.encode()).hexdigest()[:12]
             for lab, uid in zip(first["label"].to_pylist(), first["uid_min"].to_pylist())}
    return pa.array([names[lab] for lab in labels.tolist()], pa.string())


def link_rows(raw: list[tuple[Any, ...]], p: Parameters | None = None) -> LinkedRows:
    """Resolve raw rows (table, column, key, name, country, kind, tax_id, scheme) into entities."""
    p = p or defaults("link")
    t0 = time.perf_counter()
    records, signatures = build_records(raw)
    t1 = time.perf_counter()
    rows, _trained, notes = splink_run.train_and_predict(signatures, p, p.match_threshold)
    t2 = time.perf_counter()
    entity = entity_ids(signatures, resolve_arrays(signatures, rows, p))
    per_record = entity.take(pc.index_in(records["signature"], value_set=signatures["unique_id"]))
    keys = zip(*(records[c].to_pylist() for c in ("source_table", "source_column", "record_key")))
    entity_of = dict(zip(keys, per_record.to_pylist()))
    t3 = time.perf_counter()
    return LinkedRows(entity_of, signatures.num_rows, rows.num_rows,
                      {"normalize": t1 - t0, "splink": t2 - t1, "cluster": t3 - t2}, notes)
