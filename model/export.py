"""Copy fitted scikit-learn models into the NumPy arrays the function evaluates, and save them.

Training-only: the function loads the artifact (``digits.classifier.inference.load_model``) and
never imports scikit-learn or this module.
"""

from __future__ import annotations

import numpy as np

from digits.classifier.forest import FlatForest
from digits.classifier.inference import ARTIFACT_FORMAT, MEMBER_KINDS, Member
from digits.classifier.mlp import Perceptron


def kind_of(member: Member) -> str:
    """Return the artifact's name for a member's type."""
    return next(name for name, cls in MEMBER_KINDS.items() if isinstance(member, cls))


def artifact(members: list[Member], weights: list[float], feature_set: str, version: str) -> dict:
    """Return the dict that is saved with joblib as the model artifact."""
    return {
        "format": ARTIFACT_FORMAT,
        "version": version,
        "feature_set": feature_set,
        "members": [
            {"kind": kind_of(member), "weight": float(weight), "arrays": member.to_dict()}
            for member, weight in zip(members, weights, strict=True)
        ],
    }


def export_sklearn_mlp(network) -> Perceptron:
    """Copy a fitted scikit-learn MLPClassifier (ReLU, several classes) into a Perceptron."""
    if network.activation != "relu" or network.out_activation_ != "softmax":
        raise ValueError("only ReLU networks with a softmax output are exported")
    return Perceptron(
        weights=tuple(np.ascontiguousarray(w) for w in network.coefs_),
        biases=tuple(np.ascontiguousarray(b) for b in network.intercepts_),
    )


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
