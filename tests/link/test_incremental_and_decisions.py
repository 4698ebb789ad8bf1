"""Workspace runs: the entities view, analyst decisions kept and re-applied, incremental batches."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from filon.ingest.load import ingest_package
from filon.link import link_source
from filon.store.workspace import Workspace
from tests.link.conftest import RUC_JUAN, entity_of

TABLES = ["actors", "exports", "imports", "ownership", "sanctions"]


@pytest.fixture
def workspace(demo_small: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ingest_package(demo_small, ws, tables=TABLES)
    return ws


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def test_decisions_are_kept_and_reapplied(workspace: Path, tmp_path: Path) -> None:
    first = link_source(workspace, tmp_path / "out1")
    before = entity_of(tmp_path / "out1" / "entities.csv")
    assert first.mode == "full" and before["HW-A5"] == before["HW-O1"] and before["HW-A5"] != before["HW-S4"]
    decisions = write(tmp_path / "decisions.csv", ["record_key_l", "record_key_r", "decision"],
                      [["HW-A5", "HW-O1", "reject"], ["HW-S4", "HW-A5", "accept"]])
    link_source(workspace, tmp_path / "out2", decisions=decisions)
    after = entity_of(tmp_path / "out2" / "entities.csv")
    assert after["HW-A5"] != after["HW-O1"] and after["HW-A5"] == after["HW-S4"]
    log = workspace / "derived" / "link" / "decisions.csv"
    with log.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and all(r["decided_at"] and r["decided_by"] for r in rows)
    third = link_source(workspace, tmp_path / "out3")  # no --decisions: the log still applies
    again = entity_of(tmp_path / "out3" / "entities.csv")
    assert third.mode == "incremental"
    assert again["HW-A5"] != again["HW-O1"] and again["HW-A5"] == again["HW-S4"]
    con = Workspace(workspace).connect()
    assert con.execute("SELECT count(DISTINCT entity_id) FROM entities WHERE record_key IN ('HW-A5', 'HW-S4')"
                       ).fetchone() == (1,)


def test_a_new_batch_links_to_existing_entities(workspace: Path, tmp_path: Path) -> None:
    link_source(workspace, tmp_path / "out1")
    before = entity_of(tmp_path / "out1" / "entities.csv")
    batch = write(tmp_path / "batch2" / "sanctions.csv",
                  ["entry_id", "name", "kind", "country", "tax_id", "list_name", "reason"],
                  [["HW-N1", "QUILLA YANARICO, Juan Carlos", "person", "PE", RUC_JUAN, "new list", "test"],
                   ["HW-N2", "Minera Sol de Pataz SAC", "company", "PE", "", "new list", "test"],
                   ["HW-N3", "ZZYZX QWERTY HOLDINGS LTD.", "company", "VG", "", "new list", "test"]])
    ingest_package(batch.parent, workspace, tables=["sanctions"])
    result = link_source(workspace, tmp_path / "out2")
    after = entity_of(tmp_path / "out2" / "entities.csv")
    assert result.mode == "incremental"
    assert after["HW-N1"] == before["HW-A2"] and after["HW-N2"] == before["HW-A1"]
    assert after["HW-N3"] not in set(before.values())
    assert all(after[k] == v for k, v in before.items())  # resolved entities keep their ids


def test_incremental_without_an_earlier_run_says_what_to_do(workspace: Path, tmp_path: Path) -> None:
    from filon.errors import UsageError

    with pytest.raises(UsageError, match="run once without --incremental"):
        link_source(workspace, tmp_path / "out", mode="incremental")
