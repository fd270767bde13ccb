"""Server settings, read from the environment (prefix `RATECALC_`) so containers configure it without files.

List values are written the way shells and container specs write them: comma-separated origins and
`os.pathsep`-separated directories, not JSON.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Routes outside /v1 that say how the server is, not what it knows; with a token set, each stays open or
# needs the token as RATECALC_OPEN_ROUTES says. docs covers /docs and its assets.
OPERATIONAL_ROUTES = ("healthz", "readyz", "metrics", "openapi", "docs")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RATECALC_", extra="ignore")

    api_token: Optional[SecretStr] = Field(
        None, description="Bearer token required on every /v1 route; unset = no auth (RATECALC_API_TOKEN)."
    )
    admin_token: Optional[SecretStr] = Field(
        None, description="Bearer token for /v1/admin/*; unset = admin routes off (RATECALC_ADMIN_TOKEN)."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Allowed CORS origins, comma-separated; unset = no CORS headers."
    )
    max_batch: int = Field(10_000, ge=1, description="Most parcels in one batch request (more: 413).")
    max_body_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest request body accepted, in bytes (more: 413)."
    )
    tariff_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra tariff directories layered over the built-in ones (os.pathsep-separated). "
        "RATECALC_TARIFFS, read by the library itself, is honoured as well.",
    )
    builtin_tariffs: bool = Field(True, description="Load the tariffs shipped with the package.")
    log_level: str = Field("INFO", description="Level of the JSON logs.")
    page_cbr: bool = Field(
        False,
        description="The page's money part may fetch the CBR rate of the order date when a link gives no fx "
        "(a network call; off by default). RATECALC_RATES_FILE, when set, is read first.",
    )
    page_upload_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description="Largest catalogue the page prices (CSV or XLSX, in bytes); bigger files go to the CLI or API.",
    )
    page_upload_rows: int = Field(5_000, ge=1, description="Most catalogue rows the page prices in one upload.")
    fast_quotes: bool = Field(
        True,
        description="Answer plain POST /v1/quotes requests on the direct path (api/fastquote.py: the same "
        "answers for a fraction of the CPU); false sends every request through FastAPI's routing.",
    )

    # The HTTP edge (docs/limits.md, "HTTP server"): per worker process; `ratecalc serve` has a flag for each.
    max_header_bytes: int = Field(
        32 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request line plus headers, in bytes; more is answered 431 at once.",
    )
    header_timeout: float = Field(
        10.0, gt=0, le=3600, description="Seconds a client has to send a request's line and headers (then 408)."
    )
    idle_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a request body may stall, or a client leave an answer unread, before the "
        "connection is closed.",
    )
    keep_alive: float = Field(5.0, gt=0, le=3600, description="Seconds an idle keep-alive connection stays open.")
    max_connections: int = Field(
        1000,
        ge=2,
        le=1_000_000,
        description="Open connections per worker; past it the connection waiting longest for a request is "
        "closed to make room (kept below the process's file-descriptor limit).",
    )
    max_concurrent_batches: int = Field(
        2,
        ge=1,
        le=1024,
        description="Batch requests (quotes/batch, economics/batch) in progress per worker; more get 503 "
        "with Retry-After at once.",
    )
    retry_after: int = Field(2, ge=1, le=3600, description="Seconds named in Retry-After on a 503 for load.")
    processes: int = Field(
        2,
        ge=0,
        le=256,
        description="Worker processes per server worker that answer the CPU-heavy routes (batches, economics, "
        "curves), so the event loop keeps answering health checks; 0 = answer them in worker threads.",
    )
    threads: int = Field(
        8, ge=1, le=256, description="Worker threads per worker process for CPU work (batches, economics)."
    )
    open_routes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(OPERATIONAL_ROUTES),
        description="With RATECALC_API_TOKEN set, the operational routes still answered without it "
        "(comma-separated among healthz, readyz, metrics, openapi, docs; empty = none).",
    )

    @field_validator("open_routes", mode="before")
    @classmethod
    def _split_routes(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip().lower() for v in value.split(",") if v.strip()]
        return value

    @field_validator("open_routes")
    @classmethod
    def _known_routes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(OPERATIONAL_ROUTES))
        if unknown:
            raise ValueError(f"unknown route name(s) {', '.join(unknown)}; known: {', '.join(OPERATIONAL_ROUTES)}")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("tariff_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        if isinstance(value, str):
            return [v for v in value.split(os.pathsep) if v.strip()]
        return value

    @field_validator("api_token", "admin_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `RATECALC_API_TOKEN=` in a compose file means "no token", never "the empty token".
        return None if isinstance(value, str) and not value.strip() else value
