"""Shared end of the tracking adapters (GPX, NMEA, Traccar): checks, order, duplicates, the report.

Trackers write positions in arrival order, repeat fixes (an RMC and a GGA sentence of the same
second, a retried upload) and sometimes emit nonsense. This module turns the positions an adapter
read into `movements` rows and says what it did with every one: out-of-order fixes are sorted
and counted, exact repeats dropped and counted, repeats at the same second in another place
kept once (the first) and counted, coordinates out of range refused naming the line. Nothing is
dropped without a count in the adapter's report (its warnings).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from filon.errors import InvalidData
from filon.ingest.adapters._package import Row


@dataclass(frozen=True)
class Fix:
    """One position as read: where it came from (file, line) and what it says."""

    file: Path
    line: int
    asset: str
    time: dt.datetime  # aware, UTC
    lat: float
    lon: float


def check_coordinates(path: Path, line: int, lat: float, lon: float) -> None:
    """Refuse a position outside WGS84 ranges, saying when latitude and longitude look swapped."""
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return
    swapped = -90 <= lon <= 90 and -180 <= lat <= 180
    raise InvalidData(
        f"line {line}: latitude {lat} / longitude {lon} is outside WGS84 ranges"
        + (" (latitude and longitude look swapped)" if swapped else ""),
        file=str(path), row=line, column="lat/lon", value=f"{lat}, {lon}",
        fix=("write latitude in the latitude field and longitude in the longitude field" if swapped
             else "latitude must lie within -90..90 and longitude within -180..180 degrees (WGS84)"))


def utc(value: dt.datetime) -> dt.datetime:
    """Naive times are taken as UTC (GPX, NMEA and Traccar all record UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def movements(fixes: list[Fix], counts: Counter[str]) -> list[Row]:
    """`movements` rows sorted by asset and time, repeats removed; `counts` records what was done."""
    order = sorted(range(len(fixes)), key=lambda i: (fixes[i].asset, fixes[i].time, i))
    last_seen: dict[str, dt.datetime] = {}
    for f in fixes:  # out of order = earlier than a fix of the same asset read before it
        if f.asset in last_seen and f.time < last_seen[f.asset]:
            counts["out_of_order"] += 1
        last_seen[f.asset] = max(f.time, last_seen.get(f.asset, f.time))
    rows: list[Row] = []
    previous: Fix | None = None
    for i in order:
        f = fixes[i]
        if previous is not None and previous.asset == f.asset and previous.time == f.time:
            same_place = abs(previous.lat - f.lat) < 1e-6 and abs(previous.lon - f.lon) < 1e-6
            counts["duplicates" if same_place else "conflicting"] += 1
            continue
        previous = f
        stamp = f.time.strftime("%Y%m%dT%H%M%S") + (f"{f.time.microsecond:06d}" if f.time.microsecond else "")
        rows.append({"movement_id": f"{f.asset}-{stamp}Z", "asset_id": f.asset, "time": iso(f.time),
                     "lat": round(f.lat, 7), "lon": round(f.lon, 7), "cargo": None, "route_id": None})
    return rows


def report(name: str, rows: list[Row], counts: Counter[str], notes: dict[str, str]) -> list[str]:
    """The adapter's report: one summary line, then one line per kind of change made."""
    assets = len({r["asset_id"] for r in rows})
    out = [f"{name}: {len(rows)} position(s) of {assets} asset(s) written to movements"]
    texts = {
        "out_of_order": "position(s) were out of time order; sorted by asset and time",
        "duplicates": "repeated position(s) (same asset, time and place) dropped",
        "conflicting": "position(s) at the same second as another of the same asset but elsewhere dropped "
                       "(the first read was kept)",
        **notes,
    }
    for key, text in texts.items():
        if counts.get(key):
            out.append(f"{name}: {counts[key]} {text}")
    return out
