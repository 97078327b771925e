"""The listed-issuer universe as stored, and the loaded vendor records it is checked against."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.db import Cursor

_VENDOR_NAMES = """
    SELECT DISTINCT name FROM (
        SELECT recipient_name AS name FROM transactions UNION ALL SELECT recipient_parent_name FROM transactions
        UNION ALL SELECT recipient_name FROM awards UNION ALL SELECT recipient_parent_name FROM awards
        UNION ALL SELECT subawardee_name FROM subawards UNION ALL SELECT subawardee_parent_name FROM subawards
    ) WHERE name IS NOT NULL
"""
_RECORD_SPAN = """
    WITH spans AS (
        SELECT min(action_date) AS first, max(action_date) AS last FROM transactions
        UNION ALL SELECT min(award_base_action_date), max(award_latest_action_date) FROM awards
        UNION ALL SELECT min(subaward_action_date), max(subaward_action_date) FROM subawards
    )
    SELECT min(first), max(last) FROM spans
"""
_RECORD_AGENCIES = """
    SELECT DISTINCT coalesce(a.abbreviation, r.code) FROM (
        SELECT awarding_sub_agency_code AS code FROM transactions UNION SELECT awarding_sub_agency_code FROM awards
        UNION SELECT prime_awarding_sub_agency_code FROM subawards
    ) r LEFT JOIN agencies a ON a.agency_code = r.code WHERE r.code IS NOT NULL ORDER BY 1
"""
_NAME_RECORDS = """
    SELECT name, count(*) FROM (
        SELECT recipient_name AS name FROM transactions UNION ALL SELECT recipient_name FROM awards
        UNION ALL SELECT subawardee_name FROM subawards
    ) WHERE name IN (SELECT unnest(?)) GROUP BY name
"""


# Each issuer with the research status of its U.S. subsidiaries: `not_researched` where COVERAGE.md has no row.
_WITH_RESEARCH = "issuers i LEFT JOIN issuer_research r USING (issuer_id)"
_RESEARCH_STATUS = "coalesce(r.research_status, 'not_researched')"


def issuers(cur: Cursor) -> list[tuple[Any, ...]]:
    """(issuer_id, name, firm_id, status, primary_exchange, primary_ticker, listings, sector, research_status)."""
    return cur.tuples(
        "SELECT i.issuer_id, i.name, i.firm_id, i.status, i.primary_exchange, i.primary_ticker, i.listings, i.sector, "
        f"{_RESEARCH_STATUS} FROM {_WITH_RESEARCH}"
    )


def research_of_firms(cur: Cursor) -> dict[str, str]:
    """firm_id -> the research status of its issuer's U.S. subsidiaries, for every registry firm that is an issuer."""
    rows = cur.tuples(f"SELECT i.firm_id, {_RESEARCH_STATUS} FROM {_WITH_RESEARCH} WHERE i.firm_id IS NOT NULL")
    return {str(firm_id): str(status) for firm_id, status in rows}


def listings(cur: Cursor) -> list[tuple[Any, ...]]:
    """(issuer_id, exchange, ticker, isin, cusip, figi, composite_figi, shareclass_figi)."""
    return cur.tuples(
        "SELECT issuer_id, exchange, ticker, isin, cusip, figi, composite_figi, shareclass_figi FROM issuer_listings"
    )


def issuer_leis(cur: Cursor) -> list[tuple[Any, ...]]:
    """(issuer_id, lei) of every issuer with one."""
    return cur.tuples("SELECT issuer_id, lei FROM issuers WHERE lei IS NOT NULL")


def registry_names(cur: Cursor) -> list[tuple[Any, ...]]:
    """(firm_id, name) of every registry firm."""
    return cur.tuples("SELECT firm_id, name FROM firms")


def vendor_names(cur: Cursor) -> list[str]:
    """Every distinct recipient, parent and subawardee name of the loaded records."""
    return [str(row[0]) for row in cur.tuples(_VENDOR_NAMES)]


def records_per_name(cur: Cursor, names: list[str]) -> dict[str, int]:
    """How many loaded records carry each of these exact names (names no record carries are absent)."""
    return {str(name): int(count) for name, count in cur.tuples(_NAME_RECORDS, [names])}


def record_span(cur: Cursor) -> tuple[date | None, date | None]:
    """The first and last dates of the loaded records."""
    first, last = cur.tuples(_RECORD_SPAN)[0]
    return first, last


def record_agencies(cur: Cursor) -> list[str]:
    """The agencies (abbreviation, else code) of the loaded records."""
    return [str(row[0]) for row in cur.tuples(_RECORD_AGENCIES)]


_QUEUED_FOR_ISSUERS = """
    SELECT suggested_issuer_id, list(recipient_name ORDER BY rank), sum(records)
    FROM review_candidates
    WHERE as_of = ? AND methodology_version = ? AND suggested_issuer_id IS NOT NULL
    GROUP BY suggested_issuer_id
"""


def queued_for_issuers(cur: Cursor, as_of: date, methodology_version: str) -> list[tuple[str, list[str], int]]:
    """Per issuer, the review queue's vendors suggested as its (by its name, or by a lead the research left)."""
    return [
        (str(issuer_id), [str(n) for n in names], int(records))
        for issuer_id, names, records in cur.tuples(_QUEUED_FOR_ISSUERS, [as_of, methodology_version])
    ]
