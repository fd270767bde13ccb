"""POST /v1/admin/reload: reload the tariffs atomically (mounted only when RATECALC_ADMIN_TOKEN is set)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request

from ..errors import ApiProblem, FieldError, Problem
from ..models import ReloadResponse

router = APIRouter(prefix="/v1", tags=["admin"])

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}


def _where(problem: dict) -> str:
    """file:line at yaml.path: where a tariff problem is (not a JSON path into the request)."""
    loc = problem["file"] + (f":{problem['line']}" if problem["line"] else "")
    return loc + (f" at {problem['path']}" if problem["path"] else "")


@router.post(
    "/admin/reload",
    operation_id="reloadTariffs",
    response_model=ReloadResponse,
    responses={401: PROBLEM, 409: PROBLEM},
    summary="Reload the tariffs; a broken set is refused and the previous one keeps serving",
)
async def reload(request: Request) -> ReloadResponse:
    outcome = await anyio.to_thread.run_sync(request.app.state.holder.reload, "admin")
    if not outcome.ok:
        errors = [
            FieldError(
                path=_where(p),
                message=p["message"],
                rule="tariff_invalid",
                limit=None,
            )
            for p in outcome.problems
        ]
        raise ApiProblem(
            409,
            "tariffs-refused",
            "Tariff set refused",
            f"the new tariff set is broken ({len(errors)} problem(s)); still serving {outcome.previous_checksum}",
            errors,
        )
    return ReloadResponse(reloaded=True, checksum=outcome.checksum, previous_checksum=outcome.previous_checksum)
