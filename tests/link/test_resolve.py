"""Resolution of hand-written parties inside a demo region, and the clustering rules alone."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from filon.demo.link_truth import LINK_TRUTH
from filon.link import link_source
from filon.link.resolve import Pair, cluster
from tests.link.conftest import MUST_LINK, MUST_NOT_LINK, entity_of


@pytest.fixture(scope="module")
def linked(demo_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("linked")
    link_source(demo_small, out)
    return out


@pytest.mark.parametrize("a, b", MUST_LINK)
def test_variants_of_one_party_are_one_entity(linked: Path, a: str, b: str) -> None:
    entity = entity_of(linked / "entities.csv")
    assert entity[a] == entity[b], f"{a} and {b} should be one entity"


@pytest.mark.parametrize("a, b", MUST_NOT_LINK)
def test_homonyms_and_near_names_stay_apart(linked: Path, a: str, b: str) -> None:
    entity = entity_of(linked / "entities.csv")
    assert entity[a] != entity[b], f"{a} and {b} must be different entities"


def test_every_match_explains_itself(linked: Path) -> None:
    with (linked / "entities.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["record_key"]: r for r in csv.DictReader(fh)}
    assert list(next(iter(rows.values())))[:4] == ["record_key", "source_table", "source_column", "name"]
    s2 = rows["HW-S2"]  # a bare NIT against the same NIT with its check digit
    assert float(s2["match_probability"]) >= 0.9
    assert "tax_id: same tax id, not verifiable (+" in s2["reasons"] and "name: same name" in s2["reasons"]
    assert "same normalized name" in rows["HW-S1"]["reasons"]  # RUC with dashes, legal form spelled out
    assert rows["HW-A3"]["match_probability"] == ""  # alone: nothing to explain
    with (linked / "review.csv").open(encoding="utf-8", newline="") as fh:
        assert csv.DictReader(fh).fieldnames[:3] == ["record_key_l", "source_table_l", "name_l"]


def test_every_record_gets_one_entity(linked: Path, demo_small: Path) -> None:
    with (linked / "entities.csv").open(encoding="utf-8", newline="") as fh:
        keys = [(r["source_table"], r["source_column"], r["record_key"]) for r in csv.DictReader(fh)]
    with (demo_small / LINK_TRUTH).open(encoding="utf-8", newline="") as fh:
        truth = {(r["source_table"], r["source_column"], r["record_key"]) for r in csv.DictReader(fh)}
    assert len(keys) == len(set(keys)) and truth <= set(keys)


def test_a_chain_of_name_links_cannot_join_two_valid_tax_ids() -> None:
    pairs = [Pair("a", "b", 0.99, ""), Pair("b", "c", 0.98, "")]
    clusters = cluster("abc", pairs, 0.9, {"a": "PE-RUC:1", "b": None, "c": "PE-RUC:2"}, set())
    assert clusters["a"] is clusters["b"] and clusters["c"] is not clusters["a"]


def test_rejections_and_acceptances_bind_clusters() -> None:
    pairs = [Pair("a", "b", 0.99, ""), Pair("c", "d", 0.2, "", accepted=True)]
    clusters = cluster("abcd", pairs, 0.9, {}, {frozenset(("a", "b"))})
    assert clusters["a"] is not clusters["b"] and clusters["c"] is clusters["d"]
