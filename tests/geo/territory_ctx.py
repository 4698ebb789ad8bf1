"""A DetectContext over an in-memory DuckDB holding the territorial tables, filled from Python rows,
and small geometry builders in metres around a point of Madre de Dios (Peru)."""

from __future__ import annotations

import math
from typing import Any

import duckdb

from filon.detect.context import DetectContext

COLUMNS = {
    "detections": ("detection_id", "date", "geometry", "area_ha", "source", "confidence"),
    "mining_rights": ("right_id", "country", "holder_id", "regime", "status", "scale", "commodities", "area_ha",
                      "capacity_tpd", "granted_on", "expires_on", "admin_area", "geometry"),
    "areas": ("area_id", "kind", "name", "country", "geometry"),
    "operations": ("operation_id", "country", "start_date", "end_date", "name", "kind", "geometry",
                   "seized_value_usd", "arrests"),
    "production": ("record_id", "country", "right_id", "producer_id", "period", "commodity", "product",
                   "gross_mass_kg", "fine_mass_kg", "value_usd"),
    "prices": ("date", "commodity", "price_usd", "unit", "source"),
}
TYPES = {"date": "DATE", "granted_on": "DATE", "expires_on": "DATE", "start_date": "DATE", "end_date": "DATE",
         "area_ha": "DOUBLE", "confidence": "DOUBLE", "capacity_tpd": "DOUBLE", "fine_mass_kg": "DOUBLE",
         "gross_mass_kg": "DOUBLE", "value_usd": "DOUBLE", "price_usd": "DOUBLE", "seized_value_usd": "DOUBLE",
         "arrests": "BIGINT"}

LON0, LAT0 = -70.0, -12.9


class _Engine:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str, params: list | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def close(self) -> None:
        self.con.close()


def context(**tables: list[dict[str, Any]]) -> DetectContext:
    """Every territorial table (empty unless given), with lineage columns like a workspace's."""
    con = duckdb.connect()
    for name, cols in COLUMNS.items():
        defs = ", ".join(f'"{c}" {TYPES.get(c, "VARCHAR")}' for c in cols)
        con.execute(f'CREATE TABLE "{name}" ({defs}, _source_file VARCHAR, _source_row BIGINT)')
        for n, row in enumerate(tables.get(name, []), start=2):
            unknown = set(row) - set(cols)
            assert not unknown, unknown
            con.execute(f'INSERT INTO "{name}" VALUES ({", ".join("?" * (len(cols) + 2))})',
                        [row.get(c) for c in cols] + [f"{name}.csv", n])
    return DetectContext(_Engine(con))  # type: ignore[arg-type]


def offset(dx_m: float, dy_m: float, lon: float = LON0, lat: float = LAT0) -> tuple[float, float]:
    """The point `dx_m` east and `dy_m` north of (lon, lat)."""
    return (lon + dx_m / (111_320.0 * math.cos(math.radians(lat))), lat + dy_m / 110_574.0)


def square(dx_m: float, dy_m: float, side_m: float, lon: float = LON0, lat: float = LAT0) -> str:
    """WKT square of `side_m` metres whose south-west corner is `dx_m`, `dy_m` from (lon, lat)."""
    return rect(dx_m, dy_m, side_m, side_m, lon, lat)


def rect(dx_m: float, dy_m: float, w_m: float, h_m: float, lon: float = LON0, lat: float = LAT0) -> str:
    x0, y0 = offset(dx_m, dy_m, lon, lat)
    x1, y1 = offset(dx_m + w_m, dy_m + h_m, lon, lat)
    return f"POLYGON (({x0:.7f} {y0:.7f}, {x1:.7f} {y0:.7f}, {x1:.7f} {y1:.7f}, {x0:.7f} {y1:.7f}, {x0:.7f} {y0:.7f}))"


def right(right_id: str, geometry: str | None, *, status: str = "active", granted: str | None = "2015-01-01",
          expires: str | None = None, scale: str = "small", regime: str = "concession", country: str = "PE"
          ) -> dict[str, Any]:
    return {"right_id": right_id, "country": country, "holder_id": "A1", "regime": regime, "status": status,
            "scale": scale, "commodities": "Au", "granted_on": granted, "expires_on": expires, "geometry": geometry}


def detection(det_id: str, geometry: str, date: str = "2023-06-01", confidence: float | None = 0.9) -> dict[str, Any]:
    return {"detection_id": det_id, "date": date, "geometry": geometry, "confidence": confidence,
            "source": "test"}


def gold_prices(years: range = range(2017, 2026), usd_per_oz: float = 2000.0) -> list[dict[str, Any]]:
    return [{"date": f"{y}-01-01", "commodity": "Au", "price_usd": usd_per_oz, "unit": "troy_oz", "source": "test"}
            for y in years]
