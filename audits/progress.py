"""Progress messages of a run, on the ``audits.progress`` logger.

The library and the flows say what stage they are in; whoever runs them (the
command line, a notebook) decides whether and how to show it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["logger", "stage"]

logger = logging.getLogger("audits.progress")


@contextmanager
def stage(name: str, timings: dict[str, float] | None = None) -> Iterator[None]:
    """Announce stage ``name``, time it, and record its seconds in ``timings``."""
    logger.info("%s ...", name)
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if timings is not None:
        timings[name] = round(seconds, 3)
    logger.info("%s done (%.1f s)", name, seconds)
