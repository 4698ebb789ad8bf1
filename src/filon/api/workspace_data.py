"""Read access to a workspace for the API: thread-safe SQL, map layers, actors and networks.

One DuckDB connection is opened per workspace and every request gets its own cursor, since a
DuckDB connection must not run two queries at once from two threads. The connection (and
the cached map layers) is renewed when the workspace manifest changes, e.g. after an ingest.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb

from filon.detect.context import DetectContext
from filon.store.workspace import MANIFEST, Workspace


class CursorEngine:
    """The Engine protocol over a shared connection, one cursor per query."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str, params: list[object] | None = None) -> list[dict[str, object]]:
        cur = self.con.cursor()
        try:
            result = cur.execute(sql, params or [])
            names = [d[0] for d in result.description]
            return [dict(zip(names, row)) for row in result.fetchall()]
        finally:
            cur.close()

    def query_arrow(self, sql: str) -> Any:
        cur = self.con.cursor()
        try:
            return cur.execute(sql).to_arrow_table()
        finally:
            cur.close()

    def close(self) -> None:  # the shared connection outlives any one context
        pass


class WorkspaceData:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._stamp: float | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._workspace: Workspace | None = None
        self.cache: dict[str, Any] = {}

    def _refresh(self) -> None:
        stamp = (self.path / MANIFEST).stat().st_mtime
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            ws = Workspace(self.path)
            con = ws.connect()
            old, self._con, self._workspace, self.cache, self._stamp = self._con, con, ws, {}, stamp
            if old is not None:
                old.close()

    @property
    def workspace(self) -> Workspace:
        self._refresh()
        assert self._workspace is not None
        return self._workspace

    def context(self) -> DetectContext:
        self._refresh()
        assert self._con is not None
        return DetectContext(CursorEngine(self._con))

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return self.context().query(sql, params)

    def cached(self, key: str, build):  # noqa: ANN001 - a zero-argument callable
        """`build()` once per workspace version (map layers, the ownership graph)."""
        self._refresh()
        if key not in self.cache:
            with self._lock:
                if key not in self.cache:
                    self.cache[key] = build()
        return self.cache[key]
