"""The exported datapackage.json is checked by the Frictionless validator itself."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from filon.standard import load_standard
from filon.standard.frictionless import export_datapackage, package_descriptor

frictionless = pytest.importorskip("frictionless")

FIXTURE = Path(__file__).parent.parent / "fixtures" / "valid_package"
FIXTURE_TABLES = ["actors", "mining_rights", "production", "trades", "exports"]


# `package` (a writable copy of tests/fixtures/valid_package) comes from tests/conftest.py.


def errors(report) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(task.name, e.type, e.message) for task in report.tasks for e in task.errors] + \
        [("", e.type, e.message) for e in report.errors]


def edit_rows(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# --- the fixture itself -----------------------------------------------------------

def test_fixture_headers_follow_the_standard() -> None:
    std = load_standard()
    assert sorted(p.stem for p in FIXTURE.glob("*.csv")) == sorted(FIXTURE_TABLES)
    for name in FIXTURE_TABLES:
        with (FIXTURE / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == std[name].column_names, name


def test_fixture_tax_ids_are_valid() -> None:
    from filon.standard.taxid import check_tax_id
    with (FIXTURE / "actors.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            assert check_tax_id(row["tax_id_scheme"], row["tax_id"]) is None, row["actor_id"]


# --- descriptor shape ---------------------------------------------------------------

def test_reference_descriptor_lists_every_table() -> None:
    std = load_standard()
    desc = package_descriptor(std)
    assert desc["name"] == "filon-regional-standard"
    assert desc["version"] == "0.1"
    assert desc["profile"] == "tabular-data-package"
    assert [r["name"] for r in desc["resources"]] == std.names
    for res, table in zip(desc["resources"], std):
        assert res["path"] == f"{table.name}.csv"
        assert res["profile"] == "tabular-data-resource"
        assert [f["name"] for f in res["schema"]["fields"]] == table.column_names
        assert res["schema"]["missingValues"] == [""]
        assert res["schema"]["primaryKey"] == list(table.primary_key)


def test_field_mapping() -> None:
    desc = package_descriptor(load_standard())
    fields = {(r["name"], f["name"]): f for r in desc["resources"] for f in r["schema"]["fields"]}
    assert fields[("actors", "actor_id")]["type"] == "string"
    assert fields[("actors", "actor_id")]["constraints"] == {"required": True}
    assert fields[("actors", "kind")]["constraints"] == {"enum": ["company", "person", "cooperative", "public_body"]}
    assert fields[("actors", "country")]["constraints"]["pattern"] == "^[A-Z]{2}$"
    assert fields[("actors", "incorporation_date")]["type"] == "date"
    assert fields[("exports", "hs_code")]["constraints"] == {"required": True, "pattern": "^[0-9]{6,10}$"}
    assert fields[("production", "period")]["constraints"]["pattern"] == "^[0-9]{4}(-(0[1-9]|1[0-2]))?$"
    assert fields[("exports", "net_mass_kg")]["type"] == "number"
    assert fields[("exports", "net_mass_kg")]["unit"] == "kg"
    assert fields[("exports", "net_mass_kg")]["constraints"]["minimum"] == 0
    assert fields[("operations", "arrests")]["type"] == "integer"
    assert fields[("movements", "time")]["type"] == "datetime"
    assert fields[("mining_rights", "geometry")]["type"] == "string"
    assert "unit" not in fields[("actors", "name")]
    assert fields[("actors", "name")]["description"]


def test_foreign_keys() -> None:
    desc = package_descriptor(load_standard())
    res = {r["name"]: r for r in desc["resources"]}
    assert {"fields": ["holder_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}} \
        in res["mining_rights"]["schema"]["foreignKeys"]
    assert {"fields": ["right_id"], "reference": {"resource": "mining_rights", "fields": ["right_id"]}} \
        in res["production"]["schema"]["foreignKeys"]
    assert "foreignKeys" not in res["actors"]["schema"]


def test_reference_descriptor_passes_frictionless_metadata_checks(tmp_path: Path) -> None:
    path = export_datapackage(load_standard(), tmp_path / "out")
    assert path == tmp_path / "out" / "datapackage.json"
    report = frictionless.Package.validate_descriptor(str(path))
    assert report.valid, errors(report)


def test_only_present_tables_are_listed(package: Path) -> None:
    (package / "exports.csv").unlink()
    desc = package_descriptor(load_standard(), package)
    assert [r["name"] for r in desc["resources"]] == ["actors", "mining_rights", "production", "trades"]


def test_foreign_keys_to_absent_tables_are_dropped(package: Path) -> None:
    (package / "actors.csv").unlink()
    path = export_datapackage(load_standard(), package, package)
    desc = json.loads(path.read_text(encoding="utf-8"))
    for res in desc["resources"]:
        for fk in res["schema"].get("foreignKeys", []):
            assert fk["reference"]["resource"] != "actors"
    report = frictionless.validate(str(path))
    assert report.valid, errors(report)


# --- the Frictionless validator on real files ------------------------------------------

def test_valid_package_is_valid_for_frictionless(package: Path) -> None:
    path = export_datapackage(load_standard(), package, package)
    assert path == package / "datapackage.json"
    report = frictionless.validate(str(path))
    assert report.valid, errors(report)
    assert sorted(t.name for t in report.tasks) == sorted(FIXTURE_TABLES)


def test_broken_package_is_invalid_for_frictionless(package: Path) -> None:
    def bad_enum(rows: list[dict[str, str]]) -> None:
        rows[0]["product"] = "nugget"

    def dangling(rows: list[dict[str, str]]) -> None:
        rows[1]["seller_id"] = "PE-A999"

    edit_rows(package / "exports.csv", bad_enum)
    edit_rows(package / "trades.csv", dangling)
    report = frictionless.validate(str(export_datapackage(load_standard(), package, package)))
    assert not report.valid
    found = {(name, etype) for name, etype, _ in errors(report)}
    assert ("exports", "constraint-error") in found
    assert ("trades", "foreign-key") in found
    messages = " ".join(m for _, _, m in errors(report))
    assert "nugget" in messages and "PE-A999" in messages


@pytest.mark.parametrize(("table", "column", "value"), [
    ("actors", "roles", "trader, exporter"),      # list must be ';'-separated known values
    ("actors", "roles", "smuggler"),
    ("actors", "country", "Peru"),
    ("exports", "hs_code", "7108.12"),
    ("production", "period", "2024-13"),
    ("production", "fine_mass_kg", "-1"),
    ("production", "fine_mass_kg", ""),           # required
    ("trades", "date", "05/02/2024"),
    ("exports", "destination_country", "ch"),
])
def test_constraint_violations_are_reported(package: Path, table: str, column: str, value: str) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        rows[0][column] = value

    edit_rows(package / f"{table}.csv", change)
    report = frictionless.validate(str(export_datapackage(load_standard(), package, package)))
    assert not report.valid
    assert {name for name, _, _ in errors(report)} == {table}


def test_duplicate_primary_key_is_reported(package: Path) -> None:
    def dup(rows: list[dict[str, str]]) -> None:
        rows[1]["record_id"] = rows[0]["record_id"]

    edit_rows(package / "production.csv", dup)
    report = frictionless.validate(str(export_datapackage(load_standard(), package, package)))
    assert ("production", "primary-key") in {(n, t) for n, t, _ in errors(report)}


def test_header_follows_the_file(package: Path) -> None:
    """Optional columns may be absent, extra columns kept; a missing required column fails."""
    def reshape(rows: list[dict[str, str]]) -> None:
        for row in rows:
            del row["consignee_name"]          # optional: may be absent
            del row["lot_id"]
            row["sunat_channel"] = "green"     # extra: kept, never fails

    edit_rows(package / "exports.csv", reshape)
    path = export_datapackage(load_standard(), package, package)
    desc = json.loads(path.read_text(encoding="utf-8"))
    fields = next(r for r in desc["resources"] if r["name"] == "exports")["schema"]["fields"]
    assert fields[-1] == {"name": "sunat_channel", "type": "string",
                          "description": "Extra column, not part of the standard (kept as is).",
                          "filon:extra": True}
    report = frictionless.validate(str(path))
    assert report.valid, errors(report)

    def drop_required(rows: list[dict[str, str]]) -> None:
        for row in rows:
            del row["net_mass_kg"]

    edit_rows(package / "exports.csv", drop_required)
    report = frictionless.validate(str(export_datapackage(load_standard(), package, package)))
    assert ("exports", "missing-label") in {(n, t) for n, t, _ in errors(report)}
