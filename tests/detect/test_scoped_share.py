"""Scoped runs of one analysis share their connection: the subjects' keys and each narrowed table
(a view filtering the table's files, never a copy) are made once for every detector with the same
scope, and a table a detector's scope does not name is whole again for it
(`filon.detect.incremental.ScopedConnection`)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from filon.detect import all_detectors
from filon.detect.incremental import ScopedConnection
from filon.detect.valuation import BY_DECLARATION
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "valid_package"
TABLES = ("exports", "trades", "production", "mining_rights")


def new_export_batch(tmp_path: Path) -> tuple[Workspace, dict[str, set[str]]]:
    """The valid package without its Bolivian export, ingested; then that export as a new batch."""
    base, batch = tmp_path / "base", tmp_path / "batch"
    shutil.copytree(VALID, base)
    batch.mkdir()
    with open(VALID / "exports.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    for folder, keep in ((base, lambda r: r["country"] != "BO"), (batch, lambda r: r["country"] == "BO")):
        with open(folder / "exports.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(r for r in rows if keep(r))
    ingest_package(base, tmp_path / "ws")
    before = {b.batch_id for b in Workspace(tmp_path / "ws").batches}
    ingest_package(batch, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    return ws, {"exports": {b.batch_id for b in ws.batches if b.table == "exports"} - before}


def counts(con: object) -> dict[str, int]:
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES}  # type: ignore[attr-defined]


def temp_tables(con: object) -> set[str]:
    """The temporary tables and views the narrowing made (the views named after tables are not temporary)."""
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary UNION ALL "  # type: ignore[attr-defined]
                                      "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall()}


def copies(con: object) -> int:
    """Rows copied into temporary tables (only the subjects' keys: narrowed tables are views)."""
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]  # type: ignore[attr-defined]
    return sum(con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names)  # type: ignore[attr-defined]


def test_same_scope_shares_narrowed_tables_and_other_tables_are_whole_again(tmp_path: Path) -> None:
    ws, added = new_export_batch(tmp_path)
    registry = all_detectors()
    balance, supply = registry["mass_balance_break"].scope, registry["export_without_supply"].scope
    assert balance is not None and supply is not None and balance.keys == supply.keys
    whole = ws.connect()
    try:
        everything = counts(whole)
    finally:
        whole.close()
    alone, alone_keys = ScopedConnection(ws).narrow(balance, added)
    try:
        expected = counts(alone)
    finally:
        alone.close()
    # BO-A001's export, none of its trades, and BO-R001's production (BO-A001 holds the right: the
    # key expression reads mining_rights, which stays whole)
    assert alone_keys == {"BO-A001"} and expected == {**everything, "exports": 1, "trades": 0, "production": 1}

    shared = ScopedConnection(ws)
    try:
        con, keys = shared.narrow(balance, added)
        made = temp_tables(con)
        assert keys == alone_keys and counts(con) == expected
        assert copies(con) == len(keys)  # the narrowed tables are views: nothing copied but the keys
        again, keys = shared.narrow(supply, added)
        assert again is con and keys == alone_keys and counts(con) == expected
        assert temp_tables(con) == made  # nothing computed twice

        _, keys = shared.narrow(BY_DECLARATION, added)
        assert keys == {"BO-201-2024-C-4512"}
        assert counts(con) == {**everything, "exports": 1}  # trades and production whole again

        shared.narrow(balance, added)
        assert counts(con) == expected and len(temp_tables(con)) == len(made) + 2  # the declaration scope's
    finally:
        shared.close()
    assert shared.con is None
