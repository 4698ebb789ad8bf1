"""Vector geometry shared by the territorial detectors: reading the standard's geometry columns,
spatial indexes, and areas and distances in equal-area metres (never degrees).

- `filon.geo.projection`: `to_equal_area`, `area_ha`, `local_laea` (pyproj, WGS 84 ellipsoid).
- `filon.geo.layers`: `read_layer` fetches id, attributes and geometry through `ctx.query`
  (any engine) and returns shapely 2 arrays, repairing invalid polygons by a documented rule.

`filon.geo.raster` (change detection on images) is a separate package.
"""
