"""Shared adapter helpers: robust CSV reading, numbers, dates, countries, package writing, geometry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from shapely.geometry import box

from filon.errors import InvalidData
from filon.ingest.adapters._countries import to_iso2
from filon.ingest.adapters._geo import area_ha, utm_to_lonlat
from filon.ingest.adapters._package import format_value, write_table
from filon.ingest.adapters._parse import detect_decimal, to_decimal, to_iso_date
from filon.ingest.adapters._read import Field, read_table
from filon.standard import load_standard

FIELDS = (Field("name", ("NOMBRE", "NAME")), Field("amount", ("MONTO",)), Field("note", ("NOTA",), False))


def test_reads_latin1_semicolon_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "listado.csv"
    path.write_bytes("NOMBRE ; MONTO\r\n  Peñaloza Núñez ;1.234,5\r\n\r\n".encode("cp1252"))
    warnings: list[str] = []
    table = read_table(path, FIELDS, warnings)
    assert table.delimiter == ";" and table.encoding == "cp1252"
    assert table.rows == [(2, {"name": "Peñaloza Núñez", "amount": "1.234,5"})]
    assert any("not UTF-8" in w and "listado.csv" in w for w in warnings)


def test_reads_utf8_bom_and_finds_header_below_titles(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\ufeffREPORTE DE PRUEBA,,\n,,\nName,Monto,Nota\nA,1,x\n", encoding="utf-8")
    warnings: list[str] = []
    table = read_table(path, FIELDS, warnings)
    assert warnings == [] and table.header_line == 3
    assert table.rows == [(4, {"name": "A", "amount": "1", "note": "x"})]
    assert table.column("name") == "Name"


def test_tab_and_utf16_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("NOMBRE\tMONTO\nÁngel\t2\n".encode("utf-16"))
    table = read_table(path, FIELDS, [])
    assert table.delimiter == "\t" and table.rows[0][1]["name"] == "Ángel"


def test_missing_column_names_file_column_and_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("NOMBRE,IMPORTE\nA,1\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        read_table(path, FIELDS, [])
    text = str(err.value)
    assert "t.csv" in text and "'MONTO'" in text and "'NOMBRE', 'IMPORTE'" in text


def test_row_with_too_many_values_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("NOMBRE,MONTO\nA,1\nACME, S.A.,2\n", encoding="utf-8")
    with pytest.raises(InvalidData, match="line 3 has 3 values"):
        read_table(path, FIELDS, [])


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InvalidData, match="empty"):
        read_table(path, FIELDS, [])


@pytest.mark.parametrize(("values", "default", "expected"), [
    (["1.234,56", "7"], ".", ","), (["12,5"], ".", ","), (["0,125"], ".", ","), (["1,250"], ";", ";"),
    (["1,234.5"], ",", "."), (["35.270", "1960"], ".", "."), (["1.250"], ",", ","),
])
def test_detect_decimal(values: list[str], default: str, expected: str) -> None:
    assert detect_decimal(values, default) == expected


@pytest.mark.parametrize(("text", "mark", "expected"), [
    ("1.234.567,89", ",", Decimal("1234567.89")), ("1,234,567.89", ".", Decimal("1234567.89")),
    ("125,350", ",", Decimal("125.350")), ("1.5E+9", ".", Decimal("1500000000")),
    (" 2 500,00 ", ",", Decimal("2500.00")), ("US$ 10.5", ".", Decimal("10.5")), ("", ".", None),
])
def test_to_decimal(text: str, mark: str, expected: Decimal | None) -> None:
    assert to_decimal(text, mark) == expected


@pytest.mark.parametrize("text", ["1,5", "abc", "1.2.3", "NaN", "12-3"])
def test_to_decimal_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(text, ".")


@pytest.mark.parametrize(("text", "expected"), [
    ("15/03/2024", "2024-03-15"), ("2024-03-15", "2024-03-15"), ("20240315", "2024-03-15"),
    ("15/03/2024 00:00:00", "2024-03-15"), ("5/3/2024", "2024-03-05"), ("45366", "2024-03-15"),
    ("15-03-2024", "2024-03-15"), ("", None),
])
def test_to_iso_date(text: str, expected: str | None) -> None:
    assert to_iso_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2024", "marzo 2024", "2024-13-01"])
def test_to_iso_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        to_iso_date(text)


@pytest.mark.parametrize(("value", "iso2"), [
    ("SUIZA", "CH"), ("EMIRATOS ARABES UNIDOS", "AE"), ("Emiratos Árabes Unidos", "AE"), ("CANADA", "CA"),
    ("ESTADOS UNIDOS", "US"), ("INDIA", "IN"), ("REINO UNIDO", "GB"), ("COREA, REPUBLICA DE", "KR"),
    ("CH - SUIZA", "CH"), ("CHE", "CH"), ("757", "CH"), ("699", "IN"), ("842", "US"), ("604", "PE"),
    ("170", "CO"), ("68", "BO"), ("218", "EC"), ("784", "AE"), ("124", "CA"), ("380", "IT"),
    ("826", "GB"), ("156", "CN"), ("Bolivia (Plurinational State of)", "BO"), ("BOLIVIA", "BO"),
    ("0", None), ("W00", None), ("899", None), ("_X", None), ("Areas, nes", None), ("", None),
])
def test_to_iso2(value: str, iso2: str | None) -> None:
    assert to_iso2(value) == iso2


def test_write_table_uses_standard_header(tmp_path: Path) -> None:
    path = write_table(tmp_path / "pkg", "prices", [{"date": "2024-01-01", "commodity": "Au",
                                                     "price_usd": Decimal("2034.5"), "unit": "troy_oz"}])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(load_standard()["prices"].column_names)
    assert lines[1] == "2024-01-01,Au,2034.5,troy_oz,"


def test_write_table_refuses_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not in the header"):
        write_table(tmp_path, "prices", [{"date": "2024-01-01", "colour": "gold"}])


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (Decimal("1E+3"), "1000"), (1e-7, "0.0000001"), (2.5, "2.5"), (3.0, "3"), ("x", "x"),
])
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_area_is_on_the_ellipsoid_not_in_degrees() -> None:
    # A 1°x1° cell at the equator is 12,308.5 km² on WGS84; at 60°S it is about half that.
    assert area_ha(box(0, 0, 1, 1)) == pytest.approx(1_230_846, rel=1e-4)
    assert area_ha(box(-70, -61, -69, -60)) / area_ha(box(-70, 0, -69, 1)) == pytest.approx(0.49, abs=0.01)


def test_utm_inverse_matches_a_published_point() -> None:
    # CN Tower, Toronto: 17T 630084 4833438 = 43°38'33.24"N 79°23'13.7"W (the classic UTM example).
    lon, lat = utm_to_lonlat(630084, 4833438, 17, south=False)
    assert lon == pytest.approx(-79.387139, abs=2e-5) and lat == pytest.approx(43.642567, abs=2e-5)
    assert utm_to_lonlat(500000, 10_000_000, 18) == pytest.approx((-75.0, 0.0))
