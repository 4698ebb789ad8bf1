"""`filon scan`: disturbance polygons from a before/after satellite image pair."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from filon.cli.console import console
from filon.errors import UsageError


def scan(
    before: Path = typer.Argument(..., help="GeoTIFF before the change (surface reflectance, one file with all bands)."),
    after: Path = typer.Argument(..., help="GeoTIFF after the change, on the same grid (or add --reproject)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for disturbances.geojson, .parquet and detections.csv."),
    preset: str = typer.Option("sentinel2-l2a", "--preset", "-p",
                               help="Sensor: sentinel2-l2a or landsat-c2-l2 (band names, scale, cloud mask)."),
    bands: str = typer.Option("", "--bands", help="Band indexes if not found from descriptions, e.g. "
                              "blue=1,green=2,red=3,nir=4,swir1=5."),
    mask_band: int = typer.Option(None, "--mask-band", help="Band holding SCL / QA_PIXEL (0: no cloud mask band)."),
    nodata: float = typer.Option(None, "--nodata", help="DN meaning no data (default: the file's, else 0)."),
    scale: float = typer.Option(None, "--scale", help="Reflectance = DN × scale + offset (default: the preset's)."),
    offset: float = typer.Option(None, "--offset", help="Reflectance offset (0 for Sentinel-2 before 2022 and Earth Engine's S2_SR_HARMONIZED)."),
    when: str = typer.Option("", "--date", help="Date of AFTER, YYYY-MM-DD (default: from its tags or name)."),
    reproject: bool = typer.Option(False, "--reproject", help="Warp AFTER onto BEFORE's grid if they differ."),
    min_area_ha: float = typer.Option(None, "--min-area-ha", help="Minimum mapping unit in ha (default in parameters)."),
    params_file: Path = typer.Option(None, "--params", help="YAML overriding the `scan` thresholds (see filon params)."),
    workers: int = typer.Option(0, "--workers", help="Threads (0: one per core, at most 4). Same result whatever the number."),
) -> None:
    """Find vegetation loss, bare soil and turbid ponds between two images: mining scars as polygons.

    Thresholds and their reasons: `filon params scan`. Load the result with
    `filon ingest OUT/detections.csv --workspace WS`.
    """
    from filon.detect.parameters import load_overrides, resolve
    from filon.geo.raster import scan as run_scan

    params = resolve("scan", load_overrides(params_file) if params_file else None)
    if min_area_ha is not None:
        params = params.replace(min_area_ha=min_area_ha)
    with Progress(TextColumn("scanning windows"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("scan", total=None)
        result = run_scan(before, after, out, preset=preset, bands=bands, mask_band=mask_band, nodata=nodata,
                          scale=scale, offset=offset, when=_date(when), reproject=reproject, params=params, workers=workers,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
    kinds: dict[str, float] = {}
    for d in result.disturbances:
        for kind, ha in d.ha_by_kind.items():
            kinds[kind] = kinds.get(kind, 0.0) + ha
    split = ", ".join(f"{k.replace('_', ' ')} {v:,.1f} ha" for k, v in kinds.items() if v)
    console.print(f"{len(result.disturbances):,} disturbance(s), {result.area_ha:,.1f} ha"
                  + (f" ({split})" if split else "") + f" on {result.date.isoformat()}; "
                  f"{result.clear_share:.0%} of pixels clear in both images.")
    console.print(f"[dim]bands: {escape(result.before_bands.describe())}[/]")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    for path in result.files:
        console.print(f"wrote {escape(str(path))}")


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r} is not a date. Fix: write it as YYYY-MM-DD, e.g. 2023-09-15") from None
