"""opensanctions_ftm: FtM entities -> sanctions rows that screening uses; bad lines named, other schemata counted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.sanctioned_party import detect
from filon.engine.duckdb import DuckDBEngine
from filon.errors import InvalidData
from filon.ingest.adapters.opensanctions_ftm import ADAPTER
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

ENTITIES = [
    {"id": "NK-juan", "schema": "Person", "datasets": ["pe_pep"],
     "properties": {"name": ["Juan Quispe Mamani"], "alias": ["QUISPE MAMANI, Juan", "El Dorado"],
                    "nationality": ["pe"], "topics": ["role.pep"]}},
    {"id": "NK-aurora", "schema": "Company", "datasets": ["us_ofac_sdn"],
     "properties": {"name": ["Aurora Sur Gold Trading"], "taxNumber": ["20601234565"], "country": ["pe"]}},
    {"id": "sanction-1", "schema": "Sanction",
     "properties": {"entity": ["NK-aurora"], "program": ["OFAC SDN"], "authority": ["OFAC"],
                    "reason": ["Gold laundering for an armed group"]}},
    {"id": "NK-vessel", "schema": "Vessel", "properties": {"name": ["MV Oro"]}},
    {"id": "addr-1", "schema": "Address", "properties": {"full": ["Lima"]}},
    {"id": "NK-nested", "schema": "LegalEntity", "caption": "Gulf Bullion Trading",
     "properties": {"sanctions": [{"schema": "Sanction", "properties": {"program": ["EU"], "reason": ["x"]}}]}},
]


def write_lines(path: Path, items: list, extra: str = "") -> Path:
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n" + extra, encoding="utf-8")
    return path


def rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "sanctions.csv").open(encoding="utf-8", newline="") as fh:
        return {r["entry_id"]: r for r in csv.DictReader(fh)}


def test_entities_become_sanctions_rows_with_aliases_lists_and_reasons(tmp_path: Path) -> None:
    warnings = ADAPTER.convert(write_lines(tmp_path / "os.jsonl", ENTITIES), tmp_path / "out")
    got = rows(tmp_path / "out")
    assert set(got) == {"NK-juan", "NK-juan#alias-1", "NK-juan#alias-2", "NK-aurora", "NK-nested"}
    assert got["NK-juan"] | {} == {"entry_id": "NK-juan", "name": "Juan Quispe Mamani", "kind": "person",
                                   "country": "PE", "tax_id": "", "list_name": "pe_pep", "reason": "topics: role.pep"}
    assert got["NK-juan#alias-1"]["name"] == "QUISPE MAMANI, Juan" and got["NK-juan#alias-1"]["list_name"] == "pe_pep"
    aurora = got["NK-aurora"]
    assert (aurora["tax_id"], aurora["list_name"], aurora["reason"]) == (
        "20601234565", "OFAC SDN", "Gold laundering for an armed group")
    assert got["NK-nested"]["name"] == "Gulf Bullion Trading" and got["NK-nested"]["list_name"] == "EU"
    assert got["NK-nested"]["kind"] == ""
    assert any("1 Vessel entity left out" in w for w in warnings)
    assert any("1 Address entity left out" in w for w in warnings)


def test_loaded_list_is_screened_by_sanctioned_party(package: Path, tmp_path: Path) -> None:
    ADAPTER.convert(write_lines(tmp_path / "os.json", ENTITIES), package)  # writes package/sanctions.csv
    ingest_package(package, tmp_path / "ws")
    alerts = {a.subject_id: a for a in detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())),
                                              defaults("sanctioned_party"))}
    assert set(alerts) == {"PE-A001", "PE-A002"}  # by tax id; by name (main name and alias)
    assert alerts["PE-A001"].evidence["matches"][0]["basis"] == "tax_id"
    assert "OFAC SDN" in alerts["PE-A001"].explanation


def test_a_json_array_is_read_too(tmp_path: Path) -> None:
    (tmp_path / "os.json").write_text(json.dumps(ENTITIES[:2]), encoding="utf-8")
    ADAPTER.convert(tmp_path / "os.json", tmp_path / "out")
    assert "NK-aurora" in rows(tmp_path / "out")


@pytest.mark.parametrize("extra, says", [
    ('{"id": "x", "schema": "Person", "properties": {"name": ["trunc', "row 7: line is not valid JSON"),
    ('["not", "an", "entity"]', "row 7: line holds JSON but not an object"),
    ('{"schema": "Person", "properties": {}}', "row 7: not an FtM entity"),
    ('{"id": "x", "schema": "Person", "properties": ["a"]}', "row 7: not an FtM entity"),
])
def test_bad_lines_are_named_by_line_number(tmp_path: Path, extra: str, says: str) -> None:
    src = write_lines(tmp_path / "os.jsonl", ENTITIES, extra)
    with pytest.raises(InvalidData, match=says) as err:
        ADAPTER.convert(src, tmp_path / "out")
    assert "os.jsonl" in str(err.value) and "Fix:" in str(err.value)


def test_mis_encoded_and_truncated_files(tmp_path: Path) -> None:
    src = tmp_path / "latin1.jsonl"
    src.write_bytes(json.dumps({"id": "a", "schema": "Person", "properties": {"name": ["Zúñiga"]}},
                               ensure_ascii=False).encode("latin-1") + b"\n")
    with pytest.raises(InvalidData, match="row 1: not UTF-8"):
        ADAPTER.convert(src, tmp_path / "out")
    (tmp_path / "cut.json").write_text(json.dumps(ENTITIES)[:-40], encoding="utf-8")
    with pytest.raises(InvalidData, match="not valid JSON.*truncated"):
        ADAPTER.convert(tmp_path / "cut.json", tmp_path / "out")


def test_unknown_schema_is_counted_not_silently_dropped(tmp_path: Path) -> None:
    items = [{"id": f"x{i}", "schema": "Persn", "properties": {"name": ["A B"]}} for i in range(3)]
    warnings = ADAPTER.convert(write_lines(tmp_path / "os.jsonl", items), tmp_path / "out")
    assert warnings == [("os.jsonl: 3 Persn entities left out: only Person, Company, Organization, LegalEntity "
                        "and Sanction entities are read for screening")]
    assert rows(tmp_path / "out") == {}
