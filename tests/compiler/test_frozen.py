"""Blocks that keep the garbage collector off what exists: nested, the outermost decides."""

from __future__ import annotations

import gc

from sitec.compiler.frozen import frozen


def test_an_inner_block_leaves_what_the_outer_one_froze_frozen() -> None:
    with frozen():
        outer = gc.get_freeze_count()
        assert outer > 0
        with frozen():
            assert gc.get_freeze_count() >= outer
        assert gc.get_freeze_count() >= outer
    assert gc.get_freeze_count() == 0
