"""Every way an input can be wrong names the file and the fix; band presets and masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import box

from filon.errors import FilonError, InvalidData, UsageError
from filon.geo.raster import scan
from filon.geo.raster.bands import band_map
from filon.geo.raster.inputs import open_image
from filon.geo.raster.synthetic import Scene, write_pair

SCARS = [(box(100, 100, 200, 160), "bare_soil")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    return write_pair(Scene(size=256, scars=SCARS), tmp_path_factory.mktemp("pair"))


def fails(before: Path, after: Path, out: Path, error: type[FilonError], *words: str, **options) -> str:
    with pytest.raises(error) as caught:
        scan(before, after, out, **options)
    text = str(caught.value)
    for word in words:
        assert word in text, f"{word!r} not in: {text}"
    assert not (out / "detections.csv").exists()
    return text


def test_missing_file(pair, tmp_path) -> None:
    fails(pair[0], tmp_path / "nope.tif", tmp_path / "out", UsageError, "nope.tif", "not found", "Fix")


def test_not_a_geotiff(pair, tmp_path) -> None:
    text_file = tmp_path / "after.tif"
    text_file.write_text("this is a CSV, not an image\n1,2,3\n")
    fails(pair[0], text_file, tmp_path / "out", InvalidData, str(text_file), "GeoTIFF", "Fix")
    png = tmp_path / "after.png"
    with rasterio.open(png, "w", driver="PNG", width=8, height=8, count=1, dtype="uint8",
                       transform=Affine(1, 0, 0, 0, -1, 8)) as dst:
        dst.write(np.zeros((1, 8, 8), dtype="uint8"))
    fails(pair[0], png, tmp_path / "out", InvalidData, "PNG", "gdal_translate")


def test_truncated_file(pair, tmp_path) -> None:
    cut = tmp_path / "after_cut.tif"
    data = pair[1].read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    fails(pair[0], cut, tmp_path / "out", InvalidData, "after_cut.tif", "Fix", "again")


def test_different_grid_is_refused_unless_reprojected(pair, tmp_path) -> None:
    _, a = write_pair(Scene(size=256, scars=SCARS, origin=(400_050.0, 8_600_000.0)), tmp_path / "shifted")
    fails(pair[0], a, tmp_path / "out", UsageError, "not on the grid", "--reproject", "gdalwarp")
    res = scan(pair[0], a, tmp_path / "out", reproject=True)
    assert len(res.disturbances) == 1
    assert res.disturbances[0].area_ha == pytest.approx(100 * 60 * 100 / 10_000, rel=0.02)


def test_different_crs(pair, tmp_path) -> None:
    _, a = write_pair(Scene(size=256, scars=SCARS, crs="EPSG:32718"), tmp_path / "crs")
    fails(pair[0], a, tmp_path / "out", UsageError, "EPSG:32718", "EPSG:32719", "--reproject")


def test_too_few_bands(pair, tmp_path) -> None:
    three = tmp_path / "three.tif"
    with rasterio.open(pair[1]) as src:
        profile = {**src.profile, "count": 3}
        with rasterio.open(three, "w", **profile) as dst:
            dst.write(src.read([1, 2, 3]))
    fails(pair[0], three, tmp_path / "out", UsageError, "three.tif", "3 band(s)", "--bands")


def test_all_no_data(pair, tmp_path) -> None:
    _, a = write_pair(Scene(size=256, nodata=[box(0, 0, 256, 256)]), tmp_path / "empty")
    fails(pair[0], a, tmp_path / "out", InvalidData, str(a), "no usable pixel", "Fix")


def test_no_date_asks_for_one(pair, tmp_path) -> None:
    fails(pair[1], pair[0], tmp_path / "out", UsageError, "--date")  # before.tif has no date tag
    from datetime import date
    res = scan(pair[1], pair[0], tmp_path / "out", when=date(2024, 1, 31))
    assert res.date == date(2024, 1, 31)


def test_bands_come_from_descriptions_then_order_then_options() -> None:
    named = band_map("sentinel2-l2a", 7, ("SCL", "B02", "B03", "B04", "B08", "B11", None), file="x.tif")
    assert named.bands == {"blue": 2, "green": 3, "red": 4, "nir": 5, "swir1": 6} and named.mask_band == 1
    plain = band_map("landsat-c2-l2", 5, (None,) * 5, file="x.tif")
    assert plain.mask_band is None and plain.scale == 0.0000275 and plain.offset == -0.2
    custom = band_map("sentinel2-l2a", 8, (None,) * 8, file="x.tif", bands="nir=8", mask_band=0)
    assert custom.bands["nir"] == 8 and custom.mask_band is None
    with pytest.raises(UsageError, match="unknown preset"):
        band_map("modis", 6, (None,) * 6, file="x.tif")
    with pytest.raises(UsageError, match="role=index"):
        band_map("sentinel2-l2a", 6, (None,) * 6, file="x.tif", bands="nir:4")


def test_landsat_qa_bits_mask_clouds_and_shadows(tmp_path) -> None:
    path = tmp_path / "lc09.tif"
    qa = np.full((4, 4), 21824, dtype="uint16")       # clear land, the usual Collection 2 value
    qa[0, 0] |= 1 << 3                                 # cloud
    qa[1, 1] |= 1 << 4                                 # cloud shadow
    dn = np.full((5, 4, 4), 10_000, dtype="uint16")
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=6, dtype="uint16",
                       crs="EPSG:32719", transform=Affine(30, 0, 0, 0, -30, 0)) as dst:
        dst.write(np.concatenate([dn, qa[None]]))
    image = open_image(path, "AFTER", preset="landsat-c2-l2")
    refl, valid = image.read(Window(0, 0, 4, 4))
    image.close()
    assert not valid[0, 0] and not valid[1, 1] and valid.sum() == 14
    assert refl.full("red")[2, 2] == pytest.approx(10_000 * 0.0000275 - 0.2, abs=1e-6)


def test_without_the_cloud_mask_clouds_become_false_scars(tmp_path) -> None:
    """The mask is what keeps clouds out (so the cloud test can fail)."""
    b, a = write_pair(Scene(size=256, clouds=[box(50, 50, 150, 150)]), tmp_path)
    assert scan(b, a, tmp_path / "masked").disturbances == []
    assert len(scan(b, a, tmp_path / "unmasked", mask_band=0).disturbances) == 1


def test_a_wrong_offset_is_reported(pair, tmp_path) -> None:
    assert scan(*pair, tmp_path / "right").warnings == []
    wrong = scan(*pair, tmp_path / "wrong", offset=-0.2)
    assert len(wrong.warnings) == 1 and "--offset" in wrong.warnings[0]
