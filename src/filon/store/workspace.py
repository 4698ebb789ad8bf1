"""A workspace folder: the analyst's local warehouse.

Layout:
  workspace.json            manifest: the batches, their files and lineage (source of truth)
  tables/<table>/<batch>.parquet
  warehouse.duckdb          views over the Parquet files, for DuckDB users and BI tools

The manifest is replaced atomically (write then rename) after the batch files are in place,
so a failed or killed ingest leaves the workspace as it was: files not named by the manifest
are invisible and removed on the next write.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from filon.engine.duckdb import connect, quote_ident, sql_literal
from filon.errors import WorkspaceError
from filon.standard.model import Table, load_standard

MANIFEST = "workspace.json"
FORMAT = "filon-workspace"
FORMAT_VERSION = 1
#: Derived tables written by later steps (view name -> file in the workspace); `filon link` writes entities.
DERIVED = {"entities": "derived/entities.parquet"}
#: Lineage columns added to every stored row.
LINEAGE = (("_batch_id", "VARCHAR"), ("_source_file", "VARCHAR"), ("_source_row", "BIGINT"))


@dataclass
class Batch:
    """One file loaded into one table."""

    batch_id: str
    table: str
    source_file: str
    sha256: str
    rows: int
    ingested_at: str
    parquet: str                      # path relative to the workspace
    adapter: str | None = None
    origin: str | None = None         # the original source an adapter converted, if any
    extra_columns: list[str] = field(default_factory=list)
    row_offset: int = 2               # file row of the batch's first row (CSV: 2, after the header)


class Workspace:
    """Open (or create) a workspace folder."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        manifest = self.path / MANIFEST
        if not manifest.exists():
            if not create:
                raise WorkspaceError(f"{self.path} is not a filon workspace (no {MANIFEST}). "
                                     f"Create one with: filon ingest DATA_FOLDER --workspace {self.path}")
            if self.path.exists() and any(self.path.iterdir()):
                raise WorkspaceError(f"{self.path} exists and is not empty; choose a new folder for the workspace")
            self.path.mkdir(parents=True, exist_ok=True)
            self._write_manifest([])
        self.batches = self._read_manifest()

    # -- manifest -----------------------------------------------------------------------------
    def _read_manifest(self) -> list[Batch]:
        try:
            data = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("not a filon workspace manifest")
            return [Batch(**b) for b in data["batches"]]
        except (ValueError, KeyError, TypeError) as err:
            raise WorkspaceError(f"{self.path / MANIFEST} is damaged ({err}). Restore it from a backup "
                                 "or re-create the workspace from the source files.") from err

    def _write_manifest(self, batches: list[Batch]) -> None:
        data = {"format": FORMAT, "version": FORMAT_VERSION, "standard": load_standard().version,
                "updated_at": now(), "batches": [asdict(b) for b in batches]}
        tmp = self.path / f".{MANIFEST}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / MANIFEST)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive lock so two ingests cannot interleave their manifest updates."""
        with (self.path / ".lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as err:
                raise WorkspaceError(f"another filon process is writing to {self.path}; wait for it to finish") from err
            try:
                self.batches = self._read_manifest()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def staging_dir(self) -> Path:
        path = self.path / ".staging" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path.mkdir(parents=True)
        return path

    def commit(self, new: list[Batch], staging: Path, *, removed: list[Batch] = ()) -> None:  # type: ignore[assignment]
        """Move staged Parquet files into place and publish them with one manifest rename."""
        for batch in new:
            target = self.path / batch.parquet
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / Path(batch.parquet).name, target)
        gone = {b.batch_id for b in removed}
        batches = [b for b in self.batches if b.batch_id not in gone] + new
        self._write_manifest(batches)
        self.batches = batches
        for batch in removed:
            (self.path / batch.parquet).unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        self._cleanup()
        self.write_warehouse()

    def _cleanup(self) -> None:
        """Remove files a killed ingest left behind (anything the manifest does not name)."""
        shutil.rmtree(self.path / ".staging", ignore_errors=True)
        for tmp in (self.path / "adapted").glob("*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)
        named = {str(self.path / b.parquet) for b in self.batches}
        for file in (self.path / "tables").glob("*/*.parquet"):
            if str(file) not in named:
                file.unlink(missing_ok=True)

    # -- reading ------------------------------------------------------------------------------
    def batch(self, batch_id: str) -> Batch:
        for b in self.batches:
            if b.batch_id == batch_id or b.batch_id.startswith(batch_id) and len(batch_id) >= 6:
                return b
        raise WorkspaceError(f"no batch {batch_id!r} in {self.path}. List batches with: filon batches list {self.path}")

    def files(self, table: str) -> list[Path]:
        return [self.path / b.parquet for b in self.batches if b.table == table]

    def table_sql(self, table: Table, only: set[str] | None = None) -> str:
        """SQL reading every batch of `table` (or those of the batch ids in `only`) with its
        lineage, or an empty typed relation.

        Batch files are stored in file order, so a row's source row is its position in the
        Parquet file plus the batch's offset; lineage costs no storage and no write time.
        """
        batches = [b for b in self.batches if b.table == table.name and (only is None or b.batch_id in only)]
        if batches:
            parts = [f"SELECT * EXCLUDE (file_row_number), {sql_literal(b.batch_id)} AS _batch_id, "
                     f"{sql_literal(b.source_file)} AS _source_file, file_row_number + {b.row_offset} AS _source_row "
                     f"FROM read_parquet({sql_literal(str(self.path / b.parquet))}, file_row_number = true)"
                     for b in batches]
            return " UNION ALL BY NAME ".join(parts)
        cols = [f"CAST(NULL AS {c.storage_type}) AS {quote_ident(c.name)}" for c in table.columns]
        cols += [f"CAST(NULL AS {t}) AS {n}" for n, t in LINEAGE]
        return f"SELECT {', '.join(cols)} WHERE false"

    def register_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create one view per table of the standard on `con` (empty tables included)."""
        for table in load_standard():
            con.execute(f"CREATE OR REPLACE VIEW {quote_ident(table.name)} AS {self.table_sql(table)}")
        for name, file in DERIVED.items():  # results of `filon link` and the like, once computed
            if (self.path / file).exists():
                con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS "
                            f"SELECT * FROM read_parquet({sql_literal(str(self.path / file))})")

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with the workspace's tables as views."""
        con = connect()
        self.register_views(con)
        return con

    def write_warehouse(self) -> None:
        """Refresh `warehouse.duckdb` so analysts can open the workspace with any DuckDB client."""
        target = self.path / "warehouse.duckdb"
        tmp = self.path / ".warehouse.duckdb.tmp"
        tmp.unlink(missing_ok=True)
        con = connect(tmp)
        try:
            self.register_views(con)
        finally:
            con.close()
        os.replace(tmp, target)

    def row_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for b in self.batches:
            counts[b.table] = counts.get(b.table, 0) + b.rows
        return counts


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
