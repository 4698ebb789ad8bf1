"""World Bank commodity prices ("Pink Sheet") → `prices`.

The reference price is what `undervaluation` / `overvaluation` divide a declaration's value by.
Reads the `Date,Price` gold series (monthly `1960-01` or annual `1960`, USD per troy ounce) as
republished by DataHub, and the Pink Sheet's own wide layout (`1960M01` dates, one column per
commodity such as `Gold`, `Silver`, `Copper`).
"""

from __future__ import annotations

import re
from pathlib import Path

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._package import Row, write_table
from filon.ingest.adapters._parse import bad_value, detect_decimal, number
from filon.ingest.adapters._read import Field, read_table, source_files

SOURCE = "World Bank"
#: Annual averages get their own source label: prices has no frequency column, and its key
#: (date, commodity, unit, source) would otherwise make the 1961 average collide with January 1961.
ANNUAL_SOURCE = "World Bank (annual average)"

#: Column (as `plain_key` spells it) → (commodity, unit). `Price` is the DataHub gold series.
_SERIES = {"PRICE": ("Au", "troy_oz"), "GOLD": ("Au", "troy_oz"), "SILVER": ("Ag", "troy_oz"),
           "COPPER": ("Cu", "t"), "LEAD": ("Pb", "t"), "TIN": ("Sn", "t"), "ZINC": ("Zn", "t")}
FIELDS = (Field("date", ("Date", "Fecha", "Period")),
          *(Field(key.lower(), (key.title(),), required=False) for key in _SERIES))
_MONTHLY = re.compile(r"^(\d{4})(?:-|M)(\d{1,2})(?:-01)?$")


def _date(value: str) -> tuple[str, bool] | None:
    """ISO first day of the period and whether it is a year; None if not a period."""
    if re.fullmatch(r"\d{4}", value):
        return f"{value}-01-01", True
    match = _MONTHLY.match(value)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{match.group(1)}-{int(match.group(2)):02d}-01", False
    return None


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert World Bank price CSVs (a file or a folder, monthly and/or annual) into `prices.csv`."""
    warnings: list[str] = []
    rows: dict[tuple[str, str, str, str], Row] = {}
    for path in source_files(source, (".csv", ".txt")):
        src = read_table(path, FIELDS, warnings)
        mark = detect_decimal([v for _, r in src.rows for k, v in r.items() if k != "date"],
                              "," if src.delimiter == ";" else ".")
        series = [key.lower() for key in _SERIES if src.has(key.lower())]
        if not series:
            raise InvalidData(f"no price column; the columns found are: {', '.join(src.header)}",
                              file=str(path), column="Price",
                              fix="keep the Date column and a Price (gold) or Gold/Silver/Copper column")
        empty = 0
        for line, row in src.rows:
            parsed = _date(row["date"])
            if parsed is None:
                raise bad_value(src, line, "date", row["date"], "a year (1960) or a month (1960-01, 1960M01)",
                                "write the period as YYYY or YYYY-MM")
            day, annual = parsed
            for name in series:
                price = number(src, line, name, row[name], mark)
                if price is None:
                    empty += 1
                    continue
                commodity, unit = _SERIES[name.upper()]
                label = ANNUAL_SOURCE if annual else SOURCE
                rows[(day, commodity, unit, label)] = {"date": day, "commodity": commodity,
                                                       "price_usd": price, "unit": unit, "source": label}
        if empty:
            warnings.append(f"{path.name}: {empty} empty price cell(s) skipped")
    write_table(out_dir, "prices", sorted(rows.values(), key=lambda r: (r["source"], r["commodity"], r["date"])))
    return warnings


ADAPTER = Adapter(
    name="worldbank_prices",
    title="World Bank Pink Sheet prices (gold Date,Price CSV, monthly or annual)",
    description=(
        "Reads World Bank commodity price CSVs: the `Date,Price` gold series (USD per troy ounce; "
        "Date as 1960-01 monthly or 1960 annual, as republished by DataHub from the Pink Sheet) and "
        "the Pink Sheet's wide layout (Date as 1960M01, columns Gold, Silver in USD/troy oz; Copper, "
        "Lead, Tin, Zinc in USD/tonne). Writes `prices`: date = first day of the month or year, "
        "commodity Au (Price column), unit troy_oz or t, source 'World Bank' for monthly prices and "
        "'World Bank (annual average)' for yearly ones, because standard 0.1 prices have no frequency "
        "column and an annual average would otherwise share its key with January's price. A folder "
        "may hold both files. Data: World Bank Commodity Markets, CC BY 4.0."
    ),
    tables=("prices",),
    convert=convert,
)
