"""Rows of a query over a table that grows by batches, kept between runs and extended with the
batches added since: for a figure drawn from every row of such a table (the unit-value chart
samples every valued declaration), so that a batch of a week of declarations costs the report
those declarations, not the nation's.

The rows are kept as an Arrow file beside the run's other kept values (`OUT/.filon-state/values/`,
see `filon.detect.kept`), with a JSON sidecar saying what they were computed from: the query, the
fingerprints of the other tables it reads, filon's version and code, and the batches of the table
they cover. Arrow files hold data only (unpickling would run code), so they need no signature.

Exactness: each row of the query must come from one row of the table and depend only on it and on
the other tables whole (a declaration's fine mass and price depend on it, the assays and the
prices), and the table's rows must keep their ids unique across batches (ingest refuses an id a
batch already holds). Then, when the other tables are unchanged and the table only gained batches,
the query over the new batches' rows added to the kept rows gives the rows of a query over all of
them. Anything else (a batch removed, another table or the query changed, no file) recomputes
every row.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from filon import __version__
from filon.detect.context import DetectContext
from filon.engine.duckdb import DuckDBEngine, quote_ident, sql_literal

log = logging.getLogger(__name__)

#: The column of every table's rows naming the batch they came from (see `Workspace.table_sql`).
BATCH = "_batch_id"


def kept_rows(ctx: DetectContext, name: str, sql: str, table: str, schema: pa.Schema, sort: Sequence[str],
              whole: Callable[[], pa.Table] | None = None) -> pa.Table | None:
    """Every row of `sql` (with `schema`'s columns, sorted by `sort`), kept under `name` for the next
    run and taken from the last one where `table` only gained batches since (see the module).

    `whole`, when given, builds every row from what this run already holds (a full run's shared
    rows) instead of querying them. None when rows cannot be kept here (a throw-away workspace, no
    signing key, another engine than DuckDB) and `whole` is not given: the caller then queries."""
    from filon.detect.incremental import tables_in

    kept, order = ctx.kept, [(c, "ascending") for c in sort]
    if kept is None or not isinstance(ctx.engine, DuckDBEngine):
        return whole().sort_by(order) if whole else None
    ctx.uses(*tables_in(sql))  # what the rows depend on, whether read now or by the run that kept them
    batches = sorted(r["b"] for r in ctx.query(f"SELECT DISTINCT {BATCH} AS b FROM {quote_ident(table)}"))
    ident = _ident(kept, sql, table)
    data, meta = kept.folder / f"{name}.arrow", kept.folder / f"{name}.json"
    old, covered = _load(data, meta, ident, schema) if kept.read else (None, set())
    if old is not None and covered == set(batches):
        return old
    if old is not None and covered < set(batches):  # batches were only added: query theirs
        rows = pa.concat_tables([old, _query_added(ctx.engine.con, sql, table, sorted(set(batches) - covered), schema)])
    else:
        rows = whole() if whole else ctx.query_arrow(sql).select(schema.names).cast(schema)
    rows = rows.sort_by(order)
    _store(rows, data, meta, ident, batches)
    return rows


def _ident(kept: Any, sql: str, table: str) -> str:
    """What the kept rows are valid for, besides the batches of `table` they cover."""
    from filon.detect.incremental import code_key, params_key, tables_in

    kept.code = kept.code or code_key()
    return params_key({"sql": sql, "table": table, "version": __version__, "code": kept.code,
                       "inputs": {t: kept.prints.get(t, "") for t in sorted(tables_in(sql) - {table})}})


def _query_added(con: Any, sql: str, table: str, added: list[str], schema: pa.Schema) -> pa.Table:
    """The rows of `sql` for the rows of the `added` batches of `table`: `sql` runs on a cursor of
    the run's connection `con` where a temporary view of that name, holding only those rows (their
    files only are read), hides the table."""
    whole = f"{quote_ident(con.execute('SELECT current_database()').fetchone()[0])}.main.{quote_ident(table)}"
    cur = con.cursor()
    try:
        cur.execute(f"CREATE TEMP VIEW {quote_ident(table)} AS SELECT * FROM {whole} "
                    f"WHERE {BATCH} IN ({', '.join(sql_literal(b) for b in added)})")
        return cur.execute(sql).to_arrow_table().select(schema.names).cast(schema)
    finally:
        cur.close()  # its temporary view goes with it


def _load(data: Path, meta: Path, ident: str, schema: pa.Schema) -> tuple[pa.Table | None, set[str]]:
    """The kept rows and the batches they cover, when kept for `ident`; else (None, nothing)."""
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        if info.get("ident") != ident:
            return None, set()
        with pa.OSFile(str(data)) as source:  # read, not mapped: the file is replaced after
            rows = pa.ipc.open_file(source).read_all()
        if not rows.schema.equals(schema):
            return None, set()
        return rows, set(info.get("batches") or [])
    except (OSError, ValueError, AttributeError, pa.ArrowException) as err:
        if not isinstance(err, FileNotFoundError):
            log.info("could not read %s: %s", data, err)
        return None, set()


def _store(rows: pa.Table, data: Path, meta: Path, ident: str, batches: list[str]) -> None:
    """Keep `rows` for the next run (a failure to keep them costs that run the query, nothing else)."""
    try:
        data.parent.mkdir(parents=True, exist_ok=True)
        meta.unlink(missing_ok=True)  # no moment where new rows have an old sidecar
        tmp = data.with_suffix(".arrow.tmp")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, rows.schema) as writer:
            writer.write_table(rows)
        os.replace(tmp, data)
        tmp = meta.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"ident": ident, "batches": batches}), encoding="utf-8")
        os.replace(tmp, meta)
    except OSError as err:
        log.info("could not keep %s for the next run: %s", data, err)
