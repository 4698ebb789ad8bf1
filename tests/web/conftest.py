"""A live server on a free loopback port over a small demo workspace, and headless Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory):
    uvicorn = pytest.importorskip("uvicorn")
    from filon.api.app import create_app
    from filon.api.auth import create_user
    from filon.api.db.session import Database, default_url
    from filon.api.demo_setup import build_demo_workspace

    ws = tmp_path_factory.mktemp("web") / "workspace"
    build_demo_workspace(ws, scale=0.1, progress=lambda _m: None)
    db = Database(default_url(ws))
    for name, role, countries in (("super", "supervisor", "*"), ("ana_pe", "analyst", "PE")):
        create_user(db, name, PASSWORD, role, countries)
    db.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ws), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()
