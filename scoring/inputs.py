"""What the pipeline reads: each store table's columns and types (the contract between the store and
scoring). Tests and benchmarks build frames from it; the store's tables are wider and that is fine."""

from __future__ import annotations

from typing import Any

import polars as pl

# Who was paid and what for, as prime transactions and award summaries both carry it.
PRIME_RECORD: dict[str, Any] = {
    "recipient_uei": pl.String,
    "recipient_parent_uei": pl.String,
    "recipient_duns": pl.String,
    "recipient_parent_duns": pl.String,
    "cage_code": pl.String,
    "recipient_name": pl.String,
    "recipient_parent_name": pl.String,
    "recipient_country_code": pl.String,
    "domestic_or_foreign_entity": pl.String,
    "product_or_service_code": pl.String,
    "product_or_service_description": pl.String,
    "naics_code": pl.String,
    "naics_description": pl.String,
}
TRANSACTIONS: dict[str, Any] = {
    "transaction_key": pl.String,
    "contract_award_unique_key": pl.String,
    "modification_number": pl.String,
    "action_date": pl.Date,
    "federal_action_obligation": pl.Decimal(18, 2),
    "awarding_sub_agency_code": pl.String,
    **PRIME_RECORD,
    "transaction_description": pl.String,
    "source_kind": pl.String,
}
AWARDS: dict[str, Any] = {
    "contract_award_unique_key": pl.String,
    "awarding_sub_agency_code": pl.String,
    "award_base_action_date": pl.Date,
    "award_latest_action_date": pl.Date,
    "total_obligated_amount": pl.Decimal(18, 2),
    # A summary names no parent DUNS.
    **{column: dtype for column, dtype in PRIME_RECORD.items() if column != "recipient_parent_duns"},
    "award_description": pl.String,
    "source_url": pl.String,
}
SUBAWARDS: dict[str, Any] = {
    "subaward_key": pl.String,
    "prime_award_unique_key": pl.String,
    "prime_awarding_sub_agency_code": pl.String,
    "subaward_action_date": pl.Date,
    "subaward_amount": pl.Decimal(18, 2),
    "subawardee_uei": pl.String,
    "subawardee_parent_uei": pl.String,
    "subawardee_duns": pl.String,
    "subawardee_name": pl.String,
    "subawardee_parent_name": pl.String,
    "subawardee_country_code": pl.String,
    "prime_award_naics_code": pl.String,
    "prime_award_naics_description": pl.String,
    "subaward_description": pl.String,
}
EVIDENCE: dict[str, Any] = {
    "evidence_id": pl.String,
    "firm_id": pl.String,
    "agency_code": pl.String,
    "kind": pl.String,
    "category": pl.String,
    "status": pl.String,
    "channel": pl.String,
    "channel_share": pl.Decimal(7, 6),
    "amount": pl.Decimal(18, 2),
    "currency": pl.String,
    "event_date": pl.Date,
    "published_date": pl.Date,
    "summary": pl.String,
    "confidence": pl.String,
    "url": pl.String,
    "award_key": pl.String,
}
FIRMS: dict[str, Any] = {
    "firm_id": pl.String,
    "name": pl.String,
    "country_code": pl.String,
    "listing_status": pl.String,  # "public": a listed firm, credited even when a Canadian parent is above it
    "annual_revenue": pl.Decimal(18, 2),
    "revenue_currency": pl.String,
    "revenue_basis": pl.String,
}
OWNERSHIP: dict[str, Any] = {
    "child_firm_id": pl.String,
    "parent_firm_id": pl.String,
    "share": pl.Decimal(7, 6),
    "relation": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

FIRM_IDENTIFIERS: dict[str, Any] = {"firm_id": pl.String, "scheme": pl.String, "value": pl.String}
FIRM_ALIASES: dict[str, Any] = {"firm_id": pl.String, "alias": pl.String}

INPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "transactions": TRANSACTIONS,
    "awards": AWARDS,
    "subawards": SUBAWARDS,
    "evidence": EVIDENCE,
    "firms": FIRMS,
    "firm_identifiers": FIRM_IDENTIFIERS,
    "firm_aliases": FIRM_ALIASES,
    "ownership": OWNERSHIP,
}


def frame_of(table: str, rows: list[dict[str, Any]] | None = None) -> pl.LazyFrame:
    """A frame of `table`'s input schema holding `rows` (missing keys are null)."""
    schema = INPUT_SCHEMAS[table]
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows or []], schema=schema, orient="row").lazy()
