"""What a detector sees: the standard's tables as SQL relations on an engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from filon.engine.base import Engine

T = TypeVar("T")


@dataclass
class DetectContext:
    """Tables of a workspace, queryable with SQL in DuckDB's dialect on any engine.

    Every table of the standard exists, empty when the workspace has no rows for it, so a
    detector never has to ask whether a table is present.
    """

    engine: Engine
    _shared: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    #: When a set, every query adds the tables it may read (see `filon.detect.incremental`).
    reads: set[str] | None = field(default=None, repr=False)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    #: In a scoped run (see `filon.detect.incremental`): the context over every row, for figures
    #: that must be computed on all of them, and the subject keys the run is about.
    full: DetectContext | None = field(default=None, repr=False)
    scope_keys: frozenset[str] | None = field(default=None, repr=False)
    #: Tables this (scoped) context holds only some rows of.
    filtered: frozenset[str] = field(default=frozenset(), repr=False)
    #: Results of `query_global` calls (query -> digest), recorded while `reads` is recorded.
    globals: dict[str, str] = field(default_factory=dict, repr=False)
    #: Values kept between runs (`filon.detect.kept.KeptValues`), for `memo(..., keep=...)`.
    kept: Any = field(default=None, repr=False)
    #: Sums kept between runs and brought up to date by adding new batches' (`filon.detect.tally`).
    tallies: Any = field(default=None, repr=False)

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run `sql` and return rows as dicts."""
        self._record(sql)
        return self.engine.query(sql, params)

    def query_arrow(self, sql: str) -> Any:
        """`query` returning a pyarrow Table, for results too large to hold as Python dicts."""
        self._record(sql)
        return self.engine.query_arrow(sql)

    def query_global(self, sql: str) -> list[dict[str, Any]]:
        """`query` for a figure taken over the whole data (the ownership links in force at the last
        date, the flows' period) even when a run is scoped to some subjects. Its result, not the
        tables it reads, is what the caller depends on: the incremental runner recomputes it before
        reusing alerts or running on new subjects only, and runs in full when it moved."""
        whole = self.full or self
        rows = whole.memo(("global", sql), lambda: whole.engine.query(sql), ())
        if self.reads is not None:
            from filon.detect.incremental import rows_key

            self.globals[sql] = rows_key(rows)
        return rows

    def query_whole(self, sql: str, record: bool = True) -> list[dict[str, Any]]:
        """`query` over every row even in a scoped run, for a figure that is only an intermediate
        step: the caller records, with `query_global`, what it actually depends on (the ownership
        links in force at the last date, rather than the last date itself, which every new batch
        of flows moves), in which case it passes `record=False`."""
        if record:
            self._record(sql)
        return (self.full or self).engine.query(sql)

    def tally(self, tally: Any) -> str:
        """SQL relation of `tally` (a `filon.detect.tally.Tally`): its sums over every row, even in a
        scoped run, taken from the last run's plus the new batches' when the run keeps tallies
        (DuckDB on a workspace), else computed here (in a scoped run without a store: over its rows,
        complete for the subjects it is about)."""
        self.uses(*tally.tables)
        store = self.tallies if self.tallies is not None else self.full.tallies if self.full is not None else None
        con = getattr(self.engine, "con", None)
        if store is None or self.engine.name != "duckdb" or con is None:
            return f"({tally.query()})"
        return store.relation(con, tally)

    def in_scope(self, key: str) -> bool:
        """Whether the subject `key` is one this run is about (always, outside a scoped run), so a
        detector can skip the costly per-subject work of those whose alerts will be kept anyway."""
        return self.scope_keys is None or key in self.scope_keys

    def _record(self, sql: str) -> None:
        if self.reads is not None:
            from filon.detect.incremental import tables_in

            self.reads |= tables_in(sql)

    def uses(self, *tables: str) -> None:
        """Say that the caller depends on `tables` read earlier (a cache shared across detectors must
        call this on every hit, or an incremental run would not know the detector reads them)."""
        if self.reads is not None:
            self.reads.update(tables)

    def query_shared(self, sql: str) -> list[dict[str, Any]]:
        """`query`, run once per context: detectors and report sections that need the same rows
        (undervaluation, overvaluation and the unit-value chart value the same declarations) share
        them. The rows are shared, so callers must not change them."""
        self._record(sql)
        if sql not in self._shared:
            self._shared[sql] = self.engine.query(sql)
        return self._shared[sql]

    def memo(self, key: Any, compute: Callable[[], T], tables: tuple[str, ...], keep: str | None = None) -> T:
        """`compute()` once per context (an ownership graph three detectors, the risk ranking and the
        report all need). `tables` are what `compute` reads: recorded on every use, so a detector
        served from the memo still declares its inputs. A scoped context shares the full context's
        values when none of `tables` is filtered in it. The value is shared: callers must not change it.

        With `keep` (a file name), the value is also kept for the next run (`filon.detect.kept`) and
        taken from the last one when `key` and `tables` are the same: `compute` must then depend on
        nothing else."""
        self.uses(*tables)
        if self.full is not None and not self.filtered & set(tables):
            return self.full.memo(key, compute, tables, keep)  # same rows here and there: share the full run's
        if key not in self._memo:
            kept = self.kept if keep and not self.filtered else None
            self._memo[key] = kept.get(keep, key, tables, compute) if kept is not None else compute()
        return self._memo[key]

    def adopt(self, other: DetectContext) -> None:
        """Take the values `other` memoised (computed on another connection to the same tables)."""
        for key, value in other._memo.items():
            self._memo.setdefault(key, value)

    def count(self, table: str) -> int:
        return int(self.query(f'SELECT count(*) AS n FROM "{table}"')[0]["n"])
