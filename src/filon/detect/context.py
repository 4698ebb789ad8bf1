"""What a detector sees: the standard's tables as SQL relations on an engine, and lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass
class DetectContext:
    """Tables of a workspace, queryable with SQL (DuckDB dialect).

    Every table of the standard exists as a view, empty when the workspace has no rows for
    it, so a detector never has to ask whether a table is present.
    """

    con: duckdb.DuckDBPyConnection

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run `sql` and return rows as dicts."""
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def count(self, table: str) -> int:
        return self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
