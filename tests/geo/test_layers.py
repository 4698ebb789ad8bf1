"""Reading geometry columns: WKT, GeoJSON, WKB; repair of invalid polygons; bad coordinates."""

from __future__ import annotations

import json

import pytest
import shapely

from filon.geo.layers import GeometryError, parse_geometries, read_layer
from tests.geo.territory_ctx import context, square

BOWTIE = "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"


def test_wkt_geojson_and_wkb_cells_are_read() -> None:
    poly = shapely.box(-70, -13, -69.9, -12.9)
    cells = [poly.wkt, json.dumps({"type": "Feature", "geometry": json.loads(shapely.to_geojson(poly))}),
             shapely.to_wkb(poly), None, ""]
    geoms, usable, missing, repaired, problems = parse_geometries(cells, list("abcde"), "areas")
    assert usable.tolist() == [True, True, True, False, False]
    assert all(shapely.equals(g, poly) for g in geoms[:3])
    assert missing == ["d", "e"] and not repaired and not problems


def test_self_intersecting_polygon_is_repaired_into_its_lobes() -> None:
    geoms, usable, _, repaired, problems = parse_geometries([BOWTIE], ["x"], "detections")
    assert usable[0] and repaired == ["x"] and not problems
    assert geoms[0].is_valid and geoms[0].geom_type == "MultiPolygon" and geoms[0].area == pytest.approx(0.5)


def test_unusable_cells_are_left_out_and_named_or_raise_when_strict() -> None:
    cells = ["POLYGON ((0 0, 1 1", "POLYGON ((500000 8500000, 500100 8500000, 500100 8500100, 500000 8500000))",
             "POINT (-70 -13)", "POLYGON ((0 0, 1 0, 2 0, 0 0))"]
    geoms, usable, _, _, problems = parse_geometries(cells, ["bad", "utm", "pt", "flat"], "mining_rights")
    assert not usable.any()
    reasons = dict(problems)
    assert "not readable" in reasons["bad"] and "outside longitude" in reasons["utm"]
    assert "Point" in reasons["pt"] and "no area" in reasons["flat"]
    with pytest.raises(GeometryError, match=r"mining_rights: geometry of 'utm' .*Reproject it to EPSG:4326"):
        parse_geometries(cells[1:2], ["utm"], "mining_rights", strict=True)


def test_read_layer_through_ctx_query() -> None:
    ctx = context(areas=[{"area_id": "A1", "kind": "protected_area", "name": "Reserve", "geometry": square(0, 0, 1000)},
                         {"area_id": "A2", "kind": "admin_area", "name": "District", "geometry": BOWTIE}])
    layer = read_layer(ctx, "areas", "area_id", ("kind", "name"))
    assert layer.ids == ["A1", "A2"] and layer.repaired == ["A2"]
    assert layer.area_ha[0] == pytest.approx(100.0, rel=0.01)
    assert layer.rows[0] == {"area_id": "A1", "kind": "protected_area", "name": "Reserve"}
    only = read_layer(ctx, "areas", "area_id", ("kind",), where="kind = 'protected_area'")
    assert only.ids == ["A1"] and len(only.tree.query(layer.geoms[0])) == 1
