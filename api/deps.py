"""Route dependencies: the tariff set in use and bearer-token guards."""

from __future__ import annotations

import secrets
from typing import Awaitable, Callable, Optional

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from ratecalc import TariffSet

from .errors import ApiProblem


async def tariffs(request: Request) -> TariffSet:
    """The set in use *now*; a request keeps this one even if a reload lands while it runs.

    async on purpose: a sync dependency would cost a thread hop on every request.
    """
    ts = request.app.state.holder.current
    if ts is None:
        raise ApiProblem(503, "not-ready", "Service not ready", "the tariffs are not loaded yet")
    return ts


def bearer_guard(token: SecretStr, scheme_name: str, what: str) -> Callable[..., Awaitable[None]]:
    """A dependency accepting only `Authorization: Bearer <token>` (constant-time comparison)."""
    scheme = HTTPBearer(auto_error=False, scheme_name=scheme_name, description=what)
    expected = token.get_secret_value().encode()

    async def guard(creds: Optional[HTTPAuthorizationCredentials] = Depends(scheme)) -> None:
        if creds is None or not secrets.compare_digest(creds.credentials.encode(), expected):
            raise ApiProblem(
                401,
                "unauthorized",
                "Unauthorized",
                f"a valid bearer token is required ({what})",
                headers={"WWW-Authenticate": 'Bearer realm="ratecalc"'},
            )

    return guard
