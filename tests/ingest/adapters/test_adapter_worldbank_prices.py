"""World Bank gold prices → prices, on the real files in shared/data/trade and small variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.errors import InvalidData
from filon.ingest.adapters import get_adapter
from filon.ingest.adapters.worldbank_prices import ANNUAL_SOURCE, SOURCE

convert = get_adapter("worldbank_prices").convert
MONTHLY = "gold_price_monthly_usd_oz_worldbank.csv"
ANNUAL = "gold_price_annual_usd_oz_worldbank.csv"


def _data_rows(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]


def test_real_monthly_file(shared_data: Path, tmp_path: Path, check) -> None:
    source = shared_data / "trade" / MONTHLY
    assert convert(source, tmp_path) == []
    rows = check(tmp_path, "prices")
    assert len(rows) == len(_data_rows(source))
    first = rows[0]
    assert first == {"date": "1960-01-01", "commodity": "Au", "price_usd": "35.270", "unit": "troy_oz",
                     "source": SOURCE}
    assert all(r["date"].endswith("-01") for r in rows)


def test_real_annual_file(shared_data: Path, tmp_path: Path, check) -> None:
    source = shared_data / "trade" / ANNUAL
    convert(source, tmp_path)
    rows = check(tmp_path, "prices")
    assert len(rows) == len(_data_rows(source))
    assert all(r["date"].endswith("-01-01") and r["source"] == ANNUAL_SOURCE for r in rows)
    year, price = _data_rows(source)[-1].split(",")
    assert (f"{year}-01-01", price) in [(r["date"], r["price_usd"]) for r in rows]


def test_monthly_and_annual_together_do_not_collide(shared_data: Path, tmp_path: Path, check) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (MONTHLY, ANNUAL):
        (folder / name).write_bytes((shared_data / "trade" / name).read_bytes())
    convert(folder, tmp_path / "out")
    rows = check(tmp_path / "out", "prices")  # primary key (date, commodity, unit, source) unique
    assert len(rows) == len(_data_rows(folder / MONTHLY)) + len(_data_rows(folder / ANNUAL))


def test_pink_sheet_wide_layout(tmp_path: Path, check) -> None:
    src = tmp_path / "pink.csv"
    src.write_text("Date,Gold,Silver,Copper\n2024M01,2033.98,23.16,8343.49\n2024M02,2024.14,,8310.09\n",
                   encoding="utf-8")
    warnings = convert(src, tmp_path / "out")
    rows = check(tmp_path / "out", "prices")
    got = {(r["date"], r["commodity"], r["unit"]): r["price_usd"] for r in rows}
    assert got[("2024-01-01", "Au", "troy_oz")] == "2033.98"
    assert got[("2024-01-01", "Ag", "troy_oz")] == "23.16"
    assert got[("2024-02-01", "Cu", "t")] == "8310.09"
    assert len(rows) == 5 and any("1 empty price" in w for w in warnings)


def test_missing_date_column(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("Month,Price\n1960-01,35.27\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert "p.csv" in str(err.value) and "'Date'" in str(err.value) and "'Month', 'Price'" in str(err.value)


def test_missing_price_column(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("Date,Value\n1960-01,35.27\n", encoding="utf-8")
    with pytest.raises(InvalidData, match="no price column"):
        convert(src, tmp_path / "out")


@pytest.mark.parametrize(("line", "column", "value"), [
    ("1960-13,35.27", "Date", "1960-13"), ("Jan 1960,35.27", "Date", "Jan 1960"), ("1960-02,35,0", None, None),
    ("1960-02,thirty", "Price", "thirty"),
])
def test_unparseable_values(tmp_path: Path, line: str, column: str | None, value: str | None) -> None:
    src = tmp_path / "p.csv"
    src.write_text("Date,Price\n1960-01,35.27\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert err.value.row == 3 and "line 3" in str(err.value)
    if column:
        assert (err.value.column, err.value.value) == (column, value)
