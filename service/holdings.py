"""Holdings files in and out: a fund's CSV read into items to screen, and a screening written back as CSV.

A holdings file has a header row naming any of HOLDING_COLUMNS (in any order, any subset); every other row is
one holding. The answer keeps the caller's columns first, then what the screening found, one row per holding
in the order sent, every text cell neutralised against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pa_csv
from pydantic import ValidationError

from service.errors import ApiError
from service.exports import neutralise_formulas
from service.models import ScreeningResponse, ScreenItem

HOLDING_COLUMNS = ("ref", "name", "isin", "cusip", "lei", "ticker", "exchange", "bn", "uei", "cage")
ANSWER_COLUMNS = (
    "verdict",
    "reason",
    "firm_id",
    "firm_name",
    "issuer_id",
    "decided_by",
    "match_confidence",
    "score",
    "tier",
    "subsidiary_research",
)


@dataclass(frozen=True)
class Holdings:
    items: list[ScreenItem]
    ignored_columns: list[str]  # the file's other columns (weights, quantities, a fund's own codes)


def read_holdings(raw: bytes, max_items: int) -> Holdings:
    """The holdings of a CSV file; a problem names the line and the column at fault. Columns the screening does
    not use are ignored and reported, as a fund's export carries them (weights, quantities, its own codes)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(422, f"file: not UTF-8 text (byte {exc.start} cannot be read)") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in next(reader, [])]
    if not any(header):
        raise ApiError(422, f"file: no header row; name any of the columns {', '.join(HOLDING_COLUMNS)}")
    ignored = [column for column in header if column not in HOLDING_COLUMNS]
    if len(ignored) == len(header):
        raise ApiError(
            422, f"file: none of the columns {', '.join(HOLDING_COLUMNS)} in the header ({', '.join(header)})"
        )
    if len(set(header)) != len(header):
        raise ApiError(422, "file: a column is named twice in the header")
    items: list[ScreenItem] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line is not a holding
        if len(row) != len(header):
            raise ApiError(422, f"file: line {line} has {len(row)} cells; the header has {len(header)}")
        if len(items) == max_items:
            raise ApiError(413, f"file: more than {max_items:,} holdings; at most {max_items:,} per screening")
        fields = {
            column: cell.strip() or None for column, cell in zip(header, row, strict=True) if column in HOLDING_COLUMNS
        }
        try:
            items.append(ScreenItem.model_validate(fields))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ApiError(422, f"file: line {line}, {where}: {first['msg']}") from exc
    if not items:
        raise ApiError(422, "file: a header but no holdings")
    return Holdings(items, ignored)


def screening_csv(response: ScreeningResponse, items: Sequence[ScreenItem | None]) -> bytes:
    """The screening as CSV: the holding as sent, then the answer; the screening and snapshot on every row."""
    columns: dict[str, list[object]] = {name: [] for name in (*HOLDING_COLUMNS, *ANSWER_COLUMNS)}
    for item, result in zip(items, response.data, strict=True):
        sent = item.model_dump() if item is not None else {}
        for name in HOLDING_COLUMNS:
            columns[name].append(sent.get(name))
        match = result.match
        columns["verdict"].append(result.verdict)
        columns["reason"].append(result.reason)
        columns["firm_id"].append(match.firm_id if match else None)
        columns["firm_name"].append(match.name if match else None)
        columns["issuer_id"].append(match.issuer_id if match else None)
        columns["decided_by"].append(match.decided_by if match else None)
        columns["match_confidence"].append(match.confidence if match else None)
        columns["score"].append(result.score)
        columns["tier"].append(result.tier)
        columns["subsidiary_research"].append(result.coverage.subsidiary_research if result.coverage else None)
    count = len(response.data)
    columns["screening_id"] = [response.screening_id] * count
    columns["snapshot_id"] = [response.snapshot_id] * count
    columns["as_of"] = [str(response.snapshot.as_of)] * count
    columns["methodology_version"] = [response.snapshot.methodology_version] * count
    schema = pa.schema(
        [(name, pa.float64() if name in ("score", "match_confidence") else pa.string()) for name in columns]
    )
    batch = pa.RecordBatch.from_pydict(columns, schema=schema)
    out = io.BytesIO()
    pa_csv.write_csv(neutralise_formulas(batch), out)
    return out.getvalue()
