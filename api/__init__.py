"""ratecalc's HTTP API: a thin FastAPI layer over `ratecalc.TariffSet`.

Build the app with `api.app.create_app(settings)`; serve it with `ratecalc serve`.
"""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
