"""A fitted random forest as flat NumPy arrays, evaluated without scikit-learn.

Every node of every tree lives in three arrays indexed by one global node id:

- ``feature``: the pixel or feature an internal node tests; at a leaf, the row of ``values``
  holding that leaf's class fractions.
- ``threshold``: an internal node sends ``x`` left when ``x[feature] <= threshold``. Features are
  uint8, so scikit-learn's midpoint thresholds (``a + 0.5``) are stored exactly as their floor.
- ``right``: how far ahead of an internal node its right child is; its left child is always the
  next node (depth-first order). Zero at a leaf.

For evaluation, ``walk`` turns these into tables indexed by a walker's state ``2 * node + went
right``: ``step[state]`` is the state of the chosen child, and a leaf's children are the leaf
itself, so traversal needs no branch: every sample walks until no tree moves, and stays on its
leaf. One step is then six NumPy calls on (samples x trees) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np


class WalkTables(NamedTuple):
    """Per-state lookups for traversal; state ``2 * node`` is a walker standing on ``node``."""

    feature: np.ndarray  # feature tested at the node (0 at leaves, so any lookup is in bounds)
    threshold: np.ndarray
    step: np.ndarray  # step[2 * node + went_right] = 2 * child; a leaf's child is itself


@dataclass(frozen=True)
class FlatForest:
    """Arrays of an exported forest; see the module docstring for their meaning."""

    feature: np.ndarray
    threshold: np.ndarray
    right: np.ndarray
    roots: np.ndarray
    values: np.ndarray
    depth: int

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    @property
    def n_nodes(self) -> int:
        return len(self.feature)

    def to_dict(self) -> dict:
        """Return the arrays as a plain dict, the form the artifact stores."""
        return {
            "feature": self.feature,
            "threshold": self.threshold,
            "right": self.right,
            "roots": self.roots,
            "values": self.values,
            "depth": self.depth,
        }

    @classmethod
    def from_dict(cls, arrays: dict) -> FlatForest:
        """Rebuild a forest from the artifact's dict."""
        return cls(**{name: arrays[name] for name in cls.__dataclass_fields__})

    @cached_property
    def walk(self) -> WalkTables:
        """Build the traversal tables (once; ``load_model`` builds them at load)."""
        ids = np.arange(self.n_nodes, dtype=np.int32)
        internal = self.right > 0
        step = np.empty(2 * self.n_nodes, dtype=np.int32)
        step[0::2] = 2 * np.where(internal, ids + 1, ids)
        step[1::2] = 2 * np.where(internal, ids + self.right, ids)
        return WalkTables(
            feature=np.repeat(np.where(internal, self.feature, 0).astype(np.uint16), 2),
            threshold=np.repeat(self.threshold, 2),
            step=step,
        )

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """Return the leaf node id each tree reaches, shape (n_samples, n_trees), for uint8 x."""
        feature, threshold, step = self.walk
        pixels = x.ravel()
        state = np.tile(2 * self.roots.astype(np.int32), len(x))
        row_start = np.repeat(np.arange(len(x)) * x.shape[1], self.n_trees) if len(x) > 1 else 0
        for depth in range(1, self.depth + 1):
            went_right = pixels.take(feature[state] + row_start) > threshold[state]
            state = step.take(state + went_right)
            # Most paths are far shorter than the deepest one: stop once no tree can move.
            if depth % 4 == 0 and np.array_equal(step.take(state), state):
                break
        return (state >> 1).reshape(len(x), self.n_trees)

    def predict_proba(self, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Return class probabilities, shape (n_samples, n_classes), averaged over the trees."""
        x = np.ascontiguousarray(x, dtype=np.uint8)
        out = np.empty((len(x), self.values.shape[1]), dtype=np.float64)
        for start in range(0, len(x), batch_size):
            leaves = self.leaves(x[start : start + batch_size])
            out[start : start + batch_size] = self.values[self.feature[leaves]].mean(axis=1)
        return out
