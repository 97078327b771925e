"""Small in-memory store frames for scoring tests, with the store's column types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from scoring import StoreFrames


def frames(
    transactions: list[dict[str, Any]] | None = None,
    awards: list[dict[str, Any]] | None = None,
    firms: list[dict[str, Any]] | None = None,
    aliases: list[dict[str, Any]] | None = None,
    identifiers: list[dict[str, Any]] | None = None,
    ownership: list[dict[str, Any]] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    subawards: list[dict[str, Any]] | None = None,
) -> StoreFrames:
    tx_schema = {
        "transaction_key": pl.String,
        "contract_award_unique_key": pl.String,
        "modification_number": pl.String,
        "action_date": pl.Date,
        "federal_action_obligation": pl.Decimal(18, 2),
        "awarding_sub_agency_code": pl.String,
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
        "transaction_description": pl.String,
        "source_kind": pl.String,
    }
    award_schema = {
        "contract_award_unique_key": pl.String,
        "awarding_sub_agency_code": pl.String,
        "award_base_action_date": pl.Date,
        "award_latest_action_date": pl.Date,
        "total_obligated_amount": pl.Decimal(18, 2),
        "recipient_uei": pl.String,
        "recipient_parent_uei": pl.String,
        "recipient_duns": pl.String,
        "cage_code": pl.String,
        "recipient_name": pl.String,
        "recipient_parent_name": pl.String,
        "recipient_country_code": pl.String,
        "domestic_or_foreign_entity": pl.String,
        "product_or_service_code": pl.String,
        "product_or_service_description": pl.String,
        "naics_code": pl.String,
        "naics_description": pl.String,
        "award_description": pl.String,
        "source_url": pl.String,
    }
    sub_schema = {
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
    ev_schema = {
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
    firm_schema = {
        "firm_id": pl.String,
        "name": pl.String,
        "country_code": pl.String,
        "annual_revenue": pl.Decimal(18, 2),
        "revenue_currency": pl.String,
        "revenue_basis": pl.String,
    }
    own_schema = {
        "child_firm_id": pl.String,
        "parent_firm_id": pl.String,
        "share": pl.Decimal(7, 6),
        "relation": pl.String,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
    }

    def frame(rows: list[dict[str, Any]] | None, schema: dict[str, Any]) -> pl.LazyFrame:
        rows = rows or []
        return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row").lazy()

    return StoreFrames(
        transactions=frame(transactions, tx_schema),
        awards=frame(awards, award_schema),
        subawards=frame(subawards, sub_schema),
        evidence=frame(evidence, ev_schema),
        firms=frame(firms, firm_schema),
        firm_identifiers=frame(identifiers, {"firm_id": pl.String, "scheme": pl.String, "value": pl.String}),
        firm_aliases=frame(aliases, {"firm_id": pl.String, "alias": pl.String}),
        ownership=frame(ownership, own_schema),
    )


def tx(key: str, award: str, amount: str, when: date, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "transaction_key": key,
        "contract_award_unique_key": award,
        "modification_number": extra.pop("mod", "0"),
        "action_date": when,
        "federal_action_obligation": Decimal(amount),
        "awarding_sub_agency_code": "7012",
        "recipient_name": name,
        "source_kind": extra.pop("source_kind", "usaspending_search_export"),
        **extra,
    }
