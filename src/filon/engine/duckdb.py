"""The embedded DuckDB engine: one configured connection, memory capped, spilling to disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

#: Default cap on DuckDB's memory; national-scale files spill to disk instead of exhausting RAM.
DEFAULT_MEMORY_LIMIT = os.environ.get("FILON_MEMORY_LIMIT", "2GB")


def connect(database: str | Path = ":memory:", *, memory_limit: str | None = None,
            temp_directory: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection with filon's limits applied.

    The memory limit keeps a laptop (and CI) alive on files larger than RAM: DuckDB spills
    intermediate results to `temp_directory` rather than failing.
    """
    con = duckdb.connect(str(database), read_only=read_only)
    con.execute(f"SET memory_limit = '{memory_limit or DEFAULT_MEMORY_LIMIT}'")
    tmp = temp_directory or Path(tempfile.gettempdir()) / "filon-duckdb"
    tmp.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = '{_sql_str(str(tmp))}'")
    con.execute("SET preserve_insertion_order = true")
    return con


def _sql_str(value: str) -> str:
    return value.replace("'", "''")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB SQL (column names come from users' files)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """Quote a string literal for DuckDB SQL."""
    return "'" + _sql_str(value) + "'"


class DuckDBEngine:
    """The default engine: an in-process DuckDB connection with the tables as views."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str, params: list[object] | None = None) -> list[dict[str, object]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def query_arrow(self, sql: str) -> object:
        return self.con.execute(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()
