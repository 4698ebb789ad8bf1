"""SUNAT export listing (Latin-1, `;`, decimal comma, title line) → exports + actors."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.errors import InvalidData
from filon.ingest.adapters import get_adapter
from filon.ingest.adapters.pe_customs import classify

convert = get_adapter("pe_customs").convert
FIXTURE = "pe_customs/sunat_exportaciones_oro_2024_03.csv"
HEADER = ("NUMERO DAM;FECHA NUMERACION;RUC EXPORTADOR;RAZON SOCIAL EXPORTADOR;SUBPARTIDA NACIONAL;"
          "PAIS DESTINO;PESO NETO (KG);VALOR FOB (US$);ADUANA\n")


@pytest.fixture
def converted(fixtures_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    return tmp_path, convert(fixtures_dir / FIXTURE, tmp_path)


def test_exports_are_mapped(converted, check) -> None:
    out, warnings = converted
    rows = {r["declaration_id"]: r for r in check(out, "exports")}
    assert len(rows) == 8
    first = rows["PE-235-2024-40-012345"]
    assert first["date"] == "2024-03-15" and first["country"] == "PE"
    assert first["exporter_id"] == "PE-RUC-20601234565"
    assert first["destination_country"] == "CH" and first["hs_code"] == "7108120000"
    assert (first["commodity"], first["product"]) == ("Au", "dore")  # "DORÉ" in the description
    assert (first["net_mass_kg"], first["gross_mass_kg"], first["value_usd"]) == ("125.350", "126.100", "7812345.67")
    assert (first["customs_office"], first["transport_mode"]) == ("235", "air")
    assert first["consignee_name"] == "REFINERIA ALPINA SA" and first["fine_mass_kg"] == ""
    assert any("not UTF-8" in w for w in warnings)


def test_short_dam_number_is_completed_from_aduana_year_and_regime(converted, rows_of) -> None:
    out, _ = converted
    ids = {r["declaration_id"] for r in rows_of(out / "exports.csv")}
    assert "PE-235-2024-40-012346" in ids


def test_series_of_one_dam_get_suffixes(converted, rows_of) -> None:
    out, _ = converted
    rows = {r["declaration_id"]: r for r in rows_of(out / "exports.csv")}
    assert rows["PE-235-2024-40-012350-S1"]["commodity"] == "Au"
    silver = rows["PE-235-2024-40-012350-S2"]
    assert (silver["commodity"], silver["product"]) == ("Ag", "dore")


def test_countries_products_and_transport(converted, rows_of) -> None:
    out, _ = converted
    rows = {r["declaration_id"]: r for r in rows_of(out / "exports.csv")}
    assert {r["destination_country"] for r in rows.values()} == {"CH", "IN", "AE", "CN", "CA", "US", "IT"}
    conc = rows["PE-118-2024-40-004410"]
    assert (conc["commodity"], conc["product"], conc["transport_mode"]) == ("Au", "concentrate", "sea")
    assert conc["net_mass_kg"] == "24500.000"
    copper = rows["PE-118-2024-40-004420"]
    assert (copper["commodity"], copper["product"]) == ("Cu", "concentrate")
    assert rows["PE-235-2024-40-012346"]["product"] == "bullion"
    assert rows["PE-235-2024-40-012401"]["value_usd"] == "165250.00"


def test_actors_one_per_ruc(converted, check) -> None:
    out, warnings = converted
    actors = {a["actor_id"]: a for a in check(out, "actors")}
    assert len(actors) == 6
    sol = actors["PE-RUC-20601234565"]
    assert sol["name"] == "MINERA AURÍFERA SOL DE ORO S.A.C."  # first spelling kept, accents decoded
    assert (sol["kind"], sol["tax_id"], sol["tax_id_scheme"], sol["roles"], sol["country"]) == (
        "company", "20601234565", "PE-RUC", "exporter", "PE")
    assert actors["PE-RUC-10401234565"]["kind"] == "person"
    assert any("different names" in w for w in warnings)


def test_formula_names_are_kept_as_text(converted, rows_of) -> None:
    out, _ = converted
    actors = {a["actor_id"]: a for a in rows_of(out / "actors.csv")}
    assert actors["PE-RUC-20487654320"]["name"] == (
        '=HYPERLINK("http://www.sunat.gob.pe";"INVERSIONES AURUM DEL SUR E.I.R.L.")')


@pytest.mark.parametrize(("hs", "description", "expected"), [
    ("7108120000", "ORO DORE", ("Au", "dore")), ("7108120000", "LINGOTES", ("Au", "bullion")),
    ("7108130000", "", ("Au", "other")), ("7106919000", "", ("Ag", "bullion")),
    ("2616900000", "", ("Au", "concentrate")), ("2616100000", "", ("Ag", "concentrate")),
    ("2603000000", "", ("Cu", "concentrate")), ("7112910000", "", ("Au", "scrap")),
    ("0901119000", "CAFE", (None, None)),
])
def test_classify(hs: str, description: str, expected: tuple) -> None:
    assert classify(hs, description) == expected


def test_comma_separated_utf8_with_iso_codes(tmp_path: Path, check) -> None:
    src = tmp_path / "dam.csv"
    src.write_text("\ufeffDAM,FECHA,RUC,RAZON SOCIAL,SUBPARTIDA,PAIS,PESO NETO,VALOR FOB\n"
                   "172-2023-40-000981,2023-11-02,20601234565,ORO DEL NORTE SAC,7108.12.00.00,CH,\"1,250.5\",80000.5\n",
                   encoding="utf-8")
    assert convert(src, tmp_path / "out") == []
    [row] = check(tmp_path / "out", "exports")
    assert (row["declaration_id"], row["hs_code"], row["destination_country"], row["net_mass_kg"]) == (
        "PE-172-2023-40-000981", "7108120000", "CH", "1250.5")


def test_missing_column_names_file_and_columns_found(tmp_path: Path) -> None:
    src = tmp_path / "sunat.csv"
    src.write_text(HEADER.replace(";VALOR FOB (US$)", "") + "1;15/03/2024;20601234565;X;7108120000;SUIZA;1;235\n",
                   encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    text = str(err.value)
    assert "sunat.csv" in text and "'VALOR FOB (US$)'" in text and "'PESO NETO (KG)'" in text


@pytest.mark.parametrize(("line", "column", "value"), [
    ("1;31/02/2024;20601234565;X;7108120000;SUIZA;1;2;235", "FECHA NUMERACION", "31/02/2024"),
    ("1;15/03/2024;20601234565;X;7108120000;SUIZA;uno;2;235", "PESO NETO (KG)", "uno"),
    ("1;15/03/2024;2,06012E+10;X;7108120000;SUIZA;1;2;235", "RUC EXPORTADOR", "2,06012E+10"),
    ("1;15/03/2024;20601234565;X;7108120000;NARNIA;1;2;235", "PAIS DESTINO", "NARNIA"),
])
def test_unparseable_value_names_file_line_column_value(tmp_path: Path, line: str, column: str, value: str) -> None:
    src = tmp_path / "sunat.csv"
    src.write_text(HEADER + "1;15/03/2024;20601234565;X;7108120000;SUIZA;1;2;235\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert (err.value.row, err.value.column, err.value.value) == (3, column, value)
    assert "sunat.csv" in str(err.value) and "line 3" in str(err.value)
