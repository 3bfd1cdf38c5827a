"""How the registry tunes Python's cyclic garbage collector, and why: every call to `gc`
is here.

Reference counting frees most objects the moment they are no longer used; the cyclic
collector is for objects that refer to each other. CPython runs it after every 700 new
container objects (lists, dicts, tuples, instances), and each pass walks every object of
the generations it collects. The registry's work has three shapes the default handles
badly, one function each:

- `start_up_frozen`: what a worker made at start-up (Django, the views, pandas,
  lifelines, matplotlib: some 250,000 objects) lives as long as the worker. Left to the
  collector, its full passes walk all of it every few dozen requests, the worst of a
  worker's latencies. Frozen, the collector never looks at it again.
- `collector_paused`: computing an analytics result for ten thousand patients allocates a
  million-odd rows, tuples and dicts, none in a reference cycle, which reference counting
  frees; the collector, set off every 700 allocations, would walk them again and again: a
  sixth of a cold request.
- `chunk_freed`: reading patients with their sections loaded (registry.snapshots), a chunk
  at a time, leaves each chunk held in reference cycles (a patient and its records refer
  to each other) that only the collector frees: left to run when it will, it lets chunks
  pile up, the more the larger the cohort. Between those collections the reader pauses
  it (`collector_paused`): set off every 700 allocations, it walked the chunk's records,
  and the resources an export makes of them, again and again.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def start_up_frozen() -> None:
    """Keep everything made so far out of every later collection (config.wsgi, once the
    application is loaded)."""
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector paused, and back on after if it was on before. Process-wide, but
    harmless to a concurrent request: only the collection of cycles is put off, and only
    the outermost pause turns the collector back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def chunk_freed() -> None:
    """Free now what a chunk of patients read with their sections holds in cycles."""
    gc.collect()
