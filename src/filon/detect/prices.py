"""Reference prices in US dollars per kilogram, shared by detectors that value metal."""

from __future__ import annotations

#: Kilograms → the price's unit: multiply a per-unit price by this to get USD per kg.
UNITS_PER_KG = {"troy_oz": 32.1507466, "t": 0.001, "lb": 2.20462262}


def yearly_price_sql() -> str:
    """SQL of (commodity, year, usd_per_kg, source): the yearly mean of the reference prices."""
    cases = " ".join(f"WHEN '{u}' THEN {f}" for u, f in UNITS_PER_KG.items())
    return (f"SELECT commodity, CAST(year(date) AS VARCHAR) AS year, avg(price_usd * CASE unit {cases} END) AS usd_per_kg, "
            f"string_agg(DISTINCT coalesce(source, 'prices table'), '; ') AS source FROM prices GROUP BY ALL")
