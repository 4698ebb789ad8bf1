"""Ground area of a pixel, in square metres, for each row of the grid.

In a projected CRS every pixel has the same area: |det(transform)| in the CRS unit, converted to
metres (UTM and most national grids are in metres already). In a geographic CRS (degrees) a pixel
shrinks towards the poles, so each row's area is measured on the CRS's ellipsoid with pyproj's
geodesic polygon area, which is exact for the cell and needs no choice of projection.
Summing these per-row areas over a region's pixels gives its area exactly as an equal-area
projection would.
"""

from __future__ import annotations

import numpy as np
from affine import Affine
from pyproj import CRS
from rasterio.crs import CRS as RasterioCRS

from filon.errors import InvalidData


def row_areas_m2(crs: RasterioCRS, transform: Affine, height: int, *, file: str) -> np.ndarray:
    """Area in m² of one pixel in each of the `height` rows (float64)."""
    proj = CRS.from_user_input(crs.to_wkt())
    if proj.is_projected:
        unit = proj.axis_info[0].unit_conversion_factor if proj.axis_info else 1.0
        pixel = abs(transform.a * transform.e - transform.b * transform.d) * unit * unit
        return np.full(height, pixel, dtype=np.float64)
    if transform.b or transform.d:
        raise InvalidData("is a rotated grid in geographic coordinates, whose pixel areas are not defined "
                          "row by row", file=file, fix="warp it to a north-up grid, e.g. its UTM zone: "
                          "`gdalwarp -t_srs EPSG:32719 IN OUT.tif`")
    geod = proj.get_geod()
    if geod is None:
        raise InvalidData("has a geographic CRS without an ellipsoid, so pixel areas cannot be measured",
                          file=file, fix="set a full CRS, e.g. `gdal_edit.py -a_srs EPSG:4326 FILE`")
    lon0, lon1 = transform.c, transform.c + transform.a
    tops = transform.f + transform.e * np.arange(height)
    out = np.empty(height, dtype=np.float64)
    for row, top in enumerate(tops):
        bottom = top + transform.e
        area, _ = geod.polygon_area_perimeter([lon0, lon1, lon1, lon0], [top, top, bottom, bottom])
        out[row] = abs(area)
    return out
