"""Validate a package and load it into a workspace, all or nothing.

Rows are written from the very staging tables validation checked, typed by the standard,
with their lineage (batch, source file, row). Files already loaded are recognised by their
content hash and skipped, so re-running an ingest changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from filon.engine.duckdb import quote_ident, sql_literal
from filon.errors import InvalidData, UsageError
from filon.standard.model import Column, load_standard
from filon.store.workspace import Batch, Workspace, now
from filon.validate.package import StagedPackage, find_table_files, validate_package
from filon.validate.problems import MAX_EXAMPLES, Problem, ValidationReport
from filon.validate.reader import StagedFile, stored_projection

Progress = Callable[[str], None]


class IngestRejected(InvalidData):
    """The package did not validate; the workspace was left untouched."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(f"{report.error_count()} problem(s) found in {report.package}; nothing was ingested",
                         fix="run 'filon validate' on the folder, correct the files and ingest again")


@dataclass
class IngestResult:
    workspace: Path
    report: ValidationReport
    loaded: list[Batch] = field(default_factory=list)
    skipped: list[Batch] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_package(folder: Path, workspace: Path, *, tables: list[str] | None = None,
                   adapter: str | None = None, origin: str | None = None,
                   progress: Progress = lambda _m: None) -> IngestResult:
    """Validate `folder` and load it into `workspace` (created if needed) in one transaction."""
    std = load_standard()
    ws = Workspace(workspace, create=True)
    with ws.locked():
        probe = ValidationReport(package=str(folder))
        files = find_table_files(Path(folder), std, tables, probe)
        existing = {b.batch_id: b for b in ws.batches}
        wanted, skipped = [], []
        hashes = {name: file_sha256(path) for name, path in files.items()}
        for name in files:
            batch_id = _batch_id(name, hashes[name])
            (skipped.append(existing[batch_id]) if batch_id in existing else wanted.append(name))
        if not wanted:
            return IngestResult(Path(workspace), probe, skipped=skipped)
        progress(f"validating {len(wanted)} file(s)")
        known = {(t.name, c.name): f"SELECT {quote_ident(c.name)} AS id FROM ({ws.table_sql(t)})"
                 for t in std for c in t.columns if _is_referenced(t.name, c.name)}
        staging = ws.staging_dir()
        with validate_package(Path(folder), tables=wanted, con=ws.connect(), known_ids=known, progress=progress,
                              staging=staging) as staged:
            try:
                staged.report.problems[:0] = [p for p in probe.problems if p.code == "unknown_file"]
                _check_against_workspace(staged, ws)
                if not staged.report.valid:
                    raise IngestRejected(staged.report)
                loaded = []
                for name, item in staged.files.items():
                    progress(f"loading {name} ({item.rows:,} rows)")
                    loaded.append(_write_batch(staged, item, hashes[name], staging, adapter, origin))
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        ws.commit(loaded, staging)
        return IngestResult(Path(workspace), staged.report, loaded=loaded, skipped=skipped)


def source_sha256(source: Path) -> str:
    """Content hash of a file, or of every file under a folder (names included)."""
    if source.is_file():
        return file_sha256(source)
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(source)).encode() + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()


def ingest_with_adapter(source: Path, workspace: Path, adapter: str, *, tables: list[str] | None = None,
                        progress: Progress = lambda _m: None) -> tuple[IngestResult, list[str]]:
    """Convert `source` with an adapter, then validate and ingest the converted package.

    The converted package is kept in the workspace (`adapted/`), so lineage points at a file
    that still exists, and each batch records the original source it came from.
    """
    from filon.ingest.adapters import get_adapter

    chosen = get_adapter(adapter)
    if not source.exists():
        raise UsageError(f"{source} does not exist. Give the {chosen.title} file or folder.")
    ws = Workspace(workspace, create=True)
    folder = ws.path / "adapted" / f"{chosen.name}-{source_sha256(source)[:16]}"
    fresh = not folder.exists()
    if fresh:
        progress(f"converting {source.name} with the {chosen.name} adapter")
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            warnings = chosen.convert(source, tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / "warnings.json").write_text(json.dumps(warnings, ensure_ascii=False), encoding="utf-8")
        tmp.rename(folder)
    warnings = json.loads((folder / "warnings.json").read_text(encoding="utf-8"))
    try:
        result = ingest_package(folder, workspace, tables=tables, adapter=chosen.name, origin=str(source.resolve()),
                                progress=progress)
    except BaseException:
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return result, warnings


def _batch_id(table: str, sha256: str) -> str:
    return "b" + hashlib.sha256(f"{table}:{sha256}".encode()).hexdigest()[:15]


def _is_referenced(table: str, column: str) -> bool:
    return any(c.references == (table, column) for t in load_standard() for c in t.columns)


def _check_against_workspace(staged: StagedPackage, ws: Workspace) -> None:
    """Ids must stay unique across batches: report rows whose id a loaded batch already has."""
    for name, item in staged.files.items():
        keys = list(item.table.primary_key)
        if item.structural_errors or not ws.files(name) or not all(k in item.columns for k in keys):
            continue
        ws_key = " || '\x1f' || ".join(f"coalesce(CAST(w.{quote_ident(k)} AS VARCHAR), '')" for k in keys)
        st_key = " || '\x1f' || ".join(f"coalesce(CAST({item.cell(k, 's.')} AS VARCHAR), '')" for k in keys)
        sql = (f"SELECT s.__rowid + {item.row_offset}, {st_key}, w._batch_id, w._source_file, w._source_row "
               f"FROM {item.stage} s JOIN ({ws.table_sql(item.table)}) w ON {st_key} = {ws_key}")
        clash = staged.con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]  # type: ignore[index]
        for row, key, batch, src, src_row in staged.con.execute(f"{sql} ORDER BY 1 LIMIT {MAX_EXAMPLES}").fetchall():
            staged.report.add(Problem(
                "error", "id_already_loaded",
                f"{' / '.join(keys)} {key.replace(chr(31), ' / ')!r} is already in the workspace "
                f"(batch {batch}, {src} row {src_row})",
                f"give the row a new id, or remove batch {batch} first with 'filon batches remove'",
                file=str(item.path), table=name, row=int(row), column=keys[0], value=key.replace(chr(31), " / "),
                count=1))
        if clash > MAX_EXAMPLES:
            staged.report.problems[-1].count = clash - MAX_EXAMPLES + 1


def _stored(col: Column, source: str, item: StagedFile) -> str:
    """SQL giving a staged text cell its storage type (the checks have already passed)."""
    cell = item.cell(source)
    if source in item.typed or col.storage_type == "VARCHAR":
        return cell
    if col.type == "datetime":
        return f"CAST(CAST({cell} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"CAST({cell} AS {col.storage_type})"


def _write_batch(staged: StagedPackage, item: StagedFile, sha: str, staging: Path, adapter: str | None,
                 origin: str | None) -> Batch:
    """Put the batch's Parquet file in the staging folder: moved as it is on the fast path,
    written from the text stage otherwise. Lineage is not stored in the file: the workspace
    derives it from the manifest and the row's position (see `Workspace.table_sql`)."""
    batch_id = _batch_id(item.table.name, sha)
    target = staging / f"{batch_id}.parquet"
    if item.parquet is not None:
        os.replace(item.parquet, target)
    else:
        source = {n: (_stored(item.table.column(n), n, item) if n in item.table.by_name else quote_ident(n))
                  for n in item.columns}
        staged.con.execute(f"COPY (SELECT {', '.join(stored_projection(item.table, item.columns, source))} "
                           f"FROM {item.stage} ORDER BY __rowid) TO {sql_literal(str(target))} "
                           f"(FORMAT parquet, COMPRESSION zstd)")
    return Batch(batch_id=batch_id, table=item.table.name, source_file=str(item.path.resolve()), sha256=sha,
                 rows=item.rows, ingested_at=now(), parquet=f"tables/{item.table.name}/{batch_id}.parquet",
                 adapter=adapter, origin=origin, extra_columns=item.extra_columns, row_offset=item.row_offset)
