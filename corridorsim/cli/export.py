"""Command ``export``: a run's or a sweep point's results as GIS layers (GeoJSON or GeoPackage)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import main, out_console, user_errors


@main.command(name="export")
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["geojson", "gpkg"]), default="geojson",
              show_default=True,
              help="geojson: a folder of .geojson files, one per layer; gpkg: one GeoPackage "
                   "(needs pip install 'corridorsim[gis]').")
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="Output folder (geojson) or .gpkg file.")
@click.option("--point", type=click.IntRange(min=0), default=None,
              help="Sweep point to export [default: the sweep's reference point].")
@click.option("--force", is_flag=True, help="Replace the output if it exists.")
@user_errors
def export_gis(results_dir: Path, fmt: str, out_path: Path, point: int | None, force: bool) -> None:
    """Export RESULTS_DIR (a run or a sweep) for GIS: routes with per-edge traffic, attacks and
    litres lost; simulated attacks; observed incidents (if the scenario has them);
    destinations with their stock metrics. Coordinates are WGS 84 (EPSG:4326)."""
    from ..errors import OutputError
    from ..experiments.rundir import read_run
    from ..experiments.sweep_result import read_sweep
    from ..export.layers import gis_layers
    from ..export.writers import write_geojson, write_gpkg

    if (results_dir / "sweep.json").is_file():
        source = read_sweep(results_dir)
    elif (results_dir / "manifest.json").is_file():
        source = read_run(results_dir)
    else:
        raise OutputError(f"{results_dir}: not a run or sweep directory (no manifest.json or "
                          "sweep.json)")
    if out_path.exists() and not force:  # before the work, not after
        raise OutputError(f"{out_path}: exists; use --force to replace it")
    layers = gis_layers(source, point)
    if fmt == "gpkg":
        paths = [write_gpkg(layers, out_path, force=force)]
    else:
        paths = write_geojson(layers, out_path, force=force)
    counts = ", ".join(f"{name} {len(layer.features)}" for name, layer in layers.items())
    out_console.print(f"features: {counts}", markup=False)
    scenario = source.scenario if not hasattr(source, "points") else source.scenario(
        source.reference if point is None else point)
    wanted = scenario.observations.incidents_csv
    if wanted is not None and "incidents" not in layers:
        out_console.print(f"note: no observed incidents layer: {wanted} not found", markup=False)
    for p in paths:
        out_console.print(f"wrote {p}", markup=False)
