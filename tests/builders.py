"""Small in-memory store frames for scoring tests, with the store's column types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from scoring import StoreFrames
from scoring.inputs import frame_of


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
    return StoreFrames(
        transactions=frame_of("transactions", transactions),
        awards=frame_of("awards", awards),
        subawards=frame_of("subawards", subawards),
        evidence=frame_of("evidence", evidence),
        firms=frame_of("firms", firms),
        firm_identifiers=frame_of("firm_identifiers", identifiers),
        firm_aliases=frame_of("firm_aliases", aliases),
        ownership=frame_of("ownership", ownership),
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
