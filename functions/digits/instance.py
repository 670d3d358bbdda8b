"""What one function instance keeps between requests: settings, the model, the image store.

Both entry points (``main.py`` for functions-framework, ``lambda_handler.py`` for Lambda) get it
from ``build``, once, at cold start. Under Lambda SnapStart, each copy restored from the snapshot
swaps in a new image store (``digits.snapstart.renew``); the settings and the model are kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.classifier.inference import Model, load_model
from digits.classifier.threads import use_one_blas_thread
from digits.config import Settings
from digits.imaging.budget import DecodeBudget, capacity_bytes
from digits.storage.images import ImageStore
from digits.vision import normalise

# Decoded image -> the uint8 (28, 28) array the model is given.
Preprocess = Callable[[Image.Image], np.ndarray]


@dataclass(frozen=True)
class Instance:
    """Settings, the loaded model, the image store, the memory decodes may hold, and the
    preprocessing the model expects."""

    settings: Settings
    model: Model
    store: ImageStore
    decoding: DecodeBudget
    # Swappable so the benchmark can serve a reference pipeline behind this same code.
    preprocess: Preprocess = normalise.to_mnist


# A process loads each artifact once, however many apps it builds (tests build one per test).
cached_model = functools.cache(load_model)


def build(
    settings: Settings | None = None,
    *,
    model: Model | None = None,
    preprocess: Preprocess = normalise.to_mnist,
) -> Instance:
    """Return the instance for ``settings`` (default: the environment's), loading what it needs."""
    settings = settings or Settings.from_env()
    use_one_blas_thread()
    return Instance(
        settings=settings,
        model=model or cached_model(settings.model_path),
        store=ImageStore.connect(settings),
        decoding=DecodeBudget(capacity_bytes(settings.memory_mb)),
        preprocess=preprocess,
    )
