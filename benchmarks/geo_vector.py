"""Benchmark: the four vector territorial detectors on synthetic layers of realistic size.

    .venv/bin/python benchmarks/geo_vector.py [--detections 50000] [--rights 20000] [--areas 2000]

Builds, in an in-memory DuckDB, a 6° × 6° region of Madre de Dios-like geometry (rights on a grid,
random detections of 0.3-10 ha over 2018-2024, protected areas of 1-5 km, 40 operations, monthly
production of a quarter of the rights for 2022-2024), then runs each detector once through
`ctx.query` (the engine-neutral path) and prints wall time, alerts and peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import time

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.registry import all_detectors

LON0, LAT0, SPAN = -72.0, -15.0, 6.0
CODES = ("unlicensed_disturbance", "protected_area_disturbance", "production_without_disturbance", "displacement")


class Engine:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def close(self) -> None:
        self.con.close()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def boxes(rng: np.random.Generator, n: int, size_m: tuple[float, float], lon: np.ndarray | None = None,
          lat: np.ndarray | None = None) -> np.ndarray:
    lon = rng.uniform(LON0, LON0 + SPAN, n) if lon is None else lon
    lat = rng.uniform(LAT0, LAT0 + SPAN, n) if lat is None else lat
    side = rng.uniform(*size_m, n)
    dlat = side / 110_574.0
    dlon = side / (111_320.0 * np.cos(np.radians(lat)))
    return shapely.to_wkt(shapely.box(lon, lat, lon + dlon, lat + dlat), rounding_precision=6)


def table(con: duckdb.DuckDBPyConnection, table_name: str, **columns: list) -> None:
    """Create table `table_name` from Python columns, with the lineage columns of a workspace."""
    n = len(next(iter(columns.values())))
    data = pa.Table.from_pydict({**columns, "_source_file": [f"{table_name}.csv"] * n, "_source_row": list(range(2, n + 2))})
    con.register("_arrow", data)
    con.execute(f'CREATE OR REPLACE TABLE "{table_name}" AS SELECT * FROM _arrow')
    con.unregister("_arrow")


def build(n_det: int, n_rights: int, n_areas: int, seed: int = 1) -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(seed)
    con = duckdb.connect()
    side = int(np.ceil(np.sqrt(n_rights)))
    cell = SPAN / side
    k = np.arange(n_rights)
    rlon = LON0 + (k % side) * cell + cell * 0.1
    rlat = LAT0 + (k // side) * cell + cell * 0.1
    rwkt = shapely.to_wkt(shapely.box(rlon, rlat, rlon + cell * 0.8, rlat + cell * 0.8), rounding_precision=6)
    status = rng.choice(["active", "active", "active", "expired", "suspended"], n_rights)
    granted = [f"{y}-01-15" for y in rng.integers(2000, 2023, n_rights)]
    expires = [None if s == "active" else f"{y}-06-30" for s, y in zip(status, rng.integers(2015, 2030, n_rights))]
    scale = rng.choice(["artisanal", "small", "medium", "large"], n_rights, p=[0.5, 0.35, 0.13, 0.02])
    table(con, "mining_rights", right_id=[f"R{i:06d}" for i in k], country=["PE"] * n_rights,
          holder_id=["A1"] * n_rights, regime=["concession"] * n_rights, status=list(status), scale=list(scale),
          granted_on=granted, expires_on=expires, geometry=list(rwkt))
    con.execute("CREATE OR REPLACE TABLE mining_rights AS SELECT * REPLACE (CAST(granted_on AS DATE) AS granted_on, "
                "CAST(expires_on AS DATE) AS expires_on) FROM mining_rights")
    dates = (np.datetime64("2018-01-01") + rng.integers(0, 7 * 365, n_det)).astype(str)
    table(con, "detections", detection_id=[f"D{i:07d}" for i in range(n_det)], date=list(dates),
          geometry=list(boxes(rng, n_det, (55, 320))), area_ha=[None] * n_det, source=["bench"] * n_det,
          confidence=list(rng.uniform(0.5, 1.0, n_det)))
    con.execute("CREATE OR REPLACE TABLE detections AS SELECT * REPLACE (CAST(date AS DATE) AS date, "
                "CAST(area_ha AS DOUBLE) AS area_ha) FROM detections")
    table(con, "areas", area_id=[f"A{i:05d}" for i in range(n_areas)],
          kind=list(rng.choice(["protected_area", "indigenous_territory", "admin_area"], n_areas)),
          name=["bench area"] * n_areas, country=["PE"] * n_areas, geometry=list(boxes(rng, n_areas, (1000, 5000))))
    table(con, "operations", operation_id=[f"OP{i:03d}" for i in range(40)], country=["PE"] * 40,
          start_date=[f"{y}-06-01" for y in rng.integers(2019, 2023, 40)], end_date=[None] * 40,
          name=["op"] * 40, kind=["interdiction"] * 40, geometry=list(boxes(rng, 40, (3000, 8000))))
    con.execute("CREATE OR REPLACE TABLE operations AS SELECT * REPLACE (CAST(start_date AS DATE) AS start_date, "
                "CAST(end_date AS DATE) AS end_date) FROM operations")
    producing = rng.choice(n_rights, n_rights // 4, replace=False)
    months = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
    table(con, "producing", right_id=[f"R{i:06d}" for i in producing])
    table(con, "months", period=months)
    con.execute("CREATE TABLE production AS SELECT 'P' || row_number() OVER () AS record_id, 'PE' AS country, "
                "r.right_id, m.period, 'Au' AS commodity, CAST(0.5 AS DOUBLE) AS fine_mass_kg, "
                "'production.csv' AS _source_file, 0 AS _source_row FROM producing r CROSS JOIN months m")
    con.execute("CREATE TABLE prices AS SELECT make_date(y, 1, 1) AS date, 'Au' AS commodity, 1900.0 AS price_usd, "
                "'troy_oz' AS unit, 'bench' AS source FROM range(2017, 2026) t(y)")
    return con


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detections", type=int, default=50_000)
    ap.add_argument("--rights", type=int, default=20_000)
    ap.add_argument("--areas", type=int, default=2_000)
    args = ap.parse_args()
    t = time.perf_counter()
    con = build(args.detections, args.rights, args.areas)
    print(f"built {args.detections:,} detections, {args.rights:,} rights, {args.areas:,} areas "
          f"in {time.perf_counter() - t:.1f} s; peak RSS {peak_mb():,.0f} MB")
    ctx = DetectContext(Engine(con))  # type: ignore[arg-type]
    registry = all_detectors()
    for code in CODES:
        det = registry[code]
        t = time.perf_counter()
        alerts = det.run(ctx, defaults(det.params))
        print(f"{code:32s} {time.perf_counter() - t:7.2f} s  {len(alerts):7,} alerts  peak RSS {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
