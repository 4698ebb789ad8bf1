"""Benchmark: validate + ingest of national-scale production and trades files.

    .venv/bin/python benchmarks/ingest.py [--rows 2000000] [--workdir benchmarks/_data]

Generates (once, seeded) `rows` production rows and `rows` trades rows with the actors and
rights they reference, then measures in separate processes, so each peak RSS is its own:
  1. the bare DuckDB baseline: read_csv -> Parquet of the same files (typed auto-detection);
  2. `filon validate` of the package;
  3. `filon ingest` of the package into a new workspace (validation included).
Prints rows/s, peak memory and the ratio of filon's ingest to the baseline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

GENERATE = """
COPY (SELECT 'A' || i AS actor_id, 'PE' AS country, 'MINERA ' || i || ' S.A.C.' AS name, 'company' AS kind,
             CASE WHEN i % 10 = 0 THEN 'trader' ELSE 'miner' END AS roles
      FROM range({actors}) t(i)) TO '{d}/actors.csv' (HEADER);
COPY (SELECT 'R' || i AS right_id, 'PE' AS country, 'A' || (i % {actors}) AS holder_id, 'concession' AS regime,
             'active' AS status, 'small' AS scale, 'Au' AS commodities, 100.0 + i % 900 AS area_ha
      FROM range({rights}) t(i)) TO '{d}/mining_rights.csv' (HEADER);
COPY (SELECT 'P' || i AS record_id, 'PE' AS country, 'R' || (hash(i) % {rights}) AS right_id,
             '20' || (20 + i % 5) || '-' || lpad(CAST(1 + i % 12 AS VARCHAR), 2, '0') AS period, 'Au' AS commodity,
             'dore' AS product, round(1 + (hash(i * 7) % 5000) / 100.0, 2) AS gross_mass_kg,
             round((1 + (hash(i * 7) % 5000) / 100.0) * 0.85, 3) AS fine_mass_kg,
             round((1 + (hash(i * 7) % 5000) / 100.0) * 0.85 * 65000, 2) AS value_usd
      FROM range({rows}) t(i)) TO '{d}/production.csv' (HEADER);
COPY (SELECT 'T' || i AS record_id, 'PE' AS country, DATE '2020-01-01' + CAST(i % 1800 AS INTEGER) AS date,
             'A' || (hash(i) % {actors}) AS seller_id, 'A' || (hash(i + 1) % {actors}) AS buyer_id, 'Au' AS commodity,
             'dore' AS product, round((hash(i * 3) % 3000) / 100.0, 2) AS gross_mass_kg,
             round((hash(i * 3) % 3000) / 100.0 * 0.85, 3) AS fine_mass_kg,
             round((hash(i * 3) % 3000) / 100.0 * 0.85 * 64000, 2) AS value_usd,
             'R' || (hash(i * 5) % {rights}) AS origin_right_id, 'LOT-' || i AS lot_id, 'F001-' || i AS document_ref
      FROM range({rows}) t(i)) TO '{d}/trades.csv' (HEADER);
"""

BASELINE = """
import duckdb, sys, time
d, out = sys.argv[1], sys.argv[2]
con = duckdb.connect(); con.execute("SET memory_limit = '2GB'")
t = time.perf_counter()
for name in ("actors", "mining_rights", "production", "trades"):
    con.execute(f"COPY (SELECT * FROM read_csv('{d}/{name}.csv')) TO '{out}/{name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
print(time.perf_counter() - t)
"""


def generate(folder: Path, rows: int) -> None:
    import duckdb

    marker = folder / f".rows-{rows}"
    if marker.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con = duckdb.connect()
    actors, rights = max(1000, rows // 100), max(1000, rows // 50)
    con.execute(GENERATE.format(d=folder, rows=rows, actors=actors, rights=rights))
    marker.touch()


#: Runs a command and prints its peak resident memory (KiB) last on stderr.
PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB of the command (measured in its own parent) and stdout."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK, *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return wall, peak_kib / 1024, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--workdir", type=Path, default=Path(__file__).parent / "_data")
    args = ap.parse_args()
    data = args.workdir / "package"
    t = time.perf_counter()
    generate(data, args.rows)
    print(f"data: {args.rows:,} production + {args.rows:,} trades rows in {data} "
          f"({sum(p.stat().st_size for p in data.glob('*.csv')) / 2**20:,.0f} MiB of CSV; ready in {time.perf_counter() - t:.1f} s)")
    filon = str(Path(sys.executable).parent / "filon")
    out = args.workdir / "baseline"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    base_wall, base_peak, _ = measure([sys.executable, "-c", BASELINE, str(data), str(out)])
    val_wall, val_peak, val_out = measure([filon, "validate", str(data), "--format", "json"])
    ws = args.workdir / "workspace"
    shutil.rmtree(ws, ignore_errors=True)
    ing_wall, ing_peak, _ = measure([filon, "ingest", str(data), "--workspace", str(ws)])
    total = json.loads(val_out)
    rows = sum(total["rows_read"].values())
    print(f"{'step':<34}{'seconds':>9}{'rows/s':>13}{'peak MiB':>10}")
    for name, wall, peak in (("duckdb read_csv -> parquet (base)", base_wall, base_peak),
                             ("filon validate", val_wall, val_peak),
                             ("filon ingest (validate + load)", ing_wall, ing_peak)):
        print(f"{name:<34}{wall:>9.1f}{rows / wall:>13,.0f}{peak:>10,.0f}")
    print(f"ratio ingest / baseline: {ing_wall / base_wall:.2f}x (goal <= 2x); valid={total['valid']}; "
          f"errors={total['errors']}")


if __name__ == "__main__":
    main()
