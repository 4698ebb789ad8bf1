"""The spectral rules: which pixel changed the way alluvial gold mining changes land.

Alluvial mining in the Amazon (Madre de Dios, Bajo Cauca, Nambija, Tipuani) clears forest, strips
the soil down to sand and gravel, and leaves chains of ponds full of suspended sediment. Seen from
a before/after pair of surface-reflectance images (all ratios of reflectance, so sensor-agnostic):

- NDVI  = (NIR − red) / (NIR + red): high (0.7–0.9) over closed forest, near 0 on soil and water.
- BSI   = ((SWIR1 + red) − (NIR + blue)) / ((SWIR1 + red) + (NIR + blue)): positive on bare soil
  and sand, strongly negative on vegetation (Rikimaru et al. 2002).
- MNDWI = (green − SWIR1) / (green + SWIR1): positive on open water (Xu 2006), negative on soil.

A pixel is disturbed when it was vegetated before (NDVI ≥ `vegetated_ndvi_min`) and its NDVI
dropped by at least `ndvi_drop_min`. Its class then says what replaced the vegetation:

1. `vegetation_loss`: none of the below (cleared but not bare: slash, regrowth, a burn);
2. `bare_soil`: NDVI after ≤ `bare_ndvi_max` and BSI after ≥ `bsi_min`;
3. `turbid_water`: MNDWI after ≥ `water_mndwi_min` and red after ≥ `turbid_red_min` (clear or
   black river water reflects little red; sediment from sluicing raises it).

Water wins over soil when both hold (a shallow turbid pond can look like wet sand). The pixel's
score (0–1) grows with the NDVI drop up to `confidence_full_drop`; a loss of vegetation with
neither soil nor water is weighted by `vegetation_only_weight` because logging, farming and
landslides do the same. Every threshold is in `parameters.yaml`, section `scan`.
"""

from __future__ import annotations

import numpy as np

from filon.detect.parameters import Parameters
from filon.geo.raster.inputs import Stack

NONE, VEGETATION_LOSS, BARE_SOIL, TURBID_WATER = 0, 1, 2, 3
KINDS = {VEGETATION_LOSS: "vegetation_loss", BARE_SOIL: "bare_soil", TURBID_WATER: "turbid_water"}


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised difference (a − b) / (a + b), 0 where the sum is not positive."""
    total = a + b
    out = np.zeros(total.shape, dtype=np.float32)
    np.divide(a - b, total, out=out, where=total > 0)
    return out


def classify(before: Stack, after: Stack, valid: np.ndarray, p: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel class (uint8, 0 = unchanged) and score (float32, 0–1) of one window.

    `valid` is False where either image is masked. NDVI is computed everywhere; the indices that
    say what replaced the vegetation only where vegetation was lost, usually a tiny share.
    """
    ndvi_before = ratio(before.full("nir"), before.full("red"))
    ndvi_after = ratio(after.full("nir"), after.full("red"))
    drop = ndvi_before - ndvi_after
    lost = valid & (ndvi_before >= p.vegetated_ndvi_min) & (drop >= p.ndvi_drop_min)
    kind = np.zeros(valid.shape, dtype=np.uint8)
    score = np.zeros(valid.shape, dtype=np.float32)
    at = np.flatnonzero(lost)
    if not len(at):
        return kind, score

    blue, green, red, nir, swir1 = (after.at(c, at) for c in ("blue", "green", "red", "nir", "swir1"))
    bare = (ndvi_after.reshape(-1)[at] <= p.bare_ndvi_max) & (ratio(swir1 + red, nir + blue) >= p.bsi_min)
    water = (ratio(green, swir1) >= p.water_mndwi_min) & (red >= p.turbid_red_min)
    classes = np.full(len(at), VEGETATION_LOSS, dtype=np.uint8)
    classes[bare] = BARE_SOIL
    classes[water] = TURBID_WATER

    scores = np.clip(drop.reshape(-1)[at] / p.confidence_full_drop, 0.0, 1.0).astype(np.float32)
    scores[classes == VEGETATION_LOSS] *= p.vegetation_only_weight
    kind.reshape(-1)[at] = classes
    score.reshape(-1)[at] = scores
    return kind, score
