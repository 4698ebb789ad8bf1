"""Benchmark: risk scoring, declaration lanes and the watch digest on a demo region.

    .venv/bin/python benchmarks/risk.py [--scale 1] [--batch 200000] [--seed 7]

Generates the demo region (seeded, cached under benchmarks/_data/risk-x<scale>), ingests it,
and measures:
  - analysis (every detector) and write_risk (actor risk + indicators) on the workspace;
  - lanes: building the workspace's risk model (cold) and loading it (warm); scoring a batch of
    `--batch` declarations (the region's declarations repeated with new ids) — core scoring,
    and end to end (validate + read CSV + score + write lanes.csv); one declaration in process
    (median of 50), as a record (Python checks, the service path), and from a one-row file;
  - watch: a full first run, a second run on the same data (must announce nothing), and a run
    after a 1 % batch of new declarations is ingested (the analysis is not incremental, so this
    costs about a full run: the figure shows it).
Prints one line per figure; numbers depend on the machine (2 shared cores when written).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def region(scale: float, seed: int) -> Path:
    from filon.demo import generate_region
    from filon.ingest.load import ingest_package

    folder = ROOT / "_data" / f"risk-x{scale:g}-s{seed}"
    if not (folder / "ws" / "workspace.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        _, s = timed(lambda: generate_region(folder / "package", seed=seed, scale=scale))
        print(f"generated region seed {seed} scale {scale:g} in {s:.1f} s")
        _, s = timed(lambda: ingest_package(folder / "package", folder / "ws"))
        print(f"ingested in {s:.1f} s")
    return folder


def repeated_declarations(source: Path, target: Path, n: int) -> None:
    """`n` declarations: the region's own, repeated with fresh ids (so scores keep a realistic mix)."""
    with open(source, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows, header = list(reader), reader.fieldnames
    with open(target, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        for i in range(n):
            row = dict(rows[i % len(rows)])
            row["declaration_id"] = f"BENCH-{i:08d}"
            writer.writerow(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200_000)
    args = parser.parse_args()


    from filon.detect.context import DetectContext
    from filon.detect.runner import run_analysis
    from filon.engine.base import engine_for
    from filon.ingest.load import ingest_package
    from filon.risk.lanes import (
        read_declarations,
        record_columns,
        score_arrays,
        score_declarations,
        write_lanes,
    )
    from filon.risk.lanes_model import CACHE_DIR, load_or_build
    from filon.risk.output import write_risk
    from filon.risk.watch import run_watch
    from filon.store.workspace import Workspace

    folder = region(args.scale, args.seed)
    work = Path(tempfile.mkdtemp(prefix="filon-risk-bench-"))
    try:
        ws_path = work / "ws"
        shutil.copytree(folder / "ws", ws_path)
        ws = Workspace(ws_path)
        print(f"workspace rows: {sum(ws.row_counts().values()):,}")

        result, s = timed(lambda: run_analysis(ws_path, work / "analysis"))
        print(f"analysis (every detector + report): {s:.2f} s, {len(result.alerts)} alerts")
        ctx = DetectContext(engine_for("duckdb", ws))
        path, s = timed(lambda: write_risk(ctx, result.alerts, work / "analysis"))
        ctx.engine.close()
        with open(path, encoding="utf-8") as fh:
            rows = sum(1 for _ in fh) - 1
        print(f"write_risk (actor risk + indicators): {s:.2f} s, {rows:,} rows in risk.csv")

        shutil.rmtree(ws_path / CACHE_DIR, ignore_errors=True)
        model, s = timed(lambda: load_or_build(ws))
        print(f"lanes model, cold (detectors + actor risk + cut-offs): {s:.2f} s; "
              f"red > {model.red_cutoff:.3f}, amber > {model.amber_cutoff:.3f}")
        model, s = timed(lambda: load_or_build(ws))
        print(f"lanes model, warm (cache load): {s * 1000:.0f} ms")

        batch = work / "batch.csv"
        repeated_declarations(folder / "package" / "exports.csv", batch, args.batch)
        cols, s_read = timed(lambda: read_declarations(batch))
        _, s_core = timed(lambda: score_arrays(cols, model))
        lanes, s_score = timed(lambda: score_declarations(cols, model))
        _, s_write = timed(lambda: write_lanes(work / "lanes.csv", lanes))
        n = args.batch
        print(f"batch of {n:,}: validate+read {s_read:.2f} s, score factors {s_core:.2f} s "
              f"({n / s_core:,.0f}/s), score+lanes+reasons {s_score:.2f} s ({n / s_score:,.0f}/s), "
              f"write {s_write:.2f} s; end to end {n / (s_read + s_score + s_write):,.0f} declarations/s")
        red = sum(r["lane"] == "red" for r in lanes) / n
        print(f"batch lanes: {red:.1%} red")

        one = {k: v[:1] for k, v in cols.items()}
        times = [timed(lambda: score_declarations(one, model))[1] for _ in range(50)]
        print(f"one declaration in process: median {statistics.median(times) * 1000:.2f} ms, "
              f"max {max(times) * 1000:.2f} ms")
        with open(folder / "package" / "exports.csv", newline="", encoding="utf-8") as fh:
            record = next(csv.DictReader(fh))
        rtimes = [timed(lambda: score_declarations(record_columns(record), model))[1] for _ in range(50)]
        print(f"one declaration as a record (checks + score): median {statistics.median(rtimes) * 1000:.2f} ms")
        single = work / "one.csv"
        repeated_declarations(folder / "package" / "exports.csv", single, 1)
        times = [timed(lambda: score_declarations(read_declarations(single), model))[1] for _ in range(10)]
        print(f"one declaration from a file (validate + read + score): median {statistics.median(times) * 1000:.1f} ms")

        digest, s_first = timed(lambda: run_watch(ws_path, work / "watch"))
        print(f"watch, first run: {s_first:.2f} s, {len(digest.alerts)} alerts announced")
        digest, s = timed(lambda: run_watch(ws_path, work / "watch"))
        print(f"watch, same data again: {s:.2f} s, digest empty: {digest.empty}")
        new = work / "new-batch"
        new.mkdir()
        with open(folder / "package" / "exports.csv", newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows_in = list(reader)
        share = max(1, len(rows_in) // 100)
        with open(new / "exports.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, reader.fieldnames)
            writer.writeheader()
            for i, row in enumerate(rows_in[-share:]):
                writer.writerow({**row, "declaration_id": f"NEW-{i:06d}",
                                 "value_usd": f"{float(row['value_usd']) * (0.5 if i % 10 == 0 else 1.0):.2f}"})
        _, s_ingest = timed(lambda: ingest_package(new, ws_path))
        digest, s_inc = timed(lambda: run_watch(ws_path, work / "watch"))
        print(f"watch after a 1 % batch ({share} declarations, ingest {s_ingest:.2f} s): {s_inc:.2f} s, "
              f"{len(digest.alerts)} alert changes, {len(digest.risk_moves)} risk moves; "
              f"speed-up over the first run {s_first / s_inc:.2f}x (target 10x needs incremental detectors)")
        print(f"lanes batch throughput check: {'OK' if n / s_score >= 50_000 else 'BELOW'} 50,000/s; "
              f"single record {'OK' if statistics.median(rtimes) < 0.05 else 'ABOVE'} 50 ms, "
              f"from a file {statistics.median(times) * 1000:.0f} ms (the validator's DuckDB staging)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
