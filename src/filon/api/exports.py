"""Alert lists as files, streamed so a large list never sits whole in a response buffer.

CSV cells that a spreadsheet would run as formulas are neutralised (`escape_cell`); GeoJSON
places each alert on its subject's geometry (null geometry when it has none).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from fastapi.responses import StreamingResponse

from filon.api.geo import alert_geometry
from filon.api.workspace_data import WorkspaceData
from filon.detect.alerts import ALERT_COLUMNS
from filon.detect.output import escape_cell

COLUMNS = (*ALERT_COLUMNS, "triage_status", "assignee")
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet", "geojson": "application/geo+json"}


def _flat(a: dict[str, Any], book: dict[str, dict[str, Any]]) -> dict[str, Any]:
    t = book.get(a["alert_id"]) or {}
    return {**{c: a.get(c) for c in ALERT_COLUMNS}, "evidence": json.dumps(a.get("evidence"), ensure_ascii=False),
            "triage_status": t.get("status", "new"), "assignee": t.get("assignee")}


def _csv(rows: list[dict[str, Any]], book: dict) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    writer.writeheader()
    for i, a in enumerate(rows, 1):
        writer.writerow({k: escape_cell(v) for k, v in _flat(a, book).items()})
        if i % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _parquet(rows: list[dict[str, Any]], book: dict) -> Iterator[bytes]:
    schema = pa.schema([(c, pa.float64() if c in ("score", "value_at_risk_usd") else pa.string()) for c in COLUMNS])
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for start in range(0, max(len(rows), 1), 1000):
            chunk = [_flat(a, book) for a in rows[start: start + 1000]]
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    data = sink.getvalue()
    for start in range(0, len(data), 65536):
        yield data[start: start + 65536]


def _geojson(rows: list[dict[str, Any]], book: dict, data: WorkspaceData) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    for i, a in enumerate(rows):
        geom = alert_geometry(data, a)
        props = {k: v for k, v in _flat(a, book).items() if k != "evidence"}
        feature = {"type": "Feature", "id": a["alert_id"], "properties": props,
                   "geometry": json.loads(shapely.to_geojson(geom)) if geom is not None else None}
        yield ("," if i else "") + json.dumps(feature, ensure_ascii=False)
    yield "]}"


def stream_export(rows: list[dict[str, Any]], book: dict, fmt: str, data: WorkspaceData) -> StreamingResponse:
    body = {"csv": lambda: _csv(rows, book), "parquet": lambda: _parquet(rows, book),
            "geojson": lambda: _geojson(rows, book, data)}[fmt]()
    return StreamingResponse(body, media_type=MEDIA[fmt],
                             headers={"Content-Disposition": f'attachment; filename="filon-alerts.{fmt}"'})
