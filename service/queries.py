"""Every read query the API runs. Returns models; raises data-layer errors, never HTTP ones."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from datasets.errors import NotFoundError
from service.errors import ApiError
from service.models import (
    Agency,
    Alias,
    AwardRef,
    Breakdown,
    Contribution,
    Evidence,
    FirmProfile,
    FirmSummary,
    HistoryPoint,
    Identifier,
    OverrideInfo,
    ReviewCandidate,
    Snapshot,
    Source,
    Subsidiary,
)

PERMALINK = "https://www.usaspending.gov/award/{}/"
# Sort name -> (SQL expression, descending). Ties break on firm_id, so the order is total and stable.
SORTS: dict[str, tuple[str, bool]] = {
    "score": ("s.score", True),
    "-score": ("s.score", False),
    "name": ("lower(coalesce(f.name, s.firm_name))", False),
    "obligated": ("CAST(s.obligated_total AS DOUBLE)", True),
    "ice": ("CAST(s.ice_total AS DOUBLE)", True),
    "cbp": ("CAST(s.cbp_total AS DOUBLE)", True),
}
TIERS = ("none", "low", "moderate", "high", "severe")


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    result = cur.execute(sql, params or [])
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def current_snapshot(cur: duckdb.DuckDBPyConnection) -> Snapshot:
    rows = _rows(
        cur,
        "SELECT as_of, methodology_version, max(scored_at) AS scored_at FROM scores "
        "GROUP BY ALL ORDER BY scored_at DESC, as_of DESC LIMIT 1",
    )
    if not rows:
        return Snapshot(as_of=None, methodology_version=None, scored_at=None)
    return Snapshot(**rows[0])


def resolve_agency(cur: duckdb.DuckDBPyConnection, agency: str) -> str:
    """An agency code from a code, an abbreviation (ICE, CBP) or a name."""
    rows = _rows(
        cur,
        "SELECT agency_code FROM agencies WHERE agency_code = ? OR upper(abbreviation) = upper(?) "
        "OR lower(name) = lower(?) ORDER BY level DESC, active DESC, agency_code LIMIT 1",
        [agency, agency, agency],
    )
    if not rows:
        raise ApiError(
            422, f"agency: unknown agency {agency!r}; use a code such as 7012 or an abbreviation such as ICE"
        )
    return str(rows[0]["agency_code"])


@dataclass(frozen=True)
class FirmFilters:
    q: str | None = None
    tier: str | None = None
    min_score: float | None = None
    agency: str | None = None
    category: str | None = None
    province: str | None = None
    sort: str = "score"
    limit: int = 50
    cursor: str | None = None


_SUMMARY_COLUMNS = """
    s.firm_id, coalesce(f.name, s.firm_name) AS name, coalesce(f.country_code, 'CAN') AS country_code,
    f.province, s.in_registry, s.score, s.tier,
    CAST(s.obligated_total AS DOUBLE) AS obligated_total, CAST(s.ice_total AS DOUBLE) AS ice_total,
    CAST(s.cbp_total AS DOUBLE) AS cbp_total, CAST(s.other_dhs_total AS DOUBLE) AS other_dhs_total,
    CAST(s.direct_total AS DOUBLE) AS direct_total, CAST(s.indirect_total AS DOUBLE) AS indirect_total,
    CAST(s.weighted_total AS DOUBLE) AS weighted_total, s.link_count, s.award_count, s.evidence_count
"""


def encode_cursor(sort: str, value: Any, firm_id: str) -> str:
    raw = json.dumps([sort, value, firm_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, firm_id = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, "cursor: not a cursor this API gave out; start again without one") from exc
    if cursor_sort != sort or not isinstance(firm_id, str):
        raise ApiError(422, f"cursor: it belongs to sort {cursor_sort!r}, not {sort!r}; start again without one")
    return value, firm_id


def _filters_sql(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, filters: FirmFilters) -> tuple[str, list[Any]]:
    """The FROM/WHERE shared by a page, its count and an export."""
    where = ["s.as_of = ?", "s.methodology_version = ?"]
    params: list[Any] = [snapshot.as_of, snapshot.methodology_version]
    if filters.q:
        where.append(
            "(s.firm_id IN (SELECT firm_id FROM firm_aliases WHERE alias ILIKE ?) "
            "OR coalesce(f.name, s.firm_name) ILIKE ? OR s.firm_id ILIKE ?)"
        )
        params += [f"%{filters.q}%"] * 3
    if filters.tier:
        where.append("s.tier = ?")
        params.append(filters.tier)
    if filters.min_score is not None:
        where.append("s.score >= ?")
        params.append(filters.min_score)
    if filters.province:
        where.append("upper(f.province) = upper(?)")
        params.append(filters.province)
    linked: list[str] = []
    linked_params: list[Any] = []
    if filters.agency:
        linked.append("c.agency_code = ?")
        linked_params.append(resolve_agency(cur, filters.agency))
    if filters.category:
        linked.append("c.category = ?")
        linked_params.append(filters.category)
    if linked:
        where.append(
            "s.firm_id IN (SELECT c.firm_id FROM contributions c WHERE c.as_of = s.as_of "
            f"AND c.methodology_version = s.methodology_version AND {' AND '.join(linked)})"
        )
        params += linked_params
    return f"FROM scores s LEFT JOIN firms f ON f.firm_id = s.firm_id WHERE {' AND '.join(where)}", params


def _order_sql(sort: str) -> str:
    expr, descending = SORTS[sort]
    return f"{expr} {'DESC' if descending else 'ASC'}, s.firm_id ASC"


def list_firms(
    cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, filters: FirmFilters
) -> tuple[list[FirmSummary], int, str | None]:
    """One page, the count of all matches, and the cursor of the next page (keyset pagination)."""
    base, params = _filters_sql(cur, snapshot, filters)
    total = _rows(cur, f"SELECT count(*) AS n {base}", params)[0]["n"]
    expr, descending = SORTS[filters.sort]
    page_where, page_params = "", []
    if filters.cursor:
        value, last_id = decode_cursor(filters.cursor, filters.sort)
        beyond = "<" if descending else ">"
        page_where = f" AND ({expr} {beyond} ? OR ({expr} = ? AND s.firm_id > ?))"
        page_params = [value, value, last_id]
    rows = _rows(
        cur,
        f"SELECT {_SUMMARY_COLUMNS}, {expr} AS _sort_value {base}{page_where} "
        f"ORDER BY {_order_sql(filters.sort)} LIMIT ?",
        [*params, *page_params, filters.limit + 1],
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = encode_cursor(filters.sort, rows[-1]["_sort_value"], rows[-1]["firm_id"]) if more else None
    awards = _top_awards(cur, snapshot, [r["firm_id"] for r in rows])
    summaries = [
        FirmSummary(**{k: v for k, v in r.items() if k != "_sort_value"}, top_awards=awards.get(r["firm_id"], []))
        for r in rows
    ]
    return summaries, int(total), next_cursor


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
TEXT_COLUMNS = ("firm_id", "name", "country_code", "province", "tier")
FORMULA_STARTS = ("=", "+", "-", "@")


def export_firms(
    cur: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    filters: FirmFilters,
    *,
    neutralise_formulas: bool,
    batch_rows: int = 10_000,
) -> Iterator[pa.RecordBatch]:
    """The whole filtered list, batch by batch, in the list's order: never built whole in memory."""
    base, params = _filters_sql(cur, snapshot, filters)
    starts = ", ".join(f"'{c}'" for c in FORMULA_STARTS)
    columns = []
    for name in EXPORT_COLUMNS:
        column = f"sub.{name}"
        if neutralise_formulas and name in TEXT_COLUMNS:
            # A cell starting with = + - @ runs as a formula in a spreadsheet: prefix an apostrophe.
            column = f"CASE WHEN left({column}, 1) IN ({starts}) THEN chr(39) || {column} ELSE {column} END"
        columns.append(f"{column} AS {name}")
    expr, descending = SORTS[filters.sort]
    sql = (
        f"SELECT {', '.join(columns)}, CAST(? AS DATE) AS as_of, CAST(? AS VARCHAR) AS methodology_version "
        f"FROM (SELECT {_SUMMARY_COLUMNS}, {expr} AS _sort_value {base}) sub "
        f"ORDER BY sub._sort_value {'DESC' if descending else 'ASC'}, sub.firm_id ASC"
    )
    # Not a generator: a bad filter (an unknown agency) raises here, before any byte of the response is sent.
    relation = cur.sql(sql, params=[snapshot.as_of, snapshot.methodology_version, *params])
    return iter(relation.to_arrow_reader(batch_rows))


def _top_awards(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, firm_ids: list[str]) -> dict[str, list[AwardRef]]:
    if not firm_ids:
        return {}
    rows = _rows(
        cur,
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


def _breakdown(raw: Any) -> list[Breakdown]:
    if raw is None:
        return []
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [Breakdown(**item) for item in items]


def firm_profile(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, firm_id: str, top_n: int) -> FirmProfile:
    firm_rows = _rows(
        cur, "SELECT * EXCLUDE (row_hash, source_id, source_line) FROM firms WHERE firm_id = ?", [firm_id]
    )
    score_rows = _rows(
        cur,
        f"SELECT {_SUMMARY_COLUMNS}, s.by_agency, s.by_category, s.by_subsidiary, s.revenue_share, s.revenue_band,"
        " s.revenue_basis FROM scores s LEFT JOIN firms f ON f.firm_id = s.firm_id"
        " WHERE s.firm_id = ? AND s.as_of = ? AND s.methodology_version = ?",
        [firm_id, snapshot.as_of, snapshot.methodology_version],
    )
    if not firm_rows and not score_rows:
        raise NotFoundError(f"no firm with id {firm_id!r}; GET /v1/firms lists the firm ids")
    firm = (
        firm_rows[0]
        if firm_rows
        else {
            "firm_id": firm_id,
            "name": score_rows[0]["name"],
            "country_code": "CAN",
            "description": "Recipient located in Canada, found in the contract records; not in the registry.",
        }
    )
    summary, revenue = None, None
    by_agency: list[Breakdown] = []
    by_category: list[Breakdown] = []
    by_subsidiary: list[Breakdown] = []
    if score_rows:
        row = score_rows[0]
        by_agency, by_category, by_subsidiary = (
            _breakdown(row.pop(k)) for k in ("by_agency", "by_category", "by_subsidiary")
        )
        revenue_fields = {k: row.pop(k) for k in ("revenue_share", "revenue_band", "revenue_basis")}
        revenue = revenue_fields if revenue_fields["revenue_share"] is not None else None
        summary = FirmSummary(**row, top_awards=_top_awards(cur, snapshot, [firm_id]).get(firm_id, []))

    identifiers = [
        Identifier(**r)
        for r in _rows(
            cur,
            "SELECT scheme, value, exchange, source_url FROM firm_identifiers WHERE firm_id = ? ORDER BY scheme, value",
            [firm_id],
        )
    ]
    aliases = [
        Alias(**r)
        for r in _rows(
            cur,
            "SELECT alias, language, alias_kind, source_url FROM firm_aliases WHERE firm_id = ? ORDER BY alias",
            [firm_id],
        )
    ]
    subsidiaries = [
        Subsidiary(**r)
        for r in _rows(
            cur,
            """
        WITH RECURSIVE tree(firm_id, parent_firm_id, relation, share, source_url, trail) AS (
            SELECT child_firm_id, parent_firm_id, relation, CAST(share AS DOUBLE), source_url, [parent_firm_id]
            FROM ownership WHERE parent_firm_id = ?
            UNION ALL
            SELECT o.child_firm_id, o.parent_firm_id, o.relation, CAST(o.share AS DOUBLE), o.source_url,
                   list_append(t.trail, o.parent_firm_id)
            FROM ownership o JOIN tree t ON o.parent_firm_id = t.firm_id
            WHERE NOT list_contains(t.trail, o.child_firm_id)
        )
        SELECT DISTINCT t.firm_id, f.name, f.country_code, t.parent_firm_id, t.relation, t.share, t.source_url
        FROM tree t LEFT JOIN firms f ON f.firm_id = t.firm_id ORDER BY t.parent_firm_id, t.firm_id
        """,
            [firm_id],
        )
    ]
    contribution_filter = "firm_id = ? AND as_of = ? AND methodology_version = ?"
    params = [firm_id, snapshot.as_of, snapshot.methodology_version]
    contributions_total = _rows(cur, f"SELECT count(*) AS n FROM contributions WHERE {contribution_filter}", params)[0][
        "n"
    ]
    contributions = [
        Contribution(**r)
        for r in _rows(
            cur,
            f"""
        SELECT link_id, link_kind, source_key, award_key, source_url AS url, via_firm_id, ownership_path, matched_by,
               matched_value, match_confidence, recipient_name, agency_code, category, category_source, link_date,
               is_direct,
               CAST(amount AS DOUBLE) AS amount, CAST(share_amount AS DOUBLE) AS share_amount,
               CAST(weighted_amount AS DOUBLE) AS weighted_amount, category_severity, agency_weight, recency_weight,
               evidence_confidence, ownership_share, channel_weight, contribution, description
        FROM contributions WHERE {contribution_filter}
        ORDER BY abs(contribution) DESC, link_id LIMIT ?
        """,
            [*params, top_n],
        )
    ]
    evidence = [
        Evidence(**r)
        for r in _rows(
            cur,
            """
        SELECT * EXCLUDE (row_hash, source_id, source_line) FROM evidence
        WHERE firm_id = ? OR firm_id IN (
            WITH RECURSIVE below(id, trail) AS (
                SELECT child_firm_id, [child_firm_id] FROM ownership WHERE parent_firm_id = ?
                UNION ALL
                SELECT o.child_firm_id, list_append(b.trail, o.child_firm_id)
                FROM ownership o JOIN below b ON o.parent_firm_id = b.id
                WHERE NOT list_contains(b.trail, o.child_firm_id)
            ) SELECT id FROM below)
        ORDER BY coalesce(event_date, published_date) DESC NULLS LAST, evidence_id
        """,
            [firm_id, firm_id],
        )
    ]
    overrides = [
        OverrideInfo(**r)
        for r in _rows(
            cur,
            "SELECT override_id, scheme, raw_value AS value, decision, decided_by, decided_at, reason "
            "FROM match_overrides WHERE firm_id = ? ORDER BY override_id",
            [firm_id],
        )
    ]
    return FirmProfile(
        overrides=overrides,
        firm=dict(firm),
        score=summary,
        revenue=revenue,
        by_agency=by_agency,
        by_category=by_category,
        by_subsidiary=by_subsidiary,
        identifiers=identifiers,
        aliases=aliases,
        subsidiaries=subsidiaries,
        contributions=contributions,
        contributions_total=int(contributions_total),
        evidence=evidence,
        snapshot=snapshot,
    )


def counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = _rows(cur, "SELECT (SELECT count(*) FROM firms) AS firms, (SELECT count(*) FROM sources) AS sources")[0]
    return {k: int(v) for k, v in row.items()}


def history(cur: duckdb.DuckDBPyConnection, firm_id: str) -> list[HistoryPoint]:
    return [
        HistoryPoint(**r)
        for r in _rows(
            cur,
            """
            SELECT as_of, methodology_version, score, tier, CAST(obligated_total AS DOUBLE) AS obligated_total,
                   CAST(ice_total AS DOUBLE) AS ice_total, CAST(cbp_total AS DOUBLE) AS cbp_total,
                   CAST(weighted_total AS DOUBLE) AS weighted_total, scored_at
            FROM scores WHERE firm_id = ? ORDER BY as_of, methodology_version
            """,
            [firm_id],
        )
    ]


def agencies(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> list[Agency]:
    return [
        Agency(**r)
        for r in _rows(
            cur,
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


def sources(cur: duckdb.DuckDBPyConnection) -> list[Source]:
    return [
        Source(**r)
        for r in _rows(
            cur,
            "SELECT source_id, kind, file_name, sha256, publisher, licence, source_url, loaded_at, rows_read, "
            "rows_inserted, rows_updated, rows_duplicate, rows_quarantined FROM sources ORDER BY source_id",
        )
    ]


def all_profile_ids(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> list[str]:
    """Every firm a profile can be asked for: the registry and every scored (possibly discovered) firm."""
    rows = _rows(
        cur,
        "SELECT firm_id FROM firms UNION SELECT firm_id FROM scores WHERE as_of = ? AND methodology_version = ?",
        [snapshot.as_of, snapshot.methodology_version],
    )
    return sorted(str(r["firm_id"]) for r in rows)


def strongest_evidence(profile: FirmProfile, n: int) -> tuple[list[Evidence], list[Contribution]]:
    """The firm's n strongest documents (confidence, then status, then recency) and its n largest links."""
    ranked = sorted(
        profile.evidence,
        key=lambda e: (
            {"high": 3, "medium": 2}.get(e.confidence, 1),
            {"active": 4, "completed": 4, "reported": 3, "intended": 2}.get(e.status, 1),
            e.event_date or e.published_date or date.min,
        ),
        reverse=True,
    )
    return ranked[:n], profile.contributions[:n]


def review_candidates(
    cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, limit: int, offset: int = 0
) -> tuple[list[ReviewCandidate], int]:
    """The review queue of the snapshot, most dollars first."""
    params = [snapshot.as_of, snapshot.methodology_version]
    where = "WHERE as_of = ? AND methodology_version = ?"
    total = int(cur.execute(f"SELECT count(*) FROM review_candidates {where}", params).fetchall()[0][0])
    rows = _rows(
        cur,
        "SELECT rank, recipient_name, recipient_uei, amount, records, first_date, last_date, agencies, reasons, "
        f"suggested_firm_id, suggested_issuer_id, award_keys FROM review_candidates {where} "
        "ORDER BY rank LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [
        ReviewCandidate(**{**r, "agencies": r["agencies"] or [], "award_keys": r["award_keys"] or []}) for r in rows
    ], total
