"""Linkage accuracy on the demo region (scale 0.3) with a noisy copy of its parties added.

The demo alone spells every party identically (pairwise F1 is 1.0 and says little), so the
noisy copy adds watch-list entries naming actors as other agencies do, and homonyms with
other valid tax ids. Floors are set just under what was measured (seed 7: precision 1.000,
recall 1.000 on all pairs; on differently spelled pairs precision 1.000, recall 0.878,
F1 0.935). Before name-rarity (term-frequency) adjustment, typo-tolerant word levels and
fuzzy blocking, differently spelled pairs measured precision 0.993, recall 0.983: those
changes raise F1 on the labelled benchmark (test_benchmark_accuracy.py) from 0.91 to 0.97
but lose about 35 such pairs here (exact or one-typo spellings of actors with no tax id on
the list entry), a regression still to be explained.
"""

from __future__ import annotations

import pytest

from filon.demo import generate_region
from filon.demo.link_truth import LINK_TRUTH
from filon.link import link_source
from filon.link.evaluate import pairwise_scores, read_keyed
from filon.link.variants import make_noisy


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    root = tmp_path_factory.mktemp("accuracy")
    generate_region(root / "demo", seed=7, scale=0.3)
    make_noisy(root / "demo", root / "noisy", share=0.3, homonyms=0.05, seed=1)
    result = link_source(root / "noisy", root / "out")
    out = pairwise_scores(read_keyed(root / "out" / "entities.csv", "entity_id"),
                          read_keyed(root / "noisy" / LINK_TRUTH, "true_entity"))
    print({k: round(v, 4) for k, v in out.items()}, f"{result.seconds} s, vetoed {result.vetoed_pairs}")
    return out


def test_every_record_is_scored(scores: dict[str, float]) -> None:
    assert scores["records"] > 5000


def test_all_pairs(scores: dict[str, float]) -> None:
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.99


def test_differently_spelled_pairs(scores: dict[str, float]) -> None:
    assert scores["variant_true_pairs"] > 100
    assert scores["variant_precision"] >= 0.97
    assert scores["variant_recall"] >= 0.86
    assert scores["variant_f1"] >= 0.92
