"""Run Splink on signature tables: train and score all pairs, or score new records against old.

Kept apart from the pipeline so the rest of `filon.link` never touches Splink's API: this
module is the only one to change when Splink does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker

from filon.detect.parameters import Parameters
from filon.engine.duckdb import connect
from filon.link import blocking, model
from filon.link.records import name_frequencies

log = logging.getLogger("filon.link")
#: Columns read back from Splink's predictions (the rest stay in DuckDB).
PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_probability", "match_weight", "tax_key_l", "tax_key_r",
                "tax_alt_l", "tax_alt_r", "tax_valid_l", "tax_valid_r", "name_key_l", "name_key_r")


def comparison_labels(p: Parameters) -> dict[str, list[str]]:
    """Comparison output column -> labels of its non-null levels, in settings order."""
    return {c["output_column_name"]: [lv["label_for_charts"] for lv in c["comparison_levels"] if not lv.get("is_null_level")]
            for c in model.settings(p)["comparisons"]}


def blocked_pair_counts(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    """Pairs sharing a name (EM's blocking key), to decide whether EM has enough to learn from."""
    return {col: int(con.execute(f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n "
                                 f"FROM {table} WHERE {col} IS NOT NULL GROUP BY {col})").fetchone()[0])
            for col in ("name_key",)}


def _load(con: duckdb.DuckDBPyConnection, signatures: pa.Table, p: Parameters, new: pa.Table | None = None
          ) -> pa.Table:
    """Signatures (and new ones, incremental) into DuckDB as `sigs`, the Splink input; return their
    candidate pairs (`blocking.py`) as Splink's blocked-pairs table."""
    table = signatures if new is None else pa.concat_tables([signatures.select(new.column_names), new])
    is_new = None if new is None else np.repeat([False, True], [signatures.num_rows, new.num_rows])
    left, right = blocking.candidate_pairs(table, p.block_max_names, p.block_max_fuzzy, is_new)
    con.register("_arrow_sigs", blocking.splink_input(table))
    con.execute("CREATE OR REPLACE TABLE sigs AS SELECT * FROM _arrow_sigs")
    con.unregister("_arrow_sigs")
    log.info("%d candidate pairs", len(left))
    return blocking.splink_pairs(table, left, right)


def _predict(con: duckdb.DuckDBPyConnection, db: DuckDBAPI, linker: Linker, pairs: pa.Table, floor: float) -> Any:
    """Score exactly the candidate pairs (registered as Splink's blocked pairs) at or above `floor`."""
    con.register("_arrow_pairs", pairs)
    con.execute("CREATE OR REPLACE TABLE candidate_pairs AS SELECT * FROM _arrow_pairs")
    con.unregister("_arrow_pairs")
    linker.table_management.register_blocked_pairs_for_predict(db.register("candidate_pairs"))
    return linker.inference.predict(threshold_match_probability=floor, warning_mode="never")


def register_name_frequencies(con: duckdb.DuckDBPyConnection, db: DuckDBAPI, linker: Linker) -> dict[str, float]:
    """Give Splink the names' estimated frequencies (`records.name_frequencies`) if the model uses
    them; return the median of each frequency column."""
    if not any(lv.get("tf_adjustment_column") for c in linker.misc.save_model_to_json()["comparisons"]
               for lv in c["comparison_levels"]):
        return {}
    tf = name_frequencies(con, "sigs")
    for col in model.TF_COLUMNS:
        lookup = tf.select(["name_key", f"tf_{col}"]).rename_columns([col, f"tf_{col}"])
        linker.table_management.register_term_frequency_lookup(db.register(lookup, table_name=f"tf_{col}_estimated"), col)
    con.register("_tf", tf)
    medians = con.execute(f"SELECT {', '.join(f'median(tf_{c})' for c in model.TF_COLUMNS)} FROM _tf").fetchone()
    con.unregister("_tf")
    return {c: float(v or 0.0) for c, v in zip(model.TF_COLUMNS, medians)}


def _rows(sdf: Any, labels: dict[str, list[str]], threshold: float) -> pa.Table:
    """Scored pairs at or above `threshold`, with the columns the resolution and the reasons read
    (`mw_X` is the weight of comparison X, term-frequency adjustment included)."""
    rel = sdf.as_duckdbpyrelation()
    have = set(rel.columns)
    cols = list(PAIR_COLUMNS) + [f"gamma_{c}" for c in labels]
    cols += [f"coalesce(mw_{c}, 0) + coalesce(mw_tf_adj_{c}, 0) AS mw_{c}" if f"mw_tf_adj_{c}" in have
             else f"mw_{c}" for c in labels]
    return rel.filter(f"match_probability >= {threshold}").project(", ".join(cols)).to_arrow_table()


def train_and_predict(signatures: pa.Table, p: Parameters, floor: float) -> tuple[pa.Table, dict[str, Any], list[str]]:
    """Fit the model on all signatures and score every candidate pair at or above `floor`."""
    con = connect()
    db = DuckDBAPI(con)
    try:
        pairs = _load(con, signatures, p)
        linker = Linker(db.register("sigs", table_name="signatures"), model.settings(p),
                        log_level=logging.ERROR)
        medians = register_name_frequencies(con, db, linker)
        model.set_name_u(linker, medians)
        notes = model.train(linker, p, signatures.num_rows, blocked_pair_counts(con, "sigs"), log)
        notes.append(f"{pairs.num_rows:,} candidate pairs scored")
        rows = _rows(_predict(con, db, linker, pairs, floor), comparison_labels(p), floor)
        trained = linker.misc.save_model_to_json()
    finally:
        con.close()
    return rows, trained, notes


def compatible(trained: dict[str, Any], p: Parameters) -> bool:
    """Whether a saved model has the comparisons and the blocking of this version (else: retrain)."""
    def levels(settings: dict[str, Any]) -> list[list[str]]:
        return [[lv["sql_condition"] for lv in c["comparison_levels"]] for c in settings["comparisons"]]
    try:
        return levels(trained) == levels(model.settings(p)) and \
            trained.get("blocking_rules_to_generate_predictions") == model.blocking_rules()
    except (KeyError, TypeError):
        return False


def predict_new(existing: pa.Table, new: pa.Table, trained: dict[str, Any], p: Parameters, floor: float
                ) -> pa.Table:
    """Score new signatures against existing ones and among themselves with a saved model."""
    con = connect()
    db = DuckDBAPI(con)
    try:
        pairs = _load(con, existing, p, new)
        linker = Linker(db.register("sigs", table_name="signatures"), trained, log_level=logging.ERROR)
        register_name_frequencies(con, db, linker)
        rows = _rows(_predict(con, db, linker, pairs, floor), comparison_labels(p), floor)
    finally:
        con.close()
    return rows


def save_model(path: Path, trained: dict[str, Any]) -> None:
    path.write_text(json.dumps(trained, indent=1), encoding="utf-8")


def load_model(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
