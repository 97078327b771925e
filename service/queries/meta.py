"""The snapshot served and what describes it: counts, agencies with their exposure, the files loaded."""

from __future__ import annotations

from datasets.changes import SERVED_RESULT_SQL
from service.db import Cursor
from service.models import Agency, Snapshot, Source

SOURCES_SQL = (
    "SELECT source_id, kind, file_name, sha256, publisher, licence, source_url, loaded_at, rows_read, "
    "rows_inserted, rows_updated, rows_duplicate, rows_quarantined FROM sources ORDER BY source_id"
)


def current_snapshot(cur: Cursor) -> Snapshot:
    """The result an operator pinned (`refresh --serve`), else the newest as_of, its latest scoring first: a
    backfill of an older date never becomes what is served unless asked."""
    rows = cur.rows(SERVED_RESULT_SQL)
    if not rows:
        return Snapshot(as_of=None, methodology_version=None, scored_at=None)
    return Snapshot(**rows[0])


def counts(cur: Cursor) -> dict[str, int]:
    row = cur.rows("SELECT (SELECT count(*) FROM firms) AS firms, (SELECT count(*) FROM sources) AS sources")[0]
    return {k: int(v) for k, v in row.items()}


def rows_quarantined(cur: Cursor) -> int:
    return int(cur.tuples("SELECT coalesce(sum(rows_quarantined), 0) FROM sources")[0][0])


def agencies(cur: Cursor, snapshot: Snapshot) -> list[Agency]:
    return [
        Agency(**r)
        for r in cur.rows(
            """
            SELECT a.agency_code, a.name, a.abbreviation, a.level, a.parent_code, a.active,
                   count(DISTINCT c.firm_id) AS firms_exposed,
                   coalesce(CAST(sum(c.share_amount) FILTER (WHERE c.link_kind <> 'evidence') AS DOUBLE), 0)
                       AS dollars
            FROM agencies a
            LEFT JOIN contributions c ON c.agency_code = a.agency_code AND c.as_of = ? AND c.methodology_version = ?
            GROUP BY ALL ORDER BY a.agency_code
            """,
            [snapshot.as_of, snapshot.methodology_version],
        )
    ]


def sources(cur: Cursor) -> list[Source]:
    return [Source(**r) for r in cur.rows(SOURCES_SQL)]
