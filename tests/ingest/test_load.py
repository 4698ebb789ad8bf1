"""Ingest: all or nothing, idempotent, lineage kept, batches listable and removable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from filon.errors import WorkspaceError
from filon.ingest.load import IngestRejected, ingest_package
from filon.store.remove import remove_batch
from filon.store.workspace import Workspace
from tests.conftest import rewrite


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in (".lock", "warehouse.duckdb")}


def test_ingest_keeps_every_row_with_lineage(package: Path, tmp_path: Path) -> None:
    result = ingest_package(package, tmp_path / "ws")
    assert {b.table: b.rows for b in result.loaded} == {
        "actors": 8, "mining_rights": 4, "production": 5, "trades": 3, "exports": 3}
    con = Workspace(tmp_path / "ws").connect()
    row = con.execute("SELECT name, _source_file, _source_row, _batch_id FROM actors WHERE actor_id = 'CO-A001'").fetchone()
    assert row[0] == "Fundicion Pacifico S.A.S." and row[1].endswith("actors.csv") and row[2] == 6
    assert con.execute("SELECT typeof(fine_mass_kg), typeof(date) FROM trades LIMIT 1").fetchone() == ("DOUBLE", "DATE")
    # every table of the standard is queryable, empty ones included
    assert con.execute("SELECT count(*) FROM sanctions").fetchone() == (0,)


def test_reingest_is_idempotent(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    before = snapshot(tmp_path / "ws")
    again = ingest_package(package, tmp_path / "ws")
    assert not again.loaded and len(again.skipped) == 5
    assert snapshot(tmp_path / "ws") == before


def test_failed_ingest_changes_nothing(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    before = snapshot(tmp_path / "ws")
    new = tmp_path / "second"
    new.mkdir()
    (new / "actors.csv").write_text("actor_id,country,name\nX1,PE,Ok\nX2,PE,Ok too\n", encoding="utf-8")
    (new / "trades.csv").write_text(
        "record_id,country,date,seller_id,buyer_id,commodity,fine_mass_kg\nN1,PE,2024-01-01,X1,X2,Au,-1\n", encoding="utf-8")
    with pytest.raises(IngestRejected) as err:
        ingest_package(new, tmp_path / "ws")
    assert "nothing was ingested" in str(err.value)
    assert [p.code for p in err.value.report.errors] == ["negative_value"]
    assert snapshot(tmp_path / "ws") == before


def test_ids_stay_unique_across_batches(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    new = tmp_path / "second"
    new.mkdir()
    (new / "actors.csv").write_text("actor_id,country,name\nPE-A001,PE,Someone else\n", encoding="utf-8")
    with pytest.raises(IngestRejected) as err:
        ingest_package(new, tmp_path / "ws")
    [p] = err.value.report.errors
    assert p.code == "id_already_loaded" and "actors.csv row 2" in p.message


def test_references_resolve_against_the_workspace(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws", tables=["actors"])
    result = ingest_package(package, tmp_path / "ws", tables=["trades", "mining_rights"])
    assert {b.table for b in result.loaded} == {"trades", "mining_rights"}
    new = tmp_path / "more"
    new.mkdir()
    (new / "trades.csv").write_text(
        "record_id,country,date,seller_id,buyer_id,commodity,fine_mass_kg\nN1,PE,2024-01-01,PE-A001,NOBODY,Au,1\n",
        encoding="utf-8")
    with pytest.raises(IngestRejected) as err:
        ingest_package(new, tmp_path / "ws")
    assert err.value.report.errors[0].code == "dangling_reference"


def test_remove_batch_guards_references(package: Path, tmp_path: Path) -> None:
    result = ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    actors = next(b for b in result.loaded if b.table == "actors")
    with pytest.raises(WorkspaceError, match="refer to batch"):
        remove_batch(ws, actors.batch_id)
    trades = next(b for b in result.loaded if b.table == "trades")
    remove_batch(ws, trades.batch_id[:8])
    ws = Workspace(tmp_path / "ws")
    assert "trades" not in ws.row_counts() and not (tmp_path / "ws" / trades.parquet).exists()
    assert ws.connect().execute("SELECT count(*) FROM trades").fetchone() == (0,)
    remove_batch(ws, actors.batch_id, force=True)
    assert "actors" not in Workspace(tmp_path / "ws").row_counts()


def test_killed_ingest_leaves_workspace_consistent(package: Path, tmp_path: Path) -> None:
    """A process killed after writing Parquet but before the manifest leaves no visible trace."""
    ingest_package(package, tmp_path / "ws", tables=["actors"])
    before = json.loads((tmp_path / "ws" / "workspace.json").read_text())
    script = (
        "import os, sys\n"
        "import filon.store.workspace as w\n"
        "def boom(self, *a, **k): os._exit(9)\n"
        "w.Workspace._write_manifest = boom\n"
        "from filon.ingest.load import ingest_package\n"
        f"ingest_package({str(package)!r}, {str(tmp_path / 'ws')!r})\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, env={**os.environ})
    assert proc.returncode == 9
    assert json.loads((tmp_path / "ws" / "workspace.json").read_text()) == before
    ws = Workspace(tmp_path / "ws")
    assert ws.connect().execute("SELECT count(*) FROM trades").fetchone() == (0,)
    # the next ingest cleans the leftovers and succeeds
    ingest_package(package, tmp_path / "ws")
    leftovers = {p.name for p in (tmp_path / "ws" / "tables").glob("*/*.parquet")}
    assert leftovers == {Path(b.parquet).name for b in Workspace(tmp_path / "ws").batches}


def test_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(WorkspaceError, match="not empty"):
        ingest_package(Path(__file__).parent.parent / "fixtures" / "valid_package", tmp_path)
    with pytest.raises(WorkspaceError, match="not a filon workspace"):
        Workspace(tmp_path)


def test_damaged_manifest(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    (tmp_path / "ws" / "workspace.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="damaged"):
        Workspace(tmp_path / "ws")


def test_extra_columns_are_stored(package: Path, tmp_path: Path) -> None:
    rewrite(package / "actors.csv", "admin_area,roles\n", "admin_area,roles,sunat_status\n")
    path = package / "actors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0]] + [l + ",ACTIVO" for l in lines[1:]]) + "\n", encoding="utf-8")
    ingest_package(package, tmp_path / "ws")
    con = Workspace(tmp_path / "ws").connect()
    assert con.execute("SELECT DISTINCT sunat_status FROM actors").fetchall() == [("ACTIVO",)]


ADAPTER_FIXTURES = Path(__file__).parent.parent / "fixtures" / "adapters"


def test_adapter_ingest_keeps_lineage_and_is_idempotent(tmp_path: Path) -> None:
    from filon.ingest.load import ingest_with_adapter

    source = ADAPTER_FIXTURES / "pe_customs" / "sunat_exportaciones_oro_2024_03.csv"
    result, warnings = ingest_with_adapter(source, tmp_path / "ws", "pe_customs")
    assert {b.table for b in result.loaded} == {"actors", "exports"}
    assert all(b.origin == str(source.resolve()) and b.adapter == "pe_customs" for b in result.loaded)
    assert any("UTF-8" in w or "cp1252" in w for w in warnings)
    con = Workspace(tmp_path / "ws").connect()
    file, row = con.execute("SELECT _source_file, _source_row FROM exports ORDER BY _source_row LIMIT 1").fetchone()
    assert Path(file).exists() and row == 2
    again, _ = ingest_with_adapter(source, tmp_path / "ws", "pe_customs")
    assert not again.loaded and len(again.skipped) == 2


def test_adapter_failure_leaves_workspace_unchanged(package: Path, tmp_path: Path) -> None:
    from filon.errors import InvalidData
    from filon.ingest.load import ingest_with_adapter

    ingest_package(package, tmp_path / "ws")
    before = snapshot(tmp_path / "ws")
    bad = tmp_path / "bad.csv"
    bad.write_text("NUMERO DAM;RUC EXPORTADOR\n1;2\n", encoding="utf-8")
    with pytest.raises(InvalidData):
        ingest_with_adapter(bad, tmp_path / "ws", "pe_customs")
    assert snapshot(tmp_path / "ws") == before


def test_adapter_ingest_of_some_tables(tmp_path: Path) -> None:
    from filon.ingest.load import ingest_with_adapter

    source = ADAPTER_FIXTURES / "pe_customs" / "sunat_exportaciones_oro_2024_03.csv"
    result, _ = ingest_with_adapter(source, tmp_path / "ws", "pe_customs", tables=["actors"])
    assert [b.table for b in result.loaded] == ["actors"]
