"""Read one table file into DuckDB for checking, reporting structure problems.

Two paths. The fast one: DuckDB's CSV reader parses numbers and dates itself and writes the
file straight to a staging Parquet file in the standard's storage types; when no line is
rejected, that file is checked and becomes the stored batch as it is (one parse, one write).
The careful one, taken as soon as any line is rejected (and for Parquet input): every cell
staged as text in a temporary table, so each bad cell is reported with its original value.
Either way the staged rows are seen through a view named `stage` with a `__rowid` column in
file order. DuckDB streams the file, so a file larger than RAM never enters Python memory.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from filon.engine.duckdb import quote_ident, sql_literal
from filon.standard.model import Table
from filon.validate.problems import Problem, ValidationReport

#: Delimiters people send instead of commas, with the name we show them.
WRONG_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


@dataclass
class StagedFile:
    """A table file staged as text in DuckDB, ready for cell checks and loading."""

    table: Table
    path: Path
    stage: str                      # DuckDB view with a `__rowid` column in file order
    columns: list[str]              # staged column names, in file order (standard names where matched)
    row_offset: int                 # add to __rowid to get the row number users see
    rows: int = 0
    structural_errors: bool = False
    extra_columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    #: Columns staged in their storage type (numbers, dates) rather than as text.
    typed: frozenset[str] = frozenset()
    #: On the fast path: the staged Parquet file, already in the stored layout.
    parquet: Path | None = None
    #: Whether the primary key repeats; None until the cell scan has looked.
    duplicate_keys: bool | None = None

    def cell(self, name: str, prefix: str = "") -> str:
        """SQL of a cell as checks see it: the typed value, or the text with '' as NULL."""
        ref = prefix + quote_ident(name)
        return ref if name in self.typed else f"NULLIF({ref}, '')"

    def row_sql(self) -> str:
        return f"(__rowid + {self.row_offset})"


def stage_file(con: duckdb.DuckDBPyConnection, table: Table, path: Path, stage: str,
               report: ValidationReport, staging: Path) -> StagedFile | None:
    """Stage `path` as view `stage`; return None when the file cannot be read at all.

    `staging` is a folder for the fast path's Parquet file (on the workspace's disk when
    ingesting, so the file can be moved into place rather than copied).
    """
    if path.stat().st_size == 0:
        report.add(_file_problem(path, table, "empty_file", "the file is empty",
                                 "export the table again; an empty file has not even a header row"))
        return None
    if path.suffix.lower() == ".parquet":
        return _stage_parquet(con, table, path, stage, report)
    return _stage_csv(con, table, path, stage, report, staging)


def _file_problem(path: Path, table: Table, code: str, message: str, fix: str,
                  *, row: int | None = None, column: str | None = None, value: str | None = None,
                  severity: str = "error") -> Problem:
    return Problem(severity=severity, code=code, message=message, fix=fix, file=str(path),  # type: ignore[arg-type]
                   table=table.name, row=row, column=column, value=value)


def _read_head(path: Path) -> tuple[bytes, str, int | None]:
    """The first 256 KiB, the encoding they suggest, and the line of the first non-UTF-8 byte."""
    with path.open("rb") as fh:
        head = fh.read(256 * 1024)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head, "utf-16", None
    try:
        head.decode("utf-8")
        return head, "utf-8", None
    except UnicodeDecodeError as err:
        if err.start >= len(head) - 3:  # a multi-byte character cut at the sample's end is still UTF-8
            return head, "utf-8", None
        return head, "latin-1", head.count(b"\n", 0, err.start) + 1


def _latin1_warning(path: Path, table: Table, line: int | None) -> Problem:
    return _file_problem(
        path, table, "not_utf8", "the file is not UTF-8; it was read as Latin-1 (ISO-8859-1)", row=line,
        fix="check that accented names read correctly, and save the file as UTF-8 to silence this",
        severity="warning")


def _header(path: Path, table: Table, report: ValidationReport) -> tuple[list[str], str] | None:
    head, encoding, bad_line = _read_head(path)
    if encoding == "utf-16":
        report.add(_file_problem(path, table, "bad_encoding", "the file is UTF-16, not UTF-8",
                                 "save it as 'CSV UTF-8 (comma delimited)'"))
        return None
    if encoding == "latin-1":
        report.add(_latin1_warning(path, table, bad_line))
    text = head.decode("utf-8" if encoding == "utf-8" else "latin-1", errors="replace").lstrip("\ufeff")
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0].rstrip("\r"))), [])
    if len(first) <= 1:
        line = first[0] if first else ""
        for sep, name in WRONG_DELIMITERS.items():
            if sep in line:
                report.add(_file_problem(
                    path, table, "wrong_delimiter", f"columns are separated by {name}, not commas", row=1,
                    value=line[:120], fix="save the file as CSV with commas between columns "
                    "(in a spreadsheet: 'CSV UTF-8 (comma delimited)'), or ingest it with a national adapter"))
                return None
    return first, encoding


def _normalize_header(path: Path, table: Table, header: list[str], report: ValidationReport) -> list[str] | None:
    """Map header cells to standard column names; report missing, duplicate and unknown columns."""
    names: list[str] = []
    for raw in header:
        name = raw.strip()
        lowered = re.sub(r"\s+", "_", name.lower())
        if name not in table.by_name and lowered in table.by_name:
            report.add(_file_problem(path, table, "renamed_column", f"column '{raw}' was read as '{lowered}'",
                                     f"name the column exactly '{lowered}'", row=1, column=raw, severity="warning"))
            name = lowered
        names.append(name)
    ok = True
    seen: set[str] = set()
    for name in names:
        if not name:
            report.add(_file_problem(path, table, "empty_header", "a column has no name in the header row",
                                     "give every column a name, or delete the empty column", row=1))
            ok = False
        elif name in seen:
            report.add(_file_problem(path, table, "duplicate_column", "the column appears twice in the header",
                                     "keep one of the two columns", row=1, column=name))
            ok = False
        seen.add(name)
    for col in table.required:
        if col.name not in seen:
            report.add(_file_problem(
                path, table, "missing_column", "a required column is missing from the header",
                f"add a column named '{col.name}' ({col.description.rstrip('.')}); columns found: "
                f"{', '.join(n for n in names if n) or 'none'}", row=1, column=col.name))
            ok = False
    for name in names:
        if name and name not in table.by_name:
            report.add(_file_problem(
                path, table, "unknown_column", "the column is not part of the standard; it is kept as text",
                "nothing to do if it is intended; check the spelling otherwise", row=1, column=name,
                severity="warning"))
    return names if ok else None


def _restage(con: duckdb.DuckDBPyConnection, stage: str, path: Path, names: list[str], encoding: str,
             rejects: str, types: dict[str, str] | None = None) -> None:
    """(Re)create the staging table; rejects of an earlier attempt are dropped, not appended to."""
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stage}_text AS {_read_csv_sql(path, names, encoding, rejects, types)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS SELECT rowid AS __rowid, * FROM {stage}_text")


def stored_projection(table: Table, names: list[str], source: dict[str, str]) -> list[str]:
    """SELECT items giving the stored layout: every standard column in schema order (NULL when
    absent), then the file's extra columns. `source[name]` is the SQL of a present column."""
    items = [f"{source[c.name] if c.name in names else f'CAST(NULL AS {c.storage_type})'} AS {quote_ident(c.name)}"
             for c in table.columns]
    return items + [f"{source[n]} AS {quote_ident(n)}" for n in names if n not in table.by_name]


def _try_fast(con: duckdb.DuckDBPyConnection, table: Table, stage: str, path: Path, names: list[str],
              encoding: str, rejects: str, target: Path) -> bool:
    """Parse with the CSV reader's own typing straight into a Parquet file in the stored layout.

    Returns False (leaving nothing behind) when any line is rejected or a column needs a type
    the reader cannot parse reliably (date-times); the text path then reports every cell.
    """
    if any(table.by_name[n].type == "datetime" for n in names if n in table.by_name):
        return False
    types = _fast_types(table, names)
    source = {n: quote_ident(n) if n in types else f"NULLIF({quote_ident(n)}, '')" for n in names}
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
    try:
        con.execute(f"COPY (SELECT {', '.join(stored_projection(table, names, source))} "
                    f"FROM ({_read_csv_sql(path, names, encoding, rejects, types)})) "
                    f"TO {sql_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)")
    except duckdb.Error:
        target.unlink(missing_ok=True)
        return False
    if con.execute(f"SELECT count(*) FROM {rejects}").fetchone()[0]:  # type: ignore[index]
        target.unlink(missing_ok=True)
        return False
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS SELECT file_row_number AS __rowid, * EXCLUDE (file_row_number) "
                f"FROM read_parquet({sql_literal(str(target))}, file_row_number = true)")
    return True


#: Column types the CSV reader parses itself on the fast path (C++ parsing, no SQL casts).
FAST_TYPES = {"number": "DOUBLE", "integer": "BIGINT", "date": "DATE"}


def _fast_types(table: Table, names: list[str]) -> dict[str, str]:
    return {n: FAST_TYPES[table.by_name[n].type] for n in names
            if n in table.by_name and table.by_name[n].type in FAST_TYPES}


def _read_csv_sql(path: Path, names: list[str], encoding: str, rejects: str,
                  types: dict[str, str] | None = None) -> str:
    types = types or {}
    columns = "{" + ", ".join(f"{sql_literal(n)}: '{types.get(n, 'VARCHAR')}'" for n in names) + "}"
    return (f"SELECT * FROM read_csv({sql_literal(str(path))}, header = true, delim = ',', quote = '\"', "
            f"escape = '\"', auto_detect = false, columns = {columns}, strict_mode = true, dateformat = '%Y-%m-%d', "
            f"encoding = '{encoding}', store_rejects = true, rejects_table = '{rejects}', "
            f"rejects_scan = '{rejects}_scan')")


def _stage_csv(con: duckdb.DuckDBPyConnection, table: Table, path: Path, stage: str,
               report: ValidationReport, staging: Path) -> StagedFile | None:
    found = _header(path, table, report)
    if found is None:
        return None
    header, encoding = found
    names = _normalize_header(path, table, header, report)
    if names is None:
        return None
    rejects = f"{stage}_rejects"
    target = staging / f"{table.name}.parquet"
    if _try_fast(con, table, stage, path, names, encoding, rejects, target):
        staged = StagedFile(table=table, path=path, stage=stage, columns=names, row_offset=2, encoding=encoding,
                            extra_columns=[n for n in names if n not in table.by_name],
                            typed=frozenset(_fast_types(table, names)), parquet=target)
        staged.rows = con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0]  # type: ignore[index]
        return staged
    try:
        _restage(con, stage, path, names, encoding, rejects)
    except duckdb.Error as err:
        if "unicode" not in str(err).lower() or encoding != "utf-8":
            report.add(_file_problem(path, table, "unreadable", f"the file cannot be read as CSV: {_first_line(err)}",
                                     "check that it is a comma-separated text file exported from the source system"))
            return None
        report.add(_latin1_warning(path, table, _line_of(err)))
        encoding = "latin-1"
        _restage(con, stage, path, names, encoding, rejects)
    if encoding == "utf-8":
        bad = con.execute(f"SELECT min(line) FROM {rejects} WHERE error_type = 'INVALID ENCODING'").fetchone()
        if bad and bad[0] is not None:  # a non-UTF-8 byte past the sniffed head of the file
            report.add(_latin1_warning(path, table, int(bad[0])))
            encoding = "latin-1"
            _restage(con, stage, path, names, encoding, rejects)
    staged = StagedFile(table=table, path=path, stage=stage, columns=names, row_offset=2, encoding=encoding,
                        extra_columns=[n for n in names if n not in table.by_name])
    staged.rows = con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0]  # type: ignore[index]
    _report_rejects(con, staged, rejects, report)
    return staged


def _report_rejects(con: duckdb.DuckDBPyConnection, staged: StagedFile, rejects: str,
                    report: ValidationReport) -> None:
    rows = con.execute(f"SELECT line, arg_min(column_name, column_idx), arg_min(error_type, column_idx), "
                       f"arg_min(csv_line, column_idx) FROM {rejects} GROUP BY line ORDER BY line").fetchall()
    if not rows:
        return
    staged.structural_errors = True
    last_line = rows[-1][0]
    with staged.path.open("rb") as fh:
        fh.seek(-1, 2)
        ends_cleanly = fh.read(1) == b"\n"
    for line, column, kind, text in rows[:50]:
        truncated = line == last_line and not ends_cleanly and kind in ("MISSING COLUMNS", "UNQUOTED VALUE")
        if truncated:
            message = "the last line is incomplete: the file looks truncated"
            fix = "export or copy the file again; it was cut off before its end"
        elif kind == "MISSING COLUMNS":
            message = "the line has fewer cells than the header"
            fix = "add the missing cells (empty ones too) so every line has one cell per header column"
        elif kind == "TOO MANY COLUMNS":
            message = "the line has more cells than the header"
            fix = "quote values that contain commas (\"Minera, S.A.C.\") or remove the extra cells"
        elif kind == "UNQUOTED VALUE":
            message = "a quoted value is not closed"
            fix = "close the quote, and double any quote inside a value (\"\")"
        else:
            message = f"the line cannot be read ({kind.lower()})"
            fix = "check the quoting and the number of cells on this line"
        report.add(_file_problem(staged.path, staged.table, "bad_line", message, fix, row=int(line),
                                 column=column, value=(text or "").rstrip("\r\n")[:200]))
    if len(rows) > 50:
        report.problems[-1].count = len(rows) - 49
    report.add(_file_problem(staged.path, staged.table, "cells_not_checked",
                             "cell checks were skipped because some lines could not be read",
                             "fix the lines above and validate again", severity="warning"))


def _stage_parquet(con: duckdb.DuckDBPyConnection, table: Table, path: Path, stage: str,
                   report: ValidationReport) -> StagedFile | None:
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_literal(str(path))})").fetchall()
    except duckdb.Error as err:
        report.add(_file_problem(path, table, "unreadable", f"the Parquet file cannot be read: {_first_line(err)}",
                                 "write the file again; it may be truncated or not Parquet at all"))
        return None
    names = _normalize_header(path, table, [r[0] for r in schema], report)
    if names is None:
        return None
    selects = []
    for (orig, dtype, *_), name in zip(schema, names):
        src = quote_ident(orig)
        if dtype in ("BLOB", "GEOMETRY") and table.by_name.get(name) and table.by_name[name].type == "geometry":
            expr = f"filon_wkb_to_wkt({src})"
        else:
            expr = f"CAST({src} AS VARCHAR)"
        selects.append(f"{expr} AS {quote_ident(name)}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stage}_text AS SELECT {', '.join(selects)} "
                    f"FROM read_parquet({sql_literal(str(path))})")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS SELECT rowid AS __rowid, * FROM {stage}_text")
    except duckdb.Error as err:
        report.add(_file_problem(path, table, "unreadable", f"the Parquet file cannot be read: {_first_line(err)}",
                                 "write the file again; it may be truncated or corrupt"))
        return None
    staged = StagedFile(table=table, path=path, stage=stage, columns=names, row_offset=1,
                        extra_columns=[n for n in names if n not in table.by_name])
    staged.rows = con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0]  # type: ignore[index]
    return staged


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0][:300]


def _line_of(err: Exception) -> int | None:
    match = re.search(r"Line:\s*(\d+)", str(err))
    return int(match.group(1)) if match else None
