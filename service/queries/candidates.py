"""The review queue: unattributed vendors that may be Canadian-owned, most dollars first."""

from __future__ import annotations

from service.db import Cursor
from service.models import ReviewCandidate, Snapshot


def review_candidates(
    cur: Cursor, snapshot: Snapshot, limit: int, offset: int = 0
) -> tuple[list[ReviewCandidate], int]:
    """One page of the snapshot's review queue, and the length of the whole queue."""
    params = [snapshot.as_of, snapshot.methodology_version]
    where = "WHERE as_of = ? AND methodology_version = ?"
    total = int(cur.tuples(f"SELECT count(*) FROM review_candidates {where}", params)[0][0])
    rows = cur.rows(
        "SELECT rank, recipient_name, recipient_uei, amount, records, first_date, last_date, agencies, reasons, "
        f"suggested_firm_id, suggested_issuer_id, award_keys FROM review_candidates {where} "
        "ORDER BY rank LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [
        ReviewCandidate(**{**r, "agencies": r["agencies"] or [], "award_keys": r["award_keys"] or []}) for r in rows
    ], total
