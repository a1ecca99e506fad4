"""Python's cyclic garbage collector, paused around the big reads.

Reading a year's sheets and classifying its journal make a million small objects and no cycles; the
collector's passes over them cost 0.1–0.2 s of a ``check`` (reference counting still frees everything,
so nothing is kept longer than without the pause).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """No cyclic garbage collection inside (restored after, if it was on)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
