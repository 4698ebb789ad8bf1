"""Benchmark: route_deviation on N track points of M assets against K area polygons.

    .venv/bin/python benchmarks/route_deviation.py [--points 1000000] [--assets 2000] [--areas 5000]
                                                   [--full-points 1000000]

Synthetic, seeded data over the Peruvian-Bolivian Amazon (8° × 10°): K protected-area blobs
(radius 1-6 km by default: about 20 % of the box, a worst case where one leg in ten is inside an
area; `--radius-km 0.3,2` covers about 2 %), 500 permitted routes, M trucks reporting every 5 minutes at ~40 km/h along their
route with 30 m of GPS jitter, 5 % of them making a 3 km detour, 0.1 % glitch fixes.

Two measures, each in its own process (peak RSS is per process):
  - **core**: the vectorised geometry (`filon.detect._tracks`: clean, legs, STRtree query of
    LineStrings against polygons, metres inside, UTM corridor offsets) on arrays, the part that
    grows with N and K;
  - **full** (at `--full-points`): the detector end to end on a DuckDB workspace (SQL fetch of
    positions in batches, the core, alerts with lineage). Ingest time is reported apart.
Target: 10M points / 20k assets / 5k polygons < 60 s and < 4 GiB. Data under benchmarks/_data/.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "_data" / "route_deviation"
BOX = (-75.0, -15.0, -67.0, -5.0)


def synth(n_points: int, n_assets: int, n_areas: int, radius_km: tuple[float, float] = (1.0, 6.0), seed: int = 7
          ) -> dict[str, np.ndarray]:
    import shapely

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BOX
    centres = shapely.points(rng.uniform(x0, x1, n_areas), rng.uniform(y0, y1, n_areas))
    areas = shapely.buffer(centres, rng.uniform(*radius_km, n_areas) / 111.0, quad_segs=4)
    n_routes = 500
    verts = np.stack([rng.uniform(x0, x1, (n_routes, 4)), rng.uniform(y0, y1, (n_routes, 4))], axis=-1)
    verts = verts[:, :1] + (verts - verts[:, :1]) * 0.3  # routes of ~100-300 km
    routes = shapely.linestrings(verts.reshape(-1, 2), indices=np.repeat(np.arange(n_routes), 4))
    per = n_points // n_assets
    asset = np.repeat(np.arange(n_assets), per)
    route = rng.integers(0, n_routes, n_assets)[asset]
    k = np.tile(np.arange(per), n_assets)
    length = shapely.length(routes)[route]
    step = 3300 / 111_000  # 5 minutes at 40 km/h, in degrees
    offset = rng.uniform(0, 1, n_assets)[asset] * length
    d = np.abs(((offset + k * step) % (2 * length)) - length)  # back and forth along the route
    pts = shapely.line_interpolate_point(routes[route], d)
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    lon = lon + rng.normal(0, 30 / 111_000, lon.size)
    lat = lat + rng.normal(0, 30 / 111_000, lat.size)
    detour = (rng.uniform(0, 1, n_assets) < 0.05)[asset] & (k % per >= per // 2) & (k % per < per // 2 + 20)
    lat = np.where(detour, lat + 3000 / 111_000, lat)
    glitch = rng.uniform(0, 1, lon.size) < 0.001
    lon = np.where(glitch, lon + 0.2, lon)
    t = 1.68e9 + rng.uniform(0, 86400 * 30, n_assets)[asset] + k * 300.0
    return {"asset": asset, "t": t, "lon": lon, "lat": lat, "route": route, "areas": areas, "routes": routes}


def core(n: int, m: int, k: int, radius_km: tuple[float, float]) -> dict:
    from filon.detect._tracks import (
        AreaIndex,
        Routes,
        Tracks,
        area_visits,
        clean,
        excursions,
        route_offsets,
        segments,
    )
    from filon.detect.parameters import defaults

    p = defaults("route_deviation")
    t0 = time.perf_counter()
    d = synth(n, m, k, radius_km)
    t1 = time.perf_counter()
    tracks = Tracks.build(d["asset"], d["t"], d["lon"], d["lat"], d["route"])
    cleaned = clean(tracks, p.max_speed_kmh / 3.6)
    tr = cleaned.kept
    seg = segments(tr, p.max_gap_minutes * 60)
    visits = area_visits(tr, seg, AreaIndex(d["areas"]), p.stop_speed_kmh / 3.6, p.stop_radius_m,
                         min_inside_m=p.min_inside_m, min_stop_s=p.min_stop_minutes * 60)
    t2 = time.perf_counter()
    routes = Routes(d["routes"], np.full(len(d["routes"]), 50.0))
    trips = excursions(tr, route_offsets(tr, routes, p.corridor_tolerance_m), p.corridor_tolerance_m, p.min_off_corridor_points)
    t3 = time.perf_counter()
    return {"generate_s": round(t1 - t0, 2), "areas_s": round(t2 - t1, 2), "corridor_s": round(t3 - t2, 2),
            "core_s": round(t3 - t1, 2), "glitches": int(cleaned.glitches.size), "visits": len(visits),
            "excursions": len(trips)}


def write_package(n: int, m: int, k: int, radius_km: tuple[float, float]) -> Path:
    """CSV package (movements, areas, routes) for the end-to-end run, cached."""
    import shapely

    folder = DATA / f"pkg-{n}-{m}-{k}-{radius_km[0]:g}-{radius_km[1]:g}"
    if (folder / "movements.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    d = synth(n, m, k, radius_km)
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit='2GB'")
    con.register("src", {"a": d["asset"], "t": d["t"], "lat": d["lat"], "lon": d["lon"], "r": d["route"]})
    con.execute(f"""COPY (SELECT 'M' || row_number() OVER () AS movement_id, 'TRK-' || lpad(CAST(a AS VARCHAR), 6, '0')
                     AS asset_id, strftime(to_timestamp(t), '%Y-%m-%dT%H:%M:%SZ') AS time, round(lat, 6) AS lat,
                     round(lon, 6) AS lon, 'ore' AS cargo, 'RT-' || r AS route_id FROM src)
                     TO '{folder}/movements.csv' (HEADER)""")
    with (folder / "areas.csv").open("w") as fh:
        fh.write("area_id,kind,name,country,geometry\n")
        for i, wkt in enumerate(shapely.to_wkt(d["areas"], rounding_precision=6)):
            fh.write(f'PA-{i},protected_area,Area {i},PE,"{wkt}"\n')
    with (folder / "routes.csv").open("w") as fh:
        fh.write("route_id,name,width_m,geometry,valid_from,valid_to,country\n")
        for i, wkt in enumerate(shapely.to_wkt(d["routes"], rounding_precision=6)):
            fh.write(f'RT-{i},Route {i},100,"{wkt}",,,PE\n')
    return folder


def full(n: int, m: int, k: int, radius_km: tuple[float, float]) -> dict:
    import shutil

    from filon.detect.context import DetectContext
    from filon.detect.parameters import defaults
    from filon.detect.route_deviation import detect
    from filon.engine.duckdb import DuckDBEngine
    from filon.ingest.load import ingest_package
    from filon.store.workspace import Workspace

    folder = write_package(n, m, k, radius_km)
    ws = folder.with_name(folder.name.replace("pkg-", "ws-"))
    t0 = time.perf_counter()
    if not (ws / ".ingested").exists():
        shutil.rmtree(ws, ignore_errors=True)
        ingest_package(folder, ws)
        (ws / ".ingested").write_text("ok")
    t1 = time.perf_counter()
    alerts = detect(DetectContext(DuckDBEngine(Workspace(ws).connect())), defaults("route_deviation"))
    t2 = time.perf_counter()
    return {"ingest_s": round(t1 - t0, 1), "detect_s": round(t2 - t1, 1), "alerts": len(alerts)}


def child(kind: str, n: int, m: int, k: int, radius_km: tuple[float, float]) -> None:
    result = core(n, m, k, radius_km) if kind == "core" else full(n, m, k, radius_km)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--assets", type=int, default=2_000)
    ap.add_argument("--areas", type=int, default=5_000)
    ap.add_argument("--full-points", type=int, default=1_000_000)
    ap.add_argument("--radius-km", default="1,6", help="area radii, min,max (1,6: dense, ~20 %% of the box covered)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    radius = tuple(float(v) for v in args.radius_km.split(","))
    if args.child:
        kind, n, m, k = args.child
        child(kind, int(n), int(m), int(k), radius)  # type: ignore[arg-type]
        return
    DATA.mkdir(parents=True, exist_ok=True)
    runs = [("core", args.points, args.assets, args.areas)]
    if args.full_points:
        runs.append(("full", args.full_points, max(1, args.assets * args.full_points // args.points), args.areas))
    for kind, n, m, k in runs:
        out = subprocess.run([sys.executable, __file__, "--radius-km", args.radius_km, "--child", kind, str(n), str(m),
                              str(k)],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        secs = r["core_s"] if kind == "core" else r["detect_s"]
        print(f"{kind:4s} N={n:,} points, M={m:,} assets, K={k:,} polygons of {args.radius_km} km: {secs:.1f} s "
              f"({n / max(secs, 1e-9) / 1e6:.2f} M points/s), peak RSS {r['peak_rss_mib']:,} MiB -> {r}")
        print(f"     extrapolated to 10M points: {secs * 10_000_000 / n:.0f} s")


if __name__ == "__main__":
    main()
