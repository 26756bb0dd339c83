"""A worker keeps the cyclic garbage collector off what start-up built (see
:func:`ferrybase.server.settle_garbage_collector`); run in a child process, as it changes
process-wide state."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_settled_worker_freezes_startup_objects_and_collects_young_less_often() -> None:
    code = textwrap.dedent(
        """
        import gc
        from ferrybase.server import GC_YOUNG_THRESHOLD, settle_garbage_collector
        before = gc.get_threshold()
        settle_garbage_collector()
        after = gc.get_threshold()
        assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
        assert after == (GC_YOUNG_THRESHOLD, *before[1:]), after
        assert GC_YOUNG_THRESHOLD > before[0]
        # cycles made after start-up are still collected
        import weakref
        class Node: pass
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        gc.collect()
        assert ref() is None
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
