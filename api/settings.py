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
