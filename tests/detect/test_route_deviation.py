"""route_deviation: tracks against protected areas and permitted corridors, noise tolerated.

A square reserve of 0.1° (about 11 km) at (-69.95..-69.85, -13.15..-13.05) and a road along
latitude -12.5 from -69.5 to -69.3, 100 m wide.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from filon.detect._tracks import Tracks, clean
from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.route_deviation import detect
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import IngestRejected, ingest_package
from filon.store.workspace import Workspace
from filon.validate import validate_package

RESERVE = "POLYGON ((-69.95 -13.15, -69.85 -13.15, -69.85 -13.05, -69.95 -13.05, -69.95 -13.15))"
AREAS = ("area_id,kind,name,country,geometry\n"
         f'PA-1,protected_area,Reserva de prueba,PE,"{RESERVE}"\n'
         'ADM-1,admin_area,Tambopata,PE,"POLYGON ((-71 -14, -69 -14, -69 -12, -71 -12, -71 -14))"\n')
ROUTES = ("route_id,name,width_m,geometry,valid_from,valid_to,country\n"
          'RT-1,Carretera de prueba,100,"LINESTRING (-69.5 -12.5, -69.3 -12.5)",2020-01-01,,PE\n')
T0 = dt.datetime(2023, 5, 14, 6, 0)


def track(asset: str, points: list[tuple[float, float, float]], route: str = "") -> list[str]:
    """Rows of `movements` from (minutes after T0, lon, lat)."""
    return [f"{asset}-{i:03d},{asset},{(T0 + dt.timedelta(minutes=m)).isoformat()},{lat},{lon},ore,{route}"
            for i, (m, lon, lat) in enumerate(points)]


def along(lat: float, lons: list[float], step_min: float = 10.0, start: float = 0.0) -> list[tuple[float, float, float]]:
    return [(start + k * step_min, lon, lat) for k, lon in enumerate(lons)]


def run(package: Path, tmp_path: Path, rows: list[str], params=None, routes: str | None = ROUTES):
    (package / "areas.csv").write_text(AREAS, encoding="utf-8")
    if routes is not None:
        (package / "routes.csv").write_text(routes, encoding="utf-8")
    (package / "movements.csv").write_text("movement_id,asset_id,time,lat,lon,cargo,route_id\n"
                                           + "".join(r + "\n" for r in rows), encoding="utf-8")
    ingest_package(package, tmp_path / "ws")
    ctx = DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))
    return {a.subject_id: a for a in detect(ctx, params or defaults("route_deviation"))}


def test_a_leg_crossing_the_reserve_fires_though_no_fix_is_inside(package: Path, tmp_path: Path) -> None:
    rows = track("CROSS", along(-13.10, [-70.0, -69.96, -69.84, -69.80]))
    a = run(package, tmp_path, rows)["CROSS"]
    [area] = a.evidence["areas"]
    inside = Geod(ellps="WGS84").inv(-69.95, -13.10, -69.85, -13.10)[2]
    assert area["inside_m"] == pytest.approx(inside, rel=1e-3) and area["name"] == "Reserva de prueba"
    assert area["kind"] == "protected_area" and area["area_id"] == "PA-1"
    # entry one twelfth into the 10-minute leg from -69.96 to -69.84; exit at eleven twelfths
    assert area["entry_time"] == "2023-05-14T06:10:50" and area["exit_time"] == "2023-05-14T06:19:10"
    assert (a.subject_type, a.period, a.country) == ("asset", "2023-05-14", "PE")
    assert 0.8 < a.score <= 1.0 and a.evidence["corridor"] == []
    assert {s["id"] for s in a.evidence["sources"]} == {"CROSS-001", "CROSS-002"}
    assert "inside protected area Reserva de prueba" in a.explanation


def test_passing_near_gap_and_glitch_stay_silent(package: Path, tmp_path: Path) -> None:
    near = track("NEAR", along(-13.0455, [-70.0 + 0.02 * k for k in range(11)], step_min=3))  # ~500 m outside
    gap = track("GAP", [(0, -69.97, -13.10), (180, -69.83, -13.10)])  # 3 h silence across the reserve
    pts = along(-13.0, [-70.0 + 0.02 * k for k in range(11)], step_min=5)
    pts.insert(6, (26, -69.90, -13.10))  # one fix 11 km away, a minute after the previous one
    glitch = track("GLITCH", pts)
    assert run(package, tmp_path, near + gap + glitch) == {}


def test_glitch_and_duplicates_are_dropped_and_counted() -> None:
    t = np.array([0, 300, 360, 600, 600, 900], dtype=float)
    lon = np.array([-70.0, -69.98, -69.90, -69.96, -69.96, -69.94])
    lat = np.array([-13.0, -13.0, -13.10, -13.0, -13.0, -13.0])
    cleaned = clean(Tracks.build(np.array(["A"] * 6, dtype=object), t, lon, lat), 150 / 3.6)
    assert cleaned.duplicates.tolist() == [4] and cleaned.glitches.tolist() == [2]
    assert len(cleaned.kept.t) == 4
    # two consecutive fixes away are a detour, not a glitch
    t2 = np.array([0, 300, 360, 420, 1200], dtype=float)
    lon2 = np.array([-70.0, -69.98, -69.90, -69.90, -69.94])
    lat2 = np.array([-13.0, -13.0, -13.10, -13.10, -13.0])
    assert clean(Tracks.build(np.array(["B"] * 5, dtype=object), t2, lon2, lat2), 150 / 3.6).glitches.size == 0


def test_a_long_stop_just_inside_fires_though_the_distance_is_short(package: Path, tmp_path: Path) -> None:
    inside = (-69.9495, -13.10)  # ~54 m inside the western edge
    pts = [(0, -69.96, -13.10), (10, *inside), (25, *inside), (45, *inside), (55, -69.96, -13.10)]
    a = run(package, tmp_path, track("STOP", pts))["STOP"]
    [area] = a.evidence["areas"]
    assert area["inside_m"] < 150 and area["stopped"] is True and area["minutes_stopped"] >= 30
    short = [(0, -69.96, -13.10), (10, *inside), (15, *inside), (25, -69.96, -13.10)]
    assert run(package, tmp_path / "b", track("BRIEF", short)) == {}


def test_leaving_the_corridor_fires_a_single_fix_does_not(package: Path, tmp_path: Path) -> None:
    out = along(-12.5, [-69.50, -69.47, -69.44], 5) + along(-12.47, [-69.41, -69.38, -69.35], 5, 15) \
        + along(-12.5, [-69.32, -69.30], 5, 30)
    one = along(-12.5, [-69.50, -69.47], 5) + [(10, -69.44, -12.4865)] + along(-12.5, [-69.41, -69.38], 5, 15)
    alerts = run(package, tmp_path, track("DETOUR", out, "RT-1") + track("WOBBLE", one, "RT-1"))
    assert set(alerts) == {"DETOUR"}
    [c] = alerts["DETOUR"].evidence["corridor"]
    assert c["route_id"] == "RT-1" and c["positions_outside"] == 3
    assert c["max_beyond_corridor_m"] == pytest.approx(3318 - 50, abs=40)  # 0.03° of latitude, less half-width
    assert c["left_at"] == "2023-05-14T06:15:00" and alerts["DETOUR"].country == "PE"
    stricter = defaults("route_deviation").replace(min_off_corridor_points=1)
    assert set(run(package, tmp_path / "b", track("WOBBLE", one, "RT-1"), stricter)) == {"WOBBLE"}


def test_unknown_route_cannot_be_ingested(package: Path, tmp_path: Path) -> None:
    rows = track("X", along(-12.5, [-69.50, -69.47]), "RT-NOPE")
    with pytest.raises(IngestRejected) as err:
        run(package, tmp_path, rows)
    assert "routes.route_id" in str([str(p) for p in err.value.report.errors])


def test_a_route_nobody_defined_skips_the_corridor_with_a_warning(package: Path, tmp_path: Path, caplog) -> None:
    """Ingest refuses such a route id (see above); a workspace edited by hand still gets a clear warning."""
    run(package, tmp_path, track("X", along(-12.47, [-69.50, -69.47, -69.44]), "RT-1"))  # 3 km off RT-1
    con = Workspace(tmp_path / "ws").connect()
    con.execute("CREATE TEMP TABLE moved AS SELECT * REPLACE ('RT-9' AS route_id) FROM movements")
    con.execute("CREATE OR REPLACE TEMP VIEW movements AS SELECT * FROM moved")
    with caplog.at_level(logging.WARNING, logger="filon.detect.route_deviation"):
        assert detect(DetectContext(DuckDBEngine(con)), defaults("route_deviation")) == []
    assert "RT-9" in caplog.text and "corridor not checked" in caplog.text


def test_a_package_without_routes_validates_with_a_warning(package: Path) -> None:
    (package / "movements.csv").write_text("movement_id,asset_id,time,lat,lon,cargo,route_id\n"
                                           + "\n".join(track("X", along(-12.5, [-69.5, -69.47]), "RT-1")) + "\n")
    with validate_package(package) as staged:
        assert staged.report.valid
        assert any(p.code == "references_not_checked" and p.table == "routes" for p in staged.report.problems)


def test_bad_movements_are_rejected_naming_the_cell(package: Path, tmp_path: Path) -> None:
    rows = ["M1,A,2023-05-14T06:00:00,-95.0,-69.5,ore,", "M2,A,not-a-time,-12.5,-69.5,ore,"]
    with pytest.raises(IngestRejected) as err:
        run(package, tmp_path, rows)
    text = " ".join(str(p) for p in err.value.report.errors)
    assert "lat" in text and "time" in text


def test_no_movements_no_alert(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path, []) == {}
