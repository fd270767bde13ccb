"""Every error the API returns is an RFC 9457 problem document (`application/problem+json`).

Invalid input is 422 with one entry per broken field (JSON path, rule, limit), oversized bodies and
batches 413, unknown services 404. Anything unexpected is logged with its traceback and answered with a
plain 500 problem carrying the request id, never with the traceback itself.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from fastapi import FastAPI, Request
from fastapi import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ratecalc import InputError, TariffError

from .logs import request_id_var

log = logging.getLogger("ratecalc.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE = "urn:ratecalc:problem:"


class FieldError(BaseModel):
    """One broken field: where (JSON path into the request), what rule it broke and the limit, if any."""

    path: str = Field(description="JSON path into the request, e.g. $.parcels[3].weight", examples=["$.weight"])
    message: str
    rule: str = Field(description="the rule broken, a stable code", examples=["less_than_equal"])
    limit: Any = Field(None, description="the limit of that rule, when it has one")


class Problem(BaseModel):
    """RFC 9457 problem details, plus `errors` (per field) and `request_id` as extension members."""

    type: str = Field(examples=["urn:ratecalc:problem:invalid-input"])
    title: str
    status: int
    detail: str
    instance: Optional[str] = Field(None, description="the request path")
    request_id: Optional[str] = None
    errors: list[FieldError] = Field(default_factory=list)


class ApiProblem(FastAPIHTTPException):
    """Raise anywhere in a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: Sequence[FieldError] = (),
        headers: Optional[dict[str, str]] = None,
    ):
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.slug = slug
        self.title = title
        self.errors = list(errors)


class BodyTooLarge(ApiProblem):
    def __init__(self, limit: int):
        super().__init__(
            413,
            "body-too-large",
            "Request body too large",
            f"the request body exceeds the limit of {limit} bytes",
            [FieldError(path="$", message="request body too large", rule="max_body_bytes", limit=limit)],
        )


def invalid(errors: Sequence[FieldError], detail: Optional[str] = None) -> ApiProblem:
    return ApiProblem(
        422,
        "invalid-input",
        "Invalid input",
        detail or "; ".join(f"{e.path}: {e.message}" for e in errors) or "invalid input",
        errors,
    )


def json_path(loc: Iterable[Any], root: str = "$") -> str:
    """('parcels', 3, 'weight') -> $.parcels[3].weight"""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


_LIMIT_KEYS = ("gt", "ge", "lt", "le", "max_length", "min_length", "pattern", "expected", "limit_value")


def _is_tag(part: str) -> bool:
    """A union-member or validator tag pydantic puts in a loc ('str', 'MoneyIn', 'function-after[...]')."""
    return part in ("str", "int", "bool") or part[:1].isupper() or any(c in part for c in "[]-( ")


# pattern -> the library parser it stands for. A value the schema's pattern refuses is run through that
# parser (bounded: max_length is checked first), so the answer names the real rule and limit ("more than
# 12 integer digits", "unknown weight unit") instead of quoting a regular expression.
PATTERN_PARSERS: dict[str, Callable[[str], object]] = {}


# Older spellings a request may still use -> today's name (the shared vocabulary): error paths use today's.
OLD_SPELLINGS: dict[str, str] = {}


# What a field refused by its pattern should look like, in words, when no parser explains it better.
_SHAPES = {
    "weight": "not a weight; write it with a unit, like 1.2kg or 350g",
    "weight_max": "not a weight; write it with a unit, like 10kg",
    "dims": "not L x W x H with a unit; write it like 30x20x10cm or 300x200x100mm",
    "value": "not an amount with a currency; write it like 1500RUB",
    "amount": 'not a decimal amount; write it as a string like "1500.00"',
    "currency": "not a three-letter currency code such as RUB",
    "date": "not a date; write it as YYYY-MM-DD",
    "acquiring": "not a percentage from 0 to below 100 with at most 4 decimals; write it like 2.5 or 2.5%",
    "fx_loss": "not a percentage from 0 to below 100 with at most 4 decimals; write it like 2.5 or 2.5%",
    "ads": "not a percentage from 0 to below 100 with at most 4 decimals; write it like 2.5 or 2.5%",
    "return_rate": "not a percentage from 0 to below 100 with at most 4 decimals; write it like 2.5 or 2.5%",
    "target_margin": "not a margin above -100 and below 100 % with at most 4 decimals; write it like 25 or 25%",
    "sale_price": "not a price in RUB above 0 and within the input limit, with at most 2 decimals; write it like 1499.90",
    "target_profit": "not an amount in RUB with at most 7 digits and 2 decimals; write it like 300 or 300.50",
}


def _explained(err: Mapping[str, Any]) -> Optional[InputError]:
    parse = PATTERN_PARSERS.get(str((err.get("ctx") or {}).get("pattern")))
    if parse is None or not isinstance(err.get("input"), str):
        return None
    try:
        parse(err["input"])
    except InputError as exc:
        return exc
    return None


def from_pydantic(errors: Iterable[Mapping[str, Any]], root: str = "$", skip: int = 0) -> list[FieldError]:
    """Pydantic/FastAPI error dicts -> FieldErrors; `skip` drops leading loc parts such as 'body'."""
    out = []
    for err in errors:
        loc = tuple(err.get("loc", ()))[skip:]
        # Union members add their own tag to the loc ("str", "MoneyIn"); a JSON path has no such step.
        loc = tuple(OLD_SPELLINGS.get(p, p) for p in loc if isinstance(p, int) or not _is_tag(str(p)))
        ctx = err.get("ctx") or {}
        limit = next((ctx[k] for k in _LIMIT_KEYS if k in ctx), None)
        if limit is not None and not isinstance(limit, (int, float, str, bool, list)):
            limit = str(limit)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        rule = str(err.get("type", "invalid"))
        if rule == "string_pattern_mismatch" and (why := _explained(err)) is not None:
            msg, rule, limit = why.message, why.rule or rule, why.limit
        elif rule == "string_pattern_mismatch":  # no parser stands for it: the expected shape in words
            name = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "")
            msg = _SHAPES.get(name, "does not have the expected form")
        out.append(FieldError(path=json_path(loc, root), message=msg, rule=rule, limit=limit))
    return out


def from_input_error(exc: InputError, path: str) -> FieldError:
    limit = exc.limit
    if limit is not None and not isinstance(limit, (int, float, str, bool, list)):
        limit = str(limit)
    return FieldError(path=path, message=exc.message, rule=exc.rule or "invalid_value", limit=limit)


MAX_JSON_DEPTH = 64  # documented nesting limit of request bodies (the deepest valid body nests 4 levels)


def body_error(cause: BaseException) -> FieldError:
    """The FieldError for a request body the JSON parser refused: too deep, not UTF-8, malformed."""
    if isinstance(cause, RecursionError):
        return FieldError(
            path="$", message=f"nested deeper than {MAX_JSON_DEPTH} levels", rule="max_depth", limit=MAX_JSON_DEPTH
        )
    return FieldError(path="$", message=f"not valid JSON: {cause}", rule="json_invalid")


def json_depth(data: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of parsed JSON, counted without recursion and stopping just past `limit`."""
    depth, frontier = 0, [data]
    while frontier and depth <= limit:
        depth += 1
        nxt: list[Any] = []
        for item in frontier:
            if isinstance(item, dict):
                nxt.extend(v for v in item.values() if isinstance(v, (dict, list)))
            elif isinstance(item, list):
                nxt.extend(v for v in item if isinstance(v, (dict, list)))
        frontier = nxt
    return depth


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] = (),
    headers: Optional[Mapping[str, str]] = None,
) -> JSONResponse:
    body = Problem(
        type=_TYPE + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_var.get(),
        errors=list(errors),
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def problem_json(
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] = (),
    instance: Optional[str] = None,
) -> bytes:
    """A problem document's bytes, for answers written below the framework (the HTTP edge, the protocol)."""
    body = Problem(
        type=_TYPE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id_var.get(),
        errors=list(errors),
    )
    return body.model_dump_json().encode()


async def send_problem(
    send: Callable[[dict], Any],
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] = (),
    *,
    instance: Optional[str] = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer an ASGI request with a problem document (what `problem_response` gives a route)."""
    body = problem_json(status, slug, title, detail, errors, instance)
    out = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": out + list(headers)})
    await send({"type": "http.response.body", "body": body})


_GENERIC = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    503: ("not-ready", "Service not ready"),
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(request, exc.status_code, exc.slug, exc.title, str(exc.detail), exc.errors, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, Exception):
            # FastAPI answers 400 for a body it cannot decode (not UTF-8, nested past the parser's depth);
            # to callers that is invalid input, the same 422 on every route.
            err = body_error(exc.__cause__)
            return problem_response(request, 422, "invalid-input", "Invalid input", err.message, [err])
        slug, title = _GENERIC.get(exc.status_code, ("", "Error"))
        return problem_response(request, exc.status_code, slug, title, str(exc.detail), (), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            where = loc[0] if loc else "body"
            if err.get("type") == "json_invalid":  # the loc holds a character offset, not a path
                pos = loc[1] if len(loc) > 1 else "?"
                reason = (err.get("ctx") or {}).get("error", "malformed")
                errors.append(
                    FieldError(path="$", message=f"not valid JSON: {reason} (character {pos})", rule="json_invalid")
                )
            elif where == "body":
                errors += from_pydantic([err], "$", skip=1)
            else:  # query / path / header parameters: `query.carrier`, as the routes' own checks name them
                errors += from_pydantic([err], str(where), skip=1)
        detail = "; ".join(f"{e.path}: {e.message}" for e in errors)
        return problem_response(request, 422, "invalid-input", "Invalid input", detail, errors)

    @app.exception_handler(ValidationError)
    async def _pydantic(request: Request, exc: ValidationError) -> JSONResponse:
        errors = from_pydantic(exc.errors())
        return problem_response(
            request, 422, "invalid-input", "Invalid input", str(exc.error_count()) + " invalid field(s)", errors
        )

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        err = from_input_error(exc, json_path([exc.field]))
        return problem_response(request, 422, "invalid-input", "Invalid input", f"{exc.field}: {exc.message}", [err])

    @app.exception_handler(TariffError)
    async def _tariff(request: Request, exc: TariffError) -> JSONResponse:
        log.error("tariff error while serving", extra={"problems": [str(p) for p in exc.problems]})
        return problem_response(request, 503, "tariffs-broken", "Tariff set unusable", str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            request,
            500,
            "internal-error",
            "Internal server error",
            "an unexpected error occurred; it was logged with this request id",
        )
