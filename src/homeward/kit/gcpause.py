"""Pausing the cyclic garbage collector around bulk work that creates no reference cycles.

A 100,000-row refund file allocates millions of short-lived, acyclic objects (tuples, strings,
Decimals): reference counting frees them all, yet the collector keeps scanning them, which cost
about a tenth of the file's time. Threads share the collector, so pauses are counted: it runs
again once the last pause ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0


@contextmanager
def paused() -> Iterator[None]:
    global _pauses
    with _lock:
        # Disabled by someone else (a test, an embedding app): leave it to them.
        ours = _pauses > 0 or gc.isenabled()
        if ours:
            _pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if ours:
            with _lock:
                _pauses -= 1
                if _pauses == 0:
                    gc.enable()


def collect_young() -> None:
    """Collect the youngest generation now: while paused, everything made since the pause is in
    it, so called after each unit of bulk work this frees that unit's few cycles (and scans only
    what the unit left), keeping memory flat over a long pause."""
    gc.collect(0)
