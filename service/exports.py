"""The firm list exported whole, as CSV, NDJSON or Parquet, without blocking the event loop.

The export query starts in the threadpool before any response exists, so a bad filter or a query past the time
limit is a problem document, not a cut stream. CSV and NDJSON then stream from sync generators, which Starlette
iterates in its threadpool; Parquet is written to a temporary file in the threadpool and sent from there.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from service.db import Batches, Cursor
from service.live import Live
from service.queries import firms
from service.snapshot import ServingSnapshot

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
CSV_ONLY: dict[str, str] = {"text/csv": "csv"}


def negotiate(requested: str | None, accept: str | None, known: Mapping[str, str]) -> str:
    """The format an answer takes: the `format` parameter if given, else the first media type of the Accept
    header that `known` maps to a format, else "json"."""
    if requested:
        return requested
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in known:
            return known[media]
    return "json"


def attachment(name: str, snapshot_id: str, ext: str = "csv") -> str:
    """The Content-Disposition of a download: the file is named by what it holds and the snapshot it is from."""
    return f'attachment; filename="exposure-{name}-{snapshot_id}.{ext}"'


# OWASP's CSV injection list: a cell starting with one of these is read by a spreadsheet as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = "^[" + "".join(re.escape(c) for c in FORMULA_STARTS) + "]"


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind))


def neutralise_formulas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Every text cell that a spreadsheet would run as a formula, prefixed with a single quote (OWASP)."""
    columns = []
    for column in batch.columns:
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if _is_text(column.type):
            risky = pc.match_substring_regex(column, _FORMULA)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def csv_chunks(batches: Batches) -> Iterator[bytes]:
    """CSV: the header (even of an empty list), then one chunk per batch with every cell neutralised."""
    # The column names are the query's own identifiers: nothing in them needs quoting or neutralising.
    yield (",".join(batches.schema.names) + "\n").encode()
    for batch in batches:
        buffer = io.BytesIO()
        pa_csv.write_csv(neutralise_formulas(batch), buffer, pa_csv.WriteOptions(include_header=False))
        yield buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def ndjson_chunks(batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """One JSON object a line, as stored: NDJSON is read by programs, not spreadsheets."""
    for batch in batches:
        yield "".join(json.dumps(row, default=_json_default) + "\n" for row in batch.to_pylist()).encode()


def write_parquet(batches: Batches, path: Path) -> None:
    """A Parquet file of the batches, with their column types even when there are none."""
    with pq.ParquetWriter(path, batches.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


def _firms_parquet(live: Live, timeout_seconds: float, serving: ServingSnapshot, filters: firms.FirmFilters) -> Path:
    handle, name = tempfile.mkstemp(prefix="exposure-export-", suffix=".parquet")
    os.close(handle)
    path = Path(name)
    try:
        with live.cursor(timeout_seconds) as cursor:
            write_parquet(firms.export_batches(cursor, serving.snapshot, filters), path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _start_stream(
    live: Live, timeout_seconds: float, serving: ServingSnapshot, filters: firms.FirmFilters
) -> tuple[Cursor, Batches]:
    """The stream's own cursor (it lives until the last byte is sent) with the export query started on it."""
    cursor = live.cursor(timeout_seconds)
    try:
        return cursor, firms.export_batches(cursor, serving.snapshot, filters)
    except BaseException:
        cursor.close()
        raise


async def firm_list(
    live: Live, timeout_seconds: float, filters: firms.FirmFilters, fmt: str, headers: dict[str, str]
) -> Response:
    """The whole filtered list of the live snapshot as a download in `fmt` (csv, ndjson or parquet). A query
    that runs out of time once the stream has begun ends the response early, so the download is visibly cut."""
    serving = live.serving
    headers = {
        **headers,
        "Content-Disposition": attachment("firms", serving.snapshot_id, fmt),
    }
    if fmt == "parquet":
        path = await run_in_threadpool(_firms_parquet, live, timeout_seconds, serving, filters)
        return FileResponse(
            path, media_type=MEDIA_TYPES[fmt], headers=headers, background=BackgroundTask(path.unlink, missing_ok=True)
        )
    cursor, batches = await run_in_threadpool(_start_stream, live, timeout_seconds, serving, filters)
    chunks = csv_chunks(batches) if fmt == "csv" else ndjson_chunks(batches)
    return StreamingResponse(
        chunks, media_type=MEDIA_TYPES[fmt], headers=headers, background=BackgroundTask(cursor.close)
    )
