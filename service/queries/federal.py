"""The Government of Canada's own contracts with ICE/DHS-exposed firms: the records scoring put on each firm
(`federal_contract_links`), in Canadian dollars, beside the firm's U.S. exposure (never added to it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datasets.sources.goc_contracts.load import DATASET_URL
from service.db import Batches, Cursor
from service.models import FederalContract, FederalVendorCandidate, OttawaContract, Snapshot
from service.queries.candidates import ranked_page

VENDOR_TOTAL = "vendor_total"

_COLUMNS = """
    l.firm_id, coalesce(f.name, s.firm_name) AS firm_name, s.score, s.tier,
    CAST(s.obligated_total AS DOUBLE) AS dhs_obligated_usd, CAST(s.ice_total AS DOUBLE) AS ice_obligated_usd,
    l.record, l.record_key, l.fiscal_year, l.record_date, l.department, l.department_name,
    CAST(l.value_cad AS DOUBLE) AS value_cad, CAST(l.value_constant_2019_cad AS DOUBLE) AS value_constant_2019_cad,
    l.vendor_name, l.via_firm_id, l.ownership_share, l.matched_by, l.matched_value, l.match_confidence,
    src.file_name AS source_file, l.source_line, src.publisher AS source_publisher, src.source_url,
    CAST(? AS VARCHAR) AS dataset_url, coalesce(l.unverified_spellings, []) AS unverified_spellings
"""
# Firms in score order; a firm's vendor totals before its contract rows, by fiscal year, largest first.
_ORDER = "s.score DESC, l.firm_id, l.record = 'contract', l.fiscal_year, l.value_cad DESC, l.record_key"


@dataclass(frozen=True)
class FederalFilters:
    """Each filter repeatable; values within one filter are alternatives."""

    firm_id: tuple[str, ...] = ()
    fiscal_year: tuple[str, ...] = ()
    record: tuple[str, ...] = ()


@dataclass(frozen=True)
class FederalFirm:
    """One exposed firm with its Government of Canada vendor totals (CAD) by fiscal year."""

    firm_id: str
    firm_name: str | None
    score: float
    tier: str
    dhs_obligated_usd: float
    ice_obligated_usd: float
    totals: list[FederalContract] = field(default_factory=list)

    @property
    def total_cad(self) -> float:
        return round(sum(t.value_cad for t in self.totals), 2)

    @property
    def vendor_names(self) -> list[str]:
        return sorted({t.vendor_name for t in self.totals})


def _selection(snapshot: Snapshot, filters: FederalFilters) -> tuple[str, list[Any]]:
    """FROM ... WHERE for the exposed firms' records in the snapshot, and its parameters after the columns'."""
    sql = """
        FROM federal_contract_links l
        JOIN scores s ON s.firm_id = l.firm_id AND s.as_of = l.as_of AND s.methodology_version = l.methodology_version
        LEFT JOIN firms f ON f.firm_id = l.firm_id
        LEFT JOIN sources src ON src.source_id = l.source_id
        WHERE l.as_of = ? AND l.methodology_version = ? AND s.score > 0
    """
    params: list[Any] = [snapshot.as_of, snapshot.methodology_version]
    chosen = {"firm_id": filters.firm_id, "fiscal_year": filters.fiscal_year, "record": filters.record}
    for column, values in chosen.items():
        if values:
            sql += f" AND list_contains(?, l.{column})"
            params.append(list(values))
    return sql, params


def federal_contracts(
    cur: Cursor, snapshot: Snapshot, filters: FederalFilters, limit: int | None = None, offset: int = 0
) -> tuple[list[FederalContract], int]:
    """A page of the exposed firms' Government of Canada records, and how many there are in all."""
    if snapshot.as_of is None:
        return [], 0
    selection, params = _selection(snapshot, filters)
    total = int(cur.tuples(f"SELECT count(*) {selection}", params)[0][0])
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = cur.rows(f"SELECT {_COLUMNS} {selection} ORDER BY {_ORDER}{page}", [DATASET_URL, *params])
    return [FederalContract(**r) for r in rows], total


def federal_contracts_batches(cur: Cursor, snapshot: Snapshot, filters: FederalFilters) -> Batches:
    """The whole filtered list as Arrow batches, for a CSV export."""
    selection, params = _selection(snapshot, filters)
    if snapshot.as_of is None:
        selection += " AND false"
    # A CSV cell holds text: the list of spellings joined with "; ".
    return cur.batches(
        f"SELECT * REPLACE (array_to_string(unverified_spellings, '; ') AS unverified_spellings) "
        f"FROM (SELECT {_COLUMNS} {selection} ORDER BY {_ORDER})",
        [DATASET_URL, *params],
    )


def exposed_firms_with_ottawa_totals(
    cur: Cursor, snapshot: Snapshot, filters: FederalFilters | None = None
) -> list[FederalFirm]:
    """The exposed firms holding Government of Canada contracts, each with its vendor totals (CAD) by fiscal
    year, in score order: what `exposure federal-contracts` prints."""
    chosen = filters or FederalFilters()
    rows, _total = federal_contracts(cur, snapshot, FederalFilters(chosen.firm_id, chosen.fiscal_year, (VENDOR_TOTAL,)))
    firms: dict[str, FederalFirm] = {}
    for row in rows:
        firm = firms.get(row.firm_id)
        if firm is None:
            firm = firms[row.firm_id] = FederalFirm(
                row.firm_id, row.firm_name, row.score, row.tier, row.dhs_obligated_usd, row.ice_obligated_usd
            )
        firm.totals.append(row)
    return list(firms.values())


def ottawa_contracts_by_firm(cur: Cursor, snapshot: Snapshot) -> dict[str, list[OttawaContract]]:
    """Every firm's Government of Canada vendor totals by fiscal year (whatever its score), for the profiles."""
    if snapshot.as_of is None:
        return {}
    rows = cur.rows(
        """
        SELECT l.firm_id, l.fiscal_year, CAST(l.value_cad AS DOUBLE) AS total_cad,
               CAST(l.value_constant_2019_cad AS DOUBLE) AS total_constant_2019_cad, l.vendor_name, l.via_firm_id,
               l.matched_by, src.file_name AS source_file, l.source_line, src.source_url,
               CAST(? AS VARCHAR) AS dataset_url, coalesce(l.unverified_spellings, []) AS unverified_spellings
        FROM federal_contract_links l LEFT JOIN sources src ON src.source_id = l.source_id
        WHERE l.as_of = ? AND l.methodology_version = ? AND l.record = 'vendor_total'
        ORDER BY l.firm_id, l.fiscal_year, l.value_cad DESC, l.vendor_name
        """,
        [DATASET_URL, snapshot.as_of, snapshot.methodology_version],
    )
    by_firm: dict[str, list[OttawaContract]] = {}
    for row in rows:
        by_firm.setdefault(str(row.pop("firm_id")), []).append(OttawaContract(**row))
    return by_firm


CANDIDATE_COLUMNS = (
    "rank, vendor_name, CAST(total_cad AS DOUBLE) AS total_cad, records, fiscal_years, reasons, suggested_firm_id"
)


def federal_vendor_candidates(
    cur: Cursor, snapshot: Snapshot, limit: int, offset: int = 0
) -> tuple[list[FederalVendorCandidate], int]:
    """A page of the Government of Canada vendor names that resemble a registry firm, and the list's length."""
    rows, total = ranked_page(cur, "federal_vendor_candidates", CANDIDATE_COLUMNS, snapshot, limit, offset)
    return [FederalVendorCandidate(**{**r, "fiscal_years": r["fiscal_years"] or []}) for r in rows], total
