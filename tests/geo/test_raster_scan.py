"""`filon.geo.raster.scan` on synthetic Sentinel-2 pairs with known scars, clouds and no data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
from affine import Affine
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from filon.detect.parameters import defaults
from filon.geo.projection import area_ha
from filon.geo.raster import scan
from filon.geo.raster.synthetic import Scene, write_pair
from filon.standard import load_standard

# Planted in AFTER, in pixel coordinates (x = column, y = row) of a 600 × 600 grid of 10 m.
PIT = box(100, 100, 300, 180)                                       # crosses windows of 128
POND = Point(420, 420).buffer(40)
TAILINGS = Polygon([(60, 300), (200, 260), (230, 330), (150, 420), (70, 390)])
UNDER_CLOUD = box(420, 60, 500, 140)                                # cleared, but hidden by the cloud
CLOUD = box(400, 40, 540, 170)
NODATA = box(0, 0, 30, 600)
RIVER = box(0, 520, 600, 545)                                       # water in both images: no change
PLANTED = [(PIT, "bare_soil"), (POND, "turbid_water"), (TAILINGS, "bare_soil")]


def scene(**changes) -> Scene:
    base = {"size": 600, "scars": [*PLANTED, (UNDER_CLOUD, "bare_soil")], "river": RIVER, "clouds": [CLOUD],
            "nodata": [NODATA]}
    return Scene(**{**base, **changes})


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    return write_pair(scene(), tmp_path_factory.mktemp("pair"))


@pytest.fixture(scope="module")
def result(pair, tmp_path_factory):
    return scan(*pair, tmp_path_factory.mktemp("out"))


def in_pixels(geom: shapely.Geometry, sc: Scene) -> shapely.Geometry:
    """A WGS 84 detection back in the scene's pixel coordinates."""
    to_utm = Transformer.from_crs("EPSG:4326", sc.crs, always_xy=True)
    inverse = ~sc.transform

    def back(xy: np.ndarray) -> np.ndarray:
        x, y = to_utm.transform(xy[:, 0], xy[:, 1])
        return np.column_stack(inverse @ (np.asarray(x), np.asarray(y)))

    return shapely.transform(geom, back)


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return a.intersection(b).area / a.union(b).area


def test_every_planted_scar_is_found_with_its_kind(result) -> None:
    found = [(in_pixels(d.geometry, scene()), d) for d in result.disturbances]
    for truth, kind in PLANTED:
        best_geom, best = max(found, key=lambda f: iou(f[0], truth))
        assert iou(best_geom, truth) >= 0.8, f"{kind} scar found with IoU {iou(best_geom, truth):.2f}"
        assert best.kind == kind
        assert best.confidence >= 0.9
    pit = max(result.disturbances, key=lambda d: iou(in_pixels(d.geometry, scene()), PIT))
    assert pit.area_ha == pytest.approx(200 * 80 * 100 / 10_000, rel=0.01)  # 16 000 pixels of 100 m²


def test_nothing_is_found_under_clouds_in_no_data_or_where_nothing_changed(result) -> None:
    assert len(result.disturbances) == len(PLANTED)  # seasonal drift and noise give no false scar
    for d in result.disturbances:
        geom = in_pixels(d.geometry, scene())
        assert not geom.intersects(CLOUD.buffer(-0.5))
        assert not geom.intersects(NODATA.buffer(-0.5))
        assert not geom.intersects(RIVER.buffer(-0.5))
    assert 0.85 < result.clear_share < 0.95


def test_an_unchanged_noisy_pair_gives_nothing(tmp_path) -> None:
    """Seasonal drift (NIR −8 %, red +15 % across the scene) and 5 % pixel noise are not clearing."""
    b, a = write_pair(Scene(size=400, river=RIVER, noise=0.05), tmp_path)
    assert scan(b, a, tmp_path / "out").disturbances == []


def test_small_windows_give_the_same_polygons_as_one_window(pair, tmp_path) -> None:
    one = scan(*pair, tmp_path / "one", params=defaults("scan").replace(window_pixels=1024))
    small = scan(*pair, tmp_path / "small", params=defaults("scan").replace(window_pixels=128))
    assert len(one.disturbances) == len(small.disturbances)
    for a, b in zip(sorted(one.disturbances, key=lambda d: d.area_ha), sorted(small.disturbances, key=lambda d: d.area_ha)):
        assert a.area_ha == pytest.approx(b.area_ha, abs=1e-9)
        assert a.confidence == pytest.approx(b.confidence, abs=1e-3)
        assert a.geometry.symmetric_difference(b.geometry).area < 1e-12
        assert a.detection_id == b.detection_id


def test_a_scar_split_by_a_window_corner_comes_back_whole(tmp_path) -> None:
    ring = box(100, 100, 160, 160).difference(box(115, 115, 145, 145))  # around the corner at (128, 128)
    b, a = write_pair(scene(scars=[(ring, "bare_soil")], clouds=[], nodata=[]), tmp_path)
    res = scan(b, a, tmp_path / "out", params=defaults("scan").replace(window_pixels=128))
    assert len(res.disturbances) == 1
    geom = in_pixels(res.disturbances[0].geometry, scene())
    assert geom.geom_type == "Polygon" and len(geom.interiors) == 1
    assert iou(geom, ring) > 0.95


def test_outputs_are_wgs84_geojson_geoparquet_and_the_detections_table(result) -> None:
    out = result.files[0].parent
    assert sorted(p.name for p in out.iterdir()) == ["detections.csv", "disturbances.geojson", "disturbances.parquet"]
    fc = json.loads((out / "disturbances.geojson").read_text())
    lon, lat = np.array(fc["features"][0]["geometry"]["coordinates"][0]).T
    assert (-71 < lon).all() and (lon < -69).all() and (-13 < lat).all() and (lat < -12).all()
    table = pq.read_table(out / "disturbances.parquet")
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
    geoms = shapely.from_wkb(table.column("geometry").to_pylist())
    assert shapely.equals_exact(geoms, np.array([d.geometry for d in result.disturbances]), 1e-9).all()
    header = (out / "detections.csv").read_text().splitlines()[0].split(",")
    assert header == [c.name for c in load_standard()["detections"].columns]


def test_area_in_a_geographic_crs_is_measured_on_the_ellipsoid(tmp_path) -> None:
    deg = 1e-4  # about 11 m at 12° S
    sc = scene(crs="EPSG:4326", pixel_m=deg, origin=(-70.0, -12.5), clouds=[], nodata=[])
    res = scan(*write_pair(sc, tmp_path), tmp_path / "out")
    for d in res.disturbances:
        assert d.area_ha == pytest.approx(area_ha(d.geometry)[0], rel=1e-3)
    pit = next(d for d in res.disturbances if d.geometry.contains(Point(-70 + 200 * deg, -12.5 - 140 * deg)))
    assert pit.area_ha == pytest.approx(16_000 * (deg * 111_320) ** 2 * np.cos(np.radians(12.5)) / 10_000, rel=0.01)


def test_a_failed_write_leaves_no_half_written_file(pair, tmp_path, monkeypatch) -> None:
    from filon.geo.raster import outputs

    def broken(path: Path, items: list) -> None:
        path.write_text("detection_id,da")
        raise OSError("disk full")

    monkeypatch.setattr(outputs, "_csv", broken)
    with pytest.raises(OSError):
        scan(*pair, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_pixel_transform_matches_the_synthetic_grid() -> None:
    assert scene().transform == Affine(10, 0, 400_000, 0, -10, 8_600_000)


def test_detections_csv_passes_filon_validate(result) -> None:
    from filon.validate import validate_package

    staged = validate_package(result.files[2])
    staged.close()
    assert staged.report.valid, staged.report.to_json()
    assert staged.report.rows_read == {"detections": len(PLANTED)}


REAL = Path("/work/shared/data/raster")


@pytest.mark.skipif(not list(REAL.glob("*before*.tif")), reason="no real image pair in /work/shared/data/raster")
def test_a_real_sentinel2_pair_scans_to_valid_detections(tmp_path) -> None:
    before = min(REAL.glob("*before*.tif"))
    after = Path(str(before).replace("before", "after"))
    res = scan(before, after, tmp_path, reproject=True, when=date(2024, 1, 1))
    assert 0 < res.clear_share <= 1
    assert all(0 <= d.confidence <= 1 and d.area_ha >= 0.5 for d in res.disturbances)
