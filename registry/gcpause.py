"""A pause of the cyclic garbage collector around work that builds many objects and no garbage
cycles: a register's load (millions of long-lived objects the collector would walk again and
again without freeing any) and a batch of answers (`Registry.check_many`: thousands of answers
kept by the caller). Reference counting frees as always inside the pause."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside (reference counting frees as always). Pauses in
    several threads at once are one pause: the collector runs again when the last one ends, if it
    ran before the first began."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
