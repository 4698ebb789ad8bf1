"""Which band of a GeoTIFF stack holds which colour, and how its integers become reflectance.

Sensor facts, not thresholds, so they live here rather than in `parameters.yaml`:

- `sentinel2-l2a`: Copernicus Sentinel-2 Level-2A surface reflectance. reflectance =
  DN × 0.0001 − 0.1 (the −1000 BOA_ADD_OFFSET of processing baseline 04.00, January 2022 on;
  pass `--offset 0` for older products). DN 0 is no data. The Scene Classification Layer (SCL)
  marks no data (0), saturated or defective (1), cloud shadow (3), cloud of medium (8) and high
  (9) probability and thin cirrus (10); those pixels are masked. Snow (11) is masked too: no
  gold is mined under snow in the Amazon, so snow there is a misclassified cloud.
- `landsat-c2-l2`: USGS Landsat 8/9 Collection 2 Level-2 surface reflectance. reflectance =
  DN × 0.0000275 − 0.2. DN 0 is no data. QA_PIXEL bits: 0 fill, 1 dilated cloud, 2 cirrus,
  3 cloud, 4 cloud shadow, 5 snow; a pixel with any of them set is masked.

A stack's bands are found by their descriptions when the file names them (B02, SR_B5, SCL,
QA_PIXEL...; what `gdalbuildvrt -separate` or rio-stac writers keep), otherwise by the preset's
default order: blue, green, red, NIR, SWIR1, then the mask band if the file has one more band.
`--bands red=3,nir=4,...` overrides either.
"""

from __future__ import annotations

from dataclasses import dataclass

from filon.errors import UsageError

#: The five colours every rule needs, in the default stack order.
COLOURS = ("blue", "green", "red", "nir", "swir1")


@dataclass(frozen=True)
class BandMap:
    """Where each colour is (1-based band index), the reflectance scale, and the mask rule."""

    preset: str
    bands: dict[str, int]          # colour -> band index (1-based)
    mask_band: int | None          # SCL / QA_PIXEL band index, or None
    scale: float
    offset: float
    nodata: float | None           # DN meaning "no data" in the colour bands
    mask_kind: str                 # "classes": mask these values; "bits": mask when any bit is set
    mask_values: tuple[int, ...]

    def describe(self) -> str:
        order = ", ".join(f"{c}={self.bands[c]}" for c in COLOURS)
        mask = f", mask={self.mask_band}" if self.mask_band else ", no mask band"
        sign = "−" if self.offset < 0 else "+"
        return f"{self.preset}: {order}{mask}; reflectance = DN × {self.scale:g} {sign} {abs(self.offset):g}"


@dataclass(frozen=True)
class Preset:
    names: dict[str, tuple[str, ...]]   # role -> band descriptions that identify it
    scale: float
    offset: float
    nodata: float
    mask_kind: str
    mask_values: tuple[int, ...]


PRESETS: dict[str, Preset] = {
    "sentinel2-l2a": Preset(
        names={"blue": ("B02", "B2", "BLUE"), "green": ("B03", "B3", "GREEN"), "red": ("B04", "B4", "RED"),
               "nir": ("B08", "B8", "B8A", "NIR", "NIR08"), "swir1": ("B11", "SWIR16", "SWIR1"),
               "mask": ("SCL",)},
        scale=0.0001, offset=-0.1, nodata=0, mask_kind="classes", mask_values=(0, 1, 3, 8, 9, 10, 11)),
    "landsat-c2-l2": Preset(
        names={"blue": ("SR_B2", "BLUE"), "green": ("SR_B3", "GREEN"), "red": ("SR_B4", "RED"),
               "nir": ("SR_B5", "NIR08", "NIR"), "swir1": ("SR_B6", "SWIR16", "SWIR1"),
               "mask": ("QA_PIXEL", "QA")},
        scale=0.0000275, offset=-0.2, nodata=0, mask_kind="bits", mask_values=(0, 1, 2, 3, 4, 5)),
}


def band_map(preset: str, count: int, descriptions: tuple[str | None, ...], *, file: str,
             bands: str = "", mask_band: int | None = None, nodata: float | None = None,
             scale: float | None = None, offset: float | None = None) -> BandMap:
    """Resolve the band roles of one file: descriptions, else default order, then the user's overrides."""
    if preset not in PRESETS:
        raise UsageError(f"unknown preset {preset!r}. Use one of: {', '.join(PRESETS)}")
    p = PRESETS[preset]
    named = {(d or "").strip().upper(): i + 1 for i, d in enumerate(descriptions)}
    roles: dict[str, int] = {}
    for role, names in p.names.items():
        hit = next((named[n] for n in names if n in named), None)
        if hit:
            roles[role] = hit
    if not all(c in roles for c in COLOURS):  # descriptions absent or partial: the default order
        roles = {c: i + 1 for i, c in enumerate(COLOURS)}
        if count > len(COLOURS):
            roles["mask"] = len(COLOURS) + 1
    roles.update(_parse_bands(bands))
    if mask_band is not None:
        roles["mask"] = mask_band
    if mask_band == 0:
        roles.pop("mask", None)
    top = max(roles.values())
    if count < top:
        raise UsageError(
            f"{file}: has {count} band(s) but the band mapping needs band {top} "
            f"({', '.join(f'{r}={i}' for r, i in roles.items())}). Fix: stack blue, green, red, NIR and "
            f"SWIR1 (plus the SCL/QA band) into one GeoTIFF, or say where they are with --bands "
            f"blue=1,green=2,red=3,nir=4,swir1=5 and --mask-band N (0 for none)")
    return BandMap(preset=preset, bands={c: roles[c] for c in COLOURS}, mask_band=roles.get("mask"),
                   scale=p.scale if scale is None else scale, offset=p.offset if offset is None else offset,
                   nodata=p.nodata if nodata is None else nodata, mask_kind=p.mask_kind, mask_values=p.mask_values)


def _parse_bands(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in (t.strip() for t in text.split(",") if t.strip()):
        role, _, index = part.partition("=")
        role = role.strip().lower()
        if role not in (*COLOURS, "mask") or not index.strip().isdigit() or int(index) < 1:
            raise UsageError(f"--bands: cannot read {part!r}. Write role=index pairs with roles "
                             f"{', '.join(COLOURS)} or mask and 1-based indexes, e.g. red=3,nir=4")
        out[role] = int(index)
    return out
