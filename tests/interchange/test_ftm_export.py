"""FtM export: every entity valid for followthemoney, every reference resolving, stable ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from followthemoney import model
from typer.testing import CliRunner

from filon.cli.interchange import export_ftm
from filon.engine.duckdb import DuckDBEngine
from filon.errors import InvalidData, UsageError
from filon.ingest.load import ingest_package
from filon.interchange.ftm_export import checked, entity_id, export_entities
from filon.store.workspace import Workspace

OWN = ("record_id,subject_id,owner_id,owner_name,share_pct,control_kind,start_date,end_date\n"
       "O1,PE-A003,PE-A002,,60,shareholding,2023-11-02,\n"
       "O2,PE-A003,,ATLANTIC NOMINEE SERVICES LTD.,40,nominee,2023-11-02,2024-06-30\n"
       "O3,PE-A003,PE-A002,,,director,2023-11-02,\n"
       "O4,PE-A002,,Maria Quispe,,beneficial,,\n")  # a person 'owned': not an Asset in FtM


def cli(*args: str):
    app = typer.Typer()
    app.command()(export_ftm)
    return CliRunner().invoke(app, list(args))


def load(path: Path) -> dict[str, dict]:
    return {e["id"]: e for e in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


@pytest.fixture
def exported(package: Path, tmp_path: Path) -> dict[str, dict]:
    (package / "ownership.csv").write_text(OWN, encoding="utf-8")
    result = cli(str(package), "--out", str(tmp_path / "region.jsonl"))
    assert result.exit_code == 0, result.output
    assert "Ownership: 2" in result.output and "Directorship: 1" in result.output
    return load(tmp_path / "region.jsonl")


def test_every_entity_reloads_valid_and_every_reference_resolves(exported: dict[str, dict]) -> None:
    for data in exported.values():
        proxy = model.get_proxy(data)
        assert proxy.schema.validate(data) is None
        assert all(proxy.get(name) for name in proxy.schema.required), data
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in exported, f"{proxy.schema.name}.{prop.name} -> {value} does not resolve"
                assert model.get(exported[value]["schema"]).is_a(prop.range.name)


def test_mapping_of_actors_links_rights_and_exports(exported: dict[str, dict]) -> None:
    def one(table: str, key: str) -> dict:
        return exported[entity_id("filon", table, key)]

    trader = one("actors", "PE-A003")
    assert trader["schema"] == "Company" and trader["properties"]["taxNumber"] == ["20613456784"]
    assert trader["properties"]["incorporationDate"] == ["2023-11-02"] and trader["properties"]["country"] == ["pe"]
    assert one("actors", "PE-A002")["schema"] == "Person"
    assert one("actors", "PE-A004")["properties"]["legalForm"] == ["cooperative"]
    own = one("ownership", "O1")["properties"]
    assert own["percentage"] == ["60"] and own["asset"] == [trader["id"]] and own["startDate"] == ["2023-11-02"]
    nominee = one("ownership", "O2")["properties"]
    assert nominee["role"] == ["nominee"] and nominee["endDate"] == ["2024-06-30"]
    assert exported[nominee["owner"][0]]["properties"]["name"] == ["ATLANTIC NOMINEE SERVICES LTD."]
    assert one("ownership", "O3")["schema"] == "Directorship"
    assert one("ownership", "O4")["schema"] == "UnknownLink"
    lic = one("mining_rights", "PE-R001")
    assert lic["schema"] == "License" and lic["properties"]["area"] == ["936.1"]
    award = one("mining_rights.holder", "PE-R001")["properties"]
    assert award["contract"] == [lic["id"]] and award["supplier"] == [one("actors", "PE-A001")["id"]]
    decl = one("exports", "235-2024-40-001234")["properties"]
    assert decl["declarant"] == [trader["id"]] and decl["destinationCountry"] == ["ch"]
    assert decl["vedCode"] == ["7108120000"] and decl["ccdValue"] == ["756000"]


def test_ids_are_stable_and_a_workspace_works_as_source(package: Path, tmp_path: Path,
                                                         exported: dict[str, dict]) -> None:
    ingest_package(package, tmp_path / "ws")
    engine = DuckDBEngine(Workspace(tmp_path / "ws").connect())
    summary = export_entities(lambda sql: engine.query(sql), tmp_path / "again.jsonl")
    assert set(load(tmp_path / "again.jsonl")) == set(exported)
    assert summary["dropped_values"] == {}


def test_an_entity_lacking_a_required_property_is_refused() -> None:
    link = model.make_entity("Ownership")
    link.id = "filon-x"
    link.add("percentage", "5")
    with pytest.raises(InvalidData, match="Ownership filon-x lacks required owner, asset"):
        checked(link)


def test_bad_dataset_prefix_and_missing_source(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dataset prefix"):
        export_entities(lambda sql: [], tmp_path / "x.jsonl", dataset="a b/c")
    result = cli(str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code != 0 and "does not exist" in str(result.exception)
