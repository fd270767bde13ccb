"""ratecalc's HTTP API: a thin FastAPI layer over `ratecalc.TariffSet`.

Build the app with `create_app(settings)`; serve it with `ratecalc serve`. Installed, this package is
`ratecalc_api` (a top-level `api` would collide with other packages); in a source checkout it is `api`.
`create_app` and `Settings` are loaded on first use: the `ratecalc` command starts here (cli.py) and its
library commands must not pay for, or need, the server stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
