"""Risk scoring and early warning built on the detectors' alerts.

- `contributions`, `actors`: each actor's own alerts, mapped from the subjects they name
  (declaration → exporter, right → holder, disturbance → the holder of the right it lies in);
- `propagation`: risk passed along ownership, trade and sourcing links, with decay and caps;
- `calibration`: typology weights recalibrated from analysts' triage decisions;
- `indicators`: corridor and node indicators (customs office, facility, admin area, country pair);
- `output.write_risk`: OUT/risk.csv (and indicators.csv) after an analysis;
- `lanes`: red/amber/green lanes for new export declarations;
- `watch`: the early-warning digest of what changed since the last run.

Import from the modules themselves (`from filon.risk.output import write_risk`), so that a
package import stays light.
"""
