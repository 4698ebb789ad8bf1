"""Profile the incremental run of a case `benchmarks/incremental.py` left behind, as often as needed.

    .venv/bin/python benchmarks/profile_incremental.py benchmarks/_data/incremental-x10-trades-0.01 \
        [--repeat 3] [--profile] [--sort cumulative] [--match filon] [--top 40]

The case folder holds the workspace with the new batch already loaded (`ws/`) and the result
folder of the run before that batch (`first/`). Each repetition copies `first/` to a scratch
folder and analyses the workspace incrementally, printing the time of every step (slowest first)
and, with --profile, a cProfile table of the last repetition.

Why pin the code key: the state in `first/` was written by the code of the day the case was made;
any edit under src/filon invalidates it (by design: see `incremental.code_key`), and every run
would then be a full one. Pinning makes the edited code reuse that state, so the effect of an
edit on the incremental run can be measured without re-making the case. Only for measuring: the
alerts of a pinned run are checked against `full/alerts.json` when that folder exists, and a
difference is printed.

A state pinned this way lacks what the edited code keeps that the old code did not (a new tally is
computed from all rows in every repetition). `--renew` remakes `first/` with the code as it is: the
batch is taken out of the workspace, the workspace analysed, the batch loaded again. It rewrites
the case: use it on a copy when others measure on the same case.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from incremental import alerts, same


def renew(case: Path) -> None:
    """Take the batch (the files of case/batch) out of case/ws, analyse into case/first, load it again."""
    from filon.detect.runner import run_analysis
    from filon.ingest.load import ingest_package
    from filon.store.remove import remove_batch
    from filon.store.workspace import Workspace

    ws = Workspace(case / "ws")
    digests = {hashlib.sha256(f.read_bytes()).hexdigest() for f in (case / "batch").iterdir() if f.is_file()}
    for b in ws.batches:
        if b.sha256 in digests:  # the case may have been copied: its recorded paths are the original's
            remove_batch(ws, b.batch_id, force=True)
            ws = Workspace(case / "ws")
    shutil.rmtree(case / "first", ignore_errors=True)
    t = time.perf_counter()
    run_analysis(case / "ws", case / "first")
    print(f"first/ remade in {time.perf_counter() - t:.1f}s", flush=True)
    ingest_package(case / "batch", case / "ws")


def time_queries(slower_than: float) -> None:
    """Print the engine's queries slower than `slower_than` seconds, the detector (or module) that ran them first."""
    import traceback

    from filon.engine.duckdb import DuckDBEngine

    def timed(method: Any) -> Any:
        def run(self: Any, sql: str, *rest: Any) -> Any:
            t = time.perf_counter()
            try:
                return method(self, sql, *rest)
            finally:
                took = time.perf_counter() - t
                if took >= slower_than:
                    caller = next((f"{Path(f.filename).stem}:{f.lineno}" for f in reversed(traceback.extract_stack())
                                   if "/filon/" in f.filename and "/engine/" not in f.filename and "context.py" not in f.filename), "?")
                    print(f"    {took * 1000:6.0f} ms {caller:32} {' '.join(sql.split())[:110]}", flush=True)
        return run

    DuckDBEngine.query = timed(DuckDBEngine.query)  # type: ignore[method-assign]
    DuckDBEngine.query_arrow = timed(DuckDBEngine.query_arrow)  # type: ignore[method-assign]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument("--match", default="", help="only profile rows whose function path contains this")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--slow", type=float, default=0.0, metavar="MS",
                    help="print every engine query slower than MS milliseconds, with its caller")
    ap.add_argument("--renew", action="store_true", help="remake first/ with the code as it is (rewrites the case)")
    args = ap.parse_args()
    if args.renew:
        renew(args.case)

    from filon.detect import incremental
    from filon.detect.runner import run_analysis

    if args.slow:
        time_queries(args.slow / 1000)
    state = json.loads((args.case / "first" / incremental.STATE_DIR / incremental.STATE_FILE).read_text(encoding="utf-8"))
    incremental.code_key = lambda: state["code"]  # see the module's docstring
    expected = alerts(args.case / "full") if (args.case / "full" / "alerts.json").exists() else None
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="filon-profile-") as tmp:
            out = Path(tmp) / "out"
            shutil.copytree(args.case / "first", out)
            steps: list[tuple[float, str]] = []
            prof = cProfile.Profile() if args.profile and i == args.repeat - 1 else None
            t = time.perf_counter()
            if prof:
                prof.enable()
            run_analysis(args.case / "ws", out, progress=lambda m: steps.append((time.perf_counter(), m)))
            if prof:
                prof.disable()
            total = time.perf_counter() - t
            ends = [s[0] for s in steps[1:]] + [t + total]
            slowest = sorted(((end - at, m) for (at, m), end in zip(steps, ends)), reverse=True)[:40]
            print(f"run {i + 1}: {total:.2f}s — " + "; ".join(f"{m} {d:.2f}s" for d, m in slowest), flush=True)
            if expected is not None and not same(alerts(out), expected):
                print("  alerts differ from full/alerts.json", flush=True)
    if prof:
        stats = pstats.Stats(prof).sort_stats(args.sort)
        stats.print_stats(args.match, args.top) if args.match else stats.print_stats(args.top)


if __name__ == "__main__":
    main()
