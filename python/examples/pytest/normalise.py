"""The library under test: scale 8-bit pixels to floats in [0, 1]."""

import numpy as np


def normalise(a):
    t = a.astype(np.float64)
    # In place: one 8 MB buffer per call. `return t / 255.0` holds two at
    # once, and glibc then gives the heap top back with brk after every
    # call and faults it in again on the next (heap-trim-refault).
    np.divide(t, 255.0, out=t)
    return t
