"""A fitted random forest as flat NumPy arrays, evaluated without scikit-learn.

Every node of every tree lives in three arrays indexed by one global node id:

- ``feature``: the pixel or feature an internal node tests; at a leaf, the row of ``values``
  holding that leaf's class fractions.
- ``threshold``: an internal node sends ``x`` left when ``x[feature] <= threshold``. Features are
  uint8, so scikit-learn's midpoint thresholds (``a + 0.5``) are stored exactly as their floor.
- ``right``: how far ahead of an internal node its right child is; its left child is always the
  next node (depth-first order). Zero at a leaf, so a leaf steps to itself and traversal needs no
  branch: every sample walks ``depth`` steps and ends on its leaf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """Return the leaf node id each tree reaches, shape (n_samples, n_trees), for uint8 x."""
        # At a leaf, feature holds a row of values, possibly past the last column of x: clip
        # keeps the (ignored) lookup in bounds, since a leaf's step is zero either way.
        flat = x.ravel()
        row_start = (np.arange(len(x)) * x.shape[1])[:, None]
        nodes = np.broadcast_to(self.roots, (len(x), self.n_trees)).copy()
        right = self.right.astype(np.int64)
        internal = self.right > 0
        for step in range(1, self.depth + 1):
            pixel = flat.take(row_start + self.feature[nodes], mode="clip")
            go_right = pixel > self.threshold[nodes]
            nodes += np.where(go_right, right[nodes], internal[nodes])
            # Most paths are far shorter than the deepest one: stop once every tree is at a leaf.
            if step % 4 == 0 and not internal[nodes].any():
                break
        return nodes

    def predict_proba(self, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Return class probabilities, shape (n_samples, n_classes), averaged over the trees."""
        x = np.ascontiguousarray(x, dtype=np.uint8)
        out = np.empty((len(x), self.values.shape[1]), dtype=np.float64)
        for start in range(0, len(x), batch_size):
            leaves = self.leaves(x[start : start + batch_size])
            out[start : start + batch_size] = self.values[self.feature[leaves]].mean(axis=1)
        return out


def export_sklearn_forest(forest) -> FlatForest:
    """Flatten a fitted scikit-learn RandomForestClassifier into a FlatForest.

    The forest must have been fitted on uint8 features (thresholds are then ``k + 0.5``).
    """
    features, thresholds, rights, roots = [], [], [], []
    leaf_rows: dict[bytes, int] = {}
    values: list[np.ndarray] = []
    offset = 0
    depth = 0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        left, right = tree.children_left, tree.children_right
        is_leaf = left == -1
        ids = np.arange(tree.node_count)
        if not np.array_equal(left[~is_leaf], ids[~is_leaf] + 1):
            raise ValueError("tree is not in depth-first order: left child must follow its parent")
        node_values = tree.value[:, 0, :]
        node_values = node_values / node_values.sum(axis=1, keepdims=True)
        feature = tree.feature.astype(np.int64)
        for node in np.flatnonzero(is_leaf):
            key = node_values[node].tobytes()
            if key not in leaf_rows:
                leaf_rows[key] = len(values)
                values.append(node_values[node])
            feature[node] = leaf_rows[key]
        threshold = np.where(is_leaf, 0, np.floor(tree.threshold))
        if not np.all((threshold >= 0) & (threshold <= 255)):
            raise ValueError("thresholds outside uint8: fit the forest on uint8 features")
        features.append(feature)
        thresholds.append(threshold)
        rights.append(np.where(is_leaf, 0, right - ids))
        roots.append(offset)
        offset += tree.node_count
        depth = max(depth, tree.max_depth)
    feature = np.concatenate(features)
    right = np.concatenate(rights)
    return FlatForest(
        feature=feature.astype(np.min_scalar_type(int(feature.max()))),
        threshold=np.concatenate(thresholds).astype(np.uint8),
        right=right.astype(np.min_scalar_type(int(right.max()))),
        roots=np.asarray(roots, dtype=np.int64),
        values=np.asarray(values, dtype=np.float64),
        depth=int(depth),
    )
