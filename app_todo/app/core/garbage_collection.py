"""Keep Python's cyclic garbage collector from pausing a busy task for 100 ms at a time.

Measured with bench/todo.py-style load (256 clients reading tasks): with the default settings
a full collection re-scans every object the process holds (modules, models, routes, SQLAlchemy
and pydantic internals), about 100 ms each time, every few seconds: liveness p99 rose from
5 ms to 100 ms and throughput fell by a fifth. Objects made at start-up live as long as the
process, so they are frozen out of the collector's sight, and collections run less often.
Reference counting still frees everything without cycles at once; memory stays bounded.
"""

from __future__ import annotations

import gc

# Allocations (net of frees) before a young-generation collection, and how many of those
# before each older one (CPython's defaults: 700, 10, 10).
THRESHOLDS = (20_000, 20, 20)


def settle_after_startup() -> None:
    """Call once start-up is done: collect what start-up left, freeze the rest, space out
    later collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
