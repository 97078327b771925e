"""The scored firms: the list and one firm's profile with its breakdown."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from service import queries
from service.deps import CursorDep, SettingsDep, SnapshotDep
from service.models import FirmList, FirmProfile, FirmSummary, Problem

router = APIRouter(prefix="/v1/firms", tags=["firms"])

Tier = Literal["none", "low", "moderate", "high", "severe"]
Sort = Literal["score", "-score", "name", "obligated", "ice", "cbp"]
ERRORS: dict[int | str, dict[str, object]] = {
    422: {
        "model": Problem,
        "description": "A parameter is invalid",
        "content": {"application/problem+json": {}},
    },
    503: {
        "model": Problem,
        "description": "The database is not available",
        "content": {"application/problem+json": {}},
    },
}


@router.get("", response_model=FirmList[FirmSummary], responses=ERRORS, summary="The scored Canadian firms")
def list_firms(
    cursor: CursorDep,
    settings: SettingsDep,
    snapshot: SnapshotDep,
    q: Annotated[str | None, Query(max_length=200, description="part of a name or alias")] = None,
    tier: Annotated[Tier | None, Query(description="only this tier")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    agency: Annotated[
        str | None, Query(max_length=100, description="agency code or abbreviation: 7012, ICE, CBP")
    ] = None,
    sort: Annotated[Sort, Query(description="score (highest first), -score, name, obligated, ice, cbp")] = "score",
    limit: Annotated[int | None, Query(ge=1, description="page size (capped by the server)")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FirmList[FirmSummary]:
    page = min(limit or settings.page_size_default, settings.page_size_max)
    filters = queries.FirmFilters(
        q=q, tier=tier, min_score=min_score, agency=agency, sort=sort, limit=page, offset=offset
    )
    firms, count = queries.list_firms(cursor, snapshot, filters)
    return FirmList[FirmSummary](data=firms, count=count, snapshot=snapshot)


@router.get(
    "/{firm_id}",
    response_model=FirmProfile,
    responses={
        404: {"model": Problem, "description": "No such firm", "content": {"application/problem+json": {}}},
        **ERRORS,
    },
    summary="One firm: identifiers, subsidiaries, score breakdown and the records behind it",
)
def get_firm(
    cursor: CursorDep,
    settings: SettingsDep,
    snapshot: SnapshotDep,
    firm_id: Annotated[str, Path(max_length=200, description="the firm id from GET /v1/firms", examples=["roshel"])],
) -> FirmProfile:
    return queries.firm_profile(cursor, snapshot, firm_id, settings.top_contributions)
