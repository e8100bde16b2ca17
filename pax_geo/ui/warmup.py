"""Import what the pages need in the background when a server process starts.

The pages' libraries take seconds to import (statsmodels, scipy, scikit-learn through
mapclassify, altair, pydeck): about 7 s in all on the 2-core reference machine. Python imports
a module once per process, so without this the first visitor of each page in each worker
(``pax serve`` runs one per core) waited for them: 4-5 s for the first area card
(bench/bench_sessions.py). server.py starts this thread once at start-up (it begins when
Streamlit's runtime is up); a page that needs a module before the thread got to it imports it
itself, as before.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
import sys
import threading
import time

from streamlit import runtime
from streamlit.components.v1.custom_component import CustomComponent

import pax_geo

LOG = logging.getLogger("pax.warmup")
#: libraries a page imports only when it needs them
LATE = ("mapclassify",)


def modules() -> list[str]:
    """Every module of the package but the command-line ones, and the late libraries."""
    names = [m.name for m in pkgutil.walk_packages(pax_geo.__path__, "pax_geo.")]
    return [n for n in names if not n.endswith("cli") and n != __name__] + list(LATE)


def _register_components(names: set[str]) -> int:
    """Register the custom components these modules declared with the runtime.

    ``declare_component`` registers a component only when it runs inside a script run; imported
    here, outside any, streamlit_folium's map would be declared but never served (its frame
    empty for good: the first CI run with the warm-up caught it). The number registered."""
    if not runtime.exists():
        return 0
    registry = runtime.get_instance().component_registry
    n = 0
    for name in names:
        module = sys.modules.get(name)
        for value in list(vars(module).values()) if module is not None else ():
            if isinstance(value, CustomComponent):
                registry.register_component(value)
                n += 1
    return n


def _run(wait: bool) -> None:
    # after Streamlit's runtime is up, so that the modules' caches attach to it as usual
    for _ in range(600 if wait else 0):
        if runtime.exists():
            break
        time.sleep(0.1)
    before = set(sys.modules)
    for name in modules():
        try:
            importlib.import_module(name)
        except Exception:  # a page that needs it will show the error; the server runs on
            LOG.exception("warm-up import of %s failed", name)
    _register_components(set(sys.modules) - before)
    # The modules' objects live as long as the process: moved out of the cyclic garbage
    # collector's sight, so that its full collections (which pause every session's thread)
    # do not walk millions of objects that can never be garbage.
    gc.collect()
    gc.freeze()


def start(wait_for_runtime: bool = True) -> threading.Thread:
    thread = threading.Thread(target=_run, args=(wait_for_runtime,), name="pax-warmup", daemon=True)
    thread.start()
    return thread
