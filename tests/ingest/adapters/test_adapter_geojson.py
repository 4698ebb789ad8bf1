"""GeoJSON areas and detections: kinds, ids, repair, flattening, ground areas; real AMW/WDPA data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from filon.errors import InvalidData
from filon.ingest.adapters import get_adapter
from filon.ingest.adapters._geo import area_ha

areas = get_adapter("geojson_areas").convert
detections = get_adapter("geojson_detections").convert
MDD = "amw_mining_detections_2023_madre_de_dios.geojson"


def _write(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _square(x: float, y: float, d: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def test_amw_fixture_detections(fixtures_dir: Path, tmp_path: Path, check) -> None:
    warnings = detections(fixtures_dir / "geo" / "detections" / "amw_mining_detections_2023_fixture.geojson", tmp_path)
    rows = check(tmp_path, "detections")
    assert len(rows) == 4
    assert {r["date"] for r in rows} == {"2023-12-31"} and {r["source"] for r in rows} == {"Amazon Mining Watch"}
    assert all(r["detection_id"].startswith("amw-") and r["confidence"] == "" for r in rows)
    kinds = [shapely.from_wkt(r["geometry"]).geom_type for r in rows]
    assert kinds == ["Polygon", "Polygon", "MultiPolygon", "MultiPolygon"]  # collection flattened, bow tie split
    # 0.002397° x 0.00235° at 13°S is about 6.75 ha on the ground; never a degree² figure
    assert float(rows[0]["area_ha"]) == pytest.approx(6.75, rel=0.05)
    text = " | ".join(warnings)
    assert "repaired 1 invalid" in text and "flattened 1 GeometryCollection" in text and "dropping 2" in text
    assert "dated 2023-12-31" in text


def test_detection_ids_are_stable(fixtures_dir: Path, tmp_path: Path, rows_of) -> None:
    source = fixtures_dir / "geo" / "detections" / "amw_mining_detections_2023_fixture.geojson"
    detections(source, tmp_path / "a")
    detections(source, tmp_path / "b")
    assert rows_of(tmp_path / "a" / "detections.csv") == rows_of(tmp_path / "b" / "detections.csv")


def test_own_ids_dates_and_confidence(fixtures_dir: Path, tmp_path: Path, check) -> None:
    warnings = detections(fixtures_dir / "geo" / "detections" / "detections_sentinel2_model.geojson", tmp_path)
    rows = {r["detection_id"]: r for r in check(tmp_path, "detections")}
    assert rows["MDD-2024-0001"]["date"] == "2024-05-10" and rows["MDD-2024-0001"]["confidence"] == "0.87"
    assert rows["MDD-2024-0002"]["date"] == "2024-06-10" and rows["MDD-2024-0002"]["confidence"] == ""
    assert rows["MDD-2024-0001"]["source"] == "Sentinel-2 CNN (agency model v2)"
    one, two = float(rows["MDD-2024-0001"]["area_ha"]), float(rows["MDD-2024-0002"]["area_ha"])
    assert two == pytest.approx(2 * one, rel=1e-3)
    assert any("outside 0-1" in w for w in warnings)


def test_real_madre_de_dios_detections(shared_data: Path, tmp_path: Path, check) -> None:
    source = shared_data / "geo" / MDD
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    warnings = detections(source, tmp_path)
    rows = check(tmp_path, "detections")
    assert len(rows) == len(features) == 316
    collections = sum(f["geometry"]["type"] == "GeometryCollection" for f in features)
    assert any(f"flattened {collections} GeometryCollection" in w for w in warnings)
    total = sum(float(r["area_ha"]) for r in rows)
    assert all(float(r["area_ha"]) > 0 for r in rows)
    assert 1_000 < total < 100_000  # southern Madre de Dios mining scars: thousands of hectares, not degrees²


def test_detection_without_date_or_year(tmp_path: Path) -> None:
    src = _write(tmp_path / "scars.geojson", [{"type": "Feature", "properties": {}, "geometry": _square(-70, -13)}])
    with pytest.raises(InvalidData, match="feature 1 .* no date"):
        detections(src, tmp_path / "out")


def test_unrepairable_feature_names_its_index(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[-70, -13], [-70.1, -13.1]]}
    src = _write(tmp_path / "scars_2023.geojson", [
        {"type": "Feature", "properties": {}, "geometry": _square(-70, -13)},
        {"type": "Feature", "properties": {}, "geometry": line}])
    with pytest.raises(InvalidData) as err:
        detections(src, tmp_path / "out")
    assert "feature 2" in str(err.value) and "scars_2023.geojson" in str(err.value)


def test_projected_layer_is_refused(tmp_path: Path) -> None:
    data = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32719"}},
            "features": [{"type": "Feature", "properties": {}, "geometry": _square(400000, 8600000, 100)}]}
    src = tmp_path / "scars_2023.geojson"
    src.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidData, match="EPSG:4326"):
        detections(src, tmp_path / "out")


def test_fixture_areas(fixtures_dir: Path, tmp_path: Path, check) -> None:
    warnings = areas(fixtures_dir / "geo" / "areas", tmp_path)  # a folder: every GeoJSON in it
    rows = {r["name"]: r for r in check(tmp_path, "areas")}
    assert set(rows) == {"Reserva Fixture Uno", "Parque Fixture Dos", "Comunidad Nativa Fixture"}
    uno, dos, cn = rows["Reserva Fixture Uno"], rows["Parque Fixture Dos"], rows["Comunidad Nativa Fixture"]
    assert (uno["kind"], uno["country"], uno["area_id"]) == ("protected_area", "PE", "PA-PE-303320")
    assert dos["kind"] == "protected_area" and dos["country"] == "" and dos["area_id"].startswith("PA-")
    assert shapely.from_wkt(dos["geometry"]).geom_type == "MultiPolygon"  # bow tie repaired
    assert (cn["kind"], cn["country"], cn["area_id"]) == ("indigenous_territory", "PE", "IT-PE-PE0001_0")
    text = " | ".join(warnings)
    assert "skipped 1 feature(s) with a null or empty geometry" in text and "Reserva Colapsada" in text
    assert "repaired 1 invalid" in text


def test_area_kind_from_property_or_refused(tmp_path: Path, check) -> None:
    feature = {"type": "Feature", "properties": {"name": "Corredor minero A"}, "geometry": _square(-70, -13)}
    src = _write(tmp_path / "layer.geojson", [feature])
    with pytest.raises(InvalidData) as err:
        areas(src, tmp_path / "out")
    assert "layer.geojson" in str(err.value) and "kind" in str(err.value)
    feature["properties"]["kind"] = "mining_corridor"
    _write(src, [feature])
    areas(src, tmp_path / "out")
    [row] = check(tmp_path / "out", "areas")
    assert row["kind"] == "mining_corridor" and row["area_id"].startswith("MC-")


def test_real_wdpa_protected_areas(shared_data: Path, tmp_path: Path, check) -> None:
    source = shared_data / "geo" / "protected_areas_wdpa2019_per_col_bol_ecu.geojson"
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    empty = sum(not f["geometry"] or not f["geometry"].get("coordinates") for f in features)
    warnings = areas(source, tmp_path)
    rows = check(tmp_path, "areas")  # every geometry valid (Multi)Polygon WKT, ids unique
    assert len(rows) == len(features) - empty
    assert {r["kind"] for r in rows} == {"protected_area"}
    assert {r["country"] for r in rows} <= {"PE", "CO", "BO", "EC", ""}
    names = {r["name"] for r in rows}
    assert {"Tambopata", "Bahuaja - Sonene", "Amarakaeri", "Madidi"} <= names
    text = " | ".join(warnings)
    assert "repaired" in text and (f"skipped {empty} feature" in text if empty else True)


def test_real_indigenous_territories_areas_match_published_hectares(shared_data: Path, tmp_path: Path, check) -> None:
    source = shared_data / "geo" / "indigenous_territories_amw_per_col_bol_ecu.geojson"
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    areas(source, tmp_path)
    rows = check(tmp_path, "areas")
    assert len(rows) == len(features) and {r["kind"] for r in rows} == {"indigenous_territory"}
    ratios = sorted(area_ha(shapely.from_wkt(r["geometry"])) / f["properties"]["area_field"]
                    for r, f in zip(rows, features, strict=True) if f["properties"].get("area_field"))
    assert ratios[len(ratios) // 2] == pytest.approx(1.0, abs=0.01)  # median: our hectares = the source's
