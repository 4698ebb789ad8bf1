"""bods: BODS 0.4 fixtures (bods-v04-fixtures) load; ranges, unknown owners, bad statements handled clearly."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import bods_fixtures
import pytest

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.sanctioned_party import detect
from filon.engine.duckdb import DuckDBEngine
from filon.errors import InvalidData
from filon.ingest.adapters.bods import ADAPTER
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace


def table(out: Path, name: str) -> list[dict[str, str]]:
    with (out / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fixture_file(tmp_path: Path, name: str, statements: list | None = None, lines: bool = False) -> Path:
    items = statements if statements is not None else bods_fixtures.load(name).statements
    path = tmp_path / (name.replace("/", "_") + (".jsonl" if lines else ".json"))
    path.write_text("\n".join(json.dumps(s) for s in items) if lines else json.dumps(items), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", bods_fixtures.list_cases())
def test_every_fixture_converts_validates_and_loads(case: str, tmp_path: Path) -> None:
    ADAPTER.convert(fixture_file(tmp_path, case), tmp_path / "pkg")
    result = ingest_package(tmp_path / "pkg", tmp_path / "ws")
    assert {b.table for b in result.loaded} == {"actors", "ownership"}


def test_direct_ownership_keeps_both_interests_and_their_flags(tmp_path: Path) -> None:
    ADAPTER.convert(fixture_file(tmp_path, "core/01-direct-ownership", lines=True), tmp_path / "pkg")
    actors = {a["actor_id"]: a for a in table(tmp_path / "pkg", "actors")}
    assert actors["rec-jane-smith-1975"]["kind"] == "person" and actors["rec-jane-smith-1975"]["country"] == "GB"
    assert actors["rec-acme-holdings-ltd"]["incorporation_date"] == "2005-03-15"
    own = table(tmp_path / "pkg", "ownership")
    assert [(o["control_kind"], o["share_pct"]) for o in own] == [("shareholding", "75"), ("voting", "75")]
    assert all("directOrIndirect=direct; beneficialOwnershipOrControl=true" in o["interest_note"] for o in own)


def test_circular_ownership_keeps_both_edges_and_screening_terminates(tmp_path: Path) -> None:
    ADAPTER.convert(fixture_file(tmp_path, "edge-cases/10-circular-ownership"), tmp_path / "pkg")
    own = table(tmp_path / "pkg", "ownership")
    assert {(o["subject_id"], o["owner_id"]) for o in own} == {("rec-beta-corp", "rec-alpha-corp"),
                                                               ("rec-alpha-corp", "rec-beta-corp")}
    (tmp_path / "pkg" / "actors.csv").write_text(
        (tmp_path / "pkg" / "actors.csv").read_text().replace("Alpha Corp Ltd,company,10000010,other,,,,",
                                                              "Alpha Corp Ltd,company,10000010,other,,,,trader"))
    (tmp_path / "pkg" / "sanctions.csv").write_text("entry_id,name,kind,country,tax_id,list_name,reason\n"
                                                    "S1,BETA CORPORATION LIMITED,company,GB,10000011,UK list,x\n")
    ingest_package(tmp_path / "pkg", tmp_path / "ws")
    [alert] = detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), defaults("sanctioned_party"))
    assert alert.subject_id == "rec-alpha-corp" and alert.evidence["matches"][0]["depth"] == 1


def test_declared_unknown_owner_is_kept_with_its_reason_not_invented(tmp_path: Path) -> None:
    warnings = ADAPTER.convert(fixture_file(tmp_path, "edge-cases/11-anonymous-person"), tmp_path / "pkg")
    assert [a["kind"] for a in table(tmp_path / "pkg", "actors")] == ["company"]  # no placeholder person
    [own] = table(tmp_path / "pkg", "ownership")
    assert own["owner_id"] == ""
    assert own["owner_name"] == "[unspecified: subjectUnableToConfirmOrIdentifyBeneficialOwner]"
    assert "unable to identify any beneficial owner" in own["interest_note"]
    assert any("declared-unknown" in w for w in warnings)


def test_share_ranges_are_kept_as_bounds_with_exclusivity_noted(tmp_path: Path) -> None:
    statements = copy.deepcopy(bods_fixtures.load("core/01-direct-ownership").statements)
    rel = statements[2]["recordDetails"]
    rel["interests"] = [
        {"type": "shareholding", "directOrIndirect": "indirect", "share": {"exclusiveMinimum": 25, "maximum": 50}},
        {"type": "appointmentOfBoard"}, {"type": "nominee"}, {"type": "settlor", "share": {"minimum": 75}},
    ]
    ADAPTER.convert(fixture_file(tmp_path, "ranges", statements), tmp_path / "pkg")
    own = table(tmp_path / "pkg", "ownership")
    assert [(o["control_kind"], o["share_pct"], o["share_min_pct"], o["share_max_pct"]) for o in own] == [
        ("shareholding", "", "25", "50"), ("director", "", "", ""), ("nominee", "", "", ""),
        ("beneficial", "", "75", "")]
    assert "directOrIndirect=indirect" in own[0]["interest_note"] and "share > 25 % and <= 50 %" in own[0]["interest_note"]
    assert "type=settlor" in own[3]["interest_note"]
    ingest_package(tmp_path / "pkg", tmp_path / "ws")  # the extra columns are kept, not refused


def test_latest_statement_wins_and_closed_records_end_their_interests(tmp_path: Path) -> None:
    statements = copy.deepcopy(bods_fixtures.load("core/01-direct-ownership").statements)
    closed = copy.deepcopy(statements[2])
    closed.update(statementId="later", statementDate="2026-05-01", recordStatus="closed")
    ADAPTER.convert(fixture_file(tmp_path, "closed", statements + [closed]), tmp_path / "pkg")
    own = table(tmp_path / "pkg", "ownership")
    assert len(own) == 2 and {o["end_date"] for o in own} == {"2026-05-01"}


@pytest.mark.parametrize("change, says", [
    (lambda s: s[0].update(recordType="entityStatement"), "not a BODS 0.4 statement"),
    (lambda s: (s[0].pop("recordType"), s[0].update(statementType="entityStatement")), "BODS 0.2/0.3"),
    (lambda s: s[2]["recordDetails"].update(interestedParty="rec-nobody"), "interested party 'rec-nobody'"),
    (lambda s: s[2]["recordDetails"].update(subject="rec-nothing"), "subject 'rec-nothing'"),
    (lambda s: s[2]["recordDetails"]["interests"][0].update(share={"exact": 175}), "share.exact must be a number"),
    (lambda s: s[2]["recordDetails"]["interests"][0].update(share={"minimum": 60, "maximum": 20}), "runs from 60"),
    (lambda s: s[1].pop("recordDetails"), "no recordDetails"),
])
def test_invalid_statements_give_clear_errors(tmp_path: Path, change, says: str) -> None:
    statements = copy.deepcopy(bods_fixtures.load("core/01-direct-ownership").statements)
    change(statements)
    with pytest.raises(InvalidData, match=says) as err:
        ADAPTER.convert(fixture_file(tmp_path, "bad", statements, lines=True), tmp_path / "pkg")
    assert "bad.jsonl" in str(err.value) and "Fix:" in str(err.value)


def test_truncated_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(bods_fixtures.load("core/01-direct-ownership").statements, indent=1)[:-30])
    with pytest.raises(InvalidData, match="cut.json, row \\d+: not valid JSON"):
        ADAPTER.convert(path, tmp_path / "pkg")
