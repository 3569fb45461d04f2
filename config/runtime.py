"""Process-wide tuning of the long-running processes (gunicorn workers, Celery workers).

Python's cyclic garbage collector runs every 700 container allocations and
then walks the objects of the younger generations, and every so often all of
them: in a process holding Django's ~80,000 objects, reading one recorder batch
(thousands of small dicts and lists) triggered it often enough to cost more
than the reading itself (0.4 ms of a 0.1 ms parse). What the process loaded
before serving is frozen out of the collector's walks and collections run
less often. Batches are trees: reference counting frees them, the collector
has nothing of theirs to find.
"""
import gc

GEN0_THRESHOLD = 20_000


def collector_tune() -> None:
    """Freeze what is loaded now, and collect the young generation every GEN0_THRESHOLD allocations."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
