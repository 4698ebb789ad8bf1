"""Report sections `inputs` and `tracks`: charts and maps from the analysed tables, escaped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from filon.detect import input_overuse, route_deviation
from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.report.sections import inputs, tracks
from filon.store.workspace import Workspace

HOSTILE = "<script>alert(1)</script>"


def context(package: Path, tmp_path: Path) -> DetectContext:
    (package / "inputs.csv").write_text(
        "record_id,country,date,actor_id,input,quantity,unit,authorization_id,admin_area,lat,lon\n"
        f"I1,PE,2024-03-01,PE-A002,mercury,30,kg,A1,{HOSTILE},,\n"
        "I2,PE,2024-04-01,PE-A001,mercury,2000,g,A2,Tambopata,,\n"
        "I3,PE,2024-04-01,PE-A001,diesel,200,gal,A2,Tambopata,,\n"
        "I4,PE,2024-04-02,PE-A001,diesel,30,kg,A2,Tambopata,,\n", encoding="utf-8")
    (package / "areas.csv").write_text(
        "area_id,kind,name,country,geometry\n"
        f'PA-1,protected_area,"{HOSTILE}",PE,"POLYGON ((-69.95 -13.15, -69.85 -13.15, -69.85 -13.05, -69.95 -13.05, '
        '-69.95 -13.15))"\n', encoding="utf-8")
    t0 = dt.datetime(2023, 5, 14, 6)
    rows = [f"M{k},TRK-1,{(t0 + dt.timedelta(minutes=10 * k)).isoformat()},-13.1,{lon},ore,"
            for k, lon in enumerate([-70.0, -69.96, -69.84, -69.80])]
    (package / "movements.csv").write_text("movement_id,asset_id,time,lat,lon,cargo,route_id\n" + "\n".join(rows) + "\n",
                                           encoding="utf-8")
    ingest_package(package, tmp_path / "ws")
    return DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))


def as_dicts(alerts) -> list[dict]:
    return [{**a.to_row(), "evidence": a.evidence} for a in alerts]


def test_inputs_section_charts_actors_and_areas_escaped(package: Path, tmp_path: Path) -> None:
    ctx = context(package, tmp_path)
    alerts = as_dicts(input_overuse.detect(ctx, defaults("input_overuse")))
    sec = inputs.section(ctx, alerts)
    html = str(sec.html)
    assert sec.key == "section-inputs" and "PE-A002 mercury 2024" in html
    assert "mercury bought per administrative area and year (kg)" in html
    assert "diesel bought per administrative area and year (L)" in html and "757 L" in html  # 200 gal
    assert "1 purchase(s) recorded in a unit that does not fit" in sec.intro
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "30 kg (100% alerted)" in html  # PE-A002's 2024 mercury: all of it bought by the alerted actor
    assert "2 kg (100% alerted)" not in html and "757 L (" not in html  # PE-A001 has no input_overuse alert


def test_inputs_section_same_with_area_sums_kept(package: Path, tmp_path: Path) -> None:
    """The sums per area are taken from the last run when `inputs` is unchanged: same section."""
    from filon.detect.kept import kept_values
    from filon.detect.incremental import fingerprints

    ctx = context(package, tmp_path)
    alerts = as_dicts(input_overuse.detect(ctx, defaults("input_overuse")))
    ws = Workspace(tmp_path / "ws")
    ctx.kept = kept_values(tmp_path / "out", fingerprints(ws), read=True)
    first = str(inputs.section(ctx, alerts).html)
    assert [f.name for f in (tmp_path / "out").rglob("report_inputs_areas*")]
    again = DetectContext(DuckDBEngine(ws.connect()))
    again.kept = kept_values(tmp_path / "out", fingerprints(ws), read=True)
    assert str(inputs.section(again, alerts).html) == first


def test_tracks_section_maps_the_deviating_track(package: Path, tmp_path: Path) -> None:
    ctx = context(package, tmp_path)
    alerts = as_dicts(route_deviation.detect(ctx, defaults("route_deviation")))
    sec = tracks.section(ctx, alerts)
    html = str(sec.html)
    assert html.count("<svg") == 1 and "<polyline" in html and "<path" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_sections_have_nothing_to_show_without_data(package: Path, tmp_path: Path) -> None:
    ingest_package(package, tmp_path / "ws")
    ctx = DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))
    assert inputs.section(ctx, []) is None and tracks.section(ctx, []) is None
