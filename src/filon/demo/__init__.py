"""Demo region generator: a synthetic but realistic data package for PE, CO, BO and EC.

`generate_region(out_dir)` writes one CSV per table of the regional standard
(column order from `filon.standard`), plus `ground_truth.csv` listing every
planted case (`fire`) and its legitimate look-alikes (`silent`) for each
typology of the spec, and `.link_truth.csv`, which rows name the same party
(the answer key for `filon link`). The generator is offline and self-contained (it reads
nothing outside the package), deterministic (same seed, byte-identical files)
and fast (a few seconds at scale 1.0).

Stages, in order (each in its own module, each with its own random stream):
market actors -> rights and holders -> planted structure -> production ->
planted volumes -> monthly flows (trades, exports, assays) -> planted
declarations -> partner imports -> registry (ownership, sanctions) ->
territory (detections, areas, operations, movements) -> inputs -> facilities.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from filon.demo.actors import build_market
from filon.demo.customs import (
    MIRROR_DISTORTION,
    plant_declarations,
    record_mirror_and_national,
)
from filon.demo.facilities import build_facilities
from filon.demo.flows import Simulator, compute_production
from filon.demo.inputs import build_inputs
from filon.demo.link_truth import write_link_truth
from filon.demo.market import price_rows
from filon.demo.mirror import build_imports
from filon.demo.model import Ctx
from filon.demo.planted import plant_structure, plant_volumes
from filon.demo.registry import build_registry, reserve_names
from filon.demo.rights import build_rights, normalise_output
from filon.demo.territory import build_territory
from filon.demo.writer import write_package

__all__ = ["DemoSummary", "build_context", "generate_region"]


@dataclass(frozen=True)
class DemoSummary:
    """What was written: where, with which seed and scale, rows per file, planted cases, time taken."""

    path: Path
    seed: int
    scale: float
    counts: dict[str, int] = field(default_factory=dict)  # table name (and "ground_truth") -> rows
    fire_cases: int = 0
    silent_cases: int = 0
    seconds: float = 0.0


def build_context(seed: int = 7, scale: float = 1.0) -> Ctx:
    """Run every stage in memory and return the context (rows, objects, ground truth) without writing."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    ctx = Ctx(seed, scale)
    reserve_names(ctx)
    build_market(ctx)
    build_rights(ctx)
    plant_structure(ctx)
    normalise_output(ctx)
    by_month = compute_production(ctx)
    plant_volumes(ctx, by_month)
    Simulator(ctx).run(by_month)
    plant_declarations(ctx)
    build_imports(ctx, MIRROR_DISTORTION)
    record_mirror_and_national(ctx)
    build_registry(ctx)
    build_territory(ctx)
    build_inputs(ctx)
    build_facilities(ctx)
    ctx.rows["actors"] = [a.row() for a in ctx.actors.values()]
    ctx.rows["mining_rights"] = [r.row() for r in ctx.rights.values()]
    ctx.rows["prices"] = price_rows()
    return ctx


def generate_region(out_dir: Path, seed: int = 7, scale: float = 1.0) -> DemoSummary:
    """Generate the demo package into `out_dir` (created if needed) and return a summary.

    `scale` multiplies the volume of rows (rights, actors and hence production,
    trades, exports...); every planted case exists at any scale.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    ctx = build_context(seed, scale)
    counts = write_package(out_dir, ctx.rows, ctx.truth)
    counts["link_truth"] = write_link_truth(out_dir, ctx)
    fire = sum(1 for t in ctx.truth if t["expected"] == "fire")
    return DemoSummary(path=out_dir, seed=seed, scale=scale, counts=counts, fire_cases=fire,
                       silent_cases=len(ctx.truth) - fire, seconds=round(time.perf_counter() - start, 3))
