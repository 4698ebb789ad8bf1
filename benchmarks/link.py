"""Benchmark: `filon link` on a scaled demo region with a noisy copy of its parties.

    .venv/bin/python benchmarks/link.py [--scale 5] [--copies 2] [--share 0.5] [--params FILE]

Generates the demo region (seeded, cached under benchmarks/_data), adds `copies` watch-list
variants for `share` of its actors (see filon.link.variants), then runs the whole link
(validate + load + normalize + train + predict + cluster + write) in a separate process and
prints wall time, peak RSS, record and signature counts, and pairwise precision / recall / F1
against the answer key. Defaults give about 120k records and 60k distinct names.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "_data" / "link"
RUN = """
import json, resource, sys, time
from pathlib import Path
from filon.link import link_source
t = time.perf_counter()
r = link_source(Path(sys.argv[1]), Path(sys.argv[2]), mode="full", params=Path(sys.argv[3]) if sys.argv[3] else None)
print(json.dumps({"seconds": time.perf_counter() - t, "records": r.records, "signatures": r.signatures,
                  "entities": r.entities, "review": r.review_pairs, "vetoed": r.vetoed_pairs, "notes": r.notes,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def package(scale: float, copies: int, share: float) -> Path:
    from filon.demo import generate_region
    from filon.link.variants import make_noisy

    demo = DATA / f"demo-x{scale:g}"
    noisy = DATA / f"noisy-x{scale:g}-c{copies}-s{share:g}"
    if not (demo / "actors.csv").exists():
        t = time.perf_counter()
        generate_region(demo, seed=7, scale=scale)
        print(f"generated demo scale {scale:g} in {time.perf_counter() - t:.1f} s")
    if not (noisy / "actors.csv").exists():
        shutil.rmtree(noisy, ignore_errors=True)
        added = make_noisy(demo, noisy, share=share, copies=copies, seed=1)
        print(f"added {added:,} variant rows")
    return noisy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=5.0)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--share", type=float, default=0.5)
    ap.add_argument("--params", type=Path, default=None, help="YAML overriding the 'link' thresholds")
    args = ap.parse_args()
    source = package(args.scale, args.copies, args.share)
    out = DATA / "out"
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", RUN, str(source), str(out), str(args.params or "")], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(done.stderr)
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    from filon.demo.link_truth import LINK_TRUTH
    from filon.link.evaluate import pairwise_scores, read_keyed

    scores = pairwise_scores(read_keyed(out / "entities.csv", "entity_id"),
                             read_keyed(source / LINK_TRUTH, "true_entity"))
    print(f"records {stats['records']:,}  distinct names {stats['signatures']:,}  entities {stats['entities']:,}  "
          f"review pairs {stats['review']:,}  vetoed pairs {stats['vetoed']:,}")
    print(f"time {stats['seconds']:.1f} s  peak RSS {stats['peak_rss_mb']:.0f} MiB")
    print("all pairs:      precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}".format(**scores))
    print("variant pairs:  precision {variant_precision:.4f} recall {variant_recall:.4f} F1 {variant_f1:.4f} "
          "({variant_true_pairs:.0f} true pairs)".format(**scores))
    for note in stats["notes"]:
        print(f"  {note}")


if __name__ == "__main__":
    main()
