"""The export-control lens: firms whose goods sold to DHS components suggest an item of Canada's Export Control
List, as JSON or as a CSV a spreadsheet can open safely."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response

from service import exports
from service.deps import ACCESS_DENIALS, QUERY_ERRORS, CursorDep, MethodologyDep, ServingDep, access, csv_alternative
from service.errors import ApiError
from service.models import ExportControlEntry, ListOf
from service.queries import export_controls as queries

router = APIRouter(tags=["export controls"], dependencies=[access("read")], responses=ACCESS_DENIALS)

CSV_COLUMNS = tuple(ExportControlEntry.model_fields)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(exports.FORMULA_STARTS):  # it would run as a formula
        return "'" + value
    return value


def _csv(entries: list[ExportControlEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row = entry.model_dump(mode="json")
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


@router.get(
    "/v1/export-controls",
    response_model=ListOf[ExportControlEntry],
    responses={
        200: csv_alternative("The firms and items (JSON), or the same rows as CSV"),
        **QUERY_ERRORS,
    },
    summary="Firms whose goods sold to ICE, CBP or other DHS components suggest an Export Control List item",
)
def export_controls(
    cursor: CursorDep,
    serving: ServingDep,
    methodology: MethodologyDep,
    agency: Annotated[
        str | None, Query(max_length=100, description="agency code or abbreviation: 7012, ICE, CBP")
    ] = None,
    ecl_item: Annotated[
        str | None, Query(max_length=20, description="an ECL item (2-6, 1-5.A.1.j) or its Wassenaar item (ML6)")
    ] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="csv: the same rows as CSV")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """One row per firm and ECL item: the award keys (with positive net obligations), first and last dates,
    U.S. dollars, agencies and the rules that placed the records, and whether cited documents report the goods
    as made in Canada (null when none says). The mapping is indicative: the goods' description suggests the
    item; a permit decision rests on the exact specification, and most Group 2 items need no Canadian permit
    for export to the United States. Rules: GET /v1/methodology (rule_counts.export_control) and
    scoring/methodology/export_control_rules.csv."""
    agency_code = None
    if agency is not None:
        agency_code = serving.resolve_agency(agency)
        if agency_code is None:
            raise ApiError(422, f"agency: unknown agency {agency!r}; use a code such as 7012 or an abbreviation")
    item = None
    if ecl_item is not None:
        items: dict[str, str] = {}
        for rule in methodology.export_control_rules:
            if rule.ecl_item is not None and rule.wassenaar_item is not None:
                items[rule.ecl_item] = items[rule.wassenaar_item.upper()] = rule.ecl_item
        item = items.get(ecl_item.strip()) or items.get(ecl_item.strip().upper())
        if item is None:
            known = ", ".join(sorted(set(items.values())))
            raise ApiError(422, f"ecl_item: {ecl_item!r} is not an item the rules map to; they map to {known}")
    entries = queries.export_controls(cursor, serving.snapshot, agency_code, item)
    if exports.negotiate(format, accept, exports.CSV_ONLY) == "csv":
        headers = {"Content-Disposition": exports.attachment("export-controls", serving.snapshot_id)}
        return Response(_csv(entries), media_type=exports.MEDIA_TYPES["csv"], headers=headers)
    return ListOf[ExportControlEntry](data=entries, count=len(entries), snapshot=serving.snapshot)
