"""Importing the program without Python's cyclic garbage collector watching.

The window's start imports some 550 modules (SQLAlchemy, pydantic, PySide6, the models and services) and leaves about
100,000 long-lived objects the collector tracks: classes, functions, mapped tables. With the collector on, each few
hundred new objects trigger a collection that walks them again, and two full collections walk everything: about 0.13 s
of every start of the window (docs/performance.md), and nothing to collect, because a module's objects live as long as
the process. So the imports run with the collector paused, and afterwards everything they created is moved out of its
sight for good (``gc.freeze``): later collections, which do find garbage (a closed dialog, a finished query), walk only
what was made since. The collector is back on before any database is opened or any work is done, so a long upgrade or
import runs with it as always.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imports_without_collection() -> Iterator[None]:
    """Run the block (imports only) with the cyclic collector paused; then, if it imported anything, freeze what the
    process holds and resume. A block inside another leaves the resuming to the outer one. A block that imported
    nothing (a command run again in the same process, as the tests do) freezes nothing: freezing then would only
    hide the caller's own objects from the collector for good."""
    if not gc.isenabled():  # already paused by an outer block (or by whoever runs us): theirs to resume
        yield
        return
    modules = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules:
            gc.freeze()
        gc.enable()
