"""Turn the store's records into one frame of links: each a sum of money (or a document) tying a vendor to an agency.

Money is counted once: modifications of an award are summed as transactions; the same transaction delivered
by two formats (bulk download and search export) counts once, from the richer format; an award seen both as
a summary and as transactions counts its transactions plus, when the summary's lifetime total is larger
(the transactions at hand are partial), only the remainder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from scoring.inputs import AWARDS, PRIME_RECORD

PERMALINK = "https://www.usaspending.gov/award/{}/"

# Richer formats win when the same transaction arrives twice (same award, modification and date).
SOURCE_KIND_RANK = {
    "usaspending_prime_transactions": 0,
    "usaspending_transactions_2018": 1,
    "usaspending_search_export": 2,
}

LINK_COLUMNS: dict[str, pl.DataType] = {
    "link_id": pl.String(),
    "link_kind": pl.String(),  # transaction | award | subaward | evidence
    "source_key": pl.String(),  # award key, subaward key or evidence id: what a reader looks up
    "award_key": pl.String(),
    "agency_code": pl.String(),
    "link_date": pl.Date(),
    "amount_cents": pl.Int64(),
    "is_direct": pl.Boolean(),
    "recipient_uei": pl.String(),
    "recipient_parent_uei": pl.String(),
    "recipient_duns": pl.String(),
    "recipient_parent_duns": pl.String(),
    "cage_code": pl.String(),
    "recipient_name": pl.String(),
    "recipient_parent_name": pl.String(),
    "recipient_country_code": pl.String(),
    "domestic_or_foreign_entity": pl.String(),
    "firm_id_hint": pl.String(),  # evidence names its firm directly
    "psc_code": pl.String(),
    "psc_description": pl.String(),
    "naics_code": pl.String(),
    "naics_description": pl.String(),
    "description": pl.String(),
    "evidence_status": pl.String(),
    "evidence_channel": pl.String(),
    "evidence_confidence": pl.String(),
    "evidence_channel_share": pl.Float64(),
    "evidence_kind": pl.String(),
    "evidence_category": pl.String(),
    "source_url": pl.String(),
}


@dataclass(frozen=True)
class StoreFrames:
    """The store's tables as Polars frames: what the pipeline reads, nothing else."""

    transactions: pl.LazyFrame
    awards: pl.LazyFrame
    subawards: pl.LazyFrame
    evidence: pl.LazyFrame
    firms: pl.LazyFrame
    firm_identifiers: pl.LazyFrame
    firm_aliases: pl.LazyFrame
    ownership: pl.LazyFrame
    overrides: pl.LazyFrame | None = None  # analysts' match decisions (scheme, value, firm_id, decision, ...)
    issuers: pl.LazyFrame | None = None  # universe issuers not in the registry (issuer_id, name): review reasons
    review_leads: pl.LazyFrame | None = None  # unsettled leads (recipient_name, issuer_id, lead): review reasons
    goc_vendor_totals: pl.LazyFrame | None = None  # Government of Canada totals per vendor and fiscal year (CAD)
    goc_contracts: pl.LazyFrame | None = None  # Government of Canada contract rows (CAD)
    goc_vendor_spellings: pl.LazyFrame | None = None  # the spellings (group_name, spelling) each total groups


def _cents(column: str) -> pl.Expr:
    return (pl.col(column).cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)


def _conform(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Every link frame gets every link column, in one order, with one type."""
    present = set(frame.collect_schema().names())
    return frame.select(
        [
            (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in LINK_COLUMNS.items()
        ]
    )


def transaction_links(transactions: pl.LazyFrame, several_formats: bool = True) -> pl.LazyFrame:
    """One link per transaction; with `several_formats`, the same transaction from two formats counts once."""
    if not several_formats:
        return _transaction_link_columns(transactions)
    identity = ["contract_award_unique_key", "modification_number", "action_date"]
    rank = pl.col("source_kind").replace_strict(SOURCE_KIND_RANK, default=9, return_dtype=pl.Int32)
    # Within one format the natural key is unique already; only a transaction that two formats deliver
    # (same award, modification and date) needs choosing, and the richer format wins.
    multi_format = pl.col("source_kind").n_unique().over(identity) > 1
    ranked = transactions.with_columns(multi_format.alias("_shared"))
    chosen = (
        ranked.filter(pl.col("_shared"))
        .with_columns(rank.alias("_rank"))
        .sort([*identity, "_rank", "transaction_key"])
        .unique(subset=identity, keep="first")
        .drop("_rank")
    )
    deduplicated = pl.concat([ranked.filter(~pl.col("_shared")), chosen], how="vertical")
    return _transaction_link_columns(deduplicated)


# The link's names for what prime records call the product or service; their other columns keep their names.
_PSC = {"product_or_service_code": "psc_code", "product_or_service_description": "psc_description"}


def _prime_record(columns: Iterable[str]) -> list[pl.Expr]:
    """Who was paid and what for, from a prime transaction or award summary, under the link's names."""
    return [pl.col(column).alias(_PSC.get(column, column)) for column in columns]


def _money_link(kind: str, id_column: str, source_key: str, award_key: str, agency_code: str) -> list[pl.Expr]:
    """The columns that say which record a contract link is and whose award it belongs to."""
    return [
        pl.concat_str(pl.lit(f"{kind}:"), pl.col(id_column)).alias("link_id"),
        pl.lit(kind).alias("link_kind"),
        pl.col(source_key).alias("source_key"),
        pl.col(award_key).alias("award_key"),
        pl.col(agency_code).alias("agency_code"),
    ]


def _transaction_link_columns(transactions: pl.LazyFrame) -> pl.LazyFrame:
    award = "contract_award_unique_key"
    return _conform(
        transactions.select(
            *_money_link("transaction", "transaction_key", award, award, "awarding_sub_agency_code"),
            pl.col("action_date").alias("link_date"),
            _cents("federal_action_obligation").alias("amount_cents"),
            pl.lit(True).alias("is_direct"),
            *_prime_record(PRIME_RECORD),
            pl.col("transaction_description").alias("description"),
            pl.format(PERMALINK, pl.col(award)).alias("source_url"),
        )
    )


def award_links(awards: pl.LazyFrame, transaction_links: pl.LazyFrame) -> pl.LazyFrame:
    """Award summaries add what their transactions in the store do not already account for."""
    award = "contract_award_unique_key"
    seen = transaction_links.group_by(pl.col("award_key").alias(award)).agg(
        pl.col("amount_cents").sum().alias("_seen_cents")
    )
    remainder = (
        awards.join(seen, on=award, how="left")
        .with_columns(
            (_cents("total_obligated_amount") - pl.col("_seen_cents").fill_null(0)).alias("_remainder_cents"),
            pl.col("_seen_cents").is_not_null().alias("_partial"),
        )
        .filter(~pl.col("_partial") | (pl.col("_remainder_cents") > 0))
    )
    return _conform(
        remainder.select(
            *_money_link("award", award, award, award, "awarding_sub_agency_code"),
            pl.coalesce("award_base_action_date", "award_latest_action_date").alias("link_date"),
            pl.col("_remainder_cents").alias("amount_cents"),
            pl.lit(True).alias("is_direct"),
            *_prime_record(column for column in AWARDS if column in PRIME_RECORD),
            pl.col("award_description").alias("description"),
            pl.coalesce(pl.col("source_url"), pl.format(PERMALINK, pl.col(award))).alias("source_url"),
        )
    )


def subaward_links(subawards: pl.LazyFrame) -> pl.LazyFrame:
    """A subaward is part of its prime's money: indirect exposure of the subawardee."""
    subawardee = ("uei", "parent_uei", "duns", "name", "parent_name", "country_code")
    return _conform(
        subawards.select(
            *_money_link(
                "subaward", "subaward_key", "subaward_key", "prime_award_unique_key", "prime_awarding_sub_agency_code"
            ),
            pl.col("subaward_action_date").alias("link_date"),
            _cents("subaward_amount").alias("amount_cents"),
            pl.lit(False).alias("is_direct"),
            *(pl.col(f"subawardee_{part}").alias(f"recipient_{part}") for part in subawardee),
            pl.col("prime_award_naics_code").alias("naics_code"),
            pl.col("prime_award_naics_description").alias("naics_description"),
            pl.col("subaward_description").alias("description"),
            pl.format(PERMALINK, pl.col("prime_award_unique_key")).alias("source_url"),
        )
    )


def evidence_links(evidence: pl.LazyFrame) -> pl.LazyFrame:
    """Documents name their firm directly. (One about an award the firm already has in the contract records
    is dropped after attribution: see `scoring.drop_evidence_already_in_records`.)"""
    usd = pl.col("currency").fill_null("USD") == "USD"
    return _conform(
        evidence.select(
            pl.concat_str(pl.lit("evidence:"), pl.col("evidence_id")).alias("link_id"),
            pl.lit("evidence").alias("link_kind"),
            pl.col("evidence_id").alias("source_key"),
            pl.col("award_key"),
            pl.col("agency_code"),
            pl.coalesce("event_date", "published_date").alias("link_date"),
            # Only U.S. dollar figures add to dollar totals; other currencies stay in the document.
            pl.when(usd).then(_cents("amount")).otherwise(None).fill_null(0).alias("amount_cents"),
            (pl.col("channel") == "direct").alias("is_direct"),
            pl.col("firm_id").alias("firm_id_hint"),
            pl.col("summary").alias("description"),
            pl.col("status").alias("evidence_status"),
            pl.col("channel").alias("evidence_channel"),
            pl.col("confidence").alias("evidence_confidence"),
            pl.col("channel_share").cast(pl.Float64).alias("evidence_channel_share"),
            pl.col("kind").alias("evidence_kind"),
            pl.col("category").alias("evidence_category"),
            pl.col("url").alias("source_url"),
        )
    )


def build_links(frames: StoreFrames, as_of: date | None = None) -> pl.LazyFrame:
    """All links; with `as_of`, only records dated on or before it (so award remainders are point-in-time)."""
    transactions = frames.transactions
    awards = frames.awards
    subawards = frames.subawards
    if as_of is not None:
        transactions = transactions.filter(pl.col("action_date") <= as_of)
        awards = awards.filter(pl.coalesce("award_base_action_date", "award_latest_action_date") <= as_of)
        subawards = subawards.filter(pl.col("subaward_action_date") <= as_of)
    formats = frames.transactions.select(pl.col("source_kind").n_unique()).collect().item()
    transaction = transaction_links(transactions, several_formats=formats > 1)
    award = award_links(awards, transaction)
    return pl.concat([transaction, award, subaward_links(subawards), evidence_links(frames.evidence)], how="vertical")
