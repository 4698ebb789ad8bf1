"""The territory section of the report: offline SVG maps and the top findings, escaped and bounded."""

from __future__ import annotations

from filon.report.sections import geo
from tests.geo.territory_ctx import context, detection, right, square


def test_section_draws_maps_and_the_top_findings_escaped() -> None:
    ctx = context(detections=[detection("D1", square(3000, 0, 200)), detection("D2", square(200, 200, 100))],
                  mining_rights=[right("R1", square(0, 0, 1000))],
                  areas=[{"area_id": "PA1", "kind": "protected_area", "name": "<script>alert(1)</script>",
                          "country": "PE", "geometry": square(2500, -500, 2000)}])
    alerts = [{"typology": "unlicensed_disturbance", "subject_id": "D1", "country": "PE", "period": "2023-06-01",
               "score": 0.8, "evidence": {"outside_ha": 4.0}}]
    s = geo.section(ctx, alerts)
    assert s is not None and s.html.count("<svg") == 2
    assert "<script>" not in s.html and "&lt;script&gt;" in s.html
    assert "detections with an alert (1)" in s.html and "4.00 ha outside rights in force" in s.html


def test_nothing_to_draw_without_detections_or_operations() -> None:
    assert geo.section(context(mining_rights=[right("R1", square(0, 0, 1000))]), []) is None


def test_geometries_drawn_are_capped(monkeypatch) -> None:
    monkeypatch.setattr(geo, "MAX_GEOMS", 5)
    ctx = context(detections=[detection(f"D{i:02d}", square(300 * i, 0, 100)) for i in range(20)])
    s = geo.section(ctx, [])
    assert "detections (5)" in s.html and "20 detections (5 drawn)" in s.html


def test_maps_follow_the_alerted_subjects_not_their_figures(monkeypatch) -> None:
    """A new figure for the same alerted subjects (more production declared) redraws the table, not the
    maps: within one analysis (and, kept, across runs) the layers are not read again."""
    ctx = context(detections=[detection("D1", square(3000, 0, 200))], mining_rights=[right("R1", square(0, 0, 1000))])
    alert = {"typology": "unlicensed_disturbance", "subject_id": "D1", "country": "PE", "period": "2023-06-01",
             "score": 0.8, "evidence": {"outside_ha": 4.0}}
    first = geo.section(ctx, [alert])
    monkeypatch.setattr(geo, "read_layer", lambda *a, **k: (_ for _ in ()).throw(AssertionError("layer read again")))
    moved = geo.section(ctx, [{**alert, "evidence": {"outside_ha": 5.0}}])
    assert "5.00 ha outside rights in force" in moved.html and "4.00 ha" not in moved.html
    assert moved.html.split("<table")[0] == first.html.split("<table")[0]  # the same maps
    try:
        geo.section(ctx, [alert, {**alert, "subject_id": "D2"}])  # another subject alerted: drawn again
    except AssertionError as err:
        assert "layer read again" in str(err)
    else:
        raise AssertionError("the maps were not drawn again for another alerted subject")
