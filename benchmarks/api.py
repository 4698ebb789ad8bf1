"""Benchmark: the analyst workspace under load on loopback.

    .venv/bin/python benchmarks/api.py [--scale 1] [--users 50] [--requests 40]

Builds (once, cached under benchmarks/_data) the demo workspace analysed at `--scale`, starts
`filon serve` in a subprocess, logs `--users` clients in and has them list alerts concurrently
(random filters and pages of 50), then prints p50/p95/p99 latency and throughput. With Playwright
and Debian's chromium installed it also times the dashboard's first load (page ready) and the
first view after signing in. Targets: alert list p95 < 100 ms at 50 users, first load < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

PASSWORD = "benchmark-password-1"
FILTERS = ("", "&country=PE", "&country=CO", "&typology=unlicensed_disturbance", "&min_score=0.8", "&sort=-score")


def workspace(root: Path, scale: float) -> Path:
    from filon.api.auth import create_user
    from filon.api.db.session import Database, default_url
    from filon.api.demo_setup import build_demo_workspace

    ws = root / f"api-ws-x{scale:g}"
    build_demo_workspace(ws, scale=scale, progress=lambda m: print(m, flush=True))
    db = Database(default_url(ws))
    try:
        create_user(db, "bench", PASSWORD, "admin", "*")
    except Exception:  # already there from an earlier run
        pass
    return ws


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def user(base: str, n: int, latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post("/api/login", json={"username": "bench", "password": PASSWORD})
        r.raise_for_status()
        for _ in range(n):
            url = f"/api/alerts?limit=50&offset={random.choice((0, 0, 50, 100))}{random.choice(FILTERS)}"
            t = time.perf_counter()
            r = await client.get(url)
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()


async def crowd(base: str, users: int, n: int, latencies: list[float]) -> None:
    await asyncio.wait_for(asyncio.gather(*(user(base, n, latencies) for _ in range(users))), timeout=600)


def first_load(base: str) -> tuple[float, float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        t = time.perf_counter()
        page.goto(f"{base}/#/login", wait_until="load")
        page.wait_for_selector("input[name=username]")
        ready = time.perf_counter() - t
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", PASSWORD)
        t = time.perf_counter()
        page.click("#login button[type=submit]")
        page.wait_for_selector("#scope")
        page.wait_for_load_state("networkidle")
        overview = time.perf_counter() - t
        browser.close()
    return ready, overview


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40, help="alert-list requests per user")
    ap.add_argument("--workdir", type=Path, default=Path(__file__).parent / "_data")
    args = ap.parse_args()
    ws = workspace(args.workdir, args.scale)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(Path(sys.executable).parent / "filon"), "serve", str(ws), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/api/session", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        latencies: list[float] = []
        t = time.perf_counter()
        asyncio.run(crowd(base, args.users, args.requests, latencies))
        wall = time.perf_counter() - t
        q = statistics.quantiles(latencies, n=100)
        print(f"alert list, {args.users} concurrent users x {args.requests} requests: p50 {q[49] * 1000:.0f} ms, "
              f"p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, {len(latencies) / wall:.0f} requests/s")
        loads = first_load(base)
        if loads:
            print(f"dashboard first load (login page ready) {loads[0]:.2f} s; overview after sign-in {loads[1]:.2f} s")
        else:
            print("dashboard first load: skipped (Playwright or /usr/bin/chromium missing)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
