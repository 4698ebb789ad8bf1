"""sanctioned_party in a scoped run: its subjects are the scope's keys (every role `SCOPE` names makes
an actor a dealer), so it does not look for the country's dealers, and it gives the full run's alerts."""

from __future__ import annotations

from pathlib import Path

from filon.detect import sanctioned_party
from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.sanctioned_party import DEALING_SQL, detect
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.detect.test_sanctioned_party import HELD_BY_OSORIO, write


class Recording(DuckDBEngine):
    """DuckDB, remembering the SQL it ran."""

    def __init__(self, con) -> None:  # type: ignore[no-untyped-def]
        super().__init__(con)
        self.ran: list[str] = []

    def query(self, sql, params=None):  # type: ignore[no-untyped-def]
        self.ran.append(sql)
        return super().query(sql, params)

    def query_arrow(self, sql):  # type: ignore[no-untyped-def]
        self.ran.append(sql)
        return super().query_arrow(sql)


def test_a_scoped_run_screens_its_keys_without_finding_every_dealer(package: Path, tmp_path: Path) -> None:
    write(package, ["S1,ORO ANDINO COMERCIALIZADORA,company,PE,20613456784,OFAC SDN,x",
                    "S2,JAIRO ALONSO OSORIO RESTREPO,person,CO,,OFAC SDN,x"],
          **HELD_BY_OSORIO)
    ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    p = defaults("sanctioned_party")
    everyone = {a.subject_id: a for a in detect(DetectContext(DuckDBEngine(ws.connect())), p)}
    assert set(everyone) == {"CO-A001", "PE-A003"}
    for keys, fires in (({"PE-A003", "PE-A001"}, ["PE-A003"]), ({"PE-A001", "PE-A004"}, [])):
        whole = DetectContext(Recording(ws.connect()))
        scoped = DetectContext(Recording(ws.connect()), full=whole, scope_keys=frozenset(keys))
        assert detect(scoped, p) == [everyone[a] for a in fires]
        ran = whole.engine.ran + scoped.engine.ran
        assert DEALING_SQL not in ran
        assert any(sanctioned_party.VALUE_SQL in q for q in ran) == bool(fires)  # a value at risk for an alert only
