"""A small analysed demo workspace and signed-in clients for each role."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from filon.api.app import create_app  # noqa: E402
from filon.api.auth import create_user  # noqa: E402
from filon.api.db.session import Database, default_url  # noqa: E402
from filon.api.demo_setup import build_demo_workspace  # noqa: E402

PASSWORD = "correct-horse-battery"
USERS = {"admin": ("admin", "*"), "super": ("supervisor", "*"), "ana_pe": ("analyst", "PE"), "ana_co": ("analyst", "CO")}


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("api") / "workspace"
    build_demo_workspace(ws, scale=0.1, progress=lambda _m: None)
    db = Database(default_url(ws))
    for name, (role, countries) in USERS.items():
        create_user(db, name, PASSWORD, role, countries)
    db.close()
    return ws


@pytest.fixture(scope="session")
def app(demo_workspace: Path):
    return create_app(demo_workspace)


def login(app, name: str) -> TestClient:
    client = TestClient(app)
    r = client.post("/api/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


@pytest.fixture(scope="session")
def login_as(app):
    return lambda name: login(app, name)


@pytest.fixture(scope="session")
def admin(app) -> TestClient:
    return login(app, "admin")


@pytest.fixture(scope="session")
def analyst_pe(app) -> TestClient:
    return login(app, "ana_pe")
