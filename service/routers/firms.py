"""The scored firms: the list (JSON pages or whole exports), one firm's profile, and its score history."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from service import queries
from service.deps import ACCESS_DENIALS, CursorDep, ServingDep, SettingsDep, access, get_serving
from service.errors import ApiError
from service.models import FirmHistory, FirmList, FirmProfile, FirmSummary, Problem
from service.snapshot import ServingSnapshot

router = APIRouter(prefix="/v1/firms", tags=["firms"], dependencies=[access("read")], responses=ACCESS_DENIALS)

Tier = Literal["none", "low", "moderate", "high", "severe"]
Sort = Literal["score", "-score", "name", "obligated", "ice", "cbp"]
Format = Literal["json", "csv", "parquet", "ndjson"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
ACCEPTED: dict[str, str] = {
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
}


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


ERRORS: dict[int | str, dict[str, Any]] = {422: _problem("A parameter is invalid"), 503: _problem("No database")}


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


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _stream_csv(batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    first = True
    for batch in batches:
        buffer = io.BytesIO()
        pa_csv.write_csv(pa.Table.from_batches([batch]), buffer, pa_csv.WriteOptions(include_header=first))
        first = False
        yield buffer.getvalue()
    if first:  # no rows: still a header
        yield (",".join([*queries.EXPORT_COLUMNS, "as_of", "methodology_version"]) + "\n").encode()


def _stream_ndjson(batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    for batch in batches:
        yield "".join(json.dumps(row, default=_json_default) + "\n" for row in batch.to_pylist()).encode()


def _parquet_file(batches: Iterator[pa.RecordBatch]) -> str:
    handle, path = tempfile.mkstemp(prefix="exposure-export-", suffix=".parquet")
    os.close(handle)
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            writer = writer or pq.ParquetWriter(path, batch.schema)
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in queries.EXPORT_COLUMNS}), path)
    return path


def _page_json(con: duckdb.DuckDBPyConnection, serving: ServingSnapshot, filters: queries.FirmFilters) -> bytes:
    cursor = con.cursor()  # one cursor per request
    try:
        firms, count, next_cursor = queries.list_firms(cursor, serving.snapshot, filters)
    finally:
        cursor.close()
    body = FirmList[FirmSummary](data=firms, count=count, next_cursor=next_cursor, snapshot=serving.snapshot)
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
    },
    summary="The scored Canadian firms: filter, sort, page through, or export",
)
async def list_firms(
    request: Request,
    settings: SettingsDep,
    serving: ServingDep,
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
    fmt = _format(format, accept)
    etag = _etag(serving.snapshot_id, request, fmt)
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    if category is not None and category not in request.app.state.methodology.categories:
        raise ApiError(422, f"category: unknown category {category!r}; GET /v1/methodology lists them")
    filters = queries.FirmFilters(
        q=q,
        tier=tier,
        min_score=min_score,
        agency=agency,
        category=category,
        province=province,
        sort=sort,
        limit=min(limit or settings.page_size_default, settings.page_size_max),
        cursor=page,
    )
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if fmt == "json":
        # A snapshot never changes, so a page computed once is the page: cache it by its ETag.
        page_json = serving.pages.get(etag)
        if page_json is None:
            page_json = await run_in_threadpool(_page_json, request.state.live.con, serving, filters)
            serving.remember_page(etag, page_json)
        return Response(page_json, media_type="application/json", headers=headers)
    export_cursor: duckdb.DuckDBPyConnection = request.state.live.con.cursor()
    try:
        batches = queries.export_firms(export_cursor, serving.snapshot, filters, neutralise_formulas=fmt == "csv")
    except BaseException:
        export_cursor.close()
        raise
    disposition = {"Content-Disposition": f'attachment; filename="exposure-firms-{serving.snapshot_id}.{fmt}"'}
    if fmt == "parquet":
        path = _parquet_file(batches)
        export_cursor.close()
        return FileResponse(
            path,
            media_type=MEDIA_TYPES[fmt],
            headers={**headers, **disposition},
            background=BackgroundTask(os.unlink, path),
        )
    stream = _stream_csv(batches) if fmt == "csv" else _stream_ndjson(batches)
    return StreamingResponse(
        stream,
        media_type=MEDIA_TYPES[fmt],
        headers={**headers, **disposition},
        background=BackgroundTask(export_cursor.close),
    )


@router.get(
    "/{firm_id}",
    response_model=FirmProfile,
    responses={404: _problem("No such firm"), **ERRORS},
    summary="One firm: identifiers, subsidiaries, score breakdown and the records behind it",
)
async def get_firm(  # the hot path: async, only the access dependency, a dict lookup of prebuilt JSON
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
    points = queries.history(cursor, firm_id)
    if not points and firm_id not in serving.profiles:
        raise ApiError(404, f"no firm with id {firm_id!r}; GET /v1/firms lists the firm ids")
    return FirmHistory(firm_id=firm_id, data=points, count=len(points), snapshot=serving.snapshot)
