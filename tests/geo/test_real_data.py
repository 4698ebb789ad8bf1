"""The vector detectors on real public layers beside the repository (skipped when absent):
Amazon Mining Watch 2023 detections in Madre de Dios against WDPA protected areas and AMW
indigenous territories. Nothing is copied into the repository (WDPA may not be redistributed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from filon.detect.parameters import defaults
from filon.detect.protected_area_disturbance import detect as protected
from filon.detect.unlicensed_disturbance import detect as unlicensed
from filon.geo.projection import area_ha
from tests.conftest import SHARED
from tests.geo.territory_ctx import context

GEO = SHARED / "data" / "geo"
DETECTIONS = GEO / "amw_mining_detections_2023_madre_de_dios.geojson"
PROTECTED = GEO / "protected_areas_wdpa2019_per_col_bol_ecu.geojson"
TERRITORIES = GEO / "indigenous_territories_amw_per_col_bol_ecu.geojson"

pytestmark = pytest.mark.skipif(not all(p.exists() for p in (DETECTIONS, PROTECTED, TERRITORIES)),
                                reason="shared real data not present")


def features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def ctx():
    dets = [{"detection_id": f"AMW-{i:04d}", "date": "2023-12-31", "geometry": json.dumps(f["geometry"]),
             "source": "Amazon Mining Watch 2023"} for i, f in enumerate(features(DETECTIONS))]
    box = shapely.box(-71.5, -14.0, -68.5, -11.0)
    areas = [{"area_id": f"WDPA-{i}", "kind": "protected_area", "name": f["properties"]["NAME"], "country": "PE",
              "geometry": json.dumps(f["geometry"])}
             for i, f in enumerate(features(PROTECTED)) if f["geometry"] and f["properties"]["ISO3"] == "PER"
             and shapely.from_geojson(json.dumps(f["geometry"])).intersects(box)]
    areas += [{"area_id": f"IT-{i}", "kind": "indigenous_territory", "name": f["properties"].get("name"),
               "country": "PE", "geometry": json.dumps(f["geometry"])}
              for i, f in enumerate(features(TERRITORIES)) if f["geometry"]
              and shapely.from_geojson(json.dumps(f["geometry"])).intersects(box)]
    return context(detections=dets, areas=areas)


def test_amw_geometry_collections_are_read_and_measured(ctx) -> None:
    from filon.detect._territory import detections
    layer = detections(ctx)
    assert len(layer) + len(layer.problems) == len(features(DETECTIONS)) and len(layer) > 300
    assert set(shapely.get_type_id(layer.geoms).tolist()) <= {3, 6}
    total = float(area_ha(layer.geoms).sum())
    assert 1_000 < total < 200_000  # southern Madre de Dios mining: tens of thousands of hectares


def test_mining_inside_protected_areas_and_territories_is_found(ctx) -> None:
    alerts = protected(ctx, defaults("protected_area_disturbance"))
    assert alerts, "AMW finds mining inside Madre de Dios reserves and communal lands"
    kinds = {z["kind"] for a in alerts for z in a.evidence["areas"]}
    assert kinds & {"protected_area", "indigenous_territory"}
    assert all(a.evidence["overlap_ha"] > 0 and 0 < a.evidence["overlap_share"] <= 1.0001 for a in alerts)


def test_without_a_cadastre_every_scar_is_unlicensed(ctx) -> None:
    alerts = unlicensed(ctx, defaults("unlicensed_disturbance"))
    assert len(alerts) > 300 and all(a.evidence["outside_share"] == pytest.approx(1.0) for a in alerts)
