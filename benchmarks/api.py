"""Benchmark: the analyst workspace under load on loopback.

    .venv/bin/python benchmarks/api.py [--scale 1] [--users 50] [--requests 40] [--runs 1]

Builds (once, cached under benchmarks/_data) the demo workspace analysed at `--scale`, starts
`filon serve` in a subprocess and signs `--users` clients in (timed on its own: each sign-in is
a deliberately slow argon2id check). Then, all at once, every client lists alerts `--requests`
times back to back over its own keep-alive connection (random filters and pages of 50), and
the benchmark prints p50/p95/p99 latency, throughput, and the CPU time the server and this
load generator spent per request. `--runs N` repeats the timed phase on the same server, as
the machine may be shared with other work.

Server and load generator share the machine's cores, so the generator must be cheap: httpx
spends about 3 ms of CPU per request, more than the server itself, and on two cores that
shows up as server latency. The timed phase therefore uses a minimal HTTP/1.1 client on
asyncio streams (`--client raw`, the default); `--client httpx` measures with httpx instead.

With Playwright and Debian's chromium installed it also times the dashboard's first load (page
ready) and the first view after signing in. Targets: alert list p95 < 100 ms at 50 users,
first load < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux /proc, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sign_in(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/login", json={"username": "bench", "password": PASSWORD})
    r.raise_for_status()


def alert_urls(n: int) -> list[str]:
    return [f"/api/alerts?limit=50&offset={random.choice((0, 0, 50, 100))}{random.choice(FILTERS)}" for _ in range(n)]


async def browse_httpx(client: httpx.AsyncClient, n: int, latencies: list[float]) -> None:
    for url in alert_urls(n):
        t = time.perf_counter()
        r = await client.get(url)
        latencies.append(time.perf_counter() - t)
        r.raise_for_status()


async def browse_raw(client: httpx.AsyncClient, n: int, latencies: list[float]) -> None:
    """The same requests on one keep-alive connection, written and read by hand (the server
    sends Content-Length; status and length are all this needs from the headers)."""
    host, port = client.base_url.host, client.base_url.port
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for url in alert_urls(n):
            request = f"GET {url} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
            t = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line[:15].lower() == b"content-length:")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
    finally:
        writer.close()


async def crowd(base: str, users: int, n: int, runs: int, server_pid: int, raw: bool) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in range(users)]
    browse = browse_raw if raw else browse_httpx
    try:
        t = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(sign_in(c) for c in clients)), timeout=600)
        print(f"{users} sign-ins (argon2id, queued on the server's hashing pool): {time.perf_counter() - t:.1f} s; "
              f"server peak memory {peak_memory_mib(server_pid):.0f} MiB", flush=True)
        for run in range(1, runs + 1):
            latencies: list[float] = []
            cpu_server, cpu_client = cpu_seconds(server_pid), time.process_time()
            t = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(browse(c, n, latencies) for c in clients)), timeout=600)
            wall = time.perf_counter() - t
            cpu_server, cpu_client = cpu_seconds(server_pid) - cpu_server, time.process_time() - cpu_client
            q = statistics.quantiles(latencies, n=100)
            print(f"alert list ({'raw' if raw else 'httpx'} client), run {run}, {users} concurrent users x {n} requests: "
                  f"p50 {q[49] * 1000:.0f} ms, "
                  f"p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, {len(latencies) / wall:.0f} requests/s; "
                  f"CPU per request: server {cpu_server / len(latencies) * 1000:.2f} ms, "
                  f"load generator {cpu_client / len(latencies) * 1000:.2f} ms", flush=True)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


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
    ap.add_argument("--requests", type=int, default=40, help="alert-list requests per user and run")
    ap.add_argument("--runs", type=int, default=1, help="timed phases, one after the other, on the same server")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator of the timed phase")
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
        asyncio.run(crowd(base, args.users, args.requests, args.runs, server.pid, args.client == "raw"))
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
