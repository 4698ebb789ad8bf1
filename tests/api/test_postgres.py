"""The app database on a real PostgreSQL server: a throw-away cluster in a temp dir, skipped
when initdb/pg_ctl are not installed (CI: apt-get install -y postgresql)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

INITDB, PG_CTL = shutil.which("initdb"), shutil.which("pg_ctl")
pytestmark = pytest.mark.skipif(not (INITDB and PG_CTL), reason="PostgreSQL server binaries (initdb, pg_ctl) not installed")


@pytest.fixture(scope="module")
def pg_url():
    pytest.importorskip("psycopg")
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="filon-pg-"))  # outside pytest's 0700 folder, so 'nobody' can reach it
    data = root / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root; run the cluster as nobody in a folder it owns
        data.parent.chmod(0o777)
        run_as = ["runuser", "-u", "nobody", "--"]
    subprocess.run(run_as + [INITDB, "-D", str(data), "-U", "filon", "--auth=trust"], check=True, capture_output=True)
    log = data.parent / "pg.log"
    subprocess.run(run_as + [PG_CTL, "-D", str(data), "-l", str(log), "-w", "-o", f"-p {port} -k {data.parent} -h 127.0.0.1",
                             "start"], check=True, capture_output=True)
    yield f"postgresql+psycopg://filon@127.0.0.1:{port}/postgres"
    subprocess.run(run_as + [PG_CTL, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def test_triage_and_users_on_postgres(pg_url: str) -> None:
    from filon.api.auth import authenticate, create_user
    from filon.api.db.session import Database
    from filon.api.triage import TriageBook

    db = Database(pg_url)
    db.migrate()  # a second run is a no-op
    create_user(db, "pg_analyst", "a-long-password", "analyst", "PE")
    assert authenticate(db, "pg_analyst", "a-long-password") is not None
    book = TriageBook(db)
    book.change("AL-0000000000000001", "pg_analyst", status="escalated", assignee="boss", note="first look")
    fresh = TriageBook(Database(pg_url))
    assert fresh.of("AL-0000000000000001")["status"] == "escalated"
    assert fresh.notes("AL-0000000000000001")[0]["text"] == "first look"
    assert '"escalated"' in fresh.history("AL-0000000000000001")[0]["detail"]
    db.close()
