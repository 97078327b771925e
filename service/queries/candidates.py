"""The review queue: unattributed vendors that may be Canadian-owned, most dollars first."""

from __future__ import annotations

from typing import Any

from scoring.candidates import Reason
from service.db import Cursor
from service.models import ReviewCandidate, Snapshot

REVIEW_COLUMNS = (
    "rank, recipient_name, recipient_uei, amount, records, first_date, last_date, agencies, reasons, "
    "suggested_firm_id, suggested_issuer_id, award_keys"
)


def ranked_page(
    cur: Cursor,
    table: str,
    columns: str,
    snapshot: Snapshot,
    limit: int,
    offset: int = 0,
    reason: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page, in rank order, of a snapshot's ranked list (a table with `rank`, `as_of` and
    `methodology_version`), and the length of the whole list; with `reason`, only the rows one of whose reasons
    opens with that code (ranks stay those of the whole list). `table` and `columns` are this code's own SQL."""
    params: list[Any] = [snapshot.as_of, snapshot.methodology_version]
    where = "WHERE as_of = ? AND methodology_version = ?"
    if reason is not None:
        # Each reason opens with its code; a line break, which no reason holds, marks where each one starts.
        where += " AND contains(chr(10) || array_to_string(reasons, chr(10)), ?)"
        params.append(f"\n{reason}:")
    total = int(cur.tuples(f"SELECT count(*) FROM {table} {where}", params)[0][0])
    rows = cur.rows(f"SELECT {columns} FROM {table} {where} ORDER BY rank LIMIT ? OFFSET ?", [*params, limit, offset])
    return rows, total


def review_candidates(
    cur: Cursor, snapshot: Snapshot, limit: int, offset: int = 0, reason: Reason | None = None
) -> tuple[list[ReviewCandidate], int]:
    """One page of the snapshot's review queue (only the candidates with `reason`, when given), and the length
    of the whole queue so filtered."""
    rows, total = ranked_page(cur, "review_candidates", REVIEW_COLUMNS, snapshot, limit, offset, reason)
    return [
        ReviewCandidate(**{**r, "agencies": r["agencies"] or [], "award_keys": r["award_keys"] or []}) for r in rows
    ], total
