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


def regrouped(tally: Tally, kept: pa.Table, new: pa.Table) -> pa.Table:
    """The merge as an Arrow group-by over both tables (the former `_merged`): the reference."""
    how = dict(tally.extremes)
    values = [c for c in kept.column_names if c not in tally.keys]
    both = pa.concat_tables([kept, new.select(kept.column_names).cast(kept.schema)])
    grouped = both.group_by(list(tally.keys), use_threads=False).aggregate([(c, how.get(c, "sum")) for c in values])
    return pa.Table.from_arrays([grouped[c if c in tally.keys else f"{c}_{how.get(c, 'sum')}"].cast(f.type)
                                 for c, f in zip(kept.column_names, kept.schema)], schema=kept.schema)


def random_tally(seed: int, n: int, keys: int) -> pa.Table:
    """`n` rows of distinct (k, y) keys drawn from `keys` actors, with NULL keys and values, float,
    decimal (a DECIMAL(38, 0) too: DuckDB's sum of integers) and integer sums, and dates."""
    import random
    from decimal import Decimal

    rng = random.Random(seed)
    pairs = rng.sample([(k, y) for k in [None] + [f"a{i}" for i in range(keys)] for y in (None, 2021, 2022, 2023)], n)
    none = lambda v: None if rng.random() < 0.15 else v
    return pa.table({
        "k": pa.array([k for k, _ in pairs], pa.string()), "y": pa.array([y for _, y in pairs], pa.int32()),
        "n": pa.array([rng.randrange(100) for _ in pairs], pa.int64()),
        "v": pa.array([none(rng.uniform(-1e6, 1e6) / 3) for _ in pairs], pa.float64()),
        "d": pa.array([none(Decimal(rng.randrange(-10**9, 10**9)) / 1000) for _ in pairs], pa.decimal128(18, 3)),
        "h": pa.array([none(Decimal(rng.randrange(-10**30, 10**30))) for _ in pairs], pa.decimal128(38, 0)),
        "first": pa.array([none(date(2020, 1, 1 + rng.randrange(28))) for _ in pairs], pa.date32()),
        "last": pa.array([none(date(2024, 1, 1 + rng.randrange(28))) for _ in pairs], pa.date32())})


def by_key(table: pa.Table) -> list[tuple]:
    """The rows of `table` by key, floats as their bits (hex), so equal means bit for bit."""
    rows = [tuple(x.hex() if isinstance(x, float) else x for x in r.values()) for r in table.to_pylist()]
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or "", r[1] is None, r[1] or 0))


def test_merged_is_the_regrouped_tally_bit_for_bit() -> None:
    """Only the touched keys' rows are added up, yet each key's sums are the group-by's bit for bit
    (floats and decimals), NULL keys matched to NULL keys; kept rows stay first, in their order
    (Arrow's group-by, with NULL keys, did not always keep it)."""
    for seed in range(20):
        kept = random_tally(seed, 300, 100)
        new = random_tally(1000 + seed, 25, 110)  # some keys kept, some new
        merged = _merged(TALLY, kept, new)
        expected = regrouped(TALLY, kept, new)
        assert merged.schema == expected.schema
        assert by_key(merged) == by_key(expected), seed
        assert merged.select(["k", "y"]).slice(0, kept.num_rows).equals(kept.select(["k", "y"]))


def test_merged_with_nothing_new_or_only_new_keys() -> None:
    kept = random_tally(1, 50, 30)
    assert _merged(TALLY, kept, kept.slice(0, 0)).equals(kept)
    fresh = random_tally(2, 10, 30).set_column(0, "k", pa.array([f"new{i}" for i in range(10)], pa.string()))
    assert by_key(_merged(TALLY, kept, fresh)) == by_key(regrouped(TALLY, kept, fresh))
    assert by_key(_merged(TALLY, kept, kept)) == by_key(regrouped(TALLY, kept, kept))


def test_merged_keys_null_everywhere_or_nothing_kept() -> None:
    """A key column NULL in every row still matches NULL to NULL; an empty kept tally takes the new rows."""
    old = rows(("a", None, 1, 1.5, date(2024, 1, 5)), ("b", None, 2, None, None), (None, None, 3, 2.0, date(2024, 2, 1)))
    new = rows(("a", None, 5, 0.25, date(2022, 12, 31)), (None, None, 1, None, None), ("c", None, 1, 3.0, None))
    con = duckdb.connect()
    con.register("old", old)
    con.register("new", new)
    kept, added = tally_of(con, "old"), tally_of(con, "new")
    merged = _merged(TALLY, kept, added)
    assert by_key(merged) == by_key(regrouped(TALLY, kept, added)) and merged.num_rows == 4
    assert by_key(_merged(TALLY, kept.slice(0, 0), added)) == by_key(added)
