"""Loading the application without paying for garbage collection while it loads."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Pauses the cyclic garbage collector while modules load and the app is built.

    Loading creates hundreds of thousands of long-lived objects (models, schemas, routes) and no
    garbage; the collector would scan them again and again as they pile up, about a fifth of the
    mock's start (measured). It runs again as soon as loading ends, and only if it ran before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
