"""`python -m filon.demo OUT_DIR [--seed N] [--scale X]`: write the demo package and print its summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from filon.demo import generate_region


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m filon.demo", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    summary = generate_region(args.out_dir, seed=args.seed, scale=args.scale)
    print(f"wrote {summary.path} in {summary.seconds:.1f} s (seed {summary.seed}, scale {summary.scale:g}): "
          f"{summary.fire_cases} planted cases, {summary.silent_cases} look-alikes")
    for table, n in summary.counts.items():
        print(f"  {table:<14} {n:>8}")


if __name__ == "__main__":
    main()
