"""What the server knows: carriers and their services, one service in full, the loaded tariff set.

Files are named relative to their tariff directory: a server's absolute paths are not the caller's business.
"""

from __future__ import annotations

from pathlib import PurePath

from fastapi import APIRouter, Depends, Path

from ratecalc import TariffSet
from ratecalc.tariffdata.schema import SCHEMES, CarrierFile

from ..deps import tariffs
from ..errors import ApiProblem, Problem
from ..models import Carrier, CarriersResponse, ServiceDetail, ServiceSummary, TariffFile, TariffsInfo

router = APIRouter(prefix="/v1", tags=["tariffs"])

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}


def _every_service(ts: TariffSet) -> list:
    """The services of every scheme (a quote lists one scheme's; the catalogue shows them all)."""
    return [svc for scheme in SCHEMES for svc in ts.compiled(scheme=scheme).services]


@router.get(
    "/carriers", operation_id="carriers", response_model=CarriersResponse, summary="Carriers and their services"
)
async def carriers(ts: TariffSet = Depends(tariffs)) -> CarriersResponse:
    by_id: dict[str, Carrier] = {}
    for svc in _every_service(ts):
        c = by_id.setdefault(svc.carrier_id, Carrier(carrier_id=svc.carrier_id, carrier=svc.carrier, services=[]))
        c.services.append(
            ServiceSummary(
                id=svc.id,
                name=svc.name,
                tier=svc.tier,
                origin=svc.origin,
                scheme=svc.model.scheme,
                periods=[f"{v.effective_from or '…'}→{v.effective_until or '…'}" for v in svc.model.versions],
                rates_published=any(r.published for v in svc.model.versions for r in v.rates),
            )
        )
    return CarriersResponse(carriers=sorted(by_id.values(), key=lambda c: c.carrier_id))


@router.get(
    "/services/{service_id}",
    operation_id="service",
    response_model=ServiceDetail,
    responses={404: PROBLEM},
    summary="One service: rules, limits, rates and their history, sources",
)
async def service(
    service_id: str = Path(..., max_length=128, description="a service id from GET /v1/carriers"),
    ts: TariffSet = Depends(tariffs),
) -> ServiceDetail:
    for svc in _every_service(ts):
        if svc.id == service_id:
            return ServiceDetail(
                carrier=svc.carrier, carrier_id=svc.carrier_id, file=PurePath(svc.file).name, service=svc.model
            )
    raise ApiProblem(
        404, "unknown-service", "Unknown service", f"no service with id {service_id!r} (see GET /v1/carriers)"
    )


@router.get("/tariffs", operation_id="tariffs", response_model=TariffsInfo, summary="The loaded tariff set")
async def tariff_set(ts: TariffSet = Depends(tariffs)) -> TariffsInfo:
    files = [
        TariffFile(
            name=f.path.name,
            directory=f.path.parent.name,  # never an absolute server path
            layer=f.layer,
            sha256=f.sha256,
            kind="carrier" if isinstance(f.document, CarrierFile) else "groups",
        )
        for f in ts.documents.files
    ]
    return TariffsInfo(
        version=ts.checksum[:12],
        checksum=ts.checksum,
        loaded_at=ts.loaded_at.isoformat(),
        files=files,
        services=len(ts.services),
        readings=dict(ts.compiled().available_readings),
    )
