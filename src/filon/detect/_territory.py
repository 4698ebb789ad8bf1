"""Shared by the territorial detectors: detections, rights and areas as shapely layers, which rights
are in force at a date, dates as ISO text, the gold price of a year and a country for a place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from shapely.strtree import STRtree

from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.geo.layers import Layer, read_layer

DETECTION_COLUMNS = ("date", "confidence", "area_ha", "source", "_source_file", "_source_row")
RIGHT_COLUMNS = ("country", "holder_id", "regime", "status", "scale", "granted_on", "expires_on",
                 "_source_file", "_source_row")
AREA_COLUMNS = ("kind", "name", "country", "_source_file", "_source_row")


def iso(value: Any) -> str | None:
    """A date cell as `YYYY-MM-DD` text (DuckDB and Spark return dates, CSV-typed tables text)."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    text = str(value).strip()
    return text[:10] or None


def add_months(date: str, months: int) -> str:
    """ISO date `months` later (earlier when negative), clamped to the month's last day."""
    d = dt.date.fromisoformat(date)
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last)).isoformat()


def period_bounds(period: str) -> tuple[str, str]:
    """First and last day of a `YYYY`, `YYYY-MM` or date period."""
    p = period.strip()
    if len(p) == 4:
        return f"{p}-01-01", f"{p}-12-31"
    if len(p) == 7:
        first = f"{p}-01"
        return first, (dt.date.fromisoformat(add_months(first, 1)) - dt.timedelta(days=1)).isoformat()
    return p[:10], p[:10]


def _cached(ctx: DetectContext, key: tuple, read: Callable[[], Layer]) -> Layer:
    """A layer read once per analysis and shared by the geospatial detectors (the first key is its table)."""
    return ctx.memo(("layer", *key), read, (key[0],))


def detections(ctx: DetectContext) -> Layer:
    def read() -> Layer:
        layer = read_layer(ctx, "detections", "detection_id", DETECTION_COLUMNS)
        for r in layer.rows:
            r["date"] = iso(r["date"])
        return layer
    return _cached(ctx, ("detections",), read)


def rights(ctx: DetectContext) -> Layer:
    def read() -> Layer:
        layer = read_layer(ctx, "mining_rights", "right_id", RIGHT_COLUMNS)
        for r in layer.rows:
            r["granted_on"], r["expires_on"] = iso(r["granted_on"]), iso(r["expires_on"])
        return layer
    return _cached(ctx, ("mining_rights",), read)


def areas(ctx: DetectContext, kinds: tuple[str, ...] | None = None) -> Layer:
    where = "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")" if kinds else ""
    return _cached(ctx, ("areas", where), lambda: read_layer(ctx, "areas", "area_id", AREA_COLUMNS, where=where))


#: Statuses whose dates decide whether the right was in force. `expired` is today's status: a right
#: that expired in 2023 was in force for a scar of 2022. Suspended and cancelled rights carry no
#: date of the suspension or cancellation, so they are never counted as in force.
DATED_STATUSES = ("active", "expired")


def in_force(right: dict[str, Any], date: str | None) -> tuple[bool, str]:
    """Whether a right was in force on `date`, and why (for the evidence).

    Rule: status active or expired, granted on or before the date (a missing grant date is read as
    "granted before any image": the register lists it, and a missing date alone is no evidence of
    mining without a title), and the date not after the expiry (a missing expiry is open-ended,
    as Peruvian concessions are; but an `expired` right without an expiry date cannot be shown
    to have covered the date, so it is not in force)."""
    status = right.get("status")
    granted, expires = right.get("granted_on"), right.get("expires_on")
    if status not in DATED_STATUSES:
        return False, f"status {status}"
    if date is None:
        return status == "active", "no image date"
    if granted and date < granted:
        return False, f"granted later, on {granted}"
    if expires and date > expires:
        return False, f"expired on {expires}"
    if status == "expired" and not expires:
        return False, "expired, expiry date unknown"
    return True, "in force"


def gold_usd_per_kg(ctx: DetectContext) -> dict[str, tuple[float, str]]:
    """Yearly mean gold reference price in USD/kg by year, with its source."""
    rows = ctx.query(f"SELECT year, usd_per_kg, source FROM ({yearly_price_sql()}) WHERE commodity = 'Au'")
    return {str(r["year"]): (float(r["usd_per_kg"]), r["source"]) for r in rows if r["usd_per_kg"]}


def countries_for(geoms: np.ndarray, rights_layer: Layer, areas_layer: Layer | None = None,
                  max_degrees: float = 0.5) -> list[str | None]:
    """A country for each geometry, for routing the alert: the country of an area containing its
    centre (any kind with a country), else of the mining right whose inner point is nearest, within `max_degrees`
    (a routing hint only, not a measure), else None."""
    out: list[str | None] = [None] * len(geoms)
    if not len(geoms):
        return out
    centres = shapely.point_on_surface(geoms)
    if areas_layer is not None and len(areas_layer):
        gi, ai = areas_layer.tree.query(centres, predicate="within")
        for g, a in zip(gi, ai):
            if out[g] is None and areas_layer.rows[a].get("country"):
                out[g] = areas_layer.rows[a]["country"]
    todo = np.array([i for i, c in enumerate(out) if c is None], dtype=int)
    if len(todo) and len(rights_layer):
        points = STRtree(shapely.point_on_surface(rights_layer.geoms))  # point distances are cheap
        gi, ri = points.query_nearest(centres[todo], max_distance=max_degrees)
        for g, r in zip(gi, ri):
            if out[todo[g]] is None:
                out[todo[g]] = rights_layer.rows[r].get("country")
    return out


def lineage(table: str, rid: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"table": table, "id": rid, "file": row.get("_source_file"), "row": row.get("_source_row")}
