"""The scored firms: the list (JSON pages or whole exports), one firm's profile, and its score history."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from service import exports, pagination
from service.deps import CursorDep, LiveDep, ServingDep, SettingsDep, get_serving
from service.errors import ApiError
from service.live import Live
from service.models import FirmHistory, FirmList, FirmProfile, FirmSummary, Problem
from service.queries import firms
from service.settings import Settings
from service.snapshot import ServingSnapshot

router = APIRouter(prefix="/v1/firms", tags=["firms"])

Tier = Literal["none", "low", "moderate", "high", "severe"]
Sort = Literal["score", "-score", "name", "obligated", "ice", "cbp"]
Format = Literal["json", "csv", "parquet", "ndjson"]
ACCEPTED: dict[str, str] = {
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
}


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    422: _problem("A parameter is invalid"),
    503: _problem("No database, or a query stopped at the server's time limit"),
}
CURSOR_ERRORS: dict[int | str, dict[str, Any]] = {
    409: _problem("The cursor continues a list with another sort or other filters"),
    410: _problem("The cursor was given on a snapshot no longer served; start again without it"),
    422: _problem("A parameter is invalid, or the cursor is not one this API gave out"),
}


def _format(requested: str | None, accept: str | None) -> str:
    if requested:
        return requested
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ACCEPTED:
            return ACCEPTED[media]
    return "json"


def _etag(serving_id: str, request: Request, fmt: str) -> str:
    canonical = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    return 'W/"' + hashlib.sha256(f"{serving_id}|{fmt}|{canonical}".encode()).hexdigest()[:24] + '"'


def _page_json(live: Live, settings: Settings, filters: firms.FirmFilters, page_cursor: str | None) -> bytes:
    """One page as JSON, the cursor checked first: it must be ours, and of this snapshot, sort and filters."""
    serving = live.serving
    scope = pagination.ListScope.of(serving.snapshot_id, filters.sort, filters.selection())
    key = pagination.signing_key(settings)
    if page_cursor is not None:
        filters = replace(filters, after=pagination.decode(page_cursor, scope, key))
    with live.cursor(settings.query_timeout_seconds) as cur:
        page = firms.list_firms(cur, serving.snapshot, filters)
    next_cursor = None if page.continue_after is None else pagination.encode(scope, page.continue_after, key)
    body = FirmList[FirmSummary](data=page.firms, count=page.total, next_cursor=next_cursor, snapshot=serving.snapshot)
    return body.model_dump_json().encode()


@router.get(
    "",
    response_model=FirmList[FirmSummary],
    responses={
        200: {
            "description": "A page of firms (JSON), or the whole filtered list as CSV, NDJSON or Parquet",
            "content": {"text/csv": {}, "application/x-ndjson": {}, "application/vnd.apache.parquet": {}},
        },
        304: {"description": "Not modified since the ETag given in If-None-Match"},
        **ERRORS,
        **CURSOR_ERRORS,
    },
    summary="The scored Canadian firms: filter, sort, page through, or export",
)
async def list_firms(
    request: Request,
    settings: SettingsDep,
    live: LiveDep,
    q: Annotated[str | None, Query(max_length=200, description="part of a name, alias or firm id")] = None,
    tier: Annotated[Tier | None, Query(description="only this tier")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    agency: Annotated[
        str | None, Query(max_length=100, description="agency code or abbreviation: 7012, ICE, CBP, TSA")
    ] = None,
    category: Annotated[str | None, Query(max_length=100, description="a category of GET /v1/methodology")] = None,
    province: Annotated[str | None, Query(max_length=2, min_length=2, description="ON, QC, BC, ...")] = None,
    sort: Annotated[Sort, Query(description="score (highest first), -score, name, obligated, ice, cbp")] = "score",
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="page size (capped by the server)")] = None,
    page: Annotated[
        str | None, Query(alias="cursor", max_length=500, description="next_cursor of the last page")
    ] = None,
    format: Annotated[Format | None, Query(description="csv, parquet or ndjson export the whole filtered list")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    serving = live.serving
    fmt = _format(format, accept)
    etag = _etag(serving.snapshot_id, request, fmt)
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    if category is not None and category not in request.app.state.methodology.categories:
        raise ApiError(422, f"category: unknown category {category!r}; GET /v1/methodology lists them")
    filters = firms.FirmFilters(
        q=q,
        tier=tier,
        min_score=min_score,
        agency=agency,
        category=category,
        province=province,
        sort=sort,
        limit=min(limit or settings.page_size_default, settings.page_size_max),
    )
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if fmt != "json":  # an export is the whole list: a cursor has no page to continue there
        return await exports.firm_list(live, settings.query_timeout_seconds, filters, fmt, headers)
    # A snapshot never changes, so a page computed once is the page: cache it by its ETag (the cursor is part
    # of it, so a cached page's cursor was already checked).
    page_json = serving.pages.get(etag)
    if page_json is None:
        page_json = await run_in_threadpool(_page_json, live, settings, filters, page)
        serving.remember_page(etag, page_json)
    return Response(page_json, media_type="application/json", headers=headers)


@router.get(
    "/{firm_id}",
    response_model=FirmProfile,
    responses={404: _problem("No such firm"), **ERRORS},
    summary="One firm: identifiers, subsidiaries, score breakdown and the records behind it",
)
async def get_firm(  # the hot path: async, no dependencies, a dict lookup of prebuilt JSON
    request: Request,
    firm_id: Annotated[str, Path(max_length=200, description="the firm id from GET /v1/firms", examples=["roshel"])],
) -> Response:
    serving: ServingSnapshot = await get_serving(request)
    profile = serving.profiles.get(firm_id)
    if profile is None:
        raise ApiError(404, f"no firm with id {firm_id!r}; GET /v1/firms lists the firm ids")
    return Response(profile, media_type="application/json")


@router.get(
    "/{firm_id}/history",
    response_model=FirmHistory,
    responses={404: _problem("No such firm"), **ERRORS},
    summary="The firm's score at each as-of date held",
)
def firm_history(
    cursor: CursorDep,
    serving: ServingDep,
    firm_id: Annotated[str, Path(max_length=200, examples=["roshel"])],
) -> FirmHistory:
    points = firms.history(cursor, firm_id)
    if not points and firm_id not in serving.profiles:
        raise ApiError(404, f"no firm with id {firm_id!r}; GET /v1/firms lists the firm ids")
    return FirmHistory(firm_id=firm_id, data=points, count=len(points), snapshot=serving.snapshot)
