"""A serving instance multiplies on one BLAS thread, set once at cold start."""

from types import SimpleNamespace

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from digits import instance


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_building_an_instance_leaves_blas_on_one_thread(s3):
    # NumPy's OpenBLAS is loaded (numpy.linalg links it) with its threads as the machine gives them.
    np.ones((2, 2)) @ np.ones((2, 2))
    # Two threads where OpenBLAS may have them (it caps the count at its cores, or at
    # OPENBLAS_NUM_THREADS when that was set before NumPy loaded): the build brings them to one.
    with threadpool_limits(limits=2, user_api="blas"):
        instance.build(model=SimpleNamespace(version="test-1"))
        assert blas_threads() == {1}
