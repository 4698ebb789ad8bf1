"""NMEA 0183 logs ($GPRMC / $GPGGA and other talkers: $GN, $GL...) → `movements`.

A raw log of one receiver, so one asset per file (its name without extension). RMC sentences carry
date and time; GGA only the time of day, so a GGA is dated by the last RMC before it (one that
comes first cannot be dated and is counted). Every sentence's checksum (XOR of the characters
between `$` and `*`) is verified.

Tolerance: serial links corrupt a few sentences and a log cut off mid-write ends with a partial
one. Up to `MAX_CORRUPT_SHARE` of a file's position sentences (at least one, plus a cut-off last
line) may be corrupt, i.e. fail their checksum, lack one, or be cut short: they are skipped and counted in
the report. Beyond that the file is refused, naming the first bad line: a log that damaged is not
evidence. Void fixes (RMC status V, GGA quality 0) are skipped and counted; other sentence types
are ignored and counted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from functools import reduce
from pathlib import Path

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._package import write_table
from filon.ingest.adapters._read import source_files
from filon.ingest.adapters._tracking import Fix, check_coordinates, movements, report

#: Share of position sentences that may be corrupt before a file is refused (see module docstring).
MAX_CORRUPT_SHARE = 0.01
_SENTENCE = re.compile(r"\$(?P<body>(?P<talker>[A-Z]{2})(?P<kind>[A-Z]{3}),[^*$]*)(?:\*(?P<sum>[0-9A-Fa-f]{2}))?\s*$")


def _checksum(body: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), body, 0)


def _degrees(path: Path, line: int, value: str, hemi: str, digits: int) -> float:
    """ddmm.mmmm (dddmm.mmmm for longitude) and N/S/E/W → signed decimal degrees."""
    try:
        deg, minutes = float(value[:digits]), float(value[digits:])
    except ValueError:
        raise InvalidData(f"line {line}: coordinate is not in NMEA ddmm.mmmm form", file=str(path), row=line,
                          column="lat/lon", value=value, fix="the log is damaged; record it again") from None
    if hemi not in ("N", "S", "E", "W") or minutes >= 60:
        raise InvalidData(f"line {line}: coordinate or hemisphere is invalid", file=str(path), row=line,
                          column="lat/lon", value=f"{value},{hemi}", fix="the log is damaged; record it again")
    sign = -1.0 if hemi in ("S", "W") else 1.0
    return sign * (deg + minutes / 60.0)


def _time_of_day(path: Path, line: int, value: str) -> dt.time:
    try:
        hh, mm, ss = int(value[0:2]), int(value[2:4]), float(value[4:])
        return dt.time(hh, mm, int(ss), round((ss % 1) * 1e6) % 1_000_000, tzinfo=dt.UTC)
    except (ValueError, IndexError):
        raise InvalidData(f"line {line}: time of fix is not hhmmss.ss", file=str(path), row=line, column="time",
                          value=value, fix="the log is damaged; record it again") from None


def _read(path: Path, counts: Counter[str]) -> list[Fix]:
    text = path.read_bytes().decode("ascii", errors="replace")
    lines = text.splitlines()
    fixes: list[Fix] = []
    corrupt: list[int] = []
    positions = 0
    day: dt.date | None = None
    asset = path.stem
    for number, raw in enumerate(lines, start=1):
        raw = raw.strip()
        if not raw:
            continue
        m = _SENTENCE.match(raw[raw.find("$"):] if "$" in raw else raw)
        kind = m.group("kind") if m else None
        if kind not in ("RMC", "GGA"):
            if m is None and re.search(r"(RMC|GGA),", raw):
                positions += 1
                corrupt.append(number)
            else:
                counts["other_sentences"] += 1
            continue
        positions += 1
        body, given = m.group("body"), m.group("sum")
        f = body.split(",")
        if given is None or int(given, 16) != _checksum(body) or len(f) < (12 if kind == "RMC" else 10):
            corrupt.append(number)
            continue
        if kind == "RMC":
            if f[2] != "A":
                counts["void"] += 1
                continue
            try:
                day = dt.datetime.strptime(f[9], "%d%m%y").date()
            except ValueError:
                raise InvalidData(f"line {number}: RMC date is not ddmmyy", file=str(path), row=number,
                                  column="date", value=f[9], fix="the log is damaged; record it again") from None
            lat_v, lat_h, lon_v, lon_h, when = f[3], f[4], f[5], f[6], f[1]
        else:
            if not f[6].isdigit() or f[6] == "0":
                counts["void"] += 1
                continue
            if day is None:
                counts["undated"] += 1
                continue
            lat_v, lat_h, lon_v, lon_h, when = f[2], f[3], f[4], f[5], f[1]
        lat, lon = _degrees(path, number, lat_v, lat_h, 2), _degrees(path, number, lon_v, lon_h, 3)
        check_coordinates(path, number, lat, lon)
        fix = Fix(path, number, asset, dt.datetime.combine(day, _time_of_day(path, number, when)), lat, lon)
        if fixes and (fixes[-1].time, fixes[-1].lat, fixes[-1].lon) == (fix.time, fix.lat, fix.lon):
            counts["merged"] += 1  # the RMC and GGA of one fix
            continue
        fixes.append(fix)
    last = max((n for n, r in enumerate(lines, start=1) if r.strip()), default=0)
    inside = [n for n in corrupt if n != last]  # a cut-off last line is always tolerated
    if len(inside) > max(1, int(positions * MAX_CORRUPT_SHARE)):
        first = inside[0]
        raise InvalidData(f"line {first}: {len(inside)} of {positions} position sentences fail their checksum or are "
                          f"cut short (more than the {MAX_CORRUPT_SHARE:.0%} tolerated)", file=str(path), row=first,
                          value=lines[first - 1].strip()[:90],
                          fix="record the log again, or check the serial link's baud rate and cabling")
    counts["corrupt"] += len(corrupt)
    if positions == 0:
        raise InvalidData("no $..RMC or $..GGA sentence in the file", file=str(path),
                          fix="give an NMEA 0183 log with RMC or GGA sentences")
    return fixes


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert NMEA logs (a file or a folder of .nmea/.txt/.log) into `movements.csv`."""
    counts: Counter[str] = Counter()
    fixes: list[Fix] = []
    for path in source_files(source, (".nmea", ".txt", ".log")):
        fixes += _read(path, counts)
    rows = movements(fixes, counts)
    write_table(out_dir, "movements", rows)
    return report(Path(source).name, rows, counts, {
        "corrupt": "corrupt sentence(s) (bad or missing checksum, cut short) skipped, within the tolerance",
        "void": "void fix(es) (RMC status V or GGA quality 0) skipped",
        "undated": "GGA sentence(s) before the first RMC (no date) skipped",
        "merged": "GGA sentence(s) repeating the RMC fix of the same second merged into it",
        "other_sentences": "other sentence(s) (GSA, GSV, VTG...) ignored",
    })


ADAPTER = Adapter(
    name="nmea",
    title="NMEA 0183 GPS logs ($GPRMC / $GPGGA)",
    description=(
        "Reads raw NMEA 0183 logs (a file or a folder of .nmea, .txt or .log), one asset per file named after it. "
        "Writes `movements` from RMC (date and time) and GGA (dated by the last RMC) sentences of any talker, "
        "checksums verified. Up to 1 % of position sentences (and a cut-off last line) may be corrupt: skipped "
        "and counted; more stops the conversion naming the first bad line. Void fixes and GGA before any RMC are "
        "skipped and counted; RMC and GGA of the same second count once; positions are sorted by time."
    ),
    tables=("movements",),
    convert=convert,
)
