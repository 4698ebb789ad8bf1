"""What a detector sees: the standard's tables as SQL relations on an engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from filon.engine.base import Engine


@dataclass
class DetectContext:
    """Tables of a workspace, queryable with SQL in DuckDB's dialect on any engine.

    Every table of the standard exists, empty when the workspace has no rows for it, so a
    detector never has to ask whether a table is present.
    """

    engine: Engine

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run `sql` and return rows as dicts."""
        return self.engine.query(sql, params)

    def count(self, table: str) -> int:
        return int(self.query(f'SELECT count(*) AS n FROM "{table}"')[0]["n"])
