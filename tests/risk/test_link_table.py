"""The packed link table answers exactly what the dict of links it packs would, before and after pickling."""

import pickle
import random

from filon.risk.propagation import Link, LinkTable


def _links(seed: int) -> dict[str, list[Link]]:
    rng = random.Random(seed)
    nodes = [f"N{i}" for i in range(30)]
    links: dict[str, list[Link]] = {}
    for a in rng.sample(nodes, 20):
        links[a] = [Link(rng.choice(nodes), rng.random(), rng.choice(["sells to", "owns (60%)", "buys from"]))
                    for _ in range(rng.randint(1, 5))]
    return links


def test_table_gives_each_node_its_links_in_order() -> None:
    for seed in range(20):
        links = _links(seed)
        for table in (LinkTable(links), pickle.loads(pickle.dumps(LinkTable(links)))):
            for node in [f"N{i}" for i in range(30)] + ["absent"]:
                assert table.get(node, ()) == (links.get(node) or ())
            assert len(table) == sum(1 for v in links.values() if v)


def test_missing_node_raises_key_error() -> None:
    table = LinkTable({"A": [Link("B", 0.5, "sells to")]})
    assert table["A"] == [Link("B", 0.5, "sells to")]
    try:
        table["B"]
    except KeyError:
        pass
    else:
        raise AssertionError("B has no links of its own")
