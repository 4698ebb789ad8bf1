"""Tallies: sums over every row of some tables, kept between runs and brought up to date by adding
the new batches' sums.

A balance detector compares what each actor took in and gave out over a year. Recomputed from the
rows, a week of new customs declarations costs a pass over millions of trades and production
records, because the exporters it touches are the large ones, who deal with everyone. But the sums
it compares only grow by addition: the sums over the old and the new rows are the last run's sums
plus the new rows' sums. A `Tally` is such an aggregate, a GROUP BY whose every other column adds up
(sums and counts), over `sources` (tables that grow by batches) and `lookups` (tables each row
reads whole: an actor's name, a right's holder). `TallyStore` keeps each tally beside the run state
(`OUT/.filon-state/tallies/NAME.arrow`) with a sidecar saying what it was computed from: the
tally's SQL (its parameters and the figures it embeds, e.g. the reference purities), filon's code,
the lookups' fingerprints and every source batch. The next run adds the new batches' sums when the
sidecar matches and the source batches it lists are all still there (new ones only added);
anything else (a batch removed, a lookup changed, other SQL) and the tally is computed from all
rows again. The sums are the same either way, up to the order floating-point numbers are added in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filon.store.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tally:
    """`sql` (over the tables named in `sources` and `lookups`, by those names) gives one row per
    distinct `keys`; every other column must add up over the source rows (a sum or a count), so
    the tally of old and new rows is the sum of their tallies. `shared` names relations (name, SQL)
    that `sql` reads more than once: DuckDB computes each once, other engines as they plan.
    `extremes` names columns (column, "min" or "max") that are a least or greatest value instead of a
    sum (a first or last date): the tally of old and new rows is then the least or greatest of theirs.
    `depends` is a digest of anything else the sums read (a relation registered on the connection,
    e.g. another tally's keys): part of the tally's identity, so a change recomputes it from all rows.
    A tally without sources is only kept, never added to: computed again when its identity changes."""

    name: str
    sql: str
    keys: tuple[str, ...]
    sources: tuple[str, ...]
    lookups: tuple[str, ...]
    shared: tuple[tuple[str, str], ...] = ()
    extremes: tuple[tuple[str, str], ...] = ()
    depends: str = ""

    @property
    def tables(self) -> tuple[str, ...]:
        return self.sources + self.lookups

    def query(self, materialize: bool = False) -> str:
        """The tally's SQL, its shared relations first (MATERIALIZED: DuckDB's hint, not portable)."""
        if not self.shared:
            return self.sql
        hint = "MATERIALIZED " if materialize else ""
        return "WITH " + ", ".join(f"{name} AS {hint}({sql})" for name, sql in self.shared) + "\n" + self.sql


@dataclass
class TallyStore:
    """The tallies of results folder `folder`'s runs on workspace `ws` (table fingerprints `prints`).
    With `read` False (`filon analyze --full`) every tally is computed from all rows, and kept.

    A tally is held in memory as an Arrow table for the run (a few hundred thousand rows at national
    scale) and kept as an Arrow IPC file: written and read in tens of milliseconds, where a Parquet
    copy cost most of an incremental run of the balance detectors."""

    folder: Path
    ws: Workspace
    prints: dict[str, str]
    read: bool = True
    #: Keep the files on a thread beside the run (`wait` before it ends), rather than before returning.
    background: bool = False
    _done: dict[str, Any] = field(default_factory=dict)  # identity -> Arrow table, for this run
    _writing: list[tuple[str, Any]] = field(default_factory=list)  # (tally name, future) of the files being kept
    _writer: Any = None

    def wait(self) -> None:
        """Wait for the tallies being kept for the next run (written beside the rest of the run: the
        file of the supply tally alone is 0.02-0.03 s at ×10, compression and all, which releases
        Python's lock). Called before the run ends; a file that cannot be written is only logged: the
        next run computes that tally from all rows."""
        writing, self._writing = self._writing, []
        for name, future in writing:
            try:
                future.result()
            except Exception as err:  # keeping is only a saving: the next run computes it from all rows
                log.info("could not keep tally %s for the next run: %s", name, err)
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def relation(self, con: Any, tally: Tally) -> str:
        """Name of `tally` over every row now on DuckDB connection `con`, computed at most once per run
        (whatever `con`'s views show: each table is read through its files here)."""
        ident = self._identity(tally)
        if ident not in self._done:
            self._done[ident] = self._bring_up_to_date(con, tally, ident)
        name = f"_tally_{tally.name}"
        con.register(name, self._done[ident])
        return name

    def _identity(self, tally: Tally) -> str:
        from filon import __version__
        from filon.detect.incremental import code_key, params_key

        return params_key({"name": tally.name, "sql": tally.query(), "keys": tally.keys, "extremes": tally.extremes,
                           "version": __version__,
                           "code": code_key(), "lookups": {t: self.prints.get(t, "") for t in sorted(tally.lookups)},
                           **({"depends": tally.depends} if tally.depends else {})})

    def _batches(self, tally: Tally) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {t: [] for t in tally.sources}
        for b in self.ws.batches:
            if b.table in out:
                out[b.table].append(f"{b.batch_id}:{b.sha256}:{b.rows}")
        return {t: sorted(v) for t, v in out.items()}

    def _bring_up_to_date(self, con: Any, tally: Tally, ident: str) -> Any:
        blob, meta = self.folder / f"{tally.name}.arrow", self.folder / f"{tally.name}.json"
        now = self._batches(tally)
        found = self._kept(tally, ident, now, blob, meta) if self.read else None
        if found is None:
            table = con.execute(self._over(tally, {t: None for t in tally.sources})).to_arrow_table()
        elif not any(found[1].values()):
            return found[0]  # nothing new: the last run's tally as it is
        else:  # the last run's tally plus the new batches' one
            table = _merged(tally, found[0], con.execute(self._over(tally, found[1])).to_arrow_table())
        if not self.background:
            try:
                self._store(table, ident, now, blob, meta)
            except OSError as err:  # a folder we cannot write: the next run computes it from all rows
                log.info("could not keep tally %s for the next run: %s", tally.name, err)
            return table
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="filon-tally")  # in order
        self._writing.append((tally.name, self._writer.submit(self._store, table, ident, now, blob, meta)))
        return table

    def _kept(self, tally: Tally, ident: str, now: dict[str, list[str]], blob: Path,
              meta: Path) -> tuple[Any, dict[str, set[str]]] | None:
        """The kept tally and the batch ids added to each source since, when it can be brought up to
        date by adding them (same identity, intact file, no batch gone); else None."""
        import pyarrow as pa
        from pyarrow import feather

        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            if info.get("ident") != ident:
                return None
            kept = {t: set(info["batches"][t]) for t in tally.sources}
            if not all(kept[t] <= set(now[t]) for t in tally.sources):
                return None  # a batch was removed (or replaced): sums cannot be taken back out
            data = blob.read_bytes()
            if hashlib.sha256(data).hexdigest() != info.get("sha256"):
                return None
            table = feather.read_table(pa.BufferReader(data))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
            return None
        return table, {t: {b.split(":", 1)[0] for b in set(now[t]) - kept[t]} for t in tally.sources}

    def _over(self, tally: Tally, only: dict[str, set[str] | None]) -> str:
        """`tally.sql` over the rows of the batches `only[t]` of each source (all when None) and
        every row of each lookup, each table read from its files whatever the connection's views."""
        from filon.standard.model import load_standard

        tables = load_standard().tables
        ctes = [f'"{t}" AS ({self.ws.table_sql(tables[t], only=only.get(t))})' for t in tally.tables]
        return f"WITH {', '.join(ctes)} SELECT * FROM ({tally.query(materialize=True)}) tally"

    def _store(self, table: Any, ident: str, now: dict[str, list[str]], blob: Path, meta: Path) -> None:
        """Keep `table` as `blob` and its sidecar `meta` (after it: a sidecar never describes another file)."""
        import pyarrow as pa
        from pyarrow import feather

        self.folder.mkdir(parents=True, exist_ok=True)
        meta.unlink(missing_ok=True)
        staged = blob.with_suffix(".arrow.tmp")
        sink = pa.BufferOutputStream()  # written in memory and hashed there: no second read of the file
        feather.write_feather(table, sink, compression="lz4")
        data = sink.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        with open(staged, "wb") as out:
            out.write(data)
        os.replace(staged, blob)
        tmp = meta.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"ident": ident, "sha256": digest, "batches": now}), encoding="utf-8")
        os.replace(tmp, meta)


def _merged(tally: Tally, kept: Any, new: Any) -> Any:
    """The Arrow tables `kept` and `new` (the new batches' sums: a few keys) added key by key: a key's
    rows summed (each column keeping its type, a sum of NULLs NULL; the `extremes` their least or
    greatest), the kept rows first, in their order, then the new keys in theirs. Only the rows of
    the keys `new` touches are computed and the others kept as they are: regrouping every key
    (Arrow's group-by over both tables) cost 0.03-0.04 s of each incremental run at ×10 (a 1 % trades
    batch touches 10,490 of the supply tally's 60,102 keys), this 0.005-0.009 s. Each sum is the kept
    value plus the new one, the single addition the group-by made too, so the sums are the same bit
    for bit (Arrow's group-by did not always keep the kept rows' order, which no reader depends on)."""
    import pyarrow as pa

    new = new.select(kept.column_names).cast(kept.schema)
    if new.num_rows == 0:
        return kept
    at, of = _matches(tally.keys, kept, new)
    mask = _mask(kept.num_rows, at)
    how = dict(tally.extremes)
    columns = [kept[c] if c in tally.keys else _updated(kept[c], mask, _added(kept[c].take(at), new[c].take(of),
                                                                             how.get(c, "sum")))
               for c in kept.column_names]
    updated = pa.Table.from_arrays(columns, schema=kept.schema)
    fresh = _without(new, of)
    return pa.concat_tables([updated, fresh]) if fresh.num_rows else updated


def _matches(keys: tuple[str, ...], kept: Any, new: Any) -> tuple[Any, Any]:
    """The pairs (row of `kept`, row of `new`) of equal `keys`, NULL equal to NULL as in a GROUP BY,
    by ascending row of `kept`: a hash join built on the few new rows, probed by the kept ones."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    left, right = {"_at": pa.array(np.arange(kept.num_rows))}, {"_of": pa.array(np.arange(new.num_rows))}
    names = []
    for i, k in enumerate(keys):
        a, b = kept[k], new[k]
        if a.null_count or b.null_count:  # a join matches no NULL: a flag beside the value filled in
            left[f"_n{i}"], right[f"_n{i}"] = pc.is_null(a), pc.is_null(b)
            names.append(f"_n{i}")
            valid = pc.drop_null(b if b.null_count < len(b) else a)
            if not len(valid):
                continue  # NULL in every row: the flags say it all
            a, b = pc.fill_null(a, valid[0]), pc.fill_null(b, valid[0])
        left[f"_k{i}"], right[f"_k{i}"] = a, b
        names.append(f"_k{i}")
    pairs = pa.table(left).join(pa.table(right), keys=names, join_type="inner", use_threads=False)
    pairs = pairs.select(["_at", "_of"]).sort_by("_at")
    return pairs["_at"].combine_chunks(), pairs["_of"].combine_chunks()


def _added(a: Any, b: Any, how: str) -> Any:
    """`a` and `b` combined as the group-by did: summed (NULL only when both are), or least or greatest.
    Decimals are added one digit wider: a DECIMAL(38) sum (DuckDB's sum of integers, a HUGEINT, is
    one in Arrow) has no wider decimal128 to add into."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if how == "min":
        return pc.min_element_wise(a, b, skip_nulls=True)
    if how == "max":
        return pc.max_element_wise(a, b, skip_nulls=True)
    if pa.types.is_decimal(a.type):
        wide = pa.decimal256(min(76, a.type.precision + 1), a.type.scale)
        return pc.coalesce(pc.add(a.cast(wide), b.cast(wide)).cast(a.type), a, b)
    return pc.coalesce(pc.add(a, b).cast(a.type), a, b)


def _mask(rows: int, at: Any) -> Any:
    """A boolean array of `rows`, true at the rows `at`."""
    import numpy as np
    import pyarrow as pa

    mask = np.zeros(rows, dtype=bool)
    mask[at.to_numpy()] = True
    return pa.array(mask)


def _updated(column: Any, mask: Any, values: Any) -> Any:
    """`column` with its rows where `mask` is true replaced by `values`, in order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(values):
        return column
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.replace_with_mask(column.combine_chunks(), mask, values)


def _without(new: Any, of: Any) -> Any:
    """The rows of `new` other than `of`: the keys the kept tally did not have yet."""
    import numpy as np
    import pyarrow as pa

    keep = np.ones(new.num_rows, dtype=bool)
    keep[of.to_numpy()] = False
    return new.filter(pa.array(keep))
