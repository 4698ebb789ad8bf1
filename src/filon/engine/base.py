"""What every execution engine offers a detector: SQL over the standard's tables.

Detectors write their analytics once, in DuckDB's SQL dialect. DuckDB runs it as it is;
other engines transpile it with sqlglot (as Splink does), so no detector has a branch per
engine. An engine needs only this small protocol.
"""

from __future__ import annotations

from typing import Any, Protocol


class Engine(Protocol):
    """An engine holding the workspace's tables as relations named after the standard's tables."""

    name: str

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run `sql` (DuckDB dialect, `?` placeholders) and return the rows as dicts."""
        ...

    def query_arrow(self, sql: str) -> Any:
        """Run `sql` and return a pyarrow Table: for results too large to hold as Python dicts."""
        ...

    def close(self) -> None:
        ...


def engine_for(name: str, workspace: Any) -> Engine:
    """The engine called `name` over a workspace; Spark is imported only when asked for."""
    from filon.errors import UsageError

    if name == "duckdb":
        from filon.engine.duckdb import DuckDBEngine

        return DuckDBEngine(workspace.connect())
    if name == "spark":
        from filon.engine.spark import SparkEngine

        return SparkEngine(workspace)
    raise UsageError(f"unknown engine {name!r}; use duckdb (default) or spark")
