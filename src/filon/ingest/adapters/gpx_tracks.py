"""GPX 1.0/1.1 tracks (handheld GPS, phone apps, fleet exports) → `movements`.

Each `<trk>` is one asset: its `<name>`, else the file name (plus the track's number when a file
holds several unnamed tracks). Each `<trkpt>` with a `<time>` is a position. Parsed with expat,
streaming, and with every DTD refused: a GPX file never needs one, and refusing it closes the
door on external entities (XXE) and entity-expansion bombs without a third-party parser.
"""

from __future__ import annotations

import datetime as dt
import xml.parsers.expat
from collections import Counter
from pathlib import Path

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._package import write_table
from filon.ingest.adapters._read import source_files
from filon.ingest.adapters._tracking import (
    Fix,
    check_coordinates,
    movements,
    report,
    utc,
)


class _Refused(Exception):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _time(path: Path, line: int, text: str) -> dt.datetime:
    try:
        return utc(dt.datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InvalidData(f"line {line}: the point's <time> is not an ISO 8601 date-time", file=str(path), row=line,
                          column="time", value=text.strip(), fix="write times as 2024-03-31T14:05:00Z") from None


class _Reader:
    """Expat callbacks collecting track points with the line each starts on."""

    def __init__(self, path: Path, counts: Counter[str]) -> None:
        self.path, self.counts = path, counts
        self.fixes: list[Fix] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tracks = 0
        self.track_name: str | None = None
        self.pending: list[tuple[int, float, float, str | None]] = []
        self.point: tuple[int, float, float] | None = None
        self.point_time: str | None = None

    def start(self, tag: str, attrs: dict[str, str], line: int) -> None:
        name = _local(tag)
        self.stack.append(name)
        self.text = []
        if name == "trk":
            self.tracks += 1
            self.track_name, self.pending = None, []
        elif name == "trkpt":
            try:
                lat, lon = float(attrs["lat"]), float(attrs["lon"])
            except (KeyError, ValueError):
                raise InvalidData(f"line {line}: <trkpt> needs numeric lat and lon attributes", file=str(self.path),
                                  row=line, column="lat/lon", value=str(attrs),
                                  fix='write <trkpt lat="-12.6" lon="-69.2">') from None
            check_coordinates(self.path, line, lat, lon)
            self.point, self.point_time = (line, lat, lon), None

    def end(self, tag: str) -> None:
        name = _local(tag)
        text = "".join(self.text).strip()
        parent = self.stack[-2] if len(self.stack) > 1 else ""
        self.stack.pop()
        self.text = []
        if name == "name" and parent == "trk":
            self.track_name = text or None
        elif name == "time" and parent == "trkpt":
            self.point_time = text
        elif name == "trkpt" and self.point is not None:
            line, lat, lon = self.point
            self.pending.append((line, lat, lon, self.point_time))
            self.point = None
        elif name == "trk":
            asset = self.track_name or f"{self.path.stem}-trk{self.tracks}"
            for line, lat, lon, when in self.pending:
                if not when:
                    self.counts["no_time"] += 1
                    continue
                self.fixes.append(Fix(self.path, line, asset, _time(self.path, line, when), lat, lon))
            self.pending = []


def _read(path: Path, counts: Counter[str]) -> list[Fix]:
    reader = _Reader(path, counts)
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: object) -> None:
        raise _Refused()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = lambda tag, attrs: reader.start(tag, attrs, parser.CurrentLineNumber)
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = lambda data: reader.text.append(data)  # reader.text is replaced per element
    try:
        with path.open("rb") as fh:
            parser.ParseFile(fh)
    except _Refused:
        raise InvalidData(f"line {parser.CurrentLineNumber}: the file declares a DTD or entities, which GPX never "
                          "needs and which are refused for safety (XML external entities)", file=str(path),
                          row=parser.CurrentLineNumber,
                          fix="export the track again as plain GPX, without <!DOCTYPE> or <!ENTITY>") from None
    except xml.parsers.expat.ExpatError as err:
        truncated = "no element found" in str(err) or "unclosed token" in str(err)
        raise InvalidData(f"line {err.lineno}, column {err.offset + 1}: "
                          + ("the file ends in the middle of the XML (truncated download or copy)" if truncated
                             else f"not well-formed XML ({xml.parsers.expat.ErrorString(err.code)})"),
                          file=str(path), row=err.lineno,
                          fix="download or export the GPX file again, whole") from None
    if reader.tracks == 0:
        raise InvalidData("no <trk> track in the file (waypoints and planned routes carry no times)", file=str(path),
                          fix="export the recorded track (<trk>), not waypoints or a route")
    return reader.fixes


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert GPX files (a file or a folder of .gpx) into `movements.csv`.

    Points without a <time> cannot be placed on a timeline; they are skipped and counted. Times
    without an offset are UTC (the GPX schema says so).
    """
    counts: Counter[str] = Counter()
    fixes: list[Fix] = []
    for path in source_files(source, (".gpx",)):
        fixes += _read(path, counts)
    if not fixes:
        raise InvalidData("no track point with a time in the GPX file(s)", file=str(source),
                          fix="export a recorded track, whose points carry <time>")
    rows = movements(fixes, counts)
    write_table(out_dir, "movements", rows)
    return report(Path(source).name, rows, counts, {"no_time": "track point(s) without <time> skipped"})


ADAPTER = Adapter(
    name="gpx_tracks",
    title="GPX tracks (GPS loggers, phone apps, fleet exports)",
    description=(
        "Reads GPX 1.0/1.1 files (one file or a folder of .gpx). Writes `movements`: one asset per <trk> "
        "(its <name>, else the file name and track number), one position per <trkpt> with its <time> (UTC). "
        "Points are sorted by asset and time (out-of-order ones counted), exact repeats dropped and counted, "
        "points without a time skipped and counted; coordinates outside WGS84 ranges and truncated or "
        "malformed XML stop the conversion naming the line. DTDs and entities are refused (no XXE). "
        "cargo and route_id are left empty: add them to movements.csv before ingesting if known."
    ),
    tables=("movements",),
    convert=convert,
)
