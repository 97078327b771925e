"""The review queue: unattributed vendors that may be Canadian-owned, for analysts to confirm or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from scoring.candidates import Reason
from service.deps import ACCESS_DENIALS, QUERY_ERRORS, CursorDep, ReviewLimit, ReviewOffset, ServingDep, access
from service.models import ListOf, ReviewCandidate
from service.queries import candidates as queries

router = APIRouter(tags=["review"], dependencies=[access("read")], responses=ACCESS_DENIALS)


@router.get(
    "/v1/candidates",
    response_model=ListOf[ReviewCandidate],
    responses=QUERY_ERRORS,
    summary="Unattributed vendors that may be Canadian-owned, most dollars first (never part of a score)",
)
def candidates(
    cursor: CursorDep,
    serving: ServingDep,
    limit: ReviewLimit = 50,
    offset: ReviewOffset = 0,
    reason: Annotated[
        Reason | None, Query(description="only the candidates with this reason (ranks stay the whole queue's)")
    ] = None,
) -> ListOf[ReviewCandidate]:
    """Each candidate gives its reasons, strongest first, and award keys: the record's country is Canada, a near
    miss to a registry firm, a Canadian issuer's name opening the vendor's, Canadian sales tax charged, the
    foreign-owned or foreign-entity flag, a name marking a U.S. arm ("… USA INC"). Confirm one with
    `exposure overrides add`; only then is it scored."""
    rows, total = queries.review_candidates(cursor, serving.snapshot, limit, offset, reason)
    return ListOf[ReviewCandidate](data=rows, count=total, snapshot=serving.snapshot)
