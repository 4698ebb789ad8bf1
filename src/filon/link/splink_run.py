"""Run Splink on signature tables: train and score all pairs, or score new records against old.

Kept apart from the pipeline so the rest of `filon.link` never touches Splink's API: this
module is the only one to change when Splink does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
from splink import DuckDBAPI, Linker

from filon.detect.parameters import Parameters
from filon.engine.duckdb import connect
from filon.link import model
from filon.link.records import name_frequencies

log = logging.getLogger("filon.link")
#: Columns read back from Splink's predictions (the rest stay in DuckDB).
PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_probability", "match_weight", "tax_key_l", "tax_key_r",
                "tax_alt_l", "tax_alt_r", "tax_valid_l", "tax_valid_r", "name_key_l", "name_key_r")


def comparison_labels(p: Parameters) -> dict[str, list[str]]:
    """Comparison output column -> labels of its non-null levels, in settings order."""
    return {c["output_column_name"]: [lv["label_for_charts"] for lv in c["comparison_levels"] if not lv.get("is_null_level")]
            for c in model.settings(p)["comparisons"]}


def blocked_pair_counts(signatures: pa.Table) -> dict[str, int]:
    """Pairs sharing a name (EM's blocking key), to decide whether EM has enough to learn from."""
    con = connect()
    try:
        con.register("sigs", signatures)
        return {col: int(con.execute(f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n "
                                     f"FROM sigs WHERE {col} IS NOT NULL GROUP BY {col})").fetchone()[0])
                for col in ("name_key",)}
    finally:
        con.close()


def register_name_frequencies(db: DuckDBAPI, linker: Linker, signatures: pa.Table) -> None:
    """Give Splink the names' estimated frequencies (`records.name_frequencies`), if the model uses them."""
    levels = [lv for c in linker.misc.save_model_to_json()["comparisons"] if c["output_column_name"] == "name"
              for lv in c["comparison_levels"] if not lv.get("is_null_level")]
    if not any(lv.get("tf_adjustment_column") == "name_key" for lv in levels):
        return
    u_exact = levels[0].get("u_probability") or 1.0
    con = connect()
    try:
        con.register("sigs", signatures)
        con.register("estimated", name_frequencies(con, "sigs"))
        # Rarity only adds evidence: a name's share above the average exact-name agreement (u)
        # would lower the weight, and the share counts a party's own other spellings too.
        tf = con.execute(f"SELECT name_key, least(tf_name_key, {u_exact!r}) AS tf_name_key FROM estimated").to_arrow_table()
    finally:
        con.close()
    linker.table_management.register_term_frequency_lookup(db.register(tf, table_name="tf_name_key_estimated"),
                                                           "name_key")


def _rows(sdf: Any, labels: dict[str, list[str]], threshold: float) -> list[dict[str, Any]]:
    cols = list(PAIR_COLUMNS) + [f"{k}_{c}" for c in labels for k in ("gamma", "mw")]
    rel = sdf.as_duckdbpyrelation().filter(f"match_probability >= {threshold}").project(", ".join(cols))
    names = rel.columns
    return [dict(zip(names, r)) for r in rel.fetchall()]


def train_and_predict(signatures: pa.Table, p: Parameters, floor: float) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """Fit the model on all signatures and score every blocked pair at or above `floor`."""
    db = DuckDBAPI(connect())
    linker = Linker(db.register(signatures, table_name="signatures"), model.settings(p), log_level=logging.ERROR)
    notes = model.train(linker, p, signatures.num_rows, blocked_pair_counts(signatures), log)
    register_name_frequencies(db, linker, signatures)
    rows = _rows(linker.inference.predict(threshold_match_probability=floor, warning_mode="never"),
                 comparison_labels(p), floor)
    trained = linker.misc.save_model_to_json()
    db.duckdb_con.close()
    return rows, trained, notes


def predict_new(existing: pa.Table, new: pa.Table, trained: dict[str, Any], p: Parameters, floor: float
                ) -> list[dict[str, Any]]:
    """Score new signatures against existing ones and among themselves with a saved model."""
    db = DuckDBAPI(connect())
    old_sdf = db.register(existing, table_name="existing")
    new_sdf = db.register(new, table_name="new_records")
    linker = Linker(old_sdf, trained, log_level=logging.ERROR)
    register_name_frequencies(db, linker, pa.concat_tables([existing.select(new.column_names), new]))
    labels = comparison_labels(p)
    rows = _rows(linker.inference.predict_between(old_sdf, new_sdf, threshold_match_probability=floor,
                                                  warning_mode="never"), labels, floor)
    if new.num_rows > 1:
        rows += _rows(linker.inference.predict_within(new_sdf, threshold_match_probability=floor,
                                                      warning_mode="never"), labels, floor)
    db.duckdb_con.close()
    return rows


def save_model(path: Path, trained: dict[str, Any]) -> None:
    path.write_text(json.dumps(trained, indent=1), encoding="utf-8")


def load_model(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
