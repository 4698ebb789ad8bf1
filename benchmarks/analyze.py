"""Benchmark: `filon analyze` of demo regions of growing size, straight from their CSV files.

    .venv/bin/python benchmarks/analyze.py [--scales 1 10] [--engine duckdb|spark]

For each scale, generates the demo region once (seeded, cached under benchmarks/_data) and
measures, in a separate process, validation + load + every detector + the report: wall
time, peak memory, rows, alerts. Prints how time grows with size, and the ratio to a bare
DuckDB script that reads the same CSV files and computes only the aggregates the supply-chain
detectors rest on (the floor any implementation pays: parsing plus the group-bys and joins).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


#: Beyond this scale the demo generator (pure Python, all rows in memory) needs more memory than a
#: laptop benchmark should take; larger regions are tiled from the x10 one instead.
MAX_GENERATED = 10


def tiled(root: Path, scale: float) -> Path:
    """A region `scale / 10` times the x10 one: each table copied with every `*_id` column (keys and
    references; not tax ids) suffixed per copy, so the copies are disjoint actors, rights, lots and
    declarations; reference data keyed otherwise (prices) is shared."""
    import duckdb

    from filon.standard.model import load_standard

    copies = int(round(scale / MAX_GENERATED))
    base, folder = region(root, MAX_GENERATED), root / f"region-x{scale:g}"
    if (folder / "trades.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": "2GB", "threads": 2})
    for table in load_standard():
        src = base / f"{table.name}.csv"
        if not src.exists():
            continue
        ids = [c.name for c in table.columns if c.name.endswith("_id") and c.name != "tax_id"]
        reader = f"read_csv('{src}', header=true, all_varchar=true)"
        if not any(k.endswith("_id") for k in table.primary_key):  # reference data (prices): shared
            con.execute(f"COPY (SELECT * FROM {reader}) TO '{folder / src.name}' (HEADER)")
            continue
        parts = [f"SELECT * REPLACE ({', '.join(f'{c} || {chr(39)}-{k}{chr(39)} AS {c}' for c in ids)}) FROM {reader}"
                 if k else f"SELECT * FROM {reader}" for k in range(copies)]
        con.execute(f"COPY ({' UNION ALL '.join(parts)}) TO '{folder / src.name}' (HEADER)")
    print(f"tiled scale {scale:g} from {copies} copies of scale {MAX_GENERATED}")
    return folder


def region(root: Path, scale: float) -> Path:
    if scale > MAX_GENERATED:
        return tiled(root, scale)
    folder = root / f"region-x{scale:g}"
    if not (folder / "trades.csv").exists():
        from filon.demo import generate_region

        t = time.perf_counter()
        generate_region(folder, seed=7, scale=scale)
        (folder / "ground_truth.csv").unlink()
        print(f"generated scale {scale:g} in {time.perf_counter() - t:.1f} s")
    return folder


#: The aggregates behind the supply-chain detectors, written by hand against the raw CSV files.
BARE_SQL = """
CREATE TEMP TABLE trades AS SELECT * FROM read_csv('{d}/trades.csv', header=true);
CREATE TEMP TABLE exports AS SELECT * FROM read_csv('{d}/exports.csv', header=true);
CREATE TEMP TABLE production AS SELECT * FROM read_csv('{d}/production.csv', header=true, types={{'period': 'VARCHAR'}});
CREATE TEMP TABLE rights AS SELECT * FROM read_csv('{d}/mining_rights.csv', header=true);
CREATE TEMP TABLE imports AS SELECT * FROM read_csv('{d}/imports.csv', header=true, types={{'period': 'VARCHAR'}});
CREATE TEMP TABLE prices AS SELECT * FROM read_csv('{d}/prices.csv', header=true);
CREATE TEMP TABLE actors AS SELECT * FROM read_csv('{d}/actors.csv', header=true);
SELECT count(*) FROM (
  SELECT actor, commodity, y, sum(o) - sum(i) AS gap FROM (
    SELECT seller_id AS actor, commodity, year(date) AS y, fine_mass_kg AS o, 0 AS i FROM trades
    UNION ALL SELECT buyer_id, commodity, year(date), 0, fine_mass_kg FROM trades
    UNION ALL SELECT exporter_id, commodity, year(date), fine_mass_kg, 0 FROM exports
    UNION ALL SELECT r.holder_id, p.commodity, CAST(left(p.period, 4) AS INT), 0, p.fine_mass_kg
      FROM production p JOIN rights r USING (right_id)) GROUP BY ALL HAVING gap > 0);
SELECT count(*) FROM (SELECT country, commodity, left(period, 4) AS y, sum(fine_mass_kg) FROM production GROUP BY ALL);
SELECT count(*) FROM (SELECT p.right_id, left(p.period, 4), sum(p.fine_mass_kg) / any_value(r.capacity_tpd)
  FROM production p JOIN rights r USING (right_id) GROUP BY ALL);
SELECT count(*) FROM (SELECT e.country, e.destination_country, year(e.date) AS y, sum(e.value_usd) AS v,
  any_value(i.v) FROM exports e LEFT JOIN (SELECT origin_country, country, left(period, 4) AS y, sum(value_usd) AS v
  FROM imports GROUP BY ALL) i ON i.origin_country = e.country AND i.country = e.destination_country
  AND i.y = CAST(year(e.date) AS VARCHAR) GROUP BY ALL);
SELECT count(*) FROM (SELECT e.declaration_id, e.value_usd / (e.fine_mass_kg * p.price_usd) FROM exports e
  ASOF LEFT JOIN prices p ON p.commodity = e.commodity AND e.date >= p.date);
SELECT count(*) FROM trades t JOIN rights r ON r.right_id = t.origin_right_id WHERE r.status <> 'active';
SELECT count(*) FROM (SELECT exporter_id, min(date), sum(value_usd) FROM exports GROUP BY ALL) x
  JOIN actors a ON a.actor_id = x.exporter_id;
"""


def bare_duckdb(folder: Path) -> float:
    """Seconds for the hand-written aggregates on the same CSV files (a fresh connection, same memory cap)."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "2GB", "threads": 2})
    t = time.perf_counter()
    for statement in BARE_SQL.format(d=folder).split(";"):
        if statement.strip():
            con.execute(statement).fetchall()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    ap.add_argument("--engine", default="duckdb")
    ap.add_argument("--workdir", type=Path, default=Path(__file__).parent / "_data")
    args = ap.parse_args()
    filon = str(Path(sys.executable).parent / "filon")
    print(f"{'scale':>6}{'rows':>12}{'seconds':>9}{'peak MiB':>10}{'alerts':>8}{'bare s':>8}{'ratio':>7}")
    base = None
    for scale in args.scales:
        folder = region(args.workdir, scale)
        rows = sum(sum(1 for _ in p.open("rb")) - 1 for p in folder.glob("*.csv"))
        out = args.workdir / f"out-x{scale:g}-{args.engine}"
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", PEAK, filon, "analyze", str(folder), "--out", str(out),
                               "--engine", args.engine], capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode:
            sys.exit(proc.stderr[-2000:])
        peak = int(proc.stderr.strip().splitlines()[-1]) / 1024
        alerts = len(json.loads((out / "alerts.json").read_text()))
        base = base or wall
        bare = bare_duckdb(folder)
        print(f"{scale:>6g}{rows:>12,}{wall:>9.1f}{peak:>10,.0f}{alerts:>8}{bare:>8.1f}{wall / bare:>7.1f}"
              f"   ({wall / base:.1f}x the first)", flush=True)


if __name__ == "__main__":
    main()
