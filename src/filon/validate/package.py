"""Validate a data package: find its table files, stage them, and run every check.

The staged tables are kept on the connection so that ingestion loads exactly the rows
that were validated, without reading the files a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import shutil
import tempfile
from pathlib import Path

import duckdb

from filon.engine.duckdb import connect
from filon.errors import UsageError
from filon.standard.model import Standard, load_standard
from filon.validate.problems import Problem, ValidationReport
from filon.validate.reader import StagedFile, stage_file
from filon.validate.rules import check_cells, check_geometry, check_keys, check_references, check_tax_ids
from filon.validate.udfs import register_udfs

#: Files in a package folder that are not tables and are skipped without a warning.
NOT_TABLES = {"datapackage.json", "readme.md", "readme.txt", "provenance.md", "ground_truth.csv"}


@dataclass
class StagedPackage:
    """What validation left on the connection: one staged view per file, and its staging folder."""

    con: duckdb.DuckDBPyConnection
    report: ValidationReport
    staging: Path
    files: dict[str, StagedFile] = field(default_factory=dict)
    own_staging: bool = False

    def close(self) -> None:
        """Drop the staged rows (and the staging folder, if validation created it)."""
        self.con.close()
        if self.own_staging:
            shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> "StagedPackage":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def find_table_files(folder: Path, std: Standard, tables: Iterable[str] | None,
                     report: ValidationReport) -> dict[str, Path]:
    """Map table name -> file for every `<table>.csv|.parquet` in `folder`."""
    if not folder.exists():
        raise UsageError(f"{folder} does not exist. Give the folder that holds the package's CSV or Parquet files.")
    if folder.is_file():
        candidates = [folder]
    else:
        candidates = sorted(p for p in folder.iterdir() if p.is_file())
    wanted = set(tables) if tables else None
    if wanted:
        unknown = wanted - set(std.names)
        if unknown:
            raise UsageError(f"unknown table(s): {', '.join(sorted(unknown))}. Tables of the standard: {', '.join(std.names)}")
    found: dict[str, Path] = {}
    for path in candidates:
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if path.name.lower() in NOT_TABLES or path.name.startswith("."):
            continue
        if suffix not in (".csv", ".parquet") or stem not in std:
            report.add(Problem("warning", "unknown_file", "the file is not a table of the standard and was ignored",
                               f"name table files <table>.csv or <table>.parquet, tables being: {', '.join(std.names)}",
                               file=str(path)))
            continue
        if wanted and stem not in wanted:
            continue
        if stem in found:
            raise UsageError(f"{found[stem].name} and {path.name} both hold table '{stem}'. Keep only one of them.")
        found[stem] = path
    if not found:
        where = folder if folder.is_dir() else folder.parent
        raise UsageError(f"no table files found in {where}. Expected files such as actors.csv, trades.csv or "
                         f"exports.parquet (tables: {', '.join(std.names)}).")
    return found


def validate_package(folder: Path, *, tables: Iterable[str] | None = None,
                     con: duckdb.DuckDBPyConnection | None = None,
                     known_ids: dict[tuple[str, str], str] | None = None,
                     progress: Callable[[str], None] = lambda _m: None,
                     staging: Path | None = None) -> StagedPackage:
    """Validate every table file in `folder` and keep the staged rows on `con`.

    `known_ids` maps (table, column) to a SQL query listing ids that exist outside the package
    (for instance in a workspace), so references to them are not reported as dangling.
    `staging`: folder for staged Parquet files; a temporary one (removed by `close()`) if None.
    """
    std = load_standard()
    folder = Path(folder)
    report = ValidationReport(package=str(folder))
    files = find_table_files(folder, std, tables, report)
    con = con or connect()
    register_udfs(con)
    own = staging is None
    staging = Path(tempfile.mkdtemp(prefix="filon-staging-")) if staging is None else staging
    staged = StagedPackage(con=con, report=report, staging=staging, own_staging=own)
    try:
        for name, path in files.items():
            report.files[name] = str(path)
            progress(f"reading {path.name}")
            item = stage_file(con, std[name], path, f"stage_{name}", report, staging)
            if item is None:
                continue
            staged.files[name] = item
            report.rows_read[name] = item.rows
            if item.rows == 0:
                report.add(Problem("warning", "no_rows", "the file has a header but no data rows",
                                   "nothing to do if the table is empty on purpose", file=str(path), table=name))
            if item.structural_errors:
                continue
            progress(f"checking {path.name} ({item.rows:,} rows)")
            check_cells(con, item, report)
            check_tax_ids(con, item, report)
            check_geometry(con, item, report)
            check_keys(con, item, report)
        progress("checking references between tables")
        check_references(con, std, staged.files, report, known_ids or {})
    except BaseException:  # a hostile file or an interrupt: leave no staged copy behind
        staged.close()
        raise
    return staged
