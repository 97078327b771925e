"""The review queue: unattributed vendors that may be Canadian-owned, most dollars first."""

from __future__ import annotations

from typing import Any

from service.db import Cursor
from service.models import ReviewCandidate, Snapshot

REVIEW_COLUMNS = (
    "rank, recipient_name, recipient_uei, amount, records, first_date, last_date, agencies, reasons, "
    "suggested_firm_id, suggested_issuer_id, award_keys"
)


def ranked_page(
    cur: Cursor, table: str, columns: str, snapshot: Snapshot, limit: int, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page, in rank order, of a snapshot's ranked list (a table with `rank`, `as_of` and
    `methodology_version`), and the length of the whole list. `table` and `columns` are this code's own SQL."""
    params = [snapshot.as_of, snapshot.methodology_version]
    where = "WHERE as_of = ? AND methodology_version = ?"
    total = int(cur.tuples(f"SELECT count(*) FROM {table} {where}", params)[0][0])
    rows = cur.rows(f"SELECT {columns} FROM {table} {where} ORDER BY rank LIMIT ? OFFSET ?", [*params, limit, offset])
    return rows, total


def review_candidates(
    cur: Cursor, snapshot: Snapshot, limit: int, offset: int = 0
) -> tuple[list[ReviewCandidate], int]:
    """One page of the snapshot's review queue, and the length of the whole queue."""
    rows, total = ranked_page(cur, "review_candidates", REVIEW_COLUMNS, snapshot, limit, offset)
    return [
        ReviewCandidate(**{**r, "agencies": r["agencies"] or [], "award_keys": r["award_keys"] or []}) for r in rows
    ], total
