"""Incremental analysis: reuse what the last run into the same folder computed, when its inputs
have not changed.

A new batch usually touches one or two tables (a month of customs declarations, a production
report). Re-running the twenty detectors on everything to find what the batch changed wastes the
analyst's time, so each run leaves, beside its outputs, a small state (`OUT/.filon-state/`):
for every detector, the tables it actually read (recorded from its SQL as it ran, not declared
by hand, so a detector that starts reading a new table is tracked without anyone remembering to
say so), a fingerprint of those tables (their batch ids), its version and its parameters, and
its alerts at full precision. On the next run a detector whose fingerprint is unchanged is not
run: its alerts are taken from the state. A detector is a deterministic function of the tables
it reads and its parameters, so this gives the alerts a full run would give (tested against
full runs). Anything that cannot be matched (a batch removed, another filon version or changed code,
different parameters, a detector that failed last time, a damaged state) is simply run again.

When a detector's inputs did change, and only by new batches, a detector that declares a
`Scope` runs again on the rows of the subjects those batches touch: for each changed table the
scope names the expressions that tie a row to a subject (an export to its exporter, a trade to
its seller and its buyer); the new rows' keys select every row, old or new, of those subjects in
the changed tables (the other tables stay whole), the detector runs on that, and its alerts for
those subjects replace the last run's, the others' being kept. That is exact when an alert about a
subject depends on the changed tables only through that subject's rows, which each scope states
and `tests/detect/test_incremental.py` checks against full runs on random batches. The scoped runs
of one analysis share a connection, and with it the subjects' keys and narrowed tables that their
scopes have in common (`ScopedConnection`). Scoped runs need DuckDB (the default engine); on Spark
the detector runs in full. Sums a detector needs over every row (the supply balances) are kept
between runs too, and brought up to date by adding the new batches' sums (`filon.detect.tally`).

The risk ranking is reused the same way when neither the alerts nor the tables it read moved.
`filon analyze --full` ignores the state.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from filon import __version__
from filon.detect.alerts import Alert, _json_default
from filon.store.workspace import DERIVED, Workspace

STATE_DIR = ".filon-state"
STATE_FILE = "state.json"
FORMAT = 1


@lru_cache(maxsize=1)
def _table_pattern() -> re.Pattern[str]:
    from filon.standard.model import load_standard

    names = sorted({t.name for t in load_standard()} | set(DERIVED), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")


def tables_in(sql: str) -> set[str]:
    """The standard's (and derived) tables a query may read: every table name written as a word.

    A superset on purpose (a column alias or a string equal to a table name counts too): reading
    one table too many only costs a re-run, missing one would reuse stale alerts.
    """
    return set(_table_pattern().findall(sql))


def fingerprints(ws: Workspace) -> dict[str, str]:
    """Per table, a digest of the batches it is made of (ids and content hashes); per derived
    table, of its file's size and modification time. Tables without rows have the digest of nothing."""
    parts: dict[str, list[str]] = {}
    for b in ws.batches:
        parts.setdefault(b.table, []).append(f"{b.batch_id}:{b.sha256}:{b.rows}")
    out = {t: _digest(sorted(v)) for t, v in parts.items()}
    for name, file in DERIVED.items():
        path = ws.path / file
        if path.exists():
            st = path.stat()
            out[name] = _digest([str(st.st_size), str(st.st_mtime_ns)])
    return out


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:24]


def input_key(tables: set[str] | list[str], prints: dict[str, str]) -> dict[str, str]:
    """The fingerprint of the tables a step read ("" for a table with no rows)."""
    return {t: prints.get(t, "") for t in sorted(tables)}


def file_key(path: Path) -> str:
    """A side file's fingerprint (size and modification time; "" when absent)."""
    try:
        st = path.stat()
    except OSError:
        return ""
    return _digest([str(st.st_size), str(st.st_mtime_ns)])


@lru_cache(maxsize=1)
def code_key() -> str:
    """A digest of the code and data files alerts and the ranking are computed from: a state left by
    other code (an upgrade, or a developer's edit without a version bump) is never reused."""
    import filon

    root = Path(filon.__file__).parent
    parts = []
    for folder in ("detect", "graph", "geo", "risk", "report", "standard", "store", "engine"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".csv", ".json", ".html", ".j2"):
                parts.append(f"{path.relative_to(root)}:{hashlib.sha256(path.read_bytes()).hexdigest()}")
    return _digest(parts)


def rows_key(rows: list[dict[str, Any]]) -> str:
    return _digest([json.dumps(rows, sort_keys=True, default=str)])


def params_key(values: Any) -> str:
    return _digest([json.dumps(dict(values), sort_keys=True, default=str)])


@dataclass(frozen=True)
class Scope:
    """How a detector's alerts localise: `keys[table]` are SQL expressions over a row of `table`
    (alias `t`) giving the subject keys the row belongs to; `alert_key` gives an alert's key
    (its subject id unless said otherwise, e.g. a peer group for detectors comparing peers).

    The promise a scope makes: a subject's alerts depend only on the rows of each named table that
    belong to it, and on the tables not named (whole). A scoped run then sees only those rows."""

    keys: dict[str, tuple[str, ...]]
    alert_key: Callable[[Alert], str] = lambda a: a.subject_id


@dataclass
class DetectorState:
    version: str
    params: str
    inputs: dict[str, str]
    alerts: list[dict[str, Any]] = field(default_factory=list)
    #: Figures over the whole data it used (`DetectContext.query_global`): query -> result digest.
    globals: dict[str, str] = field(default_factory=dict)


@dataclass
class RunState:
    """What one run leaves for the next one into the same folder."""

    filon_version: str = __version__
    workspace: str = ""
    detectors: dict[str, DetectorState] = field(default_factory=dict)
    risk: dict[str, Any] | None = None
    #: Batch ids per table when the state was written: what is new since is what a scope runs on.
    batches: dict[str, list[str]] = field(default_factory=dict)
    #: Report sections as drawn, with what they read (see `filon.report.sections.SectionCache`).
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def reusable(self, code: str, version: str, params: str, prints: dict[str, str], full: Any) -> list[Alert] | None:
        """The alerts `code` found last time, when nothing it depends on (the tables it read, the
        figures over the whole data it took, recomputed on `full`) has changed; else None."""
        st = self.detectors.get(code)
        if st is None or st.version != version or st.params != params:
            return None
        if input_key(list(st.inputs), prints) != st.inputs or not globals_hold(st, full):
            return None
        return [Alert(**a) for a in st.alerts]

    def new_batches(self, code: str, version: str, params: str, prints: dict[str, str], ws: Workspace,
                    scope: Scope | None, full: Any) -> dict[str, set[str]] | None:
        """The batches added since the last run to each table `code` read, when they are the only
        change, `scope` covers every changed table and the figures it took over the whole data
        (recomputed on `full`, the unscoped context) are unchanged, so a scoped run is exact; else None."""
        st = self.detectors.get(code)
        if scope is None or st is None or st.version != version or st.params != params:
            return None
        now = batches_by_table(ws)
        added: dict[str, set[str]] = {}
        for table, fp in st.inputs.items():
            if prints.get(table, "") == fp:
                continue
            before = set(self.batches.get(table, ()))
            if table not in scope.keys or not before <= set(now.get(table, ())):
                return None  # a table the scope does not cover, or a batch removed: run in full
            added[table] = set(now.get(table, ())) - before
        if added and not globals_hold(st, full):
            return None  # a figure over all the data moved (e.g. the links in force): every subject may change
        return added or None


def globals_hold(st: DetectorState, full: Any) -> bool:
    """Whether every figure over the whole data a detector took is the same on `full`'s data now."""
    return all(rows_key(full.query_global(sql)) == digest for sql, digest in st.globals.items())


def batches_by_table(ws: Workspace) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for b in ws.batches:
        out.setdefault(b.table, []).append(b.batch_id)
    return out


class ScopedConnection:
    """One DuckDB connection for the scoped runs of an analysis, opened on the first. `narrow` gives
    each run the tables its scope names holding only the rows of the subjects the new batches
    touch (every other table whole), and those subjects' keys. Tables that did not change are
    narrowed too: a subject's alerts depend only on its own rows of them (what a scope declares),
    and a detector then works on a few thousand rows instead of the nation's.

    A narrowed table is a view filtering the table's files on the subjects' keys, not a copy: a
    copy decodes every column of every matching row up front (seconds at national scale, when a
    week of exports touches the large exporters and their trades), while a detector reads a few
    columns once or twice, which the view reads alone. The subjects' keys are computed once per
    distinct new batches and key expressions of the tables they changed, and shared by the runs
    (several detectors have the same scope, or scopes naming the same tables with the same
    expressions); before each run the views named after the tables are pointed at its narrowed
    views (the tables its scope does not name back at all their rows)."""

    def __init__(self, ws: Workspace) -> None:
        from filon.standard.model import load_standard

        self.ws = ws
        self.tables = load_standard().tables
        self.con: Any = None
        self._keys: dict[Any, tuple[str, frozenset[str]]] = {}  # -> temp table of the keys, the keys
        self._narrowed: dict[Any, str] = {}  # (table, expressions, keys) -> view of its subjects' rows
        #: The tables the last `narrow` narrowed (the others hold all their rows).
        self.narrowed_now: frozenset[str] = frozenset()
        self._pointed: dict[str, str] = {}  # table -> the narrowed view its view reads now

    def narrow(self, scope: Scope, added: dict[str, set[str]]) -> tuple[Any, frozenset[str]]:
        """The connection, with the tables narrowed for `scope` and the batches `added` to each
        changed table, and the subjects' keys. It stays open, and the next call changes its views."""
        if self.con is None:
            self.con = self.ws.connect()
        which = tuple(sorted((t, scope.keys[t], tuple(sorted(ids))) for t, ids in added.items()))
        if which not in self._keys:
            name = f"_scope_{len(self._keys)}"
            parts = [f"SELECT CAST({expr} AS VARCHAR) AS k FROM ({self.ws.table_sql(self.tables[t], only=ids)}) t"
                     for t, ids in added.items() for expr in scope.keys[t]]
            self.con.execute(f"CREATE TEMP TABLE {name} AS {self._whole(*(e for t in added for e in scope.keys[t]))} "
                             f"SELECT DISTINCT k FROM ({' UNION ALL '.join(parts)}) WHERE k IS NOT NULL")
            self._keys[which] = name, frozenset(r[0] for r in self.con.execute(f"SELECT k FROM {name}").fetchall())
        keys_table, keys = self._keys[which]
        pointed = {}
        for table, exprs in scope.keys.items():
            w = (table, exprs, which)
            if w not in self._narrowed:
                name = f'"_scoped_{table}_{len(self._narrowed)}"'
                where = " OR ".join(f"CAST({expr} AS VARCHAR) IN (SELECT k FROM {keys_table})" for expr in exprs)
                self.con.execute(f"CREATE TEMP VIEW {name} AS {self._whole(*exprs)} "
                                 f"SELECT * FROM ({self.ws.table_sql(self.tables[table])}) t WHERE {where}")
                self._narrowed[w] = name
            pointed[table] = self._narrowed[w]
        self._point(pointed)
        self.narrowed_now = frozenset(pointed)
        return self.con, keys

    def _whole(self, *exprs: str) -> str:
        """A WITH clause giving the tables key expressions read (a production row's right holder) all
        their rows, whatever the views named after them show when the query runs."""
        names = sorted(n for n in set().union(*(tables_in(e) for e in exprs)) if n in self.tables) if exprs else []
        if not names:
            return ""
        return "WITH " + ", ".join(f'"{n}" AS ({self.ws.table_sql(self.tables[n])})' for n in names)

    def _point(self, narrowed: dict[str, str]) -> None:
        """Point the view of each table in `narrowed` at its narrowed view, and every other one back
        at all its rows (the view `Workspace.connect` made)."""
        for table in set(self._pointed) | set(narrowed):
            if self._pointed.get(table) != narrowed.get(table):
                source = f"SELECT * FROM {narrowed[table]}" if table in narrowed else self.ws.table_sql(self.tables[table])
                self.con.execute(f'CREATE OR REPLACE VIEW "{table}" AS {source}')
                if table in narrowed:
                    self._pointed[table] = narrowed[table]
                else:
                    del self._pointed[table]

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        self.con, self._keys, self._narrowed, self._pointed, self.narrowed_now = None, {}, {}, {}, frozenset()


def alert_state(alert: Alert) -> dict[str, Any]:
    """An alert at full precision, JSON-safe (evidence as the alert row would write it)."""
    row = asdict(alert)
    row["evidence"] = json.loads(json.dumps(alert.evidence, ensure_ascii=False, sort_keys=True, default=_json_default))
    return row


def load_state(out: Path, ws: Workspace) -> RunState | None:
    """The state the last run left in `out`, if it was made by this filon on this workspace."""
    try:
        data = json.loads((out / STATE_DIR / STATE_FILE).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("filon_version") != __version__ or data.get("code") != code_key():
            return None
        if data.get("workspace") != str(ws.path.resolve()):
            return None
        detectors = {c: DetectorState(**d) for c, d in data["detectors"].items()}
        return RunState(data["filon_version"], data["workspace"], detectors, data.get("risk"),
                        {t: list(v) for t, v in data.get("batches", {}).items()}, data.get("sections") or {})
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no state, or a damaged one: run everything


def save_state(state: RunState, tmp: Path, out: Path) -> None:
    """Write the state beside the outputs (after them: a state never describes outputs that are not there)."""
    folder = out / STATE_DIR
    folder.mkdir(exist_ok=True)
    data = {"format": FORMAT, "filon_version": state.filon_version, "code": code_key(), "workspace": state.workspace,
            "detectors": {c: vars(d) for c, d in state.detectors.items()},  # JSON-safe already: no deep copy
            "risk": state.risk,
            "batches": state.batches, "sections": state.sections}
    staged = tmp / STATE_FILE
    staged.write_text(json.dumps(data, ensure_ascii=False, default=_json_default), encoding="utf-8")
    os.replace(staged, folder / STATE_FILE)


def drop_state(out: Path) -> None:
    """Forget the last run's state (a run that could not record its own must not leave an older one)."""
    (out / STATE_DIR / STATE_FILE).unlink(missing_ok=True)
