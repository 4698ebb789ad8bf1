"""Link rows held in memory, without a workspace: for benchmarks and for comparing modes.

`link_source` reads a workspace, keeps state for incremental runs and writes CSV files; a
benchmark of a million generated rows, or the clear-text side of the privacy comparison,
needs only the answer: which entity each record belongs to. This runs the very same steps
(normalize, train, score, veto, constrained clustering) on raw rows and returns that map.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from filon.detect.parameters import Parameters, defaults
from filon.link import splink_run
from filon.link.pipeline import _valid_tax_keys
from filon.link.records import build_records
from filon.link.resolve import (
    Pair,
    cluster,
    entity_id_for,
    namesake_capped,
    namesake_names,
    vetoed,
)

Key = tuple[str, str, str]


@dataclass
class LinkedRows:
    entity_of: dict[Key, str]
    signatures: int
    scored_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def link_rows(raw: list[tuple[Any, ...]], p: Parameters | None = None) -> LinkedRows:
    """Resolve raw rows (table, column, key, name, country, kind, tax_id, scheme) into entities."""
    p = p or defaults("link")
    t0 = time.perf_counter()
    records, signatures = build_records(raw)
    t1 = time.perf_counter()
    rows, _trained, notes = splink_run.train_and_predict(signatures, p, p.match_threshold)
    t2 = time.perf_counter()
    tax_keys = _valid_tax_keys(signatures)
    namesakes = namesake_names(signatures["name_key"].to_pylist(), tax_keys.values())
    pairs = [Pair(r["unique_id_l"], r["unique_id_r"], namesake_capped(r, namesakes, p.match_threshold), "")
             for r in rows if not vetoed(r)]
    clusters = cluster(signatures["unique_id"].to_pylist(), pairs, p.match_threshold, tax_keys, set())
    entity = {sig: entity_id_for(c.members) for sig, c in clusters.items()}
    keys = zip(*(records[c].to_pylist() for c in ("source_table", "source_column", "record_key", "signature")))
    entity_of = {(t, c, k): entity[s] for t, c, k, s in keys}
    t3 = time.perf_counter()
    return LinkedRows(entity_of, signatures.num_rows, len(rows),
                      {"normalize": t1 - t0, "splink": t2 - t1, "cluster": t3 - t2}, notes)
