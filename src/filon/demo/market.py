"""Calendar and reference prices of the demo (2022-01 to 2024-12).

Gold prices are the World Bank "Pink Sheet" monthly averages (USD per troy oz),
rounded, embedded so the generator runs offline; copper prices are rounded
approximations of the same series' levels. Values declared in the demo are
derived from these, so under- and over-valuation are measured against exactly
the prices the package carries.
"""

from __future__ import annotations

import calendar

OZ_PER_KG = 32.1507466  # troy ounces in one kilogram

MONTHS: tuple[str, ...] = tuple(f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13))
YEARS: tuple[int, ...] = (2022, 2023, 2024)

AU_USD_PER_OZ: dict[str, float] = dict(zip(MONTHS, (
    1816.02, 1856.00, 1947.83, 1937.00, 1849.00, 1837.00, 1733.00, 1765.00, 1680.78, 1664.00, 1725.00, 1798.00,
    1897.71, 1855.00, 1913.00, 2000.00, 1992.00, 1943.00, 1951.00, 1919.00, 1916.00, 1916.00, 1984.00, 2026.00,
    2034.04, 2023.00, 2158.00, 2331.45, 2351.00, 2326.00, 2398.00, 2470.00, 2571.00, 2690.00, 2651.00, 2648.00,
), strict=True))

CU_USD_PER_T: dict[str, float] = dict(zip(MONTHS, (
    9780, 9940, 10240, 10180, 9360, 9030, 7530, 7980, 7750, 7650, 8030, 8370,
    8990, 8950, 8850, 8810, 8230, 8390, 8460, 8350, 8270, 7940, 8170, 8390,
    8350, 8310, 8680, 9480, 10130, 9640, 9350, 8990, 9280, 9560, 9080, 8920,
), strict=True))

PRICE_SOURCE = "World Bank (demo)"


def au_usd_per_kg(month: str) -> float:
    """Reference gold price per fine kilogram in the month."""
    return AU_USD_PER_OZ[month] * OZ_PER_KG


def cu_usd_per_kg(month: str) -> float:
    return CU_USD_PER_T[month] / 1000.0


def price_per_kg(commodity: str, month: str) -> float:
    return au_usd_per_kg(month) if commodity == "Au" else cu_usd_per_kg(month)


def days_in(month: str) -> int:
    y, m = int(month[:4]), int(month[5:])
    return calendar.monthrange(y, m)[1]


def day(month: str, d: int) -> str:
    """ISO date of day `d` of a `YYYY-MM` month (clamped to the month's length)."""
    return f"{month}-{min(d, days_in(month)):02d}"


def month_index(month: str) -> int:
    """0 for 2022-01; months before the window are negative."""
    return (int(month[:4]) - 2022) * 12 + int(month[5:]) - 1


def add_months(month: str, n: int) -> str:
    i = int(month[:4]) * 12 + int(month[5:]) - 1 + n
    return f"{i // 12}-{i % 12 + 1:02d}"


def price_rows() -> list[dict[str, object]]:
    """Rows of the `prices` table: first day of each month, Au per troy oz and Cu per tonne."""
    rows: list[dict[str, object]] = []
    for month in MONTHS:
        rows.append({"date": f"{month}-01", "commodity": "Au", "price_usd": AU_USD_PER_OZ[month],
                     "unit": "troy_oz", "source": PRICE_SOURCE})
    for month in MONTHS:
        rows.append({"date": f"{month}-01", "commodity": "Cu", "price_usd": CU_USD_PER_T[month],
                     "unit": "t", "source": PRICE_SOURCE})
    return rows
