"""`scan`: from a before/after image pair to disturbance polygons on disk.

Opens and checks both images, walks the grid window by window (`windows.py`), joins regions cut
by window edges and applies the minimum mapping unit (`merge.py`), and writes GeoJSON,
GeoParquet and the standard's `detections.csv` (`outputs.py`). Thresholds come from the `scan`
section of `filon/detect/parameters.yaml`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import rasterio

from filon.detect.parameters import Parameters, defaults
from filon.errors import InvalidData, UsageError
from filon.geo.raster.areas import row_areas_m2
from filon.geo.raster.bands import BandMap
from filon.geo.raster.inputs import Image, align, image_date, open_image
from filon.geo.raster.merge import merge
from filon.geo.raster.outputs import Disturbance, to_lonlat, write_all
from filon.geo.raster.windows import Grid, WindowResult, halo_for, scan_window

#: GDAL's cache of decoded blocks. Its default, 5 % of RAM, would make memory grow with the
#: machine; a row of 256-pixel tiles of two 6-band full tiles (what the halo re-reads) is ~70 MB.
GDAL_CACHE_BYTES = 256 * 2**20

#: Smallest window side: below it the halo dominates the work.
MIN_WINDOW = 32

#: Called after each window with (windows done, windows in all).
Progress = Callable[[int, int], None]


@dataclass
class ScanResult:
    disturbances: list[Disturbance]
    files: list[Path]
    date: date
    before_bands: BandMap
    after_bands: BandMap
    pixels: int
    clear_share: float            # share of pixels usable in both images
    warnings: list[str]

    @property
    def area_ha(self) -> float:
        return sum(d.area_ha for d in self.disturbances)


def scan(before: Path, after: Path, out: Path, *, preset: str = "sentinel2-l2a", bands: str = "",
         mask_band: int | None = None, nodata: float | None = None, scale: float | None = None,
         offset: float | None = None, when: date | None = None, reproject: bool = False,
         params: Parameters | None = None, progress: Progress | None = None, workers: int = 0) -> ScanResult:
    """Detect disturbances between BEFORE and AFTER and write them to the folder `out`.

    `workers`: threads scanning windows (0: one per core, at most 4); the result is the same.
    """
    p = params or defaults("scan")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file. Fix: give a folder (it is created if missing)")
    if p.window_pixels < MIN_WINDOW:
        raise UsageError(f"scan.window_pixels is {p.window_pixels}; it must be at least {MIN_WINDOW} (default 1024). "
                         "Fix: raise it in your --params file")
    opener = partial(open_image, preset=preset, bands=bands, mask_band=mask_band, nodata=nodata, scale=scale,
                     offset=offset)

    def open_pair() -> tuple[Image, Image]:
        before_img = opener(Path(before), "BEFORE")
        try:
            return before_img, align(before_img, opener(Path(after), "AFTER"), reproject=reproject)
        except BaseException:
            before_img.close()
            raise

    img_b, img_a = open_pair()
    try:
        when = when or image_date(img_a)
        if when is None:
            raise UsageError(f"{img_a.path}: no acquisition date in its tags or name. "
                             "Fix: pass --date YYYY-MM-DD (the date of the AFTER image)")
        ds = img_b.dataset
        grid = Grid(ds.height, ds.width, int(p.window_pixels), halo_for(p))
        areas = row_areas_m2(ds.crs, ds.transform, ds.height, file=str(img_b.path))
        results = _scan_windows(open_pair, grid, areas, p, workers or default_workers(), progress)
        _check_some_clear(results, img_b.path, img_a.path)
        regions = merge(results, p.min_area_ha * 10_000)
        source = f"filon scan {preset}: {img_b.path.name} -> {img_a.path.name}"
        items = to_lonlat(regions, ds.transform, ds.crs, when, source)
        files = write_all(out, items)
        pixels = ds.width * ds.height
        clear = sum(r.valid_both for r in results) / pixels
        return ScanResult(items, files, when, img_b.bands, img_a.bands, pixels, clear, _warnings(results, p))
    finally:
        img_b.close()
        img_a.close()


def default_workers() -> int:
    """One thread per core, at most 4: reading (GDAL) and the numpy/scipy filters release the
    GIL, and beyond 4 the disk and the merge, not the cores, bound the speed."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 4))


def _scan_windows(open_pair: Callable[[], tuple[Image, Image]], grid: Grid, areas: np.ndarray,
                  p: Parameters, workers: int, progress: Progress | None) -> list[WindowResult]:
    """Every window, in `workers` threads, each with its own file handles (a rasterio dataset is
    not thread-safe). Ids are window index × (pixels per window + 1) + label, so unique without
    any coordination between threads."""
    cores = list(grid.cores())
    stride = grid.size * grid.size + 1
    local = threading.local()
    opened: list[tuple[Image, Image]] = []
    lock = threading.Lock()

    def run(k: int) -> WindowResult:
        if not hasattr(local, "pair"):
            local.pair = open_pair()
            with lock:
                opened.append(local.pair)
        before_img, after_img = local.pair
        i, j, core = cores[k]
        return scan_window(before_img, after_img, grid, i, j, core, areas, p, k * stride)

    results: list[WindowResult] = []
    try:
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            pool = ThreadPoolExecutor(max_workers=workers)
            try:
                for done, res in enumerate(pool.map(run, range(len(cores))), start=1):
                    results.append(res)
                    if progress:
                        progress(done, len(cores))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)  # a bad block stops the whole scan at once
    finally:
        for pair in opened:
            for image in pair:
                image.close()
    return results


def _warnings(results: list[WindowResult], p: Parameters) -> list[str]:
    """Signs that the result should not be trusted although nothing failed."""
    clear = sum(r.valid_both for r in results)
    negative = sum(r.negative for r in results) / clear
    if negative <= p.max_negative_share:
        return []
    return [(f"{negative:.0%} of clear pixels have negative red or NIR reflectance, so the scale or offset is "
             "probably wrong and the indices with it. Sentinel-2 from Google Earth Engine "
             "(S2_SR_HARMONIZED) and from before 2022 need --offset 0; check your product's metadata")]


def _check_some_clear(results: list[WindowResult], before: Path, after: Path) -> None:
    """All no data or all cloud gives no detections for a wrong reason: say so instead."""
    fix = ("check the band mapping (--bands, --mask-band), the --nodata value and the cloud cover; "
           "choose a clearer image of the same area")
    for path, count in ((before, sum(r.valid_before for r in results)), (after, sum(r.valid_after for r in results))):
        if count == 0:
            raise InvalidData("has no usable pixel: every pixel is no data or masked as cloud", file=str(path), fix=fix)
    if sum(r.valid_both for r in results) == 0:
        raise InvalidData(f"and {after} have no clear pixel in common (each is no data or cloud where the other "
                          "is clear, or they do not overlap)", file=str(before), fix=fix)
