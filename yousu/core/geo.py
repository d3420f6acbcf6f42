"""GeoJSON boundaries of areas: validation and point-in-polygon, on shapely."""

from __future__ import annotations

from shapely.geometry import Point, shape
from shapely.validation import explain_validity

ALLOWED_TYPES = {"Polygon", "MultiPolygon"}


def validate_boundary(geometry: dict) -> None:
    """Raise ValueError with a readable reason unless `geometry` is a valid WGS84 (Multi)Polygon."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ALLOWED_TYPES:
        raise ValueError("边界必须是 GeoJSON Polygon 或 MultiPolygon 几何对象")
    try:
        polygon = shape(geometry)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ValueError(f"边界坐标无法解析：{exc}") from None
    if polygon.is_empty:
        raise ValueError("边界是空的")
    if not polygon.is_valid:
        raise ValueError(f"边界多边形无效：{explain_validity(polygon)}")
    min_x, min_y, max_x, max_y = polygon.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise ValueError("边界坐标超出经纬度范围（应为 [经度, 纬度]）")


def contains(geometry: dict, longitude: float, latitude: float) -> bool:
    return shape(geometry).covers(Point(longitude, latitude))


def centroid(geometry: dict) -> tuple[float, float]:
    point = shape(geometry).centroid
    return point.x, point.y
