"""Where a sheet lands in a phone photo: a pinhole camera above a turned, tilted sheet.

A point of the sheet (its own pixels) is placed at a point of the frame; around it the sheet is
turned in its plane, tilted away from the camera, and seen through a lens of a phone's field of
view, at a distance where one sheet pixel is one frame pixel at that point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A phone's main camera: about 26 mm equivalent, 67 degrees across the long side of a 4:3 frame.
FOCAL_PER_LONG_SIDE = 0.76


@dataclass(frozen=True)
class Pose:
    """How the sheet is seen: turned in its plane, tilted toward a direction, and where."""

    anchor_sheet: tuple[float, float]  # a sheet pixel ...
    anchor_frame: tuple[float, float]  # ... and the frame pixel it appears at
    rotation: float = 0.0  # degrees, in the sheet's plane
    tilt: float = 0.0  # degrees between the sheet and the sensor
    tilt_direction: float = 0.0  # degrees in the frame: where the sheet leans away


def project(points: np.ndarray, pose: Pose, frame: tuple[int, int]) -> np.ndarray:
    """Return the frame pixels (n, 2) at which sheet pixels ``points`` (n, 2) appear."""
    width, height = frame
    focal = FOCAL_PER_LONG_SIDE * max(frame)
    turn = np.radians(pose.rotation)
    local = np.asarray(points, dtype=np.float64) - pose.anchor_sheet
    cos, sin = np.cos(turn), np.sin(turn)
    flat = np.stack(
        [cos * local[:, 0] - sin * local[:, 1], sin * local[:, 0] + cos * local[:, 1]], axis=1
    )
    spatial = np.column_stack([flat, np.zeros(len(flat))]) @ _tilt(pose).T
    # The anchor sits at depth ``focal``, so that near it one sheet pixel is one frame pixel.
    anchor = np.array([pose.anchor_frame[0] - width / 2, pose.anchor_frame[1] - height / 2, focal])
    spatial += anchor
    return np.stack(
        [
            width / 2 + focal * spatial[:, 0] / spatial[:, 2],
            height / 2 + focal * spatial[:, 1] / spatial[:, 2],
        ],
        axis=1,
    )


def _tilt(pose: Pose) -> np.ndarray:
    """Return the rotation that leans the sheet by ``tilt`` about an axis in its plane."""
    direction = np.radians(pose.tilt_direction)
    # The axis is perpendicular to the direction the sheet leans away toward.
    axis = np.array([-np.sin(direction), np.cos(direction), 0.0])
    angle = np.radians(pose.tilt)
    cross = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


def rectangle(width: float, height: float, left: float = 0.0, top: float = 0.0) -> np.ndarray:
    """Return a rectangle's corners (4, 2), clockwise from the top left."""
    return np.array(
        [[left, top], [left + width, top], [left + width, top + height], [left, top + height]],
        dtype=np.float64,
    )


def homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Return the 3x3 projective map that takes four ``source`` points to four ``target`` ones."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    h = np.linalg.solve(np.array(rows), np.array(values))
    return np.append(h, 1.0).reshape(3, 3)


def pillow_coefficients(sheet_corners: np.ndarray, frame_corners: np.ndarray) -> tuple:
    """Return Pillow's PERSPECTIVE data for drawing a sheet whose corners land at these."""
    # Pillow maps each output (frame) pixel to the input (sheet) pixel it samples.
    return tuple(homography(frame_corners, sheet_corners).flatten()[:8])


def inside(points: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Return, for each point (n, 2), whether it lies inside the convex clockwise ``quad``."""
    points = np.asarray(points, dtype=np.float64)
    result = np.ones(len(points), dtype=bool)
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        edge, offset = b - a, points - a
        result &= edge[0] * offset[:, 1] - edge[1] * offset[:, 0] >= 0
    return result


def bounding_box(points: np.ndarray) -> tuple[int, int, int, int]:
    """Return the whole-pixel box (x, y, width, height) around ``points`` (n, 2)."""
    low = np.floor(points.min(axis=0)).astype(int)
    high = np.ceil(points.max(axis=0)).astype(int)
    return int(low[0]), int(low[1]), int(high[0] - low[0]), int(high[1] - low[1])
