"""Adding a new batch's tally to the kept one (`filon.detect.tally._merged`) gives the tally of all rows."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from filon.detect.tally import Tally, _merged

TALLY = Tally("t", "", keys=("k", "y"), sources=(), lookups=(), extremes=(("first", "min"), ("last", "max")))


def rows(*values: tuple) -> pa.Table:
    """(k, y, n, v, day) records."""
    k, y, n, v, day = zip(*values)
    return pa.table({"k": pa.array(k, pa.string()), "y": pa.array(y, pa.int32()), "n": pa.array(n, pa.int64()),
                     "v": pa.array(v, pa.float64()), "day": pa.array(day, pa.date32())})


def tally_of(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    return con.execute(f"""SELECT k, y, CAST(sum(n) AS BIGINT) AS n, sum(v) AS v, min(day) AS first, max(day) AS last
                           FROM {name} GROUP BY k, y""").to_arrow_table()


def test_merged_equals_the_tally_of_every_row() -> None:
    old = rows(("a", 1, 1, 1.5, date(2024, 1, 5)), ("a", 1, 2, None, date(2023, 3, 1)), (None, 1, 3, 2.0, date(2024, 2, 1)),
               ("b", None, 1, None, None), ("d", 2, 1, 4.0, date(2022, 1, 1)))
    new = rows(("a", 1, 5, 0.25, date(2022, 12, 31)), (None, 1, 1, None, date(2025, 1, 1)), ("b", None, 2, None, None),
               ("c", 2, 1, 3.0, date(2024, 6, 1)), ("d", 3, 1, 1.0, date(2024, 6, 1)))
    con = duckdb.connect()
    con.register("old", old)
    con.register("new", new)
    con.register("everything", pa.concat_tables([old, new]))
    kept, added = tally_of(con, "old"), tally_of(con, "new")
    merged = _merged(TALLY, kept, added.select(list(reversed(added.column_names))))  # columns in any order
    assert merged.schema == kept.schema
    key = lambda r: (r["k"] or "", r["y"] or 0)
    assert sorted(merged.to_pylist(), key=key) == sorted(tally_of(con, "everything").to_pylist(), key=key)
    assert [(r["k"], r["y"]) for r in merged.to_pylist()][:len(kept)] == [(r["k"], r["y"]) for r in kept.to_pylist()]
    b = next(r for r in merged.to_pylist() if r["k"] == "b")
    assert b["v"] is None and b["first"] is None and b["n"] == 3  # sums of nothing stay NULL, as in SQL
