"""`filon link`: resolve every named party of a workspace (or package folder) into entities.

Writes OUT/entities.csv (one row per record: its entity, how sure, and why), OUT/review.csv
(pairs in the uncertain band, for an analyst), OUT/model.json (the trained Splink model).
State for later runs lives in WS/derived/link/ (OUT/state/ for a package folder): the model,
the signatures with their entity ids and the append-only decisions log. A later run on a
workspace with new batches links only the new records against the resolved entities
(incremental), unless decisions changed or `mode="full"` is asked.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from filon.detect.parameters import load_overrides, resolve
from filon.errors import UsageError
from filon.link import splink_run
from filon.link.decisions import append_decisions, latest, read_decisions
from filon.link.records import SOURCES, build_records, read_sources
from filon.link.resolve import (
    Pair,
    ambiguous_signatures,
    best_pairs,
    capped_probabilities,
    cluster,
    entity_id_for,
    reasons_text,
    vetoed_mask,
)
from filon.store.workspace import MANIFEST, Workspace

Progress = Callable[[str], None]
ENTITY_COLUMNS = ("record_key", "source_table", "source_column", "name", "entity_id", "match_probability", "reasons")
REVIEW_COLUMNS = ("record_key_l", "source_table_l", "name_l", "record_key_r", "source_table_r", "name_r",
                  "match_probability", "reasons")
MODES = ("auto", "full", "incremental")


@dataclass
class LinkResult:
    out: Path
    mode: str
    records: int
    signatures: int
    entities: int
    linked_records: int
    review_pairs: int
    vetoed_pairs: int
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    resolved: Any = field(default=None, repr=False)   # the clusters and pairs, for writing outputs


def link_source(source: Path, out: Path, *, decisions: Path | None = None, params: Path | None = None,
                mode: str = "auto", progress: Progress = lambda _m: None) -> LinkResult:
    """Resolve the parties of `source` (a workspace or a package folder); write results to `out`."""
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    start = time.perf_counter()
    p = resolve("link", load_overrides(params) if params else None)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".filon-link-", dir=out) as tmp:
        ws, is_workspace = open_workspace(Path(source), Path(tmp), progress)
        state = ws.path / "derived" / "link" if is_workspace else out / "state"
        state.mkdir(parents=True, exist_ok=True)
        if decisions:
            append_decisions(state / "decisions.csv", read_decisions(decisions))
        progress("gathering names from actors, exports, imports, ownership and sanctions")
        con = ws.connect()
        try:
            records, signatures = build_records(read_sources(con))
        finally:
            con.close()
        result = _resolve(records, signatures, state, p, mode, bool(decisions), progress)
        result.out = out
        _write_outputs(out, state, records, result, ws if is_workspace else None)
    result.seconds = round(time.perf_counter() - start, 2)
    return result


def open_workspace(source: Path, tmp: Path, progress: Progress) -> tuple[Workspace, bool]:
    """The workspace itself, or the package's name-bearing tables loaded into a throw-away one."""
    if (source / MANIFEST).exists():
        return Workspace(source), True
    if not source.is_dir():
        raise UsageError(f"{source} is not a folder. Give a workspace (made by 'filon ingest') or a package folder.")
    from filon.ingest.load import ingest_package

    wanted = sorted({s.table for s in SOURCES})
    tables = [t for t in wanted if (source / f"{t}.csv").exists() or (source / f"{t}.parquet").exists()]
    if not tables:
        raise UsageError(f"{source} holds none of {', '.join(f'{t}.csv' for t in wanted)}: nothing names a party")
    progress(f"{source} is a package folder: validating and loading {', '.join(tables)}")
    ingest_package(source, tmp / "workspace", tables=tables, progress=progress)
    return Workspace(tmp / "workspace"), False


@dataclass
class _Resolved:
    sig_entity: dict[str, str]
    best: dict[str, Pair]
    review: list[Pair]
    trained: dict[str, Any]
    signatures: pa.Table


def _resolve(records: pa.Table, signatures: pa.Table, state: Path, p: Any, mode: str, new_decisions: bool,
             progress: Progress) -> LinkResult:
    previous = _previous_state(state)
    incremental = mode == "incremental" or (mode == "auto" and previous is not None and not new_decisions)
    if incremental and previous is None:
        raise UsageError(f"no earlier link run in {state}: run once without --incremental first")
    labels = splink_run.comparison_labels(p)
    floor = min(p.review_threshold, p.match_threshold)
    notes: list[str] = []
    prev_entity: dict[str, str] = {}
    if incremental and not splink_run.compatible(previous[0], p):  # type: ignore[index]
        if mode == "incremental":
            raise UsageError(f"the model saved in {state} was made by another version of filon link or other "
                             "parameters: run once without --incremental")
        incremental = False
        notes.append("the saved model was made by another version or other parameters: full run")
    if incremental:
        trained, prev_sigs = previous  # type: ignore[misc]
        prev_entity = dict(zip(prev_sigs["unique_id"].to_pylist(), prev_sigs["entity_id"].to_pylist()))
        is_new = pc.invert(pc.is_in(signatures["unique_id"], value_set=pa.array(list(prev_entity), pa.string())))
        new, old = signatures.filter(is_new), signatures.filter(pc.invert(is_new))
        progress(f"incremental: {new.num_rows:,} new name signature(s) against {old.num_rows:,} resolved")
        rows = splink_run.predict_new(old, new, trained, p, floor) if new.num_rows and old.num_rows else None
        notes.append(f"incremental run: {new.num_rows} new signature(s) linked against {old.num_rows}")
    else:
        progress(f"training the model on {signatures.num_rows:,} distinct names and scoring pairs")
        rows, trained, trained_notes = splink_run.train_and_predict(signatures, p, floor)
        notes += trained_notes
    pairs: list[Pair] = []
    n_vetoed = 0
    tax_keys = _valid_tax_keys(signatures)
    if rows is not None and rows.num_rows:
        veto = vetoed_mask(rows)
        n_vetoed = int(veto.sum())
        rows = rows.filter(pa.array(~veto))
        probability = capped_probabilities(rows, ambiguous_signatures(signatures), p.match_threshold)
        for i, (left, right, prob) in enumerate(zip(rows["unique_id_l"].to_pylist(), rows["unique_id_r"].to_pylist(),
                                                    probability.tolist())):
            pairs.append(Pair(left, right, prob, "", row=i))
    rejected = _apply_decisions(state, records, pairs)
    clusters = cluster(signatures["unique_id"].to_pylist(), pairs, p.match_threshold, tax_keys, rejected, prev_entity)
    sig_entity = {sig: c.entity_id or entity_id_for(c.members) for sig, c in clusters.items()}
    review = [x for x in pairs if not x.accepted and p.review_threshold <= x.probability < p.match_threshold
              and clusters[x.left] is not clusters[x.right]]
    best = best_pairs(pairs, clusters, p.match_threshold)
    _explain([*best.values(), *review], rows, labels)
    resolved = _Resolved(sig_entity, best, review, trained, signatures)
    entities = len(set(sig_entity.values()))
    per_entity: dict[str, int] = {}
    for sig in records["signature"].to_pylist():
        per_entity[sig_entity[sig]] = per_entity.get(sig_entity[sig], 0) + 1
    linked = sum(n for n in per_entity.values() if n > 1)
    result = LinkResult(Path(), "incremental" if incremental else "full", records.num_rows, signatures.num_rows,
                        entities, linked, len(review), n_vetoed, notes, resolved=resolved)
    return result


def _explain(pairs: list[Pair], rows: pa.Table | None, labels: dict[str, list[str]]) -> None:
    """Write the reasons of the pairs that are shown (each entity member's best pair, the review
    queue) from their scored rows; pairs from analysts' decisions keep theirs."""
    wanted = sorted({x.row for x in pairs if x.row is not None and not x.reasons})
    if rows is None or not wanted:
        return
    cols = ["match_probability", *[f"gamma_{c}" for c in labels], *[f"mw_{c}" for c in labels]]
    picked = rows.select(cols).take(pa.array(wanted, pa.int64())).to_pylist()
    text = dict(zip(wanted, picked))
    for x in pairs:
        if x.row is None or x.reasons:
            continue
        row = text[x.row]
        x.reasons = reasons_text(row, labels)
        if x.probability < row["match_probability"]:
            x.reasons += "; name carried by several parties with different tax ids: held for review"


def _previous_state(state: Path) -> tuple[dict[str, Any], pa.Table] | None:
    model, sigs = state / "model.json", state / "signatures.parquet"
    if model.exists() and sigs.exists():
        return splink_run.load_model(model), pq.read_table(sigs, columns=["unique_id", "entity_id"])
    return None


def _valid_tax_keys(signatures: pa.Table) -> dict[str, str | None]:
    """Signature -> its valid tax id, unless it is a bare NIT that may carry its digit (not decisive)."""
    out = {}
    for sig, key, alt, valid in zip(*(signatures[c].to_pylist() for c in ("unique_id", "tax_key", "tax_alt", "tax_valid"))):
        out[sig] = key if valid and not alt else None
    return out


def _apply_decisions(state: Path, records: pa.Table, pairs: list[Pair]) -> set[frozenset[str]]:
    """Turn the decisions log into forced pairs (accept) and forbidden pairs (reject)."""
    log = state / "decisions.csv"
    if not log.exists():
        return set()
    where: dict[str, list[tuple[str, str]]] = {}
    for table, key, sig in zip(*(records[c].to_pylist() for c in ("source_table", "record_key", "signature"))):
        where.setdefault(key, []).append((table, sig))
    rejected = set()

    def signature_of(key: str, table: str, side: str) -> str | None:
        found = {sig for t, sig in where.get(key, []) if not table or t == table}
        if len(found) > 1:
            raise UsageError(f"{log}: record key {key!r} ({side}) names several records; add source_table_{side} "
                             f"(one of {', '.join(sorted({t for t, _ in where[key]}))}) to the decision")
        return next(iter(found), None)

    for d in latest(list(csv.DictReader(log.open(encoding="utf-8")))):
        left, right = signature_of(d.key_l, d.table_l, "l"), signature_of(d.key_r, d.table_r, "r")
        if not left or not right or left == right:
            continue  # a record no longer present, or two rows with the same name: nothing to decide
        if d.accept:
            pairs.append(Pair(left, right, 1.0, "analyst decision: accept", accepted=True))
        else:
            rejected.add(frozenset((left, right)))
            pairs[:] = [x for x in pairs if {x.left, x.right} != {left, right}]
    return rejected


def _write_outputs(out: Path, state: Path, records: pa.Table, result: LinkResult, ws: Workspace | None) -> None:
    r: _Resolved = result.resolved
    group_size: dict[str, int] = {}
    for sig in records["signature"].to_pylist():
        group_size[sig] = group_size.get(sig, 0) + 1
    rows = []
    for table, column, key, name, sig in zip(*(records[c].to_pylist() for c in
                                               ("source_table", "source_column", "record_key", "name", "signature"))):
        best = r.best.get(sig)
        if best:
            prob, why = best.probability, best.reasons
        elif group_size[sig] > 1:
            prob, why = 1.0, "same normalized name, legal form, tax id, country and kind as other records"
        else:
            prob, why = None, ""
        rows.append({"record_key": key, "source_table": table, "source_column": column, "name": name,
                     "entity_id": r.sig_entity[sig], "match_probability": prob, "reasons": why})
    entities = pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.float64() if c == "match_probability" else pa.string())
                                                            for c in ENTITY_COLUMNS]))
    _write_csv(out / "entities.csv", ENTITY_COLUMNS, rows)
    first: dict[str, tuple[str, str, str]] = {}
    for row, sig in zip(rows, records["signature"].to_pylist()):
        first.setdefault(sig, (row["record_key"], row["source_table"], row["name"]))
    review = [{"record_key_l": first[x.left][0], "source_table_l": first[x.left][1], "name_l": first[x.left][2],
               "record_key_r": first[x.right][0], "source_table_r": first[x.right][1], "name_r": first[x.right][2],
               "match_probability": round(x.probability, 4), "reasons": x.reasons}
              for x in sorted(r.review, key=lambda x: -x.probability)]
    _write_csv(out / "review.csv", REVIEW_COLUMNS, review)
    splink_run.save_model(out / "model.json", r.trained)
    splink_run.save_model(state / "model.json", r.trained)
    sigs = r.signatures.append_column("entity_id", pa.array([r.sig_entity[s] for s in r.signatures["unique_id"].to_pylist()]))
    _atomic_parquet(sigs, state / "signatures.parquet")
    if ws is not None:  # the `entities` view of Workspace.connect() and warehouse.duckdb reads this file
        with ws.locked():
            _atomic_parquet(entities, ws.path / "derived" / "entities.parquet")
            ws.write_warehouse()


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


__all__ = ["LinkResult", "link_source"]
