"""Benchmark: effective ownership and ultimate owners over a generated registry with cycles.

    .venv/bin/python benchmarks/ubo.py [--companies 100000 300000 1000000] [--links-per-company 3]

Each size is generated (seeded) as arrays: 3 links per company on average; three quarters go to
natural persons, the rest to another company further up a layered hierarchy, and 1 % of those
get a reverse stake (the owned company holds part of its owner), closing ownership cycles. Direct shares of each company sum to at most 100 %.
Measured, each size in a fresh process: effective ownership (`effective_from_matrices`, both
bounds when ranges exist: here exact shares, one run), cycle detection, and ultimate owners
(natural persons or other terminal owners at 25 % or more) for every company; plus, at the
smallest size, `build_graph` from rows (the object path detectors use), to show its overhead.
Prints wall time and peak RSS. Data is generated in memory (nothing written to benchmarks/_data).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def generate(n: int, per_company: float, seed: int = 7) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(nodes, subject, owner, share) arrays: companies 0..n-1, persons n..n+n-1."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(per_company - 1, n) + 1
    subject = np.repeat(np.arange(n), counts)
    m = subject.size
    to_company = rng.random(m) < 0.25
    up = subject + rng.integers(1, 2000, m)
    company_owner = np.clip(up, 0, n - 1)
    person_owner = n + rng.integers(0, n, m)
    owner = np.where(to_company & (company_owner != subject), company_owner, person_owner)
    # Cycles: 1 % of company links get a reverse link (the owned company takes a stake in its owner).
    loops = np.flatnonzero((owner < n) & (rng.random(m) < 0.01))
    subject, owner = np.concatenate([subject, owner[loops]]), np.concatenate([owner, subject[loops]])
    raw = rng.uniform(0.2, 1.0, subject.size)
    totals = np.bincount(subject, weights=raw, minlength=n)
    leave = rng.uniform(0.0, 0.1, n) * (rng.random(n) < 0.3)       # some companies do not declare all shares
    share = raw / totals[subject] * (1.0 - leave[subject])
    return 2 * n, subject, owner, share


def run(n: int, per_company: float, with_objects: bool) -> dict:
    from scipy import sparse

    from filon.graph.effective import effective_from_matrices

    t0 = time.perf_counter()
    nodes, subject, owner, share = generate(n, per_company)
    t1 = time.perf_counter()
    a = sparse.csr_matrix((share, (subject, owner)), shape=(nodes, nodes))
    a.sum_duplicates()
    ids = [str(i) for i in range(nodes)]
    eff = effective_from_matrices(ids, {}, a, a)
    t2 = time.perf_counter()
    terminal = np.asarray(a.getnnz(axis=1) == 0)
    e = eff.high.tocoo()
    is_ubo = terminal[e.col] & (e.data >= 0.25)
    companies_with_ubo = np.unique(e.row[is_ubo]).size
    worst = np.bincount(e.row[terminal[e.col]], weights=e.data[terminal[e.col]], minlength=nodes).max()
    t3 = time.perf_counter()
    out = {"companies": n, "links": int(subject.size), "generate_s": round(t1 - t0, 2),
           "effective_s": round(t2 - t1, 2), "iterations": eff.iterations, "converged": eff.converged,
           "effective_pairs": int(eff.high.nnz), "nodes_on_cycles": len(eff.circular),
           "ubo_s": round(t3 - t2, 2), "ubo_pairs": int(is_ubo.sum()), "companies_with_ubo": int(companies_with_ubo),
           "max_terminal_total": round(float(worst), 6)}
    if with_objects:
        from filon.graph.ownership import build_graph, effective_ownership

        rows = [{"record_id": str(i), "subject_id": str(s), "owner_id": str(o), "share_pct": float(v) * 100}
                for i, (s, o, v) in enumerate(zip(subject.tolist(), owner.tolist(), share.tolist()))]
        t4 = time.perf_counter()
        g = build_graph(rows)
        effective_ownership(g)
        out["build_graph_and_effective_s"] = round(time.perf_counter() - t4, 2)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--links-per-company", type=float, default=3.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n = args.companies[0]
        print(json.dumps(run(n, args.links_per_company, with_objects=n <= 100_000)))
        return
    for n in args.companies:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", "--companies", str(n), "--links-per-company",
                               str(args.links_per_company)], capture_output=True, text=True, check=False)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            sys.exit(proc.returncode)
        result = json.loads(proc.stdout)
        result["wall_s"] = round(time.perf_counter() - t, 2)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
