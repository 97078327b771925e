"""The scored firms: the list (JSON pages or whole exports), one firm's profile, and its score history."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from scoring.methodology import Tier
from service import exports, pagination
from service.deps import (
    ACCESS_DENIALS,
    QUERY_ERRORS,
    CursorDep,
    LiveDep,
    ServingDep,
    SettingsDep,
    access,
    get_serving,
    linked,
    problem_doc,
)
from service.errors import ApiError
from service.live import Live
from service.models import CategoryName, ContributionPage, FirmHistory, FirmList, FirmProfile, FirmSummary
from service.queries import firms, profiles
from service.settings import Settings
from service.snapshot import ServingSnapshot

router = APIRouter(prefix="/v1/firms", tags=["firms"], dependencies=[access("read")], responses=ACCESS_DENIALS)

Sort = Literal[
    "score", "-score", "name", "-name", "obligated", "-obligated", "ice", "-ice", "cbp", "-cbp", "weighted", "-weighted"
]
Format = Literal["json", "csv", "parquet", "ndjson"]
ACCEPTED: dict[str, str] = {
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
}


FIRM_ERRORS: dict[int | str, dict[str, Any]] = {404: problem_doc("No such firm"), **QUERY_ERRORS}
FirmIdPath = Annotated[str, Path(max_length=200, examples=["roshel"])]
CURSOR_ERRORS: dict[int | str, dict[str, Any]] = {
    409: problem_doc("The cursor continues a list with another sort or other filters"),
    410: problem_doc("The cursor was given on a snapshot no longer served; start again without it"),
    422: problem_doc("A parameter is invalid, or the cursor is not one this API gave out"),
}


# What a cursor is bound to, besides the snapshot: a next page must repeat them.
LIST_PARAMETERS = ("q", "tier", "min_score", "agency", "category", "province", "sort", "limit")


def firm_links(firm_id: str, which: str) -> dict[str, Any]:
    """Links to the firm `firm_id` (a runtime expression) names: its profile, history and contributions."""
    return {
        f"firm_{part or 'profile'}": linked(
            f"The {part or 'profile'} of {which}", "get", f"/v1/firms/{{firm_id}}{path}", firm_id=firm_id
        )
        for part, path in (("", ""), ("history", "/history"), ("contributions", "/contributions"))
    }


def _no_such_firm(firm_id: str) -> ApiError:
    return ApiError(404, f"no firm with id {firm_id!r}; GET /v1/firms lists the firm ids")


def _etag(serving_id: str, request: Request, fmt: str) -> str:
    canonical = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    return 'W/"' + hashlib.sha256(f"{serving_id}|{fmt}|{canonical}".encode()).hexdigest()[:24] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match: `*` matches any current representation; otherwise one of the listed tags (weak compare)."""
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags or etag.removeprefix("W/") in [t.removeprefix("W/") for t in tags]


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
            "links": {
                "next_page": linked(
                    "The next page: next_cursor as cursor, with the same sort, filters and page size",
                    "get",
                    "/v1/firms",
                    cursor="$response.body#/next_cursor",
                    **{name: f"$request.query.{name}" for name in LIST_PARAMETERS},
                ),
                **firm_links("$response.body#/data/0/firm_id", "the page's first firm"),
            },
        },
        304: {"description": "Not modified since the ETag given in If-None-Match"},
        **QUERY_ERRORS,
        **CURSOR_ERRORS,
    },
    summary="The scored Canadian firms: filter, sort, page through, or export",
)
async def list_firms(
    request: Request,
    settings: SettingsDep,
    live: LiveDep,
    q: Annotated[
        str | None, Query(max_length=200, description="part of a name, alias or firm id, the firm's or a subsidiary's")
    ] = None,
    tier: Annotated[list[Tier] | None, Query(description="only these tiers (repeat: tier=high&tier=severe)")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100, description="lowest score (0-100)")] = None,
    agency: Annotated[
        list[str] | None,
        Query(max_length=10, description="agency codes or abbreviations with exposure (repeat): 7012, ICE, CBP, TSA"),
    ] = None,
    category: Annotated[
        list[CategoryName] | None, Query(max_length=20, description="categories of GET /v1/methodology (repeat)")
    ] = None,
    province: Annotated[
        list[str] | None, Query(max_length=13, description="provinces or territories (repeat): ON, QC, BC, ...")
    ] = None,
    sort: Annotated[
        Sort,
        Query(description="a field (score, name, obligated, ice, cbp, weighted) lowest first; -field highest first"),
    ] = "-score",
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="page size (capped by the server)")] = None,
    page: Annotated[
        str | None, Query(alias="cursor", max_length=500, description="next_cursor of the last page")
    ] = None,
    format: Annotated[Format | None, Query(description="csv, parquet or ndjson export the whole filtered list")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    serving = live.serving
    fmt = exports.negotiate(format, accept, ACCEPTED)
    etag = _etag(serving.snapshot_id, request, fmt)
    vary = {"Vary": "Accept"}  # the same URL answers JSON, CSV, NDJSON or Parquet by the Accept header
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag, **vary})
    unknown = [c for c in category or () if c not in request.app.state.methodology.categories]
    if unknown:
        raise ApiError(422, f"category: unknown category {unknown[0]!r}; GET /v1/methodology lists them")
    bad_province = [p for p in province or () if len(p) != 2]
    if bad_province:
        raise ApiError(422, f"province: {bad_province[0]!r} is not a two-letter code such as ON or QC")
    filters = firms.FirmFilters(
        q=q,
        tier=tuple(tier or ()),
        min_score=min_score,
        agency=tuple(agency or ()),
        category=tuple(category or ()),
        province=tuple(province or ()),
        sort=sort,
        limit=min(limit or settings.page_size_default, settings.page_size_max),
    )
    headers = {"ETag": etag, "Cache-Control": "no-cache", **vary}
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
    responses={
        200: {
            "links": {k: v for k, v in firm_links("$request.path.firm_id", "this firm").items() if k != "firm_profile"}
        },
        **FIRM_ERRORS,
    },
    summary="One firm: identifiers, subsidiaries, score breakdown and the records behind it",
)
async def get_firm(  # the hot path: async, only the access dependency, a dict lookup of prebuilt JSON
    request: Request,
    firm_id: Annotated[str, Path(max_length=200, description="the firm id from GET /v1/firms", examples=["roshel"])],
) -> Response:
    serving: ServingSnapshot = await get_serving(request)
    if firm_id not in serving.profiles:
        firm_id = firm_id.lower()  # ids are lower case; Roshel and roshel are one firm
    profile = serving.profiles.get(firm_id)
    if profile is None:
        raise _no_such_firm(firm_id)
    if "gzip" in request.headers.get("accept-encoding", ""):  # compressed once per snapshot, not per request
        zipped = serving.gzipped_profile(firm_id)
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(zipped, media_type="application/json", headers=headers)
    return Response(profile, media_type="application/json", headers={"Vary": "Accept-Encoding"})


def profile_route() -> BaseRoute:
    """The route of get_firm, for the middleware that answers it from memory (service.middleware.firm_profile)."""
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is get_firm)


@router.get(
    "/{firm_id}/history",
    response_model=FirmHistory,
    responses=FIRM_ERRORS,
    summary="The firm's score at each as-of date held",
)
def firm_history(
    cursor: CursorDep,
    serving: ServingDep,
    firm_id: FirmIdPath,
) -> FirmHistory:
    firm_id = firm_id.lower()  # ids are lower case; Roshel and roshel are one firm
    points = firms.history(cursor, firm_id)
    if not points and firm_id not in serving.profiles:
        raise _no_such_firm(firm_id)
    return FirmHistory(firm_id=firm_id, data=points, count=len(points), snapshot=serving.snapshot)


@router.get(
    "/{firm_id}/contributions",
    response_model=ContributionPage,
    responses=FIRM_ERRORS,
    summary="Every record behind the firm's score, largest contribution first, a page at a time",
)
def firm_contributions(
    cursor: CursorDep,
    serving: ServingDep,
    settings: SettingsDep,
    firm_id: FirmIdPath,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="page size (capped by the server)")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="contributions to skip")] = 0,
) -> ContributionPage:
    firm_id = firm_id.lower()
    if firm_id not in serving.profiles:
        raise _no_such_firm(firm_id)
    size = min(limit or settings.page_size_default, settings.page_size_max)
    rows, total = profiles.contributions_page(cursor, serving.snapshot, firm_id, size, offset)
    following = offset + len(rows)
    return ContributionPage(
        firm_id=firm_id,
        data=rows,
        count=total,
        offset=offset,
        next_offset=following if following < total else None,
        snapshot=serving.snapshot,
    )
