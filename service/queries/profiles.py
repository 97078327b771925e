"""A firm's whole profile: registry entry, score and breakdowns, identifiers, aliases, subsidiaries, the
largest contributions and the evidence. Built for every firm once, when a snapshot opens."""

from __future__ import annotations

import json
from typing import Any

from datasets.errors import NotFoundError
from service.db import Cursor
from service.models import (
    Alias,
    Breakdown,
    Contribution,
    Evidence,
    FirmProfile,
    FirmSummary,
    Identifier,
    OverrideInfo,
    Snapshot,
    Subsidiary,
)
from service.queries.firms import SUMMARY_COLUMNS, top_awards


def all_profile_ids(cur: Cursor, snapshot: Snapshot) -> list[str]:
    """Every firm a profile can be asked for: the registry and every scored (possibly discovered) firm."""
    rows = cur.rows(
        "SELECT firm_id FROM firms UNION SELECT firm_id FROM scores WHERE as_of = ? AND methodology_version = ?",
        [snapshot.as_of, snapshot.methodology_version],
    )
    return sorted(str(r["firm_id"]) for r in rows)


def _breakdown(raw: Any) -> list[Breakdown]:
    if raw is None:
        return []
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [Breakdown(**item) for item in items]


def firm_profile(cur: Cursor, snapshot: Snapshot, firm_id: str, top_n: int) -> FirmProfile:
    firm_rows = cur.rows("SELECT * EXCLUDE (row_hash, source_id, source_line) FROM firms WHERE firm_id = ?", [firm_id])
    score_rows = cur.rows(
        f"SELECT {SUMMARY_COLUMNS}, s.by_agency, s.by_category, s.by_subsidiary, s.revenue_share, s.revenue_band,"
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
        summary = FirmSummary(**row, top_awards=top_awards(cur, snapshot, [firm_id]).get(firm_id, []))

    identifiers = [
        Identifier(**r)
        for r in cur.rows(
            "SELECT scheme, value, exchange, source_url FROM firm_identifiers WHERE firm_id = ? ORDER BY scheme, value",
            [firm_id],
        )
    ]
    aliases = [
        Alias(**r)
        for r in cur.rows(
            "SELECT alias, language, alias_kind, source_url FROM firm_aliases WHERE firm_id = ? ORDER BY alias",
            [firm_id],
        )
    ]
    subsidiaries = [
        Subsidiary(**r)
        for r in cur.rows(
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
    contributions, contributions_total = contributions_page(cur, snapshot, firm_id, top_n)
    evidence = [
        Evidence(**r)
        for r in cur.rows(
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
        for r in cur.rows(
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


def contributions_page(
    cur: Cursor, snapshot: Snapshot, firm_id: str, limit: int, offset: int = 0
) -> tuple[list[Contribution], int]:
    """A firm's contributions, largest first (stable: ties by link id), and how many there are in all."""
    where = "firm_id = ? AND as_of = ? AND methodology_version = ?"
    params = [firm_id, snapshot.as_of, snapshot.methodology_version]
    total = int(cur.tuples(f"SELECT count(*) FROM contributions WHERE {where}", params)[0][0])
    rows = cur.rows(
        f"""
        SELECT link_id, link_kind, source_key, award_key, source_url AS url, via_firm_id, ownership_path, matched_by,
               matched_value, match_confidence, recipient_name, agency_code, category, category_source, link_date,
               is_direct,
               CAST(amount AS DOUBLE) AS amount, CAST(share_amount AS DOUBLE) AS share_amount,
               CAST(weighted_amount AS DOUBLE) AS weighted_amount, category_severity, agency_weight, recency_weight,
               evidence_confidence, ownership_share, channel_weight, contribution, description
        FROM contributions WHERE {where}
        ORDER BY abs(contribution) DESC, link_id LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    )
    return [Contribution(**r) for r in rows], total
