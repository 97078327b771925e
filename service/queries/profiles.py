"""Firms' whole profiles: registry entry, score and breakdowns, identifiers, aliases, subsidiaries, the
largest contributions and the evidence. Built for every firm at once, from a few bulk queries, when a
snapshot opens; a firm's further contributions are paged from here too."""

from __future__ import annotations

import json
from typing import Any, cast

from service.db import Cursor
from service.models import (
    Alias,
    Breakdown,
    Contribution,
    Evidence,
    ExportControlEntry,
    FirmProfile,
    FirmSummary,
    Identifier,
    OverrideInfo,
    Snapshot,
    Subsidiary,
    SubsidiaryResearch,
)
from service.queries import export_controls, federal, universe
from service.queries.firms import SUMMARY_COLUMNS, top_awards

# The columns of a contribution as the API shows it.
CONTRIBUTION_COLUMNS = """
    link_id, link_kind, source_key, award_key, source_url AS url, via_firm_id, ownership_path, matched_by,
    matched_value, match_confidence, recipient_name, agency_code, category, category_source, link_date, is_direct,
    CAST(amount AS DOUBLE) AS amount, CAST(share_amount AS DOUBLE) AS share_amount,
    CAST(weighted_amount AS DOUBLE) AS weighted_amount, category_severity, agency_weight, recency_weight,
    evidence_confidence, ownership_share, channel_weight, contribution, description, ecl_item, wassenaar_item,
    ecl_label
"""
# Every (root, descendant) of the ownership graph, each subsidiary once per path, cycles cut.
OWNERSHIP_TREE = """
    WITH RECURSIVE tree(root, firm_id, parent_firm_id, relation, share, source_url, trail) AS (
        SELECT parent_firm_id, child_firm_id, parent_firm_id, relation, CAST(share AS DOUBLE), source_url,
               [parent_firm_id]
        FROM ownership
        UNION ALL
        SELECT t.root, o.child_firm_id, o.parent_firm_id, o.relation, CAST(o.share AS DOUBLE), o.source_url,
               list_append(t.trail, o.parent_firm_id)
        FROM ownership o JOIN tree t ON o.parent_firm_id = t.firm_id
        WHERE NOT list_contains(t.trail, o.child_firm_id)
    )
"""


def _breakdown(raw: Any) -> list[Breakdown]:
    if raw is None:
        return []
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [Breakdown(**item) for item in items]


def contributions_page(
    cur: Cursor, snapshot: Snapshot, firm_id: str, limit: int, offset: int = 0
) -> tuple[list[Contribution], int]:
    """A firm's contributions, largest first (stable: ties by link id), and how many there are in all."""
    where = "firm_id = ? AND as_of = ? AND methodology_version = ?"
    params = [firm_id, snapshot.as_of, snapshot.methodology_version]
    total = int(cur.tuples(f"SELECT count(*) FROM contributions WHERE {where}", params)[0][0])
    rows = cur.rows(
        f"""
        SELECT {CONTRIBUTION_COLUMNS}
        FROM contributions WHERE {where}
        ORDER BY abs(contribution) DESC, link_id LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    )
    return [Contribution(**r) for r in rows], total


def _grouped(rows: list[dict[str, Any]], key: str = "firm_id") -> dict[str, list[dict[str, Any]]]:
    """Rows by firm, each row without the grouping column, in the order the query gave them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.pop(key)), []).append(row)
    return groups


def all_profiles(cur: Cursor, snapshot: Snapshot, top_n: int) -> dict[str, FirmProfile]:
    """Every firm's profile from a few bulk queries (not a dozen per firm), so a snapshot of thousands of
    firms opens in seconds."""
    at = [snapshot.as_of, snapshot.methodology_version]
    firms = {
        str(r["firm_id"]): r
        for r in cur.rows("SELECT * EXCLUDE (row_hash, source_id, source_line) FROM firms ORDER BY firm_id")
    }
    scores = {
        str(r["firm_id"]): r
        for r in cur.rows(
            f"SELECT {SUMMARY_COLUMNS}, s.by_agency, s.by_category, s.by_subsidiary, s.revenue_share,"
            " s.revenue_band, s.revenue_basis FROM scores s LEFT JOIN firms f ON f.firm_id = s.firm_id"
            " WHERE s.as_of = ? AND s.methodology_version = ?",
            at,
        )
    }
    awards = top_awards(cur, snapshot, sorted(scores))
    identifiers = _grouped(
        cur.rows(
            "SELECT firm_id, scheme, value, exchange, source_url FROM firm_identifiers "
            "ORDER BY firm_id, scheme, value, exchange"
        )
    )
    aliases = _grouped(
        cur.rows("SELECT firm_id, alias, language, alias_kind, source_url FROM firm_aliases ORDER BY firm_id, alias")
    )
    subsidiaries = _grouped(
        cur.rows(
            f"""{OWNERSHIP_TREE}
            SELECT DISTINCT t.root, t.firm_id, f.name, f.country_code, t.parent_firm_id, t.relation, t.share,
                   t.source_url
            FROM tree t LEFT JOIN firms f ON f.firm_id = t.firm_id ORDER BY t.root, t.parent_firm_id, t.firm_id
            """
        ),
        key="root",
    )
    totals = {
        str(firm_id): int(n)
        for firm_id, n in cur.tuples(
            "SELECT firm_id, count(*) FROM contributions WHERE as_of = ? AND methodology_version = ? GROUP BY 1", at
        )
    }
    contributions = _grouped(
        cur.rows(
            f"""
            SELECT firm_id, {CONTRIBUTION_COLUMNS} FROM contributions
            WHERE as_of = ? AND methodology_version = ?
            QUALIFY row_number() OVER (PARTITION BY firm_id ORDER BY abs(contribution) DESC, link_id) <= ?
            ORDER BY firm_id, abs(contribution) DESC, link_id
            """,
            [*at, top_n],
        )
    )
    # A firm's evidence is its own and its subsidiaries'.
    evidence = _grouped(
        cur.rows(
            f"""{OWNERSHIP_TREE}
            SELECT b.root, e.* EXCLUDE (row_hash, source_id, source_line)
            FROM (SELECT DISTINCT root, firm_id FROM tree UNION SELECT firm_id, firm_id FROM evidence) b
            JOIN evidence e ON e.firm_id = b.firm_id
            ORDER BY b.root, coalesce(e.event_date, e.published_date) DESC NULLS LAST, e.evidence_id
            """
        ),
        key="root",
    )
    overrides = _grouped(
        cur.rows(
            "SELECT firm_id, override_id, scheme, raw_value AS value, decision, decided_by, decided_at, reason "
            "FROM match_overrides ORDER BY firm_id, override_id"
        )
    )
    researched = universe.research_of_firms(cur)
    ottawa = federal.ottawa_contracts_by_firm(cur, snapshot)
    controlled: dict[str, list[ExportControlEntry]] = {}
    for entry in export_controls.export_controls(cur, snapshot):
        controlled.setdefault(entry.firm_id, []).append(entry)
    built: dict[str, FirmProfile] = {}
    for firm_id in sorted(set(firms) | set(scores)):
        score_row = scores.get(firm_id)
        firm = firms.get(firm_id) or {
            "firm_id": firm_id,
            "name": score_row["name"] if score_row else None,
            "country_code": "CAN",
            "description": "Recipient located in Canada, found in the contract records; not in the registry.",
        }
        summary, revenue = None, None
        by_agency: list[Breakdown] = []
        by_category: list[Breakdown] = []
        by_subsidiary: list[Breakdown] = []
        if score_row is not None:
            row = dict(score_row)
            by_agency, by_category, by_subsidiary = (
                _breakdown(row.pop(k)) for k in ("by_agency", "by_category", "by_subsidiary")
            )
            revenue_fields = {k: row.pop(k) for k in ("revenue_share", "revenue_band", "revenue_basis")}
            revenue = revenue_fields if revenue_fields["revenue_share"] is not None else None
            summary = FirmSummary(**row, top_awards=awards.get(firm_id, []))
        built[firm_id] = FirmProfile(
            overrides=[OverrideInfo(**r) for r in overrides.get(firm_id, [])],
            ottawa_contracts=ottawa.get(firm_id, []),
            export_controls=controlled.get(firm_id, []),
            firm=dict(firm),
            score=summary,
            revenue=revenue,
            by_agency=by_agency,
            by_category=by_category,
            by_subsidiary=by_subsidiary,
            identifiers=[Identifier(**r) for r in identifiers.get(firm_id, [])],
            aliases=[Alias(**r) for r in aliases.get(firm_id, [])],
            subsidiaries=[Subsidiary(**r) for r in subsidiaries.get(firm_id, [])],
            # The table's CHECK constraint holds research_status to the literal's values.
            subsidiary_research=cast(SubsidiaryResearch | None, researched.get(firm_id)),
            contributions=[Contribution(**r) for r in contributions.get(firm_id, [])],
            contributions_total=totals.get(firm_id, 0),
            evidence=[Evidence(**r) for r in evidence.get(firm_id, [])],
            snapshot=snapshot,
        )
    return built
