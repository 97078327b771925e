"""The bridge between the store and the scoring pipeline: tables out as Arrow-backed Polars frames,
results back in one transaction. The only place scoring results meet DuckDB."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import polars as pl

from scoring import ScoreResult, StoreFrames

STORE_TABLES = (
    "transactions",
    "awards",
    "subawards",
    "evidence",
    "firms",
    "firm_identifiers",
    "firm_aliases",
    "ownership",
)


def read_frames(con: duckdb.DuckDBPyConnection) -> StoreFrames:
    """Every table the pipeline reads, fetched through Arrow (no row-by-row copies)."""
    frames = {table: con.sql(f"SELECT * FROM {table}").pl().lazy() for table in STORE_TABLES}
    overrides = con.sql("SELECT * FROM match_overrides ORDER BY override_id").pl().lazy()
    issuers = (
        con.sql(
            "SELECT issuer_id, name, industry, primary_exchange FROM issuers WHERE firm_id IS NULL ORDER BY issuer_id"
        )
        .pl()
        .lazy()
    )
    leads = con.sql("SELECT recipient_name, issuer_id, lead FROM review_leads ORDER BY recipient_name").pl().lazy()
    goc = read_goc_frames(con)
    return StoreFrames(**frames, overrides=overrides, issuers=issuers, review_leads=leads, **goc)


def read_goc_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.LazyFrame]:
    """The Government of Canada records the federal step matches: the columns it reads, not whole rows."""
    return {
        "goc_vendor_totals": con.sql(
            "SELECT vendor_total_key, vendor_name, fiscal_year, total_cad, total_constant_2019_cad, source_id, "
            "source_line FROM goc_vendor_totals ORDER BY vendor_total_key"
        )
        .pl()
        .lazy(),
        "goc_vendor_spellings": con.sql("SELECT group_name, spelling FROM goc_vendor_spellings ORDER BY spelling_key")
        .pl()
        .lazy(),
        "goc_contracts": con.sql(
            "SELECT contract_key, vendor_name, fiscal_year, contract_date, owner_org, owner_org_title, contract_value, "
            "source_id, source_line FROM goc_contracts ORDER BY contract_key"
        )
        .pl()
        .lazy(),
    }


_CONTRIBUTION_COLUMNS = """
    c.parent_id, as_of, methodology_version, link_id, link_kind, source_key, award_key, source_url, via_firm_id,
    ownership_path, matched_by, matched_value, match_confidence, recipient_name, agency_code, category, category_source,
    link_date, is_direct,
    CAST(amount_cents AS DECIMAL(18,0)) / 100, CAST(share_cents AS DECIMAL(18,0)) / 100,
    CAST(weighted_amount_cents AS DECIMAL(18,0)) / 100,
    category_severity, agency_weight, recency_weight, evidence_confidence_weight, c.ownership_share,
    channel_weight, contribution, description,
    ecl_rule_id, ecl_item, wassenaar_item, ecl_label
"""


def write_result(
    con: duckdb.DuckDBPyConnection,
    result: ScoreResult,
    as_of: date,
    methodology_version: str,
    *,
    serve: bool = False,
) -> None:
    """Replace the results for (as_of, methodology version); the scores replaced move to score_history and
    other dates stay, so history can be queried."""
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    contributions = result.contributions.with_columns(
        pl.lit(as_of).alias("as_of"), pl.lit(methodology_version).alias("methodology_version")
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO score_history SELECT * FROM scores WHERE as_of = ? AND methodology_version = ?",
            [as_of, methodology_version],
        )
        for table in (
            "scores",
            "contributions",
            "ownership_paths",
            "review_candidates",
            "unattributed",
            "unmapped_categories",
            *FEDERAL_TABLES,
        ):
            con.execute(
                f"DELETE FROM {table} WHERE as_of = ? AND methodology_version = ?",
                [as_of, methodology_version],
            )
        con.register("_scores", result.scores.to_arrow())
        con.execute(
            """
            INSERT INTO scores
            SELECT firm_id, as_of, methodology_version, firm_name, in_registry, score, tier,
                   obligated_total, direct_total, indirect_total, ice_total, cbp_total, other_dhs_total,
                   weighted_total, link_count, award_count, evidence_count,
                   CAST(by_agency AS JSON), CAST(by_category AS JSON), CAST(by_subsidiary AS JSON),
                   revenue_share, revenue_band, revenue_basis, ?
            FROM _scores
            """,
            [scored_at],
        )
        con.register("_contributions", contributions.to_arrow())
        con.register("_paths", result.ownership_paths.to_arrow())
        con.execute(f"INSERT INTO contributions SELECT {_CONTRIBUTION_COLUMNS} FROM _contributions c")
        con.execute(
            "INSERT INTO ownership_paths SELECT ?, ?, firm_id, parent_id, ownership_share, path, valid_from, valid_to "
            "FROM _paths",
            [as_of, methodology_version],
        )
        con.register("_candidates", result.candidates.to_arrow())
        con.execute(
            "INSERT INTO review_candidates SELECT ?, ?, rank, recipient_name, recipient_uei, amount, records, "
            "first_date, last_date, agencies, reasons, suggested_firm_id, suggested_issuer_id, award_keys "
            "FROM _candidates",
            [as_of, methodology_version],
        )
        con.register("_unattributed", result.unattributed.to_arrow())
        con.execute(
            "INSERT INTO unattributed SELECT ?, ?, link_kind, records, amount FROM _unattributed",
            [as_of, methodology_version],
        )
        con.register("_unmapped", result.unmapped_categories.to_arrow())
        con.execute(
            "INSERT INTO unmapped_categories SELECT ?, ?, psc_code, psc_description, naics_code, naics_description,"
            " links, amount_cents / 100 FROM _unmapped",
            [as_of, methodology_version],
        )
        _write_federal(con, result, as_of, methodology_version)
        _choose_served(con, as_of, methodology_version, serve)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for view in ("_scores", "_contributions", "_paths", "_candidates", "_unattributed", "_unmapped"):
            con.unregister(view)


FEDERAL_TABLES = ("federal_contract_links", "federal_vendor_candidates")


def _write_federal(con: duckdb.DuckDBPyConnection, result: ScoreResult, as_of: date, methodology_version: str) -> None:
    """The Government of Canada records put on Canadian parents, and its review list (Canadian dollars)."""
    con.register("_federal_links", result.federal_links.to_arrow())
    con.register("_federal_candidates", result.federal_candidates.to_arrow())
    try:
        con.execute(
            """
            INSERT INTO federal_contract_links
            SELECT ?, ?, firm_id, via_firm_id, ownership_path, ownership_share, record, record_key, vendor_name,
                   fiscal_year, record_date, department, department_name, value_cad, value_constant_2019_cad,
                   matched_by, matched_value, match_confidence, source_id, source_line, unverified_spellings
            FROM _federal_links
            """,
            [as_of, methodology_version],
        )
        con.execute(
            "INSERT INTO federal_vendor_candidates SELECT ?, ?, rank, vendor_name, total_cad, records, fiscal_years, "
            "reasons, suggested_firm_id FROM _federal_candidates",
            [as_of, methodology_version],
        )
    finally:
        con.unregister("_federal_links")
        con.unregister("_federal_candidates")


def _choose_served(con: duckdb.DuckDBPyConnection, as_of: date, methodology_version: str, serve: bool) -> None:
    """`serve` pins this result as the one servers show; a result for the newest date lifts any pin (it is what
    would be served anyway); an older date scored without `serve` leaves the choice alone."""
    newest = con.execute("SELECT max(as_of) FROM scores").fetchone()
    if serve or (newest is not None and newest[0] is not None and as_of >= newest[0]):
        con.execute("DELETE FROM served_snapshot")
    if serve:
        con.execute(
            "INSERT INTO served_snapshot VALUES (?, ?, ?)",
            [as_of, methodology_version, datetime.now(UTC).replace(tzinfo=None)],
        )
