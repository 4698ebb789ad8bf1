"""Equal-area measures: hectares and metres, never degrees."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from filon.geo.projection import area_ha, metres_to_degrees, to_equal_area, to_lonlat, zone_center, zone_key


def geodesic_ha(g) -> float:
    from pyproj import Geod
    return abs(Geod(ellps="WGS84").geometry_area_perimeter(g)[0]) / 10_000.0


@pytest.mark.parametrize("lat", [0.0, -12.9, 5.8, -45.0, 70.0])
def test_area_matches_the_ellipsoid_at_any_latitude(lat: float) -> None:
    g = box(-70.0, lat, -69.99, lat + 0.01)  # about 1.1 km square at the equator, much less at 70°
    assert area_ha([g])[0] == pytest.approx(geodesic_ha(g), rel=1e-4)


def test_a_square_degree_is_not_a_unit_of_area() -> None:
    equator, south = area_ha([box(0, 0, 1, 1), box(0, -61, 1, -60)])
    assert equator == pytest.approx(1_230_000, rel=0.01)  # ~111 km x 111 km
    assert south / equator == pytest.approx(math.cos(math.radians(60.5)), rel=0.02)  # ellipsoid, not sphere


def test_collections_spanning_continents_are_measured_per_zone() -> None:
    gs = [box(-70, -13, -69.99, -12.99), box(100, 40, 100.01, 40.01), None, shapely.Polygon()]
    got = area_ha(gs)
    assert got[0] == pytest.approx(geodesic_ha(gs[0]), rel=1e-4)
    assert got[1] == pytest.approx(geodesic_ha(gs[1]), rel=1e-4)
    assert list(got[2:]) == [0.0, 0.0]


def test_round_trip_and_metres_near_the_centre() -> None:
    g = box(-70.0, -12.9, -69.99, -12.89)
    m = to_equal_area(g, -70.0, -12.9)[0]
    back = to_lonlat(m, -70.0, -12.9)[0]
    assert shapely.equals_exact(back, g, tolerance=1e-7)
    # 0.01° of latitude is ~1,106 m at 13°S
    assert m.bounds[3] - m.bounds[1] == pytest.approx(1106, rel=0.01)


def test_degree_padding_covers_the_distance() -> None:
    for lat in (0, -13, 60):
        assert metres_to_degrees(10_000, lat) * 111_000 * math.cos(math.radians(lat)) >= 10_000


def test_zones_group_nearby_points() -> None:
    keys = zone_key(np.array([-70.1, -69.9, 10.0]), np.array([-12.9, -12.8, 45.0]), 3.0)
    assert keys[0] == keys[1] != keys[2]
    lon, lat = zone_center(int(keys[0]), 3.0)
    assert abs(lon + 70) <= 1.5 and abs(lat + 12.9) <= 1.5
