"""Every read query the API runs. Returns models; raises data-layer errors, never HTTP ones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from datasets.errors import NotFoundError
from service.errors import ApiError
from service.models import (
    Alias,
    AwardRef,
    Breakdown,
    Contribution,
    Evidence,
    FirmProfile,
    FirmSummary,
    Identifier,
    Snapshot,
    Subsidiary,
)

PERMALINK = "https://www.usaspending.gov/award/{}/"
SORTS = {
    "score": "s.score DESC, s.firm_id",
    "-score": "s.score ASC, s.firm_id",
    "name": "lower(coalesce(f.name, s.firm_name)), s.firm_id",
    "obligated": "s.obligated_total DESC, s.firm_id",
    "ice": "s.ice_total DESC, s.firm_id",
    "cbp": "s.cbp_total DESC, s.firm_id",
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
    sort: str = "score"
    limit: int = 50
    offset: int = 0


_SUMMARY_COLUMNS = """
    s.firm_id, coalesce(f.name, s.firm_name) AS name, coalesce(f.country_code, 'CAN') AS country_code,
    f.province, s.in_registry, s.score, s.tier,
    CAST(s.obligated_total AS DOUBLE) AS obligated_total, CAST(s.ice_total AS DOUBLE) AS ice_total,
    CAST(s.cbp_total AS DOUBLE) AS cbp_total, CAST(s.other_dhs_total AS DOUBLE) AS other_dhs_total,
    CAST(s.direct_total AS DOUBLE) AS direct_total, CAST(s.indirect_total AS DOUBLE) AS indirect_total,
    CAST(s.weighted_total AS DOUBLE) AS weighted_total, s.link_count, s.award_count, s.evidence_count
"""


def list_firms(
    cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, filters: FirmFilters
) -> tuple[list[FirmSummary], int]:
    where = ["s.as_of = ?", "s.methodology_version = ?"]
    params: list[Any] = [snapshot.as_of, snapshot.methodology_version]
    if filters.q:
        where.append(
            "(s.firm_id IN (SELECT firm_id FROM firm_aliases WHERE alias ILIKE ?) "
            "OR coalesce(f.name, s.firm_name) ILIKE ?)"
        )
        params += [f"%{filters.q}%"] * 2
    if filters.tier:
        where.append("s.tier = ?")
        params.append(filters.tier)
    if filters.min_score is not None:
        where.append("s.score >= ?")
        params.append(filters.min_score)
    if filters.agency:
        code = resolve_agency(cur, filters.agency)
        where.append(
            "s.firm_id IN (SELECT firm_id FROM contributions c WHERE c.as_of = s.as_of "
            "AND c.methodology_version = s.methodology_version AND c.agency_code = ?)"
        )
        params.append(code)
    base = f"FROM scores s LEFT JOIN firms f ON f.firm_id = s.firm_id WHERE {' AND '.join(where)}"
    total = _rows(cur, f"SELECT count(*) AS n {base}", params)[0]["n"]
    rows = _rows(
        cur,
        f"SELECT {_SUMMARY_COLUMNS} {base} ORDER BY {SORTS[filters.sort]} LIMIT ? OFFSET ?",
        [*params, filters.limit, filters.offset],
    )
    awards = _top_awards(cur, snapshot, [r["firm_id"] for r in rows])
    return [FirmSummary(**r, top_awards=awards.get(r["firm_id"], [])) for r in rows], int(total)


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
               matched_value, recipient_name, agency_code, category, category_source, link_date, is_direct,
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
    return FirmProfile(
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
