"""Train with subnormal floats flushed to zero, as the CPU's FTZ and DAZ modes do.

Adam's step for a weight whose input is nearly always zero is its weight decay over Adam's
epsilon: a few percent of the weight, every batch. Such weights shrink geometrically through the
subnormal floats before they reach zero, and every product with a subnormal takes the CPU's slow
path (a microcode assist on x86): with a few percent of the first layer's weights there, an epoch
took several times as long as the first ones. Flushing them to zero is what TensorFlow does by
default and PyTorch offers as ``torch.set_flush_denormal``; NumPy has no switch for it, so on
x86-64 the SSE control register (MXCSR) is set by a five-instruction function loaded with ctypes.
The answers move by less than float32's smallest normal number (about 1e-38) a product.

The mode belongs to the calling thread: it covers NumPy and a one-thread BLAS (the card's command
sets OMP_NUM_THREADS=1). Elsewhere (another CPU, or memory that may not be executable) training
runs as before, only slower when weights turn subnormal.
"""

from __future__ import annotations

import ctypes
import mmap
import platform
from collections.abc import Iterator
from contextlib import contextmanager

MASKED_ROUND_TO_NEAREST = 0x1F80  # every exception masked, round to nearest: the usual state
FLUSH_TO_ZERO = 0x8000  # results below the smallest normal number become zero
DENORMALS_ARE_ZERO = 0x0040  # subnormal inputs are read as zero

# unsigned swap(unsigned new): return MXCSR and load ``new`` into it (System V x86-64; the red zone
# below the stack pointer holds both values).
_SWAP_MXCSR = bytes(
    [
        *(0x0F, 0xAE, 0x5C, 0x24, 0xFC),  # stmxcsr [rsp-4]
        *(0x8B, 0x44, 0x24, 0xFC),  # mov eax, [rsp-4]
        *(0x89, 0x7C, 0x24, 0xF8),  # mov [rsp-8], edi
        *(0x0F, 0xAE, 0x54, 0x24, 0xF8),  # ldmxcsr [rsp-8]
        0xC3,  # ret
    ]
)


def _swap_function():
    """Return the MXCSR swap as a callable, or None where it cannot be made."""
    if platform.machine().lower() not in ("x86_64", "amd64") or platform.system() != "Linux":
        return None
    try:
        memory = mmap.mmap(
            -1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC
        )
    except (OSError, ValueError):
        return None
    memory.write(_SWAP_MXCSR)
    address = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    swap = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.c_uint)(address)
    swap.memory = memory  # the code lives as long as the function
    return swap


_swap = _swap_function()


def available() -> bool:
    """Return whether this machine's subnormals can be flushed (x86-64 Linux)."""
    return _swap is not None


@contextmanager
def flushed() -> Iterator[None]:
    """Run the block with subnormal floats flushed to zero on this thread, then restore."""
    if _swap is None:
        yield
        return
    flush = FLUSH_TO_ZERO | DENORMALS_ARE_ZERO
    before = _swap(MASKED_ROUND_TO_NEAREST | flush)
    _swap(before | flush)  # the caller's own rounding and masks, if they differ
    try:
        yield
    finally:
        _swap(before)
