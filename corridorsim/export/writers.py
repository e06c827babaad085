"""Writing GIS layers: GeoJSON (RFC 7946, standard library) and GeoPackage (pyogrio).

GeoJSON: one ``<layer>.geojson`` FeatureCollection per layer in a folder (RFC 7946 has one
collection per file and no CRS member: coordinates are WGS 84 longitude/latitude).
GeoPackage: one ``.gpkg`` file with a table per layer (EPSG:4326), written by pyogrio, whose
wheels ship GDAL (``pip install 'corridorsim[gis]'``). Geometries go to GDAL as WKB (ISO/OGC
Simple Features, little-endian).
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write, atomic_write_text, make_temp_dir
from ..errors import OutputError
from .layers import Layer

__all__ = ["write_geojson", "write_gpkg", "to_wkb", "GIS_FORMATS"]

GIS_FORMATS = ("geojson", "gpkg")
_WKB_TYPES = {"Point": 1, "LineString": 2}


def to_wkb(geometry: dict[str, Any]) -> bytes:
    """Well-known binary of a GeoJSON Point or LineString (little-endian, 2D)."""
    kind = geometry["type"]
    if kind == "Point":
        return struct.pack("<BI2d", 1, 1, *geometry["coordinates"])
    if kind == "LineString":
        coords = geometry["coordinates"]
        return struct.pack(f"<BII{2 * len(coords)}d", 1, 2, len(coords),
                           *(c for xy in coords for c in xy))
    raise ValueError(f"geometry type {kind!r}: expected one of {', '.join(_WKB_TYPES)}")


def _collection(layer: Layer) -> dict[str, Any]:
    return {"type": "FeatureCollection", "name": layer.name,
            "features": [{"type": "Feature", "geometry": f.geometry, "properties": f.properties}
                         for f in layer.features]}


def write_geojson(layers: dict[str, Layer], out_dir: str | Path, force: bool = False) -> list[Path]:
    """Write each layer to ``out_dir/<layer>.geojson`` (the folder is replaced atomically)."""
    out = Path(out_dir)
    if out.exists() and not force:
        raise OutputError(f"{out}: exists; use --force to replace it")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(parent, f".{out.name}.tmp-")
    try:
        for layer in layers.values():
            text = json.dumps(_collection(layer), allow_nan=False, ensure_ascii=False)
            atomic_write_text(tmp / f"{layer.name}.geojson", text + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / f"{name}.geojson" for name in layers]


def _fields(layer: Layer) -> tuple[list[str], list[np.ndarray]]:
    """Field names and one array per field (numbers as float64 or int64, the rest as text)."""
    table = pd.DataFrame([f.properties for f in layer.features])
    names, arrays = [], []
    for col in table.columns:
        values = table[col]
        if pd.api.types.is_bool_dtype(values) and not values.isna().any():
            arr = values.astype(bool).to_numpy()
        elif pd.api.types.is_integer_dtype(values):
            arr = values.astype("int64").to_numpy()
        elif pd.api.types.is_numeric_dtype(values):
            arr = values.astype("float64").to_numpy()
        else:
            arr = np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                            for v in values], dtype=object)
        names.append(str(col))
        arrays.append(arr)
    return names, arrays


def write_gpkg(layers: dict[str, Layer], path: str | Path, force: bool = False) -> Path:
    """Write the layers as tables of one GeoPackage file (written atomically).

    Raises
    ------
    OutputError
        If pyogrio is not installed (the message says how to install it).
    """
    try:
        import pyogrio.raw
    except ImportError:
        raise OutputError("GeoPackage export needs pyogrio: pip install 'corridorsim[gis]' "
                          "(or use --format geojson)") from None
    out = Path(path)
    if out.exists() and not force:
        raise OutputError(f"{out}: exists; use --force to replace it")

    def write(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)  # GDAL creates the file itself
        folder = Path(tempfile.mkdtemp(dir=tmp.parent, prefix=".gpkg-"))
        target = folder / "out.gpkg"
        try:
            for i, layer in enumerate(layers.values()):
                names, arrays = _fields(layer)
                geometry = np.array([to_wkb(f.geometry) for f in layer.features], dtype=object)
                pyogrio.raw.write(str(target), geometry, arrays, names, layer=layer.name,
                                  driver="GPKG", geometry_type=layer.geometry_type,
                                  crs="EPSG:4326", append=i > 0)
            target.replace(tmp)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    try:
        atomic_write(out, write)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return out
