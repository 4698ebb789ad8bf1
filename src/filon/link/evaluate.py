"""Measure a linkage against an answer key: pairwise precision, recall and F1; B-cubed and adjusted Rand.

Counted from cluster sizes, never by listing pairs, so a consignee named on 500 declarations
(125,000 pairs) costs nothing. Two views are reported: all pairs, and only pairs whose two
names are spelled differently, since identical spellings are easy and would hide how well
variants (word order, legal forms, typos) are resolved.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

Key = tuple[str, str, str]  # source_table, source_column, record_key


def _pairs(counts: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def read_keyed(path: Path, value: str) -> dict[Key, tuple[str, str]]:
    """A CSV with source_table, source_column, record_key -> (value column, name column if any)."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return {(r["source_table"], r["source_column"], r["record_key"]): (r[value], r.get("name", ""))
                for r in csv.DictReader(fh)}


def _count(keys: list[Key], group: Callable[[Key], tuple[str, ...]], names: dict[Key, str], distinct_names: bool) -> int:
    """Pairs of records in the same group; with `distinct_names`, only pairs spelled differently."""
    total = _pairs(Counter(group(k) for k in keys).values())
    if distinct_names:
        total -= _pairs(Counter((*group(k), names[k]) for k in keys).values())
    return total


def pairwise_scores(predicted: dict[Key, tuple[str, str]], truth: dict[Key, tuple[str, str]]) -> dict[str, float]:
    """precision, recall, f1 over all record pairs and over pairs with differently spelled names."""
    keys = [k for k in predicted if k in truth]
    names = {k: predicted[k][1] for k in keys}
    out: dict[str, float] = {"records": float(len(keys))}
    for label, with_name in (("", False), ("variant_", True)):
        tp = _count(keys, lambda k: (predicted[k][0], truth[k][0]), names, with_name)
        pp = _count(keys, lambda k: (predicted[k][0],), names, with_name)
        tt = _count(keys, lambda k: (truth[k][0],), names, with_name)
        precision = tp / pp if pp else 1.0
        recall = tp / tt if tt else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out |= {f"{label}precision": precision, f"{label}recall": recall, f"{label}f1": f1,
                f"{label}true_pairs": float(tt), f"{label}predicted_pairs": float(pp)}
    return out


def cluster_scores(predicted: dict[Key, str], truth: dict[Key, str]) -> dict[str, float]:
    """B-cubed precision, recall and F1, and the adjusted Rand index, over records in both maps.

    Pairwise scores weigh big entities quadratically (one consignee on 500 declarations is
    125,000 pairs); B-cubed averages per record (the share of a record's predicted entity that
    truly belongs with it, and of its true entity that was found), so every record counts
    once. The adjusted Rand index is 0 for chance agreement and 1 for identical partitions.
    """
    keys = [k for k in predicted if k in truth]
    n = len(keys)
    if not n:
        return {"bcubed_precision": 1.0, "bcubed_recall": 1.0, "bcubed_f1": 1.0, "adjusted_rand": 1.0}
    joint = Counter((predicted[k], truth[k]) for k in keys)
    pred_size = Counter(predicted[k] for k in keys)
    true_size = Counter(truth[k] for k in keys)
    precision = sum(c * c / pred_size[p] for (p, _t), c in joint.items()) / n
    recall = sum(c * c / true_size[t] for (_p, t), c in joint.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both, pred_pairs, true_pairs = _pairs(joint.values()), _pairs(pred_size.values()), _pairs(true_size.values())
    total = n * (n - 1) / 2
    expected = pred_pairs * true_pairs / total if total else 0.0
    maximum = (pred_pairs + true_pairs) / 2
    ari = (both - expected) / (maximum - expected) if maximum != expected else 1.0
    return {"bcubed_precision": precision, "bcubed_recall": recall, "bcubed_f1": f1, "adjusted_rand": ari}
