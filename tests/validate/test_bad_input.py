"""Bad input: every case gives a clear problem naming file, row, column and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.errors import UsageError
from filon.validate import validate_package
from tests.conftest import rewrite


def problems(folder: Path, code: str | None = None):
    with validate_package(folder) as staged:
        report = staged.report
    return [p for p in report.problems if code is None or p.code == code], report


def only_error(folder: Path, code: str):
    found, report = problems(folder, code)
    assert not report.valid, report.to_json()
    assert found, f"expected {code}, got {[p.describe() for p in report.problems]}"
    for p in found:
        assert p.file.endswith(".csv") and p.fix and p.message
    return found


def test_valid_package_is_valid(package: Path) -> None:
    with validate_package(package) as staged:
        report = staged.report
    assert report.valid, [p.describe() for p in report.problems]
    assert report.rows_read == {"actors": 8, "mining_rights": 4, "production": 5, "trades": 3, "exports": 3}


def test_truncated_file_names_last_line(package: Path) -> None:
    path = package / "trades.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b",Au,") + 3])  # cut mid-line, as a broken download does
    [p] = only_error(package, "bad_line")
    assert p.row == 4 and "truncated" in p.message


def test_unclosed_quote(package: Path) -> None:
    rewrite(package / "trades.csv", "PE-T002,PE,", 'PE-T002,"PE,')
    found = only_error(package, "bad_line")
    assert found[0].row == 3


def test_wrong_delimiter(package: Path) -> None:
    path = package / "actors.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    [p] = only_error(package, "wrong_delimiter")
    assert p.row == 1 and "semicolons" in p.message


def test_bom_is_accepted(package: Path) -> None:
    path = package / "actors.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with validate_package(package) as staged:
        report = staged.report
    assert report.valid, [p.describe() for p in report.problems]


def test_latin1_is_read_with_warning(package: Path) -> None:
    path = package / "actors.csv"
    text = path.read_text(encoding="utf-8").replace("Fundicion", "Fundición")
    path.write_bytes(text.encode("latin-1"))
    found, report = problems(package, "not_utf8")
    assert report.valid and found and found[0].severity == "warning"
    assert found[0].row == 6  # the first line with a non-UTF-8 byte


def test_utf16_is_refused(package: Path) -> None:
    path = package / "actors.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    only_error(package, "bad_encoding")


def test_missing_required_column(package: Path) -> None:
    rewrite(package / "trades.csv", "record_id,country,date,", "record_id,country,when,")
    [p] = only_error(package, "missing_column")
    assert p.column == "date" and "when" in p.fix


def test_text_in_numeric_column(package: Path) -> None:
    rewrite(package / "trades.csv", ",10.6,686000,", ",10.6,686000 USD,")
    [p] = only_error(package, "not_a_number")
    assert (p.row, p.column, p.value) == (2, "value_usd", "686000 USD")


def test_decimal_comma_is_not_a_number(package: Path) -> None:
    rewrite(package / "trades.csv", ",10.6,686000,", ',"10,6",686000,')
    [p] = only_error(package, "not_a_number")
    assert p.column == "fine_mass_kg"


@pytest.mark.parametrize("value", ["1e300", "99999999999999999999999", "inf", "NaN"])
def test_huge_or_non_finite_number(package: Path, value: str) -> None:
    rewrite(package / "trades.csv", ",10.6,686000,", f",{value},686000,")
    found, report = problems(package)
    assert not report.valid
    assert any(p.column == "fine_mass_kg" and p.code in ("above_maximum", "not_a_number") for p in found)


def test_negative_mass(package: Path) -> None:
    rewrite(package / "exports.csv", ",13.7,11.6,", ",-13.7,11.6,")
    [p] = only_error(package, "negative_value")
    assert (p.column, p.row) == ("net_mass_kg", 2)


def test_wkt_not_a_polygon(package: Path) -> None:
    rewrite(package / "mining_rights.csv", '"POLYGON ((-70.112 -13.005, -70.108 -13.005, -70.108 -13.001, -70.112 -13.001, -70.112 -13.005))"',
            "POINT (-70.11 -13.0)")
    [p] = only_error(package, "wrong_geometry_type")
    assert p.row == 3 and "Point" in p.message


def test_unreadable_and_self_intersecting_wkt(package: Path) -> None:
    rewrite(package / "mining_rights.csv", '"POLYGON ((-70.112 -13.005, -70.108 -13.005, -70.108 -13.001, -70.112 -13.001, -70.112 -13.005))"',
            '"POLYGON ((-70.112 -13.005, -70.108 -13.001, -70.108 -13.005, -70.112 -13.001, -70.112 -13.005))"')
    rewrite(package / "mining_rights.csv", '"POLYGON ((-68.245', '"POLYGON ((x-68.245')
    assert only_error(package, "invalid_geometry")[0].row == 3
    assert only_error(package, "bad_wkt")[0].row == 5


def test_lat_lon_swapped_is_caught(package: Path) -> None:
    rewrite(package / "mining_rights.csv", "(-69.955 -12.842, -69.925 -12.842, -69.925 -12.816, -69.955 -12.816, -69.955 -12.842)",
            "(-12.842 -169.955, -12.842 -169.925, -12.816 -169.925, -12.816 -169.955, -12.842 -169.955)")
    only_error(package, "outside_lonlat")


def test_duplicate_ids(package: Path) -> None:
    rewrite(package / "trades.csv", "PE-T003,", "PE-T001,")
    [p] = only_error(package, "duplicate_id")
    assert p.row == 4 and "2, 4" in p.message


def test_dangling_reference(package: Path) -> None:
    rewrite(package / "exports.csv", ",PE-A003,AE,", ",PE-A999,AE,")
    [p] = only_error(package, "dangling_reference")
    assert (p.row, p.column, p.value) == (3, "exporter_id", "PE-A999")


def test_bad_country_enum_period_hs_date(package: Path) -> None:
    rewrite(package / "exports.csv", ",PE-A003,AE,7108120000,", ",PE-A003,ARE,7108.12,")
    rewrite(package / "production.csv", ",2024-02,Au,", ",2024-13,gold,")
    rewrite(package / "trades.csv", ",2024-02-05,", ",05/02/2024,")
    for code in ("bad_country", "bad_hs_code", "bad_period", "bad_enum", "bad_date"):
        only_error(package, code)


def test_tax_id_check_digit(package: Path) -> None:
    rewrite(package / "actors.csv", "20601234565", "20601234566")
    [p] = only_error(package, "bad_tax_id")
    assert p.row == 2 and "check digit" in p.message


def test_missing_required_value(package: Path) -> None:
    rewrite(package / "trades.csv", "PE-T002,PE,2024-02-07,PE-A002,", "PE-T002,PE,,PE-A002,")
    [p] = only_error(package, "missing_value")
    assert (p.row, p.column) == (3, "date")


def test_formula_strings_warn_but_pass(package: Path) -> None:
    rewrite(package / "actors.csv", "Juan Quispe Mamani", '"=HYPERLINK(""http://evil.example"",""x"")"')
    found, report = problems(package, "formula_like")
    assert report.valid and found[0].severity == "warning" and found[0].row == 3


def test_extra_columns_kept_with_warning(package: Path) -> None:
    path = package / "facilities.csv"
    path.write_text("facility_id,country,kind,internal_code\nF1,PE,plant,X-9\n", encoding="utf-8")
    found, report = problems(package, "unknown_column")
    assert report.valid and found[0].column == "internal_code"


def test_empty_file_and_unknown_file(package: Path) -> None:
    (package / "inputs.csv").write_bytes(b"")
    (package / "notes.xlsx").write_bytes(b"PK")
    found, report = problems(package)
    assert any(p.code == "empty_file" and p.severity == "error" for p in found)
    assert any(p.code == "unknown_file" and p.severity == "warning" for p in found)


def test_many_errors_are_grouped(package: Path) -> None:
    lines = ["record_id,country,date,seller_id,buyer_id,commodity,fine_mass_kg"]
    lines += [f"X{i},PE,not-a-date,PE-A001,PE-A003,Au,1" for i in range(5000)]
    (package / "trades.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = only_error(package, "bad_date")
    assert len(found) == 10 and sum(p.count for p in found) == 5000


def test_hostile_control_characters_and_long_lines(package: Path) -> None:
    path = package / "actors.csv"
    path.write_text(path.read_text(encoding="utf-8") + "PE-A009,PE,\"A\x00B\x07" + "x" * 100_000 + "\",company,,,,,,\n",
                    encoding="utf-8")
    with validate_package(package) as staged:
        report = staged.report
    assert report.rows_read.get("actors") == 9 or not report.valid  # read fully, or refused with a message
    for p in report.problems:
        assert p.message and p.fix


def test_missing_folder_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        validate_package(tmp_path / "nope")
    with pytest.raises(UsageError, match="no table files"):
        validate_package(tmp_path)


def test_parquet_tables_validate_like_csv(package: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{package / 'trades.csv'}', all_varchar=true)) TO '{package / 'trades.parquet'}'")
    (package / "trades.csv").unlink()
    rewrite_parquet = package / "exports.csv"
    rewrite(rewrite_parquet, ",PE-A003,AE,", ",PE-A999,AE,")
    with validate_package(package) as staged:
        report = staged.report
    assert report.rows_read["trades"] == 3
    assert [p.code for p in report.errors] == ["dangling_reference"]


def test_latin1_deep_in_a_large_file(package: Path) -> None:
    lines = ["record_id,country,date,seller_id,buyer_id,commodity,fine_mass_kg,document_ref"]
    lines += [f"X{i},PE,2024-01-01,PE-A001,PE-A003,Au,0.001,guia {i:08d} ........................" for i in range(8000)]
    lines[7000] += " Pucallpa-Lambayeque Ñ"
    (package / "trades.csv").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    found, report = problems(package, "not_utf8")
    assert report.valid and found and found[0].row == 7001
    assert report.rows_read["trades"] == 8000
