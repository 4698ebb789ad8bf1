"""displacement: after an operation, mining falls inside its area and rises in the rings around it."""

from __future__ import annotations

import pytest

from filon.detect.displacement import detect
from filon.detect.parameters import defaults
from tests.geo.territory_ctx import context, detection, square

P = defaults("displacement")
OP_AREA = square(0, 0, 4000)


def op(op_id: str = "OP1", geometry: str | None = OP_AREA, start: str = "2020-03-01") -> dict:
    return {"operation_id": op_id, "country": "PE", "start_date": start, "name": f"Operation {op_id}",
            "kind": "interdiction", "geometry": geometry}


def scars(prefix: str, n: int, dx_m: float, date: str, side_m: float = 300) -> list[dict]:
    """n scars of side_m metres (9 ha each at 300 m) in a column starting dx_m east of the area's corner."""
    return [detection(f"{prefix}{k}", square(dx_m, 400 * k, side_m), date) for k in range(n)]


def run(ops, dets, p=P):
    return detect(context(operations=ops, detections=dets), p)


def test_mining_moves_from_the_area_to_the_first_ring() -> None:
    dets = (scars("IN-B", 4, 1000, "2019-06-01") + scars("IN-A", 1, 1000, "2020-08-01")
            + scars("R1-B", 1, 7000, "2019-06-01") + scars("R1-A", 6, 7000, "2020-08-01"))
    [a] = run([op()], dets)
    assert (a.subject_type, a.subject_id, a.period, a.country) == ("area", "OP1", "2020-03-01", "PE")
    z = a.evidence["zones"]
    assert z["inside"]["before_ha"] == pytest.approx(36, rel=0.02) and z["inside"]["after_ha"] == pytest.approx(9, rel=0.02)
    assert z["0-10 km"]["before_ha"] == pytest.approx(9, rel=0.02) and z["0-10 km"]["after_ha"] == pytest.approx(54, rel=0.02)
    assert z["10-30 km"]["before_ha"] == 0 and list(a.evidence["ring_rise_ha"]) == ["0-10 km"]
    assert a.evidence["window"] == ["2018-03-01", "2022-03-01"]


def test_no_spill_over_is_silent() -> None:
    # Mining fell inside but the rings stayed flat: the operation worked.
    dets = (scars("IN-B", 4, 1000, "2019-06-01") + scars("R1-B", 3, 7000, "2019-06-01")
            + scars("R1-A", 3, 7000, "2020-08-01"))
    assert run([op()], dets) == []


def test_a_rise_around_without_a_fall_inside_is_not_displacement() -> None:
    dets = (scars("IN-B", 2, 1000, "2019-06-01") + scars("IN-A", 2, 1000, "2020-08-01")
            + scars("R1-A", 6, 7000, "2020-08-01"))
    assert run([op()], dets) == []


def test_outer_ring_and_window_edges() -> None:
    dets = scars("IN-B", 4, 1000, "2019-06-01") + scars("R2-A", 3, 20_000, "2020-08-01")
    [a] = run([op()], dets)
    assert list(a.evidence["ring_rise_ha"]) == ["10-30 km"]
    late = scars("IN-B", 4, 1000, "2019-06-01") + scars("R1-A", 6, 7000, "2023-08-01")  # beyond 24 months
    assert run([op()], late) == []
    assert len(run([op()], late, P.replace(months_after=48))) == 1


def test_operations_without_geometry_are_skipped_and_counted() -> None:
    dets = scars("IN-B", 4, 1000, "2019-06-01") + scars("R1-A", 6, 7000, "2020-08-01")
    [a] = run([op(), op("OP2", geometry=None)], dets)
    assert a.subject_id == "OP1" and a.evidence["skipped_operations"]["without_geometry"] == 1
