"""A synthetic Sentinel-2 L2A before/after pair with known scars, for tests and the benchmark.

Forest everywhere, a turbid river in both images, and in AFTER: planted mining scars (bare soil
or turbid ponds), clouds (bright, SCL 9) and no data (DN 0, SCL 0). A slow seasonal change
(NIR and red drift across the scene) and per-pixel noise make the unchanged forest imperfect,
as in real dry-season pairs. Shapes are given in pixel coordinates (x = column, y = row) so a
test can compare detections with the truth exactly. Written block by block, so a full
10980 × 10980 tile is generated in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.features import rasterize
from rasterio.windows import Window

#: Surface reflectance of blue, green, red, NIR, SWIR1 per cover (typical Amazon L2A values).
COVERS = {
    "forest": (0.03, 0.06, 0.03, 0.32, 0.14),
    "bare_soil": (0.10, 0.14, 0.19, 0.24, 0.32),
    "turbid_water": (0.07, 0.11, 0.11, 0.07, 0.02),
    "cloud": (0.45, 0.47, 0.50, 0.55, 0.40),
}
SCL = {"forest": 4, "bare_soil": 5, "turbid_water": 6, "cloud": 9, "nodata": 0}
DESCRIPTIONS = ("B02", "B03", "B04", "B08", "B11", "SCL")


@dataclass
class Scene:
    """What to plant; every shape in pixel coordinates."""

    size: int = 600
    pixel_m: float = 10.0
    crs: str = "EPSG:32719"            # UTM 19S: Madre de Dios
    origin: tuple[float, float] = (400_000.0, 8_600_000.0)
    scars: list[tuple[shapely.Geometry, str]] = field(default_factory=list)
    river: shapely.Geometry | None = None
    clouds: list[shapely.Geometry] = field(default_factory=list)
    nodata: list[shapely.Geometry] = field(default_factory=list)
    seed: int = 7
    noise: float = 0.03                # relative per-pixel noise of reflectance
    after_date: str = "2023-09-15"

    @property
    def transform(self) -> Affine:
        return Affine(self.pixel_m, 0, self.origin[0], 0, -self.pixel_m, self.origin[1])


def write_pair(scene: Scene, folder: Path, *, block: int = 1024, compress: str = "deflate") -> tuple[Path, Path]:
    """Write before.tif and after.tif (uint16, 6 bands, tiled) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "before.tif", folder / "after.tif"
    profile = {"driver": "GTiff", "width": scene.size, "height": scene.size, "count": 6, "dtype": "uint16",
               "crs": scene.crs, "transform": scene.transform, "nodata": 0, "tiled": True, "blockxsize": 256,
               "blockysize": 256, "compress": compress, "predictor": 2}
    for path, after in zip(paths, (False, True)):
        with rasterio.open(path, "w", **profile) as dst:
            dst.descriptions = DESCRIPTIONS
            if after:
                dst.update_tags(ACQUISITION_DATE=scene.after_date)
            for r in range(0, scene.size, block):
                for c in range(0, scene.size, block):
                    win = Window(c, r, min(block, scene.size - c), min(block, scene.size - r))
                    dst.write(_block(scene, win, after), window=win)
    return paths


def _block(scene: Scene, win: Window, after: bool) -> np.ndarray:
    h, w = int(win.height), int(win.width)
    shift = Affine.translation(win.col_off, win.row_off)  # pixel coordinates of this block

    def mask(shapes: list[shapely.Geometry]) -> np.ndarray:
        shapes = [s for s in shapes if s is not None]
        if not shapes:
            return np.zeros((h, w), dtype=bool)
        return rasterize(shapes, out_shape=(h, w), transform=shift, dtype="uint8").astype(bool)

    cover = np.zeros((h, w), dtype=np.uint8)  # index into the list below
    names = ["forest", "bare_soil", "turbid_water", "cloud"]
    cover[mask([scene.river])] = 2
    if after:
        for kind in ("bare_soil", "turbid_water"):
            cover[mask([g for g, k in scene.scars if k == kind])] = names.index(kind)
        cover[mask(scene.clouds)] = 3
    table = np.array([COVERS[n] for n in names], dtype=np.float32)        # (cover, band)
    refl = np.moveaxis(table[cover], -1, 0)                                # (band, h, w)

    rng = np.random.default_rng([scene.seed, int(after), int(win.row_off), int(win.col_off)])
    refl *= 1 + scene.noise * rng.standard_normal((5, h, w), dtype=np.float32)
    if after:  # dry-season drift: NIR down up to 8 %, red up up to 15 %, smoothly across the scene
        cols = (np.arange(w, dtype=np.float32) + win.col_off) / scene.size
        refl[3] *= 1 - 0.08 * cols
        refl[2] *= 1 + 0.15 * cols
    dn = np.clip((refl + 0.1) / 0.0001, 1, 65535).astype(np.uint16)
    scl = np.array([SCL[n] for n in names], dtype=np.uint16)[cover]
    out = np.concatenate([dn, scl[None]], axis=0)
    if after:
        out[:, mask(scene.nodata)] = 0
    return out
