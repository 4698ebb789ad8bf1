"""Read the CSV exports agencies actually publish, whatever their encoding and separator.

National listings come out of Excel and legacy systems: Latin-1 / Windows-1252 instead of UTF-8,
`;` instead of `,` (because the decimal separator is a comma), a BOM, padded cells, title lines
above the header and headers with or without accents. This module absorbs those differences once
so each adapter only states which columns it needs, under which spellings.

Line numbers are physical lines of the file as a spreadsheet shows them: the header is line 1
(or lower if titles sit above it) and the first data row is the line after it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filon.errors import InvalidData, UsageError

_DELIMITERS = (",", ";", "\t", "|")
_HEADER_SEARCH_LINES = 20


def plain_key(text: str) -> str:
    """Header/name comparison key: no accents, case or punctuation ("FECHA NUMERACIÓN" == "fecha numeracion")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", plain).upper().split())


@dataclass(frozen=True)
class Field:
    """A column an adapter reads: its logical name and the header spellings sources use for it."""

    name: str
    aliases: tuple[str, ...]
    required: bool = True


@dataclass
class SourceTable:
    """A decoded CSV file: rows keyed by logical field name, each with its physical line number."""

    path: Path
    header: list[str]
    header_line: int
    columns: dict[str, str]  # logical field -> header text as written in the file
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","

    def has(self, name: str) -> bool:
        return name in self.columns

    def column(self, name: str) -> str:
        """Header text of a field as the file spells it, for messages."""
        return self.columns.get(name, name)


def source_files(source: Path, suffixes: Sequence[str]) -> list[Path]:
    """The input files: the source itself, or every file with a matching suffix in a folder."""
    source = Path(source)
    if source.is_file():
        return [source]
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
        if not files:
            raise UsageError(f"folder {source} holds no {'/'.join(suffixes)} file to convert")
        return files
    raise UsageError(f"source {source} does not exist")


def decode(path: Path, warnings: list[str]) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    warnings.append(f"{path.name}: not UTF-8; read as {encoding} (Latin-1 / Windows-1252). "
                    "Check accented names in the output.")
    return text, encoding


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into many columns, the same number on many lines.

    Scored as (number of columns) x (lines with that number): a decimal comma in a `;` file splits
    a few cells, the real delimiter splits every line into the header's width.
    """
    head = "\n".join(text.splitlines()[:_HEADER_SEARCH_LINES + 5])
    best, best_score = ",", 0
    for delim in _DELIMITERS:
        widths = Counter(len(r) for r in csv.reader(io.StringIO(head), delimiter=delim) if any(r))
        score = max((width * lines for width, lines in widths.items() if width > 1), default=0)
        if score > best_score:
            best, best_score = delim, score
    return best


def _match(header: list[str], fields: Iterable[Field]) -> dict[str, str]:
    keys = {plain_key(h): h for h in reversed(header) if h}
    found = {}
    for f in fields:
        for alias in f.aliases:
            if plain_key(alias) in keys:
                found[f.name] = keys[plain_key(alias)]
                break
    return found


def missing_columns(path: Path, header: list[str], names: Sequence[str], fix: str = "") -> InvalidData:
    """The error for expected columns that are absent, listing what the file does have."""
    found = ", ".join(repr(h) for h in header if h) or "none"
    also = f" (also accepted: {', '.join(repr(n) for n in names[1:])})" if len(names) > 1 else ""
    return InvalidData(
        f"missing column {names[0]!r}{also}; the columns found are: {found}",
        file=str(path), column=names[0],
        fix=fix or "export the listing with this column, or rename the column that holds it")


def read_table(path: Path, fields: Sequence[Field], warnings: list[str]) -> SourceTable:
    """Decode, find the header among the first lines, and key each row by logical field name."""
    text, encoding = decode(path, warnings)
    delim = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    records: list[tuple[int, list[str]]] = []
    last = 0
    for record in reader:
        records.append((last + 1, [c.replace("\xa0", " ").strip() for c in record]))
        last = reader.line_num
    records = [(n, r) for n, r in records if any(r)]
    if not records:
        raise InvalidData("the file is empty", file=str(path), fix="export the listing again with its rows")
    required = [f for f in fields if f.required]
    best: tuple[int, int, list[str], dict[str, str]] | None = None
    for index, (_, cells) in enumerate(records[:_HEADER_SEARCH_LINES]):
        columns = _match(cells, fields)
        score = sum(f.name in columns for f in required)
        if best is None or score > best[0] or (score == best[0] and len(columns) > len(best[3])):
            best = (score, index, cells, columns)
        if score == len(required):
            break
    assert best is not None
    _, index, header, columns = best
    missing = [f for f in required if f.name not in columns]
    if missing:
        raise missing_columns(path, header, missing[0].aliases)
    table = SourceTable(path=path, header=header, header_line=records[index][0], columns=columns,
                        encoding=encoding, delimiter=delim)
    positions = {name: header.index(col) for name, col in columns.items()}
    for line, cells in records[index + 1:]:
        if len(cells) > len(header) and any(cells[len(header):]):
            raise InvalidData(
                f"line {line} has {len(cells)} values but the header has {len(header)} columns",
                file=str(path), row=line,
                fix=f"put values that contain {delim!r} between double quotes, or save the file again")
        table.rows.append((line, {name: cells[pos] if pos < len(cells) else ""
                                  for name, pos in positions.items()}))
    return table
