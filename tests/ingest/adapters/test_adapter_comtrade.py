"""UN Comtrade CSV → imports (partner-reported) and mirror_exports.csv (own exports)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from filon.errors import InvalidData
from filon.ingest.adapters import get_adapter
from filon.ingest.adapters.comtrade import MIRROR_COLUMNS, MIRROR_FILE

convert = get_adapter("comtrade").convert


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["record_id"]: r for r in rows}


def test_annual_imports_are_mapped(fixtures_dir: Path, tmp_path: Path, check) -> None:
    warnings = convert(fixtures_dir / "comtrade" / "comtrade_gold_2023_annual.csv", tmp_path)
    rows = _by_id(check(tmp_path, "imports"))
    assert len(rows) == 9
    ch = rows["comtrade-CH-PE-2023-710812-M"]
    assert ch == {"record_id": "comtrade-CH-PE-2023-710812-M", "country": "CH", "period": "2023",
                  "origin_country": "PE", "hs_code": "710812", "net_mass_kg": "41250.312",
                  "value_usd": "2498765432.107", "importer_name": "", "exporter_name": "",
                  "level": "aggregate"}
    assert {r["country"] for r in rows.values()} == {"CH", "IN", "AE", "US", "CA", "IT", "GB", "CN"}
    assert rows["comtrade-GB-CO-2023-710812-M"]["origin_country"] == "CO"
    assert rows["comtrade-CN-PE-2023-261690-M"]["net_mass_kg"] == "18500000"
    # netWgt empty but quantity in kg (qtyUnitCode 8): the quantity is the net mass
    assert rows["comtrade-CH-EC-2023-710812-M"]["net_mass_kg"] == "2900.5"
    text = " | ".join(warnings)
    for reason in ("World, 'areas nes'", "flow RX", "breakdown rows", "'7108'"):
        assert reason in text


def test_exports_go_to_the_mirror_file_not_imports(fixtures_dir: Path, tmp_path: Path, rows_of) -> None:
    convert(fixtures_dir / "comtrade" / "comtrade_gold_2023_annual.csv", tmp_path)
    with (tmp_path / MIRROR_FILE).open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(MIRROR_COLUMNS)
    mirror = _by_id(rows_of(tmp_path / MIRROR_FILE))
    assert set(mirror) == {"comtrade-PE-CH-2023-710812-X", "comtrade-PE-IN-2023-710812-X",
                           "comtrade-BO-IN-2023-710812-X", "comtrade-EC-US-2023-710812-X"}
    assert mirror["comtrade-PE-CH-2023-710812-X"]["value_usd"] == "2411234567.8"  # FOB
    assert mirror["comtrade-BO-IN-2023-710812-X"]["partner_country"] == "IN"
    imports = rows_of(tmp_path / "imports.csv")
    assert all(not r["record_id"].endswith("-X") for r in imports)


def test_monthly_period(fixtures_dir: Path, tmp_path: Path, check) -> None:
    convert(fixtures_dir / "comtrade" / "comtrade_gold_2024_monthly.csv", tmp_path)
    rows = check(tmp_path, "imports")
    assert {r["period"] for r in rows} == {"2024-03"}


def test_legacy_api_csv(fixtures_dir: Path, tmp_path: Path, check, rows_of) -> None:
    assert convert(fixtures_dir / "comtrade" / "comtrade_legacy_2016.csv", tmp_path) == []
    [row] = check(tmp_path, "imports")
    assert (row["country"], row["origin_country"], row["period"]) == ("CH", "PE", "2016")
    assert row["value_usd"] == "2131245678"
    [mirror] = rows_of(tmp_path / MIRROR_FILE)
    assert (mirror["country"], mirror["partner_country"], mirror["net_mass_kg"]) == ("PE", "CH", "51020")


def test_folder_of_files(fixtures_dir: Path, tmp_path: Path, check) -> None:
    convert(fixtures_dir / "comtrade", tmp_path)
    assert len(check(tmp_path, "imports")) == 9 + 2 + 1


def test_missing_column(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("freqCode,period,reporterISO,flowCode,partnerISO,cmdCode,primaryValue\n"
                   "A,2023,CHE,M,PER,710812,100\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert "c.csv" in str(err.value) and "netWgt" in str(err.value) and "'cmdCode'" in str(err.value)


def test_missing_value_columns(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("period,reporterISO,flowCode,partnerISO,cmdCode,netWgt\n2023,CHE,M,PER,710812,1\n",
                   encoding="utf-8")
    with pytest.raises(InvalidData, match="primaryValue"):
        convert(src, tmp_path / "out")


def test_unparseable_number_names_line_and_column(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("freqCode,period,reporterISO,flowCode,partnerISO,cmdCode,netWgt,primaryValue\n"
                   "A,2023,CHE,M,PER,710812,12,100\nA,2023,IND,M,PER,710812,n/a,100\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert (err.value.row, err.value.column, err.value.value) == (3, "netWgt", "n/a")
    assert "line 3" in str(err.value) and "c.csv" in str(err.value)


def test_unparseable_period(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("freqCode,period,reporterISO,flowCode,partnerISO,cmdCode,netWgt,primaryValue\n"
                   "M,2023-13,CHE,M,PER,710812,1,1\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert err.value.row == 2 and err.value.column == "period"
