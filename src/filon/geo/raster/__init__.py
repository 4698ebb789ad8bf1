"""Change detection on satellite images: disturbance polygons typical of alluvial gold mining.

`scan(BEFORE, AFTER, OUT)` compares two surface-reflectance GeoTIFFs (Sentinel-2 L2A or Landsat
Collection 2 Level-2) on one grid and writes the disturbances as GeoJSON, GeoParquet and the
standard's `detections.csv`. The spectral rules are in `rules.py`, thresholds in the `scan`
section of `filon/detect/parameters.yaml`, band presets in `bands.py`.
"""

from filon.geo.raster.scan import ScanResult, scan

__all__ = ["ScanResult", "scan"]
