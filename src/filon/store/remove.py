"""Removing a batch without silently breaking the references of other batches."""

from __future__ import annotations

from filon.engine.duckdb import quote_ident, sql_literal
from filon.errors import WorkspaceError
from filon.standard.model import load_standard
from filon.store.workspace import Batch, Workspace


def dependents(ws: Workspace, batch: Batch) -> dict[str, int]:
    """Rows of other batches that would point nowhere once `batch` is gone, per table.column."""
    std = load_standard()
    con = ws.connect()
    out: dict[str, int] = {}
    for table in std:
        for col in table.references:
            ref_table, ref_col = col.references  # type: ignore[misc]
            if ref_table != batch.table or not ws.files(table.name):
                continue
            remaining = f"SELECT {quote_ident(ref_col)} AS id FROM {quote_ident(ref_table)} WHERE _batch_id <> {sql_literal(batch.batch_id)}"
            removed = f"SELECT {quote_ident(ref_col)} AS id FROM {quote_ident(ref_table)} WHERE _batch_id = {sql_literal(batch.batch_id)}"
            n = con.execute(
                f"SELECT count(*) FROM {quote_ident(table.name)} WHERE _batch_id <> {sql_literal(batch.batch_id)} "
                f"AND {quote_ident(col.name)} IN ({removed}) AND {quote_ident(col.name)} NOT IN ({remaining})").fetchone()[0]  # type: ignore[index]
            if n:
                out[f"{table.name}.{col.name}"] = n
    con.close()
    return out


def remove_batch(ws: Workspace, batch_id: str, *, force: bool = False) -> Batch:
    with ws.locked():
        batch = ws.batch(batch_id)
        deps = dependents(ws, batch)
        if deps and not force:
            listed = ", ".join(f"{n:,} in {k}" for k, n in deps.items())
            raise WorkspaceError(f"rows of other batches refer to batch {batch.batch_id} ({listed}). Remove those "
                                 "batches first, load a replacement, or use --force to remove it anyway.")
        ws.commit([], ws.staging_dir(), removed=[batch])
        return batch
