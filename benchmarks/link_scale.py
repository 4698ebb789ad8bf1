"""Scale benchmark: filon's linkage against a plain default Splink model, same data, same machine.

    .venv/bin/python benchmarks/link_scale.py [--entities 100000] [--memory 6GB] [--only filon|plain|privacy]

Draws a labelled benchmark (`filon.link.benchmark_data`, about 2.1 records per party) and runs,
each in its own process (so peak RSS is that run's alone), with DuckDB's memory_limit capped:

- filon: `filon.link.memory.link_rows` (normalization, signatures, Splink with domain
  comparisons, name rarity, constrained clustering);
- plain: a default Splink configuration (Jaro-Winkler 0.92/0.88 on the folded name, exact tax
  id and country, blocking on the name's first word and on the tax id, u by sampling, m by EM,
  Splink's own connected-components clustering at 0.8);
- privacy: encode both halves (registry rows / all other rows) with a shared secret and link
  on the encodings (`filon.link.privacy`).

Prints, for each, wall time, peak RSS and pairwise precision / recall / F1 plus B-cubed F1.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = r"""
import json, os, pickle, resource, sys, time
kind, data = sys.argv[1], sys.argv[2]
raw = pickle.load(open(data, "rb"))
t = time.perf_counter()
extra = {}
if kind == "filon":
    from filon.link.memory import link_rows
    linked = link_rows(raw)
    entity_of = linked.entity_of
    extra = {"stages": {k: round(v, 1) for k, v in linked.seconds.items()}, "signatures": linked.signatures,
             "notes": linked.notes}
elif kind == "privacy":
    from filon.link.privacy import encode_rows, link_encoded
    secret = os.urandom(32)
    a = encode_rows([r for r in raw if r[0] == "actors"], secret)
    b = encode_rows([r for r in raw if r[0] != "actors"], secret)
    t_enc = time.perf_counter() - t
    linked = link_encoded([a, b])
    entity_of = {k[1:]: v for k, v in linked.entity_of.items()}
    extra = {"stages": {"encode": round(t_enc, 1)} | {k: round(v, 1) for k, v in linked.seconds.items()},
             "signatures": len(entity_of), "notes": [f"{linked.candidate_pairs:,} pairs scored"]}
else:
    sys.path.insert(0, os.path.dirname(data))
    from link_scale_plain import plain_splink
    entity_of = plain_splink(raw)
seconds = time.perf_counter() - t
pickle.dump(entity_of, open(data + "." + kind, "wb"))
print(json.dumps({"seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
                 | extra))
"""

PLAIN = r'''
"""A plain default Splink model: what one gets from the Splink tutorial, for comparison."""
import logging
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from filon.engine.duckdb import connect
from filon.link.normalize import fold


def plain_splink(raw):
    rows = []
    for i, (table, column, key, name, country, kind, tax_id, scheme) in enumerate(raw):
        folded = fold(name)
        rows.append({"unique_id": i, "name": folded or None, "first_token": (folded.split() or [None])[0],
                     "tax_id": (tax_id or "").replace(".", "").replace("-", "").strip() or None,
                     "country": country})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.JaroWinklerAtThresholds("name", [0.92, 0.88]), cl.ExactMatch("tax_id"),
                     cl.ExactMatch("country")],
        blocking_rules_to_generate_predictions=[block_on("first_token"), block_on("tax_id")],
        retain_intermediate_calculation_columns=False, retain_matching_columns=False)
    db = DuckDBAPI(connect())
    linker = Linker(db.register(pa.Table.from_pylist(rows), table_name="records"), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match([block_on("tax_id")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_token"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("tax_id"))
    pred = linker.inference.predict(threshold_match_probability=0.8)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.8)
    got = dict(clusters.as_duckdbpyrelation().project("unique_id, cluster_id").fetchall())
    return {raw[i][:3]: str(got.get(i, f"single-{i}")) for i in range(len(raw))}
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=100_000, help="parties to draw (records are about 2.1 times more)")
    ap.add_argument("--memory", default="6GB", help="DuckDB memory_limit for every run")
    ap.add_argument("--only", choices=("filon", "plain", "privacy"), action="append")
    args = ap.parse_args()
    from filon.link.benchmark_data import make_benchmark
    from filon.link.evaluate import cluster_scores, pairwise_scores

    t = time.perf_counter()
    bench = make_benchmark(args.entities, seed=11)
    print(f"{len(bench.raw):,} records of {args.entities:,} parties drawn in {time.perf_counter() - t:.1f} s")
    names = {r[:3]: r[3] for r in bench.raw}
    truth = {k: (v, names[k]) for k, v in bench.truth.items()}
    env = dict(os.environ, FILON_MEMORY_LIMIT=args.memory)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "raw.pkl"
        data.write_bytes(pickle.dumps(bench.raw))
        (Path(tmp) / "link_scale_plain.py").write_text(PLAIN, encoding="utf-8")
        for kind in args.only or ("filon", "plain", "privacy"):
            done = subprocess.run([sys.executable, "-c", RUN, kind, str(data)], capture_output=True, text=True,
                                  env=env, check=False)
            if done.returncode:
                print(f"{kind}: failed\n{done.stderr[-3000:]}")
                continue
            stats = json.loads(done.stdout.strip().splitlines()[-1])
            entity_of = pickle.loads(Path(f"{data}.{kind}").read_bytes())
            scores = pairwise_scores({k: (v, names[k]) for k, v in entity_of.items()}, truth)
            bcubed = cluster_scores(entity_of, bench.truth)
            print(f"{kind:8s} time {stats['seconds']:7.1f} s  peak RSS {stats['peak_rss_mib']:6.0f} MiB  "
                  f"P {scores['precision']:.4f} R {scores['recall']:.4f} F1 {scores['f1']:.4f}  "
                  f"variant F1 {scores['variant_f1']:.4f}  B-cubed F1 {bcubed['bcubed_f1']:.4f}  "
                  f"ARI {bcubed['adjusted_rand']:.4f}", flush=True)
            if "stages" in stats:
                print(f"         stages (s) {stats['stages']}  signatures {stats['signatures']:,}  "
                      f"{'; '.join(stats['notes'])}", flush=True)


if __name__ == "__main__":
    main()
