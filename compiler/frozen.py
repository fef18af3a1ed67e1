"""Keep the garbage collector's full passes off what exists now, while a block runs.

A full pass walks every object of the process, and a build process holds many that
live as long as the build: the app with all it loaded (every post of a blog), then
every page and its record. Passes that walked them again and again took half a second
of a 10,000-page build; frozen objects are not walked. A process forked meanwhile (a
render worker) does not walk them either, so it does not copy the memory it shares.

Blocks nest: what an outer block froze stays frozen when an inner one ends. They count
their depth themselves, as ``gc.get_freeze_count()`` counts the frozen objects one by
one (5 ms for a blog of 1,000 posts, before each rebuild's render workers start).
"""

from __future__ import annotations

import contextlib
import gc
import typing as t

_depth = 0


@contextlib.contextmanager
def frozen() -> t.Iterator[None]:
    """Freeze what exists now until the outermost block ends; ``gc.freeze()`` within
    the block freezes what exists by then too."""
    global _depth
    gc.freeze()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth:
            gc.unfreeze()
