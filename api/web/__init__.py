"""What a person sees: the page at `/` and the API docs at `/docs`, every asset served by the app itself."""

from __future__ import annotations

from fastapi import FastAPI

from . import docs, page


def install(app: FastAPI, *, page_enabled: bool = True) -> None:
    """Mount /docs (always) and the page (unless the API needs a token: the page would bypass it)."""
    docs.install(app)
    if page_enabled:
        page.install(app)


__all__ = ["install"]
