"""`filon serve WS --demo`: a demo workspace with analysed alerts and one user per role.

Demo users get fresh random passwords, printed once; they exist only in demo mode, so no
installation ever has default credentials.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select

from filon.api.auth import create_user
from filon.api.db.models import User
from filon.api.db.session import Database
from filon.store.workspace import MANIFEST

#: (user name, role, countries)
DEMO_USERS = (("admin", "admin", "*"), ("supervisor", "supervisor", "*"),
              ("analyst_pe", "analyst", "PE"), ("analyst_co", "analyst", "CO"))


def build_demo_workspace(workspace: Path, *, seed: int = 7, scale: float = 0.2, progress=print) -> None:  # noqa: ANN001
    """Generate the demo region, ingest it into `workspace` and analyse it into WS/results/."""
    from filon.demo import generate_region
    from filon.detect.runner import run_analysis
    from filon.ingest.load import ingest_package

    if (workspace / MANIFEST).exists():
        return
    with tempfile.TemporaryDirectory(prefix="filon-demo-") as tmp:
        package = Path(tmp) / "package"
        progress("generating the demo region…")
        generate_region(package, seed=seed, scale=scale)
        shutil.move(str(package / "ground_truth.csv"), Path(tmp) / "ground_truth.csv")
        progress("ingesting…")
        ingest_package(package, workspace, progress=lambda _m: None)
        progress("analysing…")
        run_analysis(workspace, workspace / "results")


def ensure_demo_users(db: Database) -> dict[str, str]:
    """Create the missing demo users; return {name: password} for those just created."""
    created = {}
    with db.session() as s:
        existing = set(s.scalars(select(User.username)))
    for name, role, countries in DEMO_USERS:
        if name not in existing:
            password = secrets.token_urlsafe(12)
            create_user(db, name, password, role, countries)
            created[name] = password
    return created
