"""Benchmark: `filon scan` on a synthetic Sentinel-2 L2A pair, by default a full 10980 × 10980 tile.

    .venv/bin/python benchmarks/raster_scan.py [--size 10980] [--window 1024] [--workers 0] [--workdir benchmarks/_data]

Generates once (seeded, reused when present) two 6-band uint16 GeoTIFFs, tiled 256 × 256 and
deflate-compressed like a GDAL export: forest with seasonal drift and noise, a river, ~3 scars
per 1000 × 1000 pixels (bare soil and turbid ponds, 0.3-40 ha), clouds and a no-data corner.
Then runs the scan in a separate process so its peak RSS is its own, and prints wall time,
CPU time, peak RSS and what was found against what was planted. Target: < 60 s and < 3 GiB for a full tile.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from shapely.geometry import Point, Polygon, box

from filon.geo.raster.synthetic import Scene, write_pair

RUN = """
import json, sys, time
from pathlib import Path
from filon.detect.parameters import defaults
from filon.geo.raster import scan
t = time.perf_counter()
res = scan(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]),
           params=defaults("scan").replace(window_pixels=int(sys.argv[4])), workers=int(sys.argv[5]))
print(json.dumps({"seconds": time.perf_counter() - t, "found": len(res.disturbances), "area_ha": res.area_ha,
                  "clear": res.clear_share}))
"""


def scene(size: int) -> Scene:
    """Scars, clouds and no data scattered at a density independent of the size."""
    rng = np.random.default_rng(11)
    n = max(3, int(3 * (size / 1000) ** 2))
    scars = []
    for _ in range(n):
        x, y = rng.uniform(50, size - 150, 2)
        r = rng.uniform(6, 60)
        shape = Point(x, y).buffer(r) if rng.random() < 0.5 else box(x, y, x + 2 * r, y + r)
        scars.append((shape, "turbid_water" if rng.random() < 0.4 else "bare_soil"))
    clouds = [Point(*rng.uniform(0, size, 2)).buffer(rng.uniform(20, size / 20)) for _ in range(max(1, n // 30))]
    corner = Polygon([(0, size), (0, size * 0.8), (size * 0.2, size)])
    river = box(0, size * 0.5, size, size * 0.5 + 30)
    return Scene(size=size, scars=scars, clouds=clouds, nodata=[corner], river=river)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10980)
    ap.add_argument("--window", type=int, default=1024)
    ap.add_argument("--workers", type=int, default=0, help="threads (0: one per core, at most 4)")
    ap.add_argument("--workdir", type=Path, default=Path(__file__).parent / "_data")
    args = ap.parse_args()
    folder = args.workdir / f"raster_scan_{args.size}"
    sc = scene(args.size)
    before, after = folder / "before.tif", folder / "after.tif"
    if not (before.exists() and after.exists()):
        t = time.perf_counter()
        write_pair(sc, folder)
        print(f"generated {args.size} × {args.size} × 6 bands × 2 images in {time.perf_counter() - t:.1f} s "
              f"({(before.stat().st_size + after.stat().st_size) / 2**20:,.0f} MiB on disk)")
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", RUN, str(before), str(after), str(folder / "out"), str(args.window),
                           str(args.workers)],
                          check=True, capture_output=True, text=True)
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, cpu = usage.ru_maxrss / 2**20, usage.ru_utime + usage.ru_stime  # KiB -> GiB; CPU s of the scan process
    mpx = args.size**2 / 1e6
    print(f"scan {args.size} × {args.size} ({mpx:,.0f} Mpx), window {args.window}, {args.workers or 'auto'} workers: "
          f"{stats['seconds']:.1f} s wall ({mpx / stats['seconds']:,.1f} Mpx/s), {cpu:.1f} s CPU, "
          f"peak RSS {peak:.2f} GiB; load average before the run {load:.1f} on {os.cpu_count()} cores")
    print(f"found {stats['found']} disturbances, {stats['area_ha']:,.0f} ha; planted {len(sc.scars)} scars "
          f"(some under clouds or below the 0.5 ha unit); {stats['clear']:.0%} of pixels clear in both")


if __name__ == "__main__":
    main()
