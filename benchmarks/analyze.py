"""Benchmark: `filon analyze` of demo regions of growing size, straight from their CSV files.

    .venv/bin/python benchmarks/analyze.py [--scales 1 10] [--engine duckdb|spark]

For each scale, generates the demo region once (seeded, cached under benchmarks/_data) and
measures, in a separate process, validation + load + every detector + the report: wall
time, peak memory, rows, alerts. Prints how time grows with size.
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


def region(root: Path, scale: float) -> Path:
    folder = root / f"region-x{scale:g}"
    if not (folder / "trades.csv").exists():
        from filon.demo import generate_region

        t = time.perf_counter()
        generate_region(folder, seed=7, scale=scale)
        (folder / "ground_truth.csv").unlink()
        print(f"generated scale {scale:g} in {time.perf_counter() - t:.1f} s")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    ap.add_argument("--engine", default="duckdb")
    ap.add_argument("--workdir", type=Path, default=Path(__file__).parent / "_data")
    args = ap.parse_args()
    filon = str(Path(sys.executable).parent / "filon")
    print(f"{'scale':>6}{'rows':>12}{'seconds':>9}{'peak MiB':>10}{'alerts':>8}")
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
        print(f"{scale:>6g}{rows:>12,}{wall:>9.1f}{peak:>10,.0f}{alerts:>8}   ({wall / base:.1f}x the first)")


if __name__ == "__main__":
    main()
