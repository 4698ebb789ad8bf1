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
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from incremental import alerts, same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument("--match", default="", help="only profile rows whose function path contains this")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()

    from filon.detect import incremental
    from filon.detect.runner import run_analysis

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
            slowest = sorted(((end - at, m) for (at, m), end in zip(steps, ends)), reverse=True)[:8]
            print(f"run {i + 1}: {total:.2f}s — " + "; ".join(f"{m} {d:.2f}s" for d, m in slowest), flush=True)
            if expected is not None and not same(alerts(out), expected):
                print("  alerts differ from full/alerts.json", flush=True)
    if prof:
        stats = pstats.Stats(prof).sort_stats(args.sort)
        stats.print_stats(args.match, args.top) if args.match else stats.print_stats(args.top)


if __name__ == "__main__":
    main()
