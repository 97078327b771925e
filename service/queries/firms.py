"""The firm list: filters, sorts and keyset pages, the whole list for an export, top awards, a firm's history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.db import Batches, Cursor
from service.errors import ApiError
from service.models import AwardRef, FirmSummary, HistoryPoint, Snapshot
from service.pagination import CursorError

PERMALINK = "https://www.usaspending.gov/award/{}/"
# Sort field -> SQL expression. `field` sorts lowest first, `-field` highest first (the usual convention);
# ties break on firm_id, so the order is total and stable; no expression is ever NULL (a firm without a name
# sorts by its id), so a page's boundary is always comparable.
SORT_FIELDS: dict[str, str] = {
    "score": "s.score",
    "name": "lower(coalesce(f.name, s.firm_name, s.firm_id))",
    "obligated": "CAST(s.obligated_total AS DOUBLE)",
    "ice": "CAST(s.ice_total AS DOUBLE)",
    "cbp": "CAST(s.cbp_total AS DOUBLE)",
    "weighted": "CAST(s.weighted_total AS DOUBLE)",
}
# Sort name -> (SQL expression, descending).
SORTS: dict[str, tuple[str, bool]] = {
    name: (expr, descending)
    for field, expr in SORT_FIELDS.items()
    for name, descending in ((field, False), (f"-{field}", True))
}
DEFAULT_SORT = "-score"
SUMMARY_COLUMNS = """
    s.firm_id, coalesce(f.name, s.firm_name) AS name, coalesce(f.country_code, 'CAN') AS country_code,
    f.province, s.in_registry, s.score, s.tier,
    CAST(s.obligated_total AS DOUBLE) AS obligated_total, CAST(s.ice_total AS DOUBLE) AS ice_total,
    CAST(s.cbp_total AS DOUBLE) AS cbp_total, CAST(s.other_dhs_total AS DOUBLE) AS other_dhs_total,
    CAST(s.direct_total AS DOUBLE) AS direct_total, CAST(s.indirect_total AS DOUBLE) AS indirect_total,
    CAST(s.weighted_total AS DOUBLE) AS weighted_total, s.link_count, s.award_count, s.evidence_count
"""
EXPORT_COLUMNS = (
    "firm_id",
    "name",
    "country_code",
    "province",
    "in_registry",
    "score",
    "tier",
    "obligated_total",
    "ice_total",
    "cbp_total",
    "other_dhs_total",
    "direct_total",
    "indirect_total",
    "weighted_total",
    "link_count",
    "award_count",
    "evidence_count",
)


@dataclass(frozen=True)
class FirmFilters:
    q: str | None = None
    # Repeated filters combine: any of the tiers given (tier=high&tier=severe), and so on.
    tier: tuple[str, ...] = ()
    min_score: float | None = None
    agency: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    province: tuple[str, ...] = ()
    sort: str = DEFAULT_SORT
    limit: int = 50
    after: str | None = None  # the firm id the page starts after (from a verified cursor)

    def selection(self) -> dict[str, Any]:
        """What decides which firms are listed: a cursor is bound to it (the page size may change freely)."""
        return {
            "q": self.q,
            "tier": sorted(self.tier),
            "min_score": self.min_score,
            "agency": sorted(self.agency),
            "category": sorted(self.category),
            "province": sorted(p.upper() for p in self.province),
        }


@dataclass(frozen=True)
class FirmPage:
    firms: list[FirmSummary]
    total: int  # every firm the filters match, on all pages
    continue_after: str | None  # the last firm of this page when another page follows, else None


def resolve_agency(cur: Cursor, agency: str) -> str:
    """An agency code from a code, an abbreviation (ICE, CBP) or a name."""
    rows = cur.tuples(
        "SELECT agency_code FROM agencies WHERE agency_code = ? OR upper(abbreviation) = upper(?) "
        "OR lower(name) = lower(?) ORDER BY level DESC, active DESC, agency_code LIMIT 1",
        [agency, agency, agency],
    )
    if not rows:
        raise ApiError(
            422, f"agency: unknown agency {agency!r}; use a code such as 7012 or an abbreviation such as ICE"
        )
    return str(rows[0][0])


def _filters_sql(cur: Cursor, snapshot: Snapshot, filters: FirmFilters) -> tuple[str, list[Any]]:
    """The FROM/WHERE shared by a page, its count and an export."""
    where = ["s.as_of = ?", "s.methodology_version = ?"]
    params: list[Any] = [snapshot.as_of, snapshot.methodology_version]
    if filters.q:
        # The firm's own names and aliases, and those of every subsidiary rolled up to it in this snapshot.
        where.append(
            """(coalesce(f.name, s.firm_name) ILIKE ? OR s.firm_id ILIKE ?
               OR s.firm_id IN (
                   SELECT unnest([n.firm_id, op.parent_id])
                   FROM (SELECT firm_id FROM firm_aliases WHERE alias ILIKE ?
                         UNION SELECT firm_id FROM firms WHERE name ILIKE ?) n
                   LEFT JOIN ownership_paths op ON op.firm_id = n.firm_id
                        AND op.as_of = s.as_of AND op.methodology_version = s.methodology_version))"""
        )
        params += [f"%{filters.q}%"] * 4
    if filters.tier:
        where.append(f"s.tier IN ({_marks(filters.tier)})")
        params += list(filters.tier)
    if filters.min_score is not None:
        where.append("s.score >= ?")
        params.append(filters.min_score)
    if filters.province:
        where.append(f"upper(f.province) IN ({_marks(filters.province)})")
        params += [p.upper() for p in filters.province]
    linked: list[str] = []
    linked_params: list[Any] = []
    if filters.agency:
        codes = [resolve_agency(cur, agency) for agency in filters.agency]
        linked.append(f"c.agency_code IN ({_marks(codes)})")
        linked_params += codes
    if filters.category:
        linked.append(f"c.category IN ({_marks(filters.category)})")
        linked_params += list(filters.category)
    if linked:
        where.append(
            "s.firm_id IN (SELECT c.firm_id FROM contributions c WHERE c.as_of = s.as_of "
            f"AND c.methodology_version = s.methodology_version AND {' AND '.join(linked)})"
        )
        params += linked_params
    return f"FROM scores s LEFT JOIN firms f ON f.firm_id = s.firm_id WHERE {' AND '.join(where)}", params


def _marks(values: Any) -> str:
    return ", ".join("?" for _ in values)


def _sort_value_of(cur: Cursor, snapshot: Snapshot, sort: str, firm_id: str) -> Any:
    """Where a firm stands in a sort, read from the snapshot (never taken from the caller)."""
    expr, _descending = SORTS[sort]
    found = cur.tuples(
        f"SELECT {expr} FROM scores s LEFT JOIN firms f ON f.firm_id = s.firm_id "
        "WHERE s.firm_id = ? AND s.as_of = ? AND s.methodology_version = ?",
        [firm_id, snapshot.as_of, snapshot.methodology_version],
    )
    if not found:  # only a cursor signed under a leaked secret can name a firm its snapshot lacks
        raise CursorError(422, f"it continues after firm {firm_id!r}, which this snapshot does not hold")
    return found[0][0]


def list_firms(cur: Cursor, snapshot: Snapshot, filters: FirmFilters) -> FirmPage:
    """One page, the count of all matches, and where the next page starts (keyset pagination)."""
    base, params = _filters_sql(cur, snapshot, filters)
    total = cur.tuples(f"SELECT count(*) {base}", params)[0][0]
    expr, descending = SORTS[filters.sort]
    page_where, page_params = "", []
    if filters.after is not None:
        value = _sort_value_of(cur, snapshot, filters.sort, filters.after)
        beyond = "<" if descending else ">"
        page_where = f" AND ({expr} {beyond} ? OR ({expr} = ? AND s.firm_id > ?))"
        page_params = [value, value, filters.after]
    rows = cur.rows(
        f"SELECT {SUMMARY_COLUMNS} {base}{page_where} "
        f"ORDER BY {expr} {'DESC' if descending else 'ASC'}, s.firm_id ASC LIMIT ?",
        [*params, *page_params, filters.limit + 1],
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    awards = top_awards(cur, snapshot, [r["firm_id"] for r in rows])
    summaries = [FirmSummary(**r, top_awards=awards.get(r["firm_id"], [])) for r in rows]
    return FirmPage(summaries, int(total), rows[-1]["firm_id"] if more else None)


def export_batches(cur: Cursor, snapshot: Snapshot, filters: FirmFilters, batch_rows: int = 10_000) -> Batches:
    """The whole filtered list in the list's order, batch by batch: never built whole in memory. The query
    starts here, so a bad filter (an unknown agency) is raised before any byte of a response is sent."""
    base, params = _filters_sql(cur, snapshot, filters)
    expr, descending = SORTS[filters.sort]
    columns = ", ".join(f"sub.{name}" for name in EXPORT_COLUMNS)
    sql = (
        f"SELECT {columns}, CAST(? AS DATE) AS as_of, CAST(? AS VARCHAR) AS methodology_version "
        f"FROM (SELECT {SUMMARY_COLUMNS}, {expr} AS _sort_value {base}) sub "
        f"ORDER BY sub._sort_value {'DESC' if descending else 'ASC'}, sub.firm_id ASC"
    )
    return cur.batches(sql, [snapshot.as_of, snapshot.methodology_version, *params], batch_rows)


def top_awards(cur: Cursor, snapshot: Snapshot, firm_ids: list[str]) -> dict[str, list[AwardRef]]:
    """Each firm's three largest awards, with their USAspending permalinks."""
    if not firm_ids:
        return {}
    rows = cur.rows(
        """
        SELECT firm_id, award_key, any_value(agency_code) AS agency_code, CAST(sum(share_amount) AS DOUBLE) AS dollars
        FROM contributions
        WHERE as_of = ? AND methodology_version = ? AND firm_id IN (SELECT unnest(?))
          AND link_kind <> 'evidence' AND award_key IS NOT NULL
        GROUP BY firm_id, award_key
        QUALIFY row_number() OVER (PARTITION BY firm_id ORDER BY sum(share_amount) DESC, award_key) <= 3
        ORDER BY firm_id, dollars DESC
        """,
        [snapshot.as_of, snapshot.methodology_version, firm_ids],
    )
    awards: dict[str, list[AwardRef]] = {}
    for r in rows:
        awards.setdefault(r["firm_id"], []).append(
            AwardRef(
                award_key=r["award_key"],
                agency_code=r["agency_code"],
                dollars=r["dollars"],
                url=PERMALINK.format(r["award_key"]),
            )
        )
    return awards


def history(cur: Cursor, firm_id: str) -> list[HistoryPoint]:
    return [
        HistoryPoint(**r)
        for r in cur.rows(
            """
            SELECT as_of, methodology_version, score, tier, CAST(obligated_total AS DOUBLE) AS obligated_total,
                   CAST(ice_total AS DOUBLE) AS ice_total, CAST(cbp_total AS DOUBLE) AS cbp_total,
                   CAST(weighted_total AS DOUBLE) AS weighted_total, scored_at
            FROM (SELECT * FROM scores UNION ALL SELECT * FROM score_history)
            WHERE firm_id = ? ORDER BY as_of, methodology_version, scored_at
            """,
            [firm_id],
        )
    ]
