"""How long each script run takes on the server.

app.py times every run (session check, sidebar and the page) with :func:`timed`. A run that
takes ``PAX_SLOW_RUN_MS`` or longer is logged at WARNING on the logger ``pax.run``, one line
with the page, the role and the milliseconds; ``PAX_SLOW_RUN_MS=0`` logs every run (what
bench/bench_sessions.py reads). No user name and nothing the page showed goes into the line.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pax_geo.config import settings

LOG = logging.getLogger("pax.run")
if not LOG.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(_handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False

#: the line's fixed start, for whoever parses it
PREFIX = "run"


@dataclass
class Run:
    role: str | None
    page: str | None = None
    ms: float | None = None
    #: eight hex digits of a hash of Streamlit's session id: runs of one browser tab belong
    #: together, and nothing in the line leads back to the tab or the user
    session: str = "-"


def line(run: Run, outcome: str) -> str:
    return (
        f"{PREFIX} page={run.page or '-'} role={run.role or '-'} ms={run.ms:.1f} "
        f"end={outcome} session={run.session}"
    )


def _session_tag() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return "-"
    return hashlib.sha256(ctx.session_id.encode()).hexdigest()[:8]


@contextmanager
def timed(role: str | None) -> Iterator[Run]:
    """Time the block; the caller sets ``run.page`` once it knows it. Streamlit ends a run
    early with exceptions (st.stop, st.rerun, switch_page): those are its outcome."""
    run = Run(role, session=_session_tag())
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield run
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        run.ms = (time.perf_counter() - started) * 1000
        if run.ms >= settings().slow_run_ms:
            LOG.warning(line(run, outcome))
