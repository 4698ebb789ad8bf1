"""Opening the two images: every way a file can be wrong becomes a message naming it and the fix.

Both images must share one grid (CRS, pixel size, origin, size), because the rules compare the
same pixel twice. When they do not, the default is to stop and say so: silently resampling an
image moves scar edges by up to a pixel and hides a wrong file choice. `--reproject` warps AFTER
onto BEFORE's grid on the fly (rasterio WarpedVRT, nearest neighbour so mask classes stay
classes); pixels outside AFTER become no data.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from filon.errors import InvalidData, UsageError
from filon.geo.raster.bands import COLOURS, BandMap, band_map

#: GDAL drivers accepted: GeoTIFF (COGs report GTiff) and VRT stacks built from GeoTIFFs.
DRIVERS = ("GTiff", "VRT")
#: Metadata tags that carry an acquisition date, most specific first.
DATE_TAGS = ("ACQUISITION_DATE", "DATE_ACQUIRED", "SENSING_TIME", "DATATAKE_SENSING_START",
             "PRODUCT_START_TIME", "DATETIME", "TIFFTAG_DATETIME")
_DATE_IN_TEXT = re.compile(r"((?:19|20)\d{2})[-:_]?(0[1-9]|1[0-2])[-:_]?(0[1-9]|[12]\d|3[01])")


@dataclass
class Stack:
    """The five colour bands of one window as read (DN); reflectance is made on demand, for the
    whole window or only at some pixels, because most rules need only a few bands everywhere."""

    dn: np.ndarray          # (5, rows, cols) in COLOURS order
    scale: float
    offset: float

    def full(self, colour: str) -> np.ndarray:
        out = self.dn[COLOURS.index(colour)].astype(np.float32)
        out *= np.float32(self.scale)
        out += np.float32(self.offset)
        return out

    def below_zero(self) -> np.ndarray:
        """Where red or NIR reflectance is negative: a few dark pixels at most, unless the scale
        or offset is wrong (compared in DN, which is cheaper than making reflectance)."""
        zero = -self.offset / self.scale if self.scale else 0.0
        return (self.dn[COLOURS.index("red")] < zero) | (self.dn[COLOURS.index("nir")] < zero)

    def at(self, colour: str, flat: np.ndarray) -> np.ndarray:
        """Reflectance at the given flat pixel indexes."""
        values = self.dn[COLOURS.index(colour)].reshape(-1)[flat].astype(np.float32)
        return values * np.float32(self.scale) + np.float32(self.offset)


@dataclass
class Image:
    """One opened image and its band roles; `read` gives the bands and validity of a window."""

    path: Path
    dataset: rasterio.io.DatasetReader | WarpedVRT
    bands: BandMap

    def read(self, window: Window) -> tuple[Stack, np.ndarray]:
        """The colour bands and a mask of usable pixels (not no data, not cloud or shadow)."""
        m = self.bands
        indexes = [m.bands[c] for c in COLOURS] + ([m.mask_band] if m.mask_band else [])
        try:  # one read for all bands: a pixel-interleaved file decodes each block once
            stack = self.dataset.read(indexes, window=window)
        except RasterioError as err:
            raise InvalidData(
                f"pixels in rows {window.row_off}–{window.row_off + window.height} cannot be read "
                f"({err.__cause__ or err})",
                file=str(self.path), fix="the file is truncated or corrupt; download or export it again "
                "(`gdalinfo -checksum FILE` shows the damaged bands)") from None
        dn = stack[:len(COLOURS)]
        valid = ~(dn == m.nodata).any(axis=0) if m.nodata is not None else np.ones(dn.shape[1:], dtype=bool)
        if m.mask_band:
            valid &= ~_masked(stack[len(COLOURS)], m)
        return Stack(dn, m.scale, m.offset), valid

    @property
    def source(self) -> rasterio.io.DatasetReader:
        """The file itself, also when `dataset` is a warp of it (whose tags are not the file's)."""
        return getattr(self.dataset, "src_dataset", self.dataset)

    def close(self) -> None:
        source = self.source
        self.dataset.close()
        source.close()


def _masked(qa: np.ndarray, m: BandMap) -> np.ndarray:
    """True where the SCL class or QA bits say cloud, shadow or no data (a lookup table for
    8- and 16-bit bands, which is what both presets use)."""
    if qa.dtype.kind == "u" and qa.dtype.itemsize <= 2:
        return _lookup(m.mask_kind, m.mask_values, qa.dtype.itemsize)[qa]
    if m.mask_kind == "bits":
        return (qa.astype(np.int64) & sum(1 << b for b in m.mask_values)) != 0
    return np.isin(qa, m.mask_values)


@lru_cache(maxsize=8)
def _lookup(kind: str, values: tuple[int, ...], itemsize: int) -> np.ndarray:
    codes = np.arange(256 ** itemsize, dtype=np.int64)
    if kind == "bits":
        return (codes & sum(1 << b for b in values)) != 0
    return np.isin(codes, values)


def open_image(path: Path, role: str, *, preset: str, bands: str = "", mask_band: int | None = None,
               nodata: float | None = None, scale: float | None = None, offset: float | None = None) -> Image:
    """Open one GeoTIFF and check it can be scanned; `role` ('BEFORE'/'AFTER') goes in messages."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{role} image {path} not found. Fix: check the path (and that the download finished)")
    if path.is_dir():
        raise UsageError(f"{role} image {path} is a folder. Fix: give the GeoTIFF file inside it")
    try:
        with warnings.catch_warnings():  # a missing CRS is reported below, in the analyst's words
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            ds = rasterio.open(path)
    except RasterioError as err:
        raise InvalidData(f"is not a readable GeoTIFF ({err})", file=str(path),
                          fix="give a GeoTIFF (.tif) of surface reflectance; if it is one, it is truncated "
                          "or corrupt: download or export it again") from None
    if ds.driver not in DRIVERS:
        ds.close()
        raise InvalidData(f"is a {ds.driver} file, not a GeoTIFF", file=str(path),
                          fix="convert it with `gdal_translate -of GTiff IN OUT.tif`")
    if ds.crs is None:
        ds.close()
        raise InvalidData("has no coordinate reference system, so areas and locations are unknown",
                          file=str(path), fix="export it again with its CRS, or set one with "
                          "`gdal_edit.py -a_srs EPSG:32719 FILE`")
    m = band_map(preset, ds.count, tuple(ds.descriptions), file=str(path), bands=bands, mask_band=mask_band,
                 nodata=nodata if nodata is not None else ds.nodata, scale=scale, offset=offset)
    return Image(path=path, dataset=ds, bands=m)


def align(before: Image, after: Image, *, reproject: bool) -> Image:
    """Check AFTER is on BEFORE's grid; with `reproject`, warp it there instead of failing."""
    b, a = before.dataset, after.dataset
    same = (a.crs == b.crs and a.width == b.width and a.height == b.height
            and a.transform.almost_equals(b.transform, precision=abs(b.transform.a) * 1e-3))
    if same:
        return after
    if not reproject:
        how = (f"CRS {a.crs.to_string()} vs {b.crs.to_string()}" if a.crs != b.crs else
               f"grid {a.width}×{a.height} at {tuple(round(v, 3) for v in a.transform[:6])} vs "
               f"{b.width}×{b.height} at {tuple(round(v, 3) for v in b.transform[:6])}")
        left, bottom, right, top = b.bounds
        raise UsageError(
            f"{after.path} is not on the grid of {before.path} ({how}). The rules compare the same pixel "
            f"in both images. Fix: add --reproject to warp AFTER onto BEFORE's grid, or align it first: "
            f"`gdalwarp -t_srs {b.crs.to_string()} -tr {abs(b.transform.a):g} {abs(b.transform.e):g} "
            f"-te {left:g} {bottom:g} {right:g} {top:g} -r near {after.path} after_aligned.tif`")
    vrt = WarpedVRT(a, crs=b.crs, transform=b.transform, width=b.width, height=b.height,
                    resampling=Resampling.nearest, nodata=after.bands.nodata if after.bands.nodata is not None else 0)
    return Image(path=after.path, dataset=vrt, bands=after.bands)


def image_date(image: Image) -> date | None:
    """Acquisition date from the file's tags, else from its name (S2 and Landsat names carry it)."""
    tags = {k.upper(): v for k, v in image.source.tags().items()}
    for key in DATE_TAGS:
        found = _DATE_IN_TEXT.search(tags.get(key, ""))
        if found:
            return _as_date(found)
    found = _DATE_IN_TEXT.search(image.path.name)
    return _as_date(found) if found else None


def _as_date(match: re.Match[str]) -> date | None:
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
