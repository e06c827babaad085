"""Great-circle geometry on WGS84 coordinates (spherical Earth, mean radius).

Used to fill missing road lengths, to place attacks along an edge and to measure distances of
incidents to the network. A spherical Earth is within 0.5 % of the ellipsoid, far below the
uncertainty of the road lengths themselves.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_KM", "great_circle_km", "interpolate"]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two points, km.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float
        Coordinates in degrees.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def interpolate(lat1: float, lon1: float, lat2: float, lon2: float, share: float) -> tuple[float, float]:
    """Point at ``share`` (0..1) of the way from point 1 to point 2, degrees.

    Linear in lat/lon: road segments here are short (< 500 km) and far from the poles, so the
    difference to the great-circle point is a few hundred metres at most.
    """
    share = min(1.0, max(0.0, share))
    return lat1 + (lat2 - lat1) * share, lon1 + (lon2 - lon1) * share
