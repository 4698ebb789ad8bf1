"""Traccar positions (API JSON or the `tc_positions` table as CSV) → `movements`.

Traccar, the open-source fleet-tracking server many Andean transport firms and police units run,
returns positions from `/api/positions` and `/api/reports/route` as JSON objects (`deviceId`,
`fixTime`, `latitude`, `longitude`, `valid`...) and stores them in `tc_positions` (`deviceid`,
`fixtime`, ...), which database tools export as CSV. The asset is the device's name when the export
has one, else `traccar-<deviceId>`. Times are UTC (Traccar stores UTC; an offset, if written,
is honoured). Fixes the device flagged invalid (`valid` false) are skipped and counted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._package import write_table
from filon.ingest.adapters._read import Field, plain_key, read_table, source_files
from filon.ingest.adapters._tracking import (
    Fix,
    check_coordinates,
    movements,
    report,
    utc,
)

FIELDS = (
    Field("device_id", ("deviceId", "deviceid", "device_id")),
    Field("device_name", ("deviceName", "device", "name"), required=False),
    Field("time", ("fixTime", "fixtime", "fix_time", "deviceTime", "devicetime", "time")),
    Field("lat", ("latitude", "lat")),
    Field("lon", ("longitude", "lon", "lng")),
    Field("valid", ("valid",), required=False),
)
_FALSE = {"false", "0", "f", "no", "n"}


def _asset(device_id: Any, name: Any) -> str:
    name = str(name).strip() if name is not None else ""
    return name or f"traccar-{str(device_id).strip()}"


def _time(path: Path, where: int, text: Any) -> dt.datetime:
    value = str(text or "").strip()
    try:
        return utc(dt.datetime.fromisoformat(value))
    except ValueError:
        raise InvalidData(f"line {where}: fix time is not an ISO 8601 date-time", file=str(path), row=where,
                          column="fixTime", value=value, fix="export times as 2023-05-14T10:40:00Z") from None


def _number(path: Path, where: int, column: str, text: Any) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise InvalidData(f"line {where}: {column} is not a number", file=str(path), row=where, column=column,
                          value=str(text), fix="export coordinates as decimal degrees with '.' as decimal mark") from None
    if not math.isfinite(value):
        raise InvalidData(f"line {where}: {column} is not a number", file=str(path), row=where, column=column,
                          value=str(text), fix="export coordinates as decimal degrees")
    return value


def _fix(path: Path, where: int, device: Any, name: Any, time: Any, lat: Any, lon: Any, valid: Any,
         counts: Counter[str]) -> Fix | None:
    if valid is not None and str(valid).strip().lower() in _FALSE:
        counts["invalid"] += 1
        return None
    missing = [c for c, v in (("deviceId", device), ("fixTime", time), ("latitude", lat), ("longitude", lon))
               if v is None or str(v).strip() == ""]
    if missing:
        raise InvalidData(f"line {where}: no {missing[0]}", file=str(path), row=where, column=missing[0],
                          fix="every position needs deviceId, fixTime, latitude and longitude")
    la, lo = _number(path, where, "latitude", lat), _number(path, where, "longitude", lon)
    check_coordinates(path, where, la, lo)
    return Fix(path, where, _asset(device, name), _time(path, where, time), la, lo)


def _read_json(path: Path, counts: Counter[str]) -> list[Fix]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise InvalidData(f"line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})"
                          + (" - the file looks truncated" if err.pos >= len(err.doc.rstrip()) - 1
                             or err.msg.startswith("Unterminated string") else ""),
                          file=str(path), row=err.lineno, fix="export the positions again, whole") from None
    except UnicodeDecodeError:
        raise InvalidData("not UTF-8 text", file=str(path), fix="export the positions as UTF-8 JSON") from None
    items = data.get("positions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InvalidData("expected a JSON list of positions (what /api/positions returns)", file=str(path),
                          fix="export the positions from /api/positions or /api/reports/route")
    fixes = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidData(f"position {index} (counting from 1) is not a JSON object", file=str(path), row=index,
                              fix="each position must be an object with deviceId, fixTime, latitude, longitude")
        keys = {plain_key(k): v for k, v in item.items()}
        fields = {f.name: next((keys[plain_key(a)] for a in f.aliases if plain_key(a) in keys), None) for f in FIELDS}
        fix = _fix(path, index, fields["device_id"], fields["device_name"], fields["time"], fields["lat"],
                   fields["lon"], fields["valid"], counts)
        if fix is not None:
            fixes.append(fix)
    return fixes


def _read_csv(path: Path, counts: Counter[str], warnings: list[str]) -> list[Fix]:
    table = read_table(path, FIELDS, warnings)
    complete = path.read_bytes().endswith(b"\n")
    fixes = []
    for k, (line, row) in enumerate(table.rows):
        if k == len(table.rows) - 1 and not complete and not all(row.get(f) for f in ("device_id", "time", "lat", "lon")):
            counts["truncated"] += 1  # a cut-off last line of a partial export
            continue
        fix = _fix(path, line, row["device_id"], row.get("device_name"), row["time"], row["lat"], row["lon"],
                   row.get("valid"), counts)
        if fix is not None:
            fixes.append(fix)
    return fixes


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert Traccar position exports (.json or .csv; a file or a folder) into `movements.csv`."""
    counts: Counter[str] = Counter()
    warnings: list[str] = []
    fixes: list[Fix] = []
    for path in source_files(source, (".json", ".csv")):
        fixes += _read_json(path, counts) if path.suffix.lower() == ".json" else _read_csv(path, counts, warnings)
    rows = movements(fixes, counts)
    write_table(out_dir, "movements", rows)
    return warnings + report(Path(source).name, rows, counts, {
        "invalid": "fix(es) flagged invalid by the device (valid = false) skipped",
        "truncated": "cut-off last line (incomplete export) skipped",
    })


ADAPTER = Adapter(
    name="traccar",
    title="Traccar positions (API JSON or tc_positions CSV)",
    description=(
        "Reads Traccar position exports: JSON from /api/positions or /api/reports/route, or the tc_positions "
        "table as CSV (deviceid, fixtime, latitude, longitude, valid). Writes `movements`: asset = device name "
        "if exported, else traccar-<deviceId>; time = fixTime in UTC. Invalid fixes (valid = false) and a "
        "cut-off last CSV line are skipped and counted; positions are sorted by device and time (out-of-order "
        "ones counted) and repeats dropped and counted; out-of-range coordinates (or latitude/longitude "
        "swapped) and truncated JSON stop the conversion naming the line or position."
    ),
    tables=("movements",),
    convert=convert,
)
