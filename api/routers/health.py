"""Liveness, readiness and Prometheus metrics: outside /v1, never behind the API token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..errors import ApiProblem, Problem
from ..models import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Health,
    responses={503: {"model": Problem, "content": {"application/problem+json": {}}}},
    summary="Readiness: tariffs loaded",
)
async def readyz(request: Request) -> Health:
    ts = request.app.state.holder.current
    if ts is None:
        raise ApiProblem(503, "not-ready", "Service not ready", "the tariffs are not loaded yet")
    return Health(status="ready", checksum=ts.checksum)


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics(request: Request) -> Response:
    body, ctype = request.app.state.metrics.render()
    return Response(body, media_type=ctype)
