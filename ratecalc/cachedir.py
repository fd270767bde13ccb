"""Where ratecalc keeps files it can always rebuild (CBR answers, compiled tariffs): one root for all of them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

CACHE_ENV = "RATECALC_CACHE_DIR"


def cache_root(cache_dir: Union[str, Path, None] = None) -> Path:
    """`cache_dir`, else `$RATECALC_CACHE_DIR`, else `$XDG_CACHE_HOME/ratecalc`, else `~/.cache/ratecalc`."""
    if cache_dir:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative value is invalid and must be ignored
        return Path(xdg) / "ratecalc"
    return Path.home() / ".cache" / "ratecalc"
