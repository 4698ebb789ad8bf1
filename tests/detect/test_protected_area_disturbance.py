"""protected_area_disturbance: mining seen inside a protected area or indigenous territory."""

from __future__ import annotations

import pytest

from filon.detect.parameters import defaults
from filon.detect.protected_area_disturbance import detect
from tests.geo.territory_ctx import context, detection, right, square

P = defaults("protected_area_disturbance")


def area(area_id: str, kind: str = "protected_area", geometry: str | None = None) -> dict:
    return {"area_id": area_id, "kind": kind, "name": f"Reserve {area_id}", "country": "PE",
            "geometry": geometry or square(0, 0, 2000)}


def run(dets, areas, rights=()):
    return detect(context(detections=dets, areas=areas, mining_rights=list(rights)), P)


def test_scar_inside_a_reserve_fires_with_name_kind_overlap_and_share() -> None:
    [a] = run([detection("D1", square(500, 500, 300))], [area("PA1")])
    assert (a.subject_type, a.subject_id, a.period, a.country) == ("area", "D1", "2023-06-01", "PE")
    [z] = a.evidence["areas"]
    assert (z["area_id"], z["kind"], z["name"]) == ("PA1", "protected_area", "Reserve PA1")
    assert z["overlap_ha"] == pytest.approx(9.0, rel=0.01) and z["share"] == pytest.approx(1.0)
    assert a.evidence["inside_right_in_force"] is False and a.value_at_risk_usd is None


def test_scar_touching_the_border_is_silent_and_partial_overlap_fires() -> None:
    assert run([detection("D1", square(2000, 500, 300))], [area("PA1")]) == []      # shares the east edge only
    assert run([detection("D1", square(2100, 500, 300))], [area("PA1")]) == []      # 100 m away
    [a] = run([detection("D1", square(1850, 500, 300))], [area("PA1")])              # 150 m inside
    assert a.evidence["overlap_ha"] == pytest.approx(4.5, rel=0.01) and a.evidence["overlap_share"] == pytest.approx(0.5, abs=0.01)


def test_tiny_overlaps_need_the_share() -> None:
    assert run([detection("D1", square(1998, 500, 300))], [area("PA1")]) == []      # 2 m sliver: 0.06 ha, 2 %
    assert len(run([detection("D1", square(500, 500, 25))], [area("PA1")])) == 1     # 0.06 ha wholly inside


def test_indigenous_territory_counts_other_kinds_do_not() -> None:
    assert len(run([detection("D1", square(500, 500, 300))], [area("IT1", "indigenous_territory")])) == 1
    assert run([detection("D1", square(500, 500, 300))], [area("C1", "mining_corridor")]) == []


def test_overlapping_areas_are_not_counted_twice_and_licensed_scars_still_fire() -> None:
    dets = [detection("D1", square(500, 500, 300))]
    rights = [right("R1", square(400, 400, 600))]
    [a] = run(dets, [area("PA1"), area("IT1", "indigenous_territory")], rights)
    assert a.evidence["overlap_ha"] == pytest.approx(9.0, rel=0.01) and len(a.evidence["areas"]) == 2
    assert a.evidence["inside_right_in_force"] is True and "within a mining right" in a.explanation
