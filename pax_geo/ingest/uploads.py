"""Uploaded files staged for the Import page: private to the app, and not kept.

The page previews an upload on every rerun and imports it on a click, so the bytes must sit in
a file for a while. They go to ``PAX_HOME/uploads`` (mode 0700, not the machine's shared
temporary folder), named by their content hash; every staging sweeps files older than
``MAX_AGE_S`` (an upload still on the page is re-staged on its next rerun).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from pax_geo.config import Settings, settings

MAX_AGE_S = 3600


def upload_dir(cfg: Settings | None = None) -> Path:
    path = (cfg or settings()).home / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def sweep(
    cfg: Settings | None = None, max_age_s: float = MAX_AGE_S, now: float | None = None
) -> int:
    """Remove staged uploads older than max_age_s; returns how many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for f in upload_dir(cfg).iterdir():
        try:
            if f.is_file() and now - f.stat().st_mtime > max_age_s:
                f.unlink()
                removed += 1
        except FileNotFoundError:  # another session swept it first
            continue
    return removed


def stage(content: bytes, name: str, cfg: Settings | None = None) -> Path:
    """The upload as a private file (same content, same file), after sweeping old ones."""
    sweep(cfg)
    digest = hashlib.sha256(content).hexdigest()[:20]
    path = upload_dir(cfg) / f"{digest}{Path(name).suffix.lower()}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    else:
        os.utime(path)  # in use: not swept while the page works with it
    return path
