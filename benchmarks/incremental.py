"""Benchmark: a new 1 % batch analysed incrementally against a full re-analysis of the same workspace.

    .venv/bin/python benchmarks/incremental.py [--scale 1] [--tables exports production trades] [--share 0.01]

For each table (and for all of them together), the demo region (seeded, cached under
benchmarks/_data) is split: the most recent `--share` of that table's rows (by date or period)
become the new batch, the rest the workspace. The workspace is analysed once (leaving the state
an incremental run reuses); the batch is then ingested and the same workspace analysed twice,
each time from a copy of that first result folder:

- incremental: `filon analyze WS --out OUT` (detectors whose inputs did not change reuse their
  alerts; the others run on the rows of the subjects the batch touches, see
  `filon.detect.incremental`),
- full: `filon analyze WS --out OUT --full` (everything recomputed).

Both run in this process, after a warm-up, so neither pays Python's start-up; each `--repeat`
times (default 3), alternately, each time from a fresh copy of that first result folder. Prints the
median times (and every time measured), the ratio of the medians, and whether both give the same alerts (same ids; scores and values at risk
equal up to the last rounded digit, which depends on DuckDB's parallel summation order).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analyze import region

ORDER = {"exports": "date", "trades": "date", "production": "period", "imports": "period", "inputs": "date"}


def split(src: Path, dest: Path, tables: list[str], share: float) -> tuple[Path, Path]:
    """dest/base (every table minus the newest `share` of `tables`) and dest/batch (those rows)."""
    import duckdb

    base, batch = dest / "base", dest / "batch"
    if (base / "actors.csv").exists() and (batch / f"{tables[0]}.csv").exists():
        return base, batch
    for folder in (base, batch):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    con = duckdb.connect(config={"memory_limit": "2GB", "threads": 2})
    for csv in sorted(src.glob("*.csv")):
        name = csv.stem
        if name not in tables:
            shutil.copyfile(csv, base / csv.name)
            continue
        key = ORDER[name]
        reader = f"read_csv('{csv}', header=true, all_varchar=true)"
        total = con.execute(f"SELECT count(*) FROM {reader}").fetchone()[0]
        keep = total - max(1, int(total * share))
        first = con.execute(f"SELECT * FROM {reader} LIMIT 0").description[0][0]  # the row's id: breaks ties
        con.execute(f"CREATE OR REPLACE TEMP TABLE ranked AS SELECT *, row_number() OVER (ORDER BY {key}, {first}) AS _n "
                    f"FROM {reader}")
        con.execute(f"COPY (SELECT * EXCLUDE (_n) FROM ranked WHERE _n <= {keep} ORDER BY _n) TO '{base / csv.name}' (HEADER)")
        con.execute(f"COPY (SELECT * EXCLUDE (_n) FROM ranked WHERE _n > {keep} ORDER BY _n) TO '{batch / csv.name}' (HEADER)")
    return base, batch


def alerts(out: Path) -> dict[str, tuple[float, float]]:
    return {r["alert_id"]: (float(r["score"]), float(r["value_at_risk_usd"] or 0.0))
            for r in json.loads((out / "alerts.json").read_text(encoding="utf-8"))}


def same(a: dict[str, tuple[float, float]], b: dict[str, tuple[float, float]]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k][0] - b[k][0]) <= 1e-3 and abs(a[k][1] - b[k][1]) <= 1e-4 * max(1.0, abs(b[k][1])) + 1.0
                                        for k in a)


def run(root: Path, scale: float, tables: list[str], share: float, repeat: int = 3) -> dict[str, object]:
    from filon.detect.runner import run_analysis
    from filon.ingest.load import ingest_package

    label = "+".join(tables)
    work = root / f"incremental-x{scale:g}-{label}-{share:g}"
    base, batch = split(region(root, scale), work, tables, share)
    ws, first = work / "ws", work / "first"
    shutil.rmtree(ws, ignore_errors=True)
    shutil.rmtree(first, ignore_errors=True)
    ingest_package(base, ws)
    run_analysis(ws, first)  # the last run: leaves alerts and state
    rows = sum(len((batch / f"{t}.csv").read_text(encoding="utf-8").splitlines()) - 1 for t in tables)
    t = time.perf_counter()
    ingest_package(batch, ws)
    ingest_s = time.perf_counter() - t
    timings: dict[str, list[float]] = {"incremental": [], "full": []}
    results = {}
    for i in range(repeat):
        for mode in ("incremental", "full"):
            out = work / mode
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(first, out)
            steps: list[tuple[float, str]] = []
            t = time.perf_counter()
            result = run_analysis(ws, out, full=mode == "full", progress=lambda m: steps.append((time.perf_counter(), m)))
            took = time.perf_counter() - t
            timings[mode].append(took)
            if i == 0:
                ends = [s[0] for s in steps[1:]] + [t + took]
                slowest = sorted(((end - at, m) for (at, m), end in zip(steps, ends)), reverse=True)[:6]
                print(f"  {mode}: " + "; ".join(f"{m} {d:.1f}s" for d, m in slowest), flush=True)
            results[mode] = (alerts(out), result)
    for mode, times in timings.items():
        print(f"  {mode} runs: " + ", ".join(f"{x:.2f}s" for x in times), flush=True)
    median = {mode: statistics.median(times) for mode, times in timings.items()}
    inc, full = results["incremental"], results["full"]
    return {"tables": label, "batch_rows": rows, "ingest_s": round(ingest_s, 2),
            "incremental_s": round(median["incremental"], 2), "full_s": round(median["full"], 2),
            "ratio": round(median["full"] / median["incremental"], 1),
            "reused": len(inc[1].reused), "scoped": len(getattr(inc[1], "scoped", [])),
            "detectors": len(inc[1].detectors), "alerts": len(full[0]), "same_alerts": same(inc[0], full[0])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--tables", nargs="+", default=["exports", "production", "trades"])
    ap.add_argument("--share", type=float, default=0.01)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each mode (medians are reported)")
    ap.add_argument("--together", action="store_true", help="also one batch of every table at once")
    args = ap.parse_args()
    root = Path(__file__).resolve().parent / "_data"
    from filon.detect.runner import run_analysis  # warm-up: imports, parameters, DuckDB

    del run_analysis
    cases = [[t] for t in args.tables] + ([args.tables] if args.together and len(args.tables) > 1 else [])
    print(f"{'batch':28} {'rows':>6} {'ingest':>7} {'incremental':>12} {'full':>7} {'ratio':>6} {'reused':>7} {'scoped':>7} same")
    for tables in cases:
        r = run(root, args.scale, tables, args.share, args.repeat)
        print(f"{r['tables']:28} {r['batch_rows']:>6} {r['ingest_s']:>6}s {r['incremental_s']:>11}s {r['full_s']:>6}s "
              f"{r['ratio']:>5}x {r['reused']:>3}/{r['detectors']:<3} {r['scoped']:>7} {r['same_alerts']}", flush=True)


if __name__ == "__main__":
    main()
