"""One BLAS thread per calling thread: how a serving process multiplies the model's few rows.

A request's images (one, or the dozen candidate pieces of a number) are a few rows times the
perceptron's weights. OpenBLAS would split such a product over all its threads, which spin while
they wait: on a shared or fractional CPU (Lambda below 1,769 MB, a busy machine) that costs more
than it saves, and the request threads of a server (gunicorn's, a batch's) already keep the cores
busy. So a serving instance, once, at cold start, asks for one thread, through threadpoolctl
(the library scikit-learn uses for this), whatever order NumPy and OpenBLAS were loaded in; a
request thread never changes it. Training, in a process of its own, keeps its threads.
"""

from __future__ import annotations


def use_one_blas_thread() -> None:
    """Limit the BLAS libraries this process has loaded (NumPy's OpenBLAS) to one thread."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
