"""The Government of Canada's own contracts with ICE/DHS-exposed firms, in Canadian dollars, and the vendor
names that resemble a registry firm without being put on it.

Access is what GET /v1/firms has: scope `read`, given by the `/v1` path rule of service/access.py."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from service import exports
from service.deps import (
    ACCESS_DENIALS,
    QUERY_ERRORS,
    CursorDep,
    ReviewLimit,
    ReviewOffset,
    ServingDep,
    SettingsDep,
    access,
    csv_alternative,
)
from service.errors import ApiError
from service.models import FederalContract, FederalVendorCandidate, ListOf
from service.queries import federal as queries

router = APIRouter(tags=["federal contracts"], dependencies=[access("read")], responses=ACCESS_DENIALS)

FISCAL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")
Format = Literal["json", "csv"]


def _fiscal_years(values: list[str] | None) -> tuple[str, ...]:
    years = []
    for value in values or ():
        match = FISCAL_YEAR.fullmatch(value.strip())
        if match is None or int(match.group(2)) != int(match.group(1)) + 1:
            raise ApiError(422, f"fiscal_year: {value!r} is not a fiscal year such as 2021-2022 (April to March)")
        years.append(match.group(0))
    return tuple(years)


@router.get(
    "/v1/federal-contracts",
    response_model=ListOf[FederalContract],
    responses={
        200: csv_alternative("The records (JSON), or the whole filtered list as CSV"),
        **QUERY_ERRORS,
    },
    summary="ICE/DHS-exposed firms that hold Government of Canada contracts, with the values in Canadian dollars",
)
def federal_contracts(
    cursor: CursorDep,
    serving: ServingDep,
    settings: SettingsDep,
    firm_id: Annotated[
        list[str] | None, Query(max_length=200, description="only these firms (repeat: firm_id=cgi&firm_id=wsp)")
    ] = None,
    fiscal_year: Annotated[
        list[str] | None, Query(max_length=20, description="only these fiscal years (repeat), e.g. 2021-2022")
    ] = None,
    record: Annotated[
        list[Literal["vendor_total", "contract"]] | None,
        Query(description="vendor_total (GoC-Spending's totals) or contract (open.canada.ca rows); repeatable"),
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="page size (capped by the server)")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="records to skip")] = 0,
    format: Annotated[Format | None, Query(description="csv: the whole filtered list as CSV")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """Each record is a Government of Canada vendor total for a fiscal year (GoC-Spending, derived from the
    Proactive Disclosure of Contracts) or one contract row of open.canada.ca's file, whose vendor the scoring's
    name resolution put on a firm with a score above 0. `value_cad` is Canadian dollars and is never added to
    the firm's U.S. dollars (`*_usd`). Contract rows are not to be added up: an amendment repeats the
    contract's value so far; the vendor totals count each contract once."""
    filters = queries.FederalFilters(
        firm_id=tuple(f.strip().lower() for f in firm_id or ()),
        fiscal_year=_fiscal_years(fiscal_year),
        record=tuple(record or ()),
    )
    if exports.negotiate(format, accept, exports.CSV_ONLY) == "csv":
        body = b"".join(exports.csv_chunks(queries.federal_contracts_batches(cursor, serving.snapshot, filters)))
        return Response(
            body,
            media_type=exports.MEDIA_TYPES["csv"],
            headers={
                "Vary": "Accept",
                "Content-Disposition": exports.attachment("federal-contracts", serving.snapshot_id),
            },
        )
    size = min(limit or settings.page_size_default, settings.page_size_max)
    rows, total = queries.federal_contracts(cursor, serving.snapshot, filters, size, offset)
    body = ListOf[FederalContract](data=rows, count=total, snapshot=serving.snapshot).model_dump_json().encode()
    return Response(body, media_type="application/json", headers={"Vary": "Accept"})


@router.get(
    "/v1/federal-contracts/candidates",
    response_model=ListOf[FederalVendorCandidate],
    responses=QUERY_ERRORS,
    summary="Government of Canada vendor names that resemble a registry firm but were not put on it",
)
def federal_vendor_candidates(
    cursor: CursorDep,
    serving: ServingDep,
    limit: ReviewLimit = 50,
    offset: ReviewOffset = 0,
) -> ListOf[FederalVendorCandidate]:
    """Most Canadian dollars first. Apart from GET /v1/candidates, whose amounts are U.S. dollars. Confirm one
    with `exposure overrides add --name ... --decision is`; only then is it listed under the firm."""
    rows, total = queries.federal_vendor_candidates(cursor, serving.snapshot, limit, offset)
    return ListOf[FederalVendorCandidate](data=rows, count=total, snapshot=serving.snapshot)
