"""Per-link contributions, per-firm aggregation, the 0-100 score and its tier.

contribution = amount × category_severity × agency_weight × recency_weight × evidence_confidence
               × ownership_share × channel_weight
Each factor is a column of the contributions frame, so every score can be taken apart again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import polars as pl

from scoring.methodology import Methodology

DHS_PREFIX = "70"  # every DHS sub-tier code starts with 70 (department 070)
ICE, CBP = "7012", "7014"
# The factor columns a contribution is the product of, with its weighted amount in dollars.
FACTORS = (
    "category_severity",
    "agency_weight",
    "recency_weight",
    "evidence_confidence_weight",
    "ownership_share",
    "channel_weight",
)


def score_from_weighted(weighted_usd: float, methodology: Methodology) -> float:
    """The Python twin of `score_expr`: min(100, points × log10(1 + W / unit)), 0 for W <= 0."""
    if weighted_usd <= 0:
        return 0.0
    level = math.log10(1 + weighted_usd / methodology.score_unit_usd)
    return round(min(100.0, methodology.score_points_per_decade * level), 2)


def score_expr(weighted: pl.Expr, methodology: Methodology) -> pl.Expr:
    level = (1 + weighted.clip(lower_bound=0) / methodology.score_unit_usd).log10()
    return (methodology.score_points_per_decade * level).clip(upper_bound=100).round(2)


def tier_expr(score: pl.Expr, methodology: Methodology) -> pl.Expr:
    tiers = methodology.tiers
    return (
        pl.when(score >= tiers["severe"])
        .then(pl.lit("severe"))
        .when(score >= tiers["high"])
        .then(pl.lit("high"))
        .when(score >= tiers["moderate"])
        .then(pl.lit("moderate"))
        .when(score >= tiers["low"])
        .then(pl.lit("low"))
        .otherwise(pl.lit("none"))
    )


def _weight(column: str, weights: Mapping[str, float], default: float = 0.0) -> pl.Expr:
    """The methodology's weight for each value of `column`; `default` for a value it does not list."""
    return pl.col(column).replace_strict(weights, default=default, return_dtype=pl.Float64)


def weigh(links: pl.LazyFrame, methodology: Methodology, as_of: date) -> pl.LazyFrame:
    """Add every factor column and the contribution to attributed, rolled-up links (after
    `evidence_at_recorded_obligations`, which says which evidence amounts the records supplied)."""
    is_evidence = pl.col("link_kind") == "evidence"
    days_old = (pl.lit(as_of) - pl.col("link_date")).dt.total_days().clip(lower_bound=0)
    recency = (0.5 ** (days_old.cast(pl.Float64) / methodology.half_life_days)).alias("recency_weight")
    agency = _weight("agency_code", methodology.agency_weights, methodology.default_agency_weight).alias(
        "agency_weight"
    )
    confidence = (
        pl.when(is_evidence)
        .then(
            _weight("evidence_confidence", methodology.evidence_confidence)
            * _weight("evidence_status", methodology.evidence_status)
        )
        .otherwise(1.0)
        .alias("evidence_confidence_weight")
    )
    channel = (
        pl.when(is_evidence)
        .then(
            _weight("evidence_channel", methodology.evidence_channel) * pl.col("evidence_channel_share").fill_null(1.0)
        )
        .otherwise(_weight("link_kind", methodology.link_weights, default=1.0))
        .alias("channel_weight")
    )
    # Documents without a U.S. dollar figure still register, at the methodology's nominal amount; a document
    # whose award the records show netted to zero is not "without a figure".
    nominal_cents = int(methodology.evidence_nominal_usd * 100)
    weighted_cents = (
        pl.when(is_evidence & (pl.col("amount_cents") == 0) & ~pl.col("amount_from_records").fill_null(False))
        .then(pl.lit(nominal_cents, dtype=pl.Int64))
        .otherwise(pl.col("amount_cents"))
        .alias("weighted_amount_cents")
    )
    product = pl.col("weighted_amount_cents").cast(pl.Float64) / 100
    for factor in FACTORS:
        product = product * pl.col(factor)
    # A de-obligation reverses an earlier obligation: it is weighed as old as the award's oldest obligation, not
    # at its own (later, heavier) date, and an award's contributions never sum below zero. A cancelled award
    # nets to nothing instead of lowering the firm's score.
    award = ["parent_id", "via_firm_id", "award_key"]
    reversal = ~is_evidence & pl.col("award_key").is_not_null() & (pl.col("amount_cents") < 0)
    obligation = pl.col("amount_cents") > 0
    netted_recency = (
        pl.when(reversal)
        .then(pl.col("recency_weight").filter(obligation).min().over(award).fill_null(pl.col("recency_weight")))
        .otherwise(pl.col("recency_weight"))
        .alias("recency_weight")
    )
    gained = pl.col("contribution").filter(pl.col("contribution") > 0).sum().over(award)
    reversed_ = -pl.col("contribution").filter(pl.col("contribution") < 0).sum().over(award)
    # Where reversals outweigh the award's obligations, their recency weight shrinks so the award sums to zero;
    # the contribution stays the product of its factors.
    shrink = pl.when(reversal & (reversed_ > gained)).then(gained / reversed_).otherwise(1.0)
    floored = [(pl.col("recency_weight") * shrink).alias("recency_weight"), (pl.col("contribution") * shrink)]
    return (
        links.with_columns(recency, agency, confidence, channel, weighted_cents)
        .with_columns(netted_recency)
        .with_columns(
            product.alias("contribution"),
            # The firm's share of the dollars themselves (documents are not obligations: they count 0 here).
            pl.when(is_evidence)
            .then(pl.lit(0, dtype=pl.Int64))
            .otherwise((pl.col("amount_cents").cast(pl.Float64) * pl.col("ownership_share")).round(0).cast(pl.Int64))
            .alias("share_cents"),
        )
        .with_columns(*floored)
    )


CELL = ["parent_id", "agency_code", "category", "via_firm_id", "link_kind", "is_direct"]


def _breakdown(cells: pl.LazyFrame, column: str, name: str) -> pl.LazyFrame:
    """Per firm, a list of {key, dollars, weighted, links} sorted by weighted contribution."""
    return (
        cells.group_by(["parent_id", column])
        .agg(
            (pl.col("cents").sum() / 100).alias("dollars"),
            pl.col("weighted").sum().round(2).alias("weighted"),
            pl.col("links").sum().alias("links"),
        )
        .sort(["parent_id", "weighted", column], descending=[False, True, False])
        .group_by("parent_id", maintain_order=True)
        .agg(pl.struct(pl.col(column).alias("key"), "dollars", "weighted", "links").alias(name))
    )


def aggregate(
    contributions: pl.LazyFrame, parents: pl.LazyFrame, methodology: Methodology, as_of: date
) -> pl.LazyFrame:
    """One row per scored firm (every Canadian parent, with or without links)."""
    # One pass over the contributions into small cells; every total and breakdown is read from the cells.
    is_money = pl.col("link_kind") != "evidence"
    cells = (
        contributions.group_by(CELL)
        .agg(
            pl.col("share_cents").filter(is_money).sum().alias("cents"),
            pl.col("contribution").sum().alias("weighted"),
            pl.len().alias("links"),
        )
        .collect()
        .lazy()
    )
    cents = pl.col("cents")
    money = pl.col("link_kind") != "evidence"
    totals = cells.group_by("parent_id").agg(
        (cents.sum() / 100).alias("obligated_total"),
        (cents.filter(pl.col("is_direct") & money).sum() / 100).alias("direct_total"),
        (cents.filter(~pl.col("is_direct") & money).sum() / 100).alias("indirect_total"),
        (cents.filter(pl.col("agency_code") == ICE).sum() / 100).alias("ice_total"),
        (cents.filter(pl.col("agency_code") == CBP).sum() / 100).alias("cbp_total"),
        (cents.filter(~pl.col("agency_code").is_in([ICE, CBP])).sum() / 100).alias("other_dhs_total"),
        pl.col("weighted").sum().round(2).alias("weighted_total"),
        pl.col("links").sum().alias("link_count"),
        pl.col("links").filter(~money).sum().alias("evidence_count"),
    )
    awards = (
        contributions.filter(is_money).group_by("parent_id").agg(pl.col("award_key").n_unique().alias("award_count"))
    )
    per_agency = _breakdown(cells, "agency_code", "by_agency")
    per_category = _breakdown(cells, "category", "by_category")
    per_subsidiary = _breakdown(cells, "via_firm_id", "by_subsidiary")
    zero = pl.lit(0.0)
    scored = (
        parents.join(totals, on="parent_id", how="left")
        .join(awards, on="parent_id", how="left")
        .join(per_agency, on="parent_id", how="left")
        .join(per_category, on="parent_id", how="left")
        .join(per_subsidiary, on="parent_id", how="left")
        .with_columns(
            [
                pl.col(c).fill_null(zero)
                for c in (
                    "obligated_total",
                    "direct_total",
                    "indirect_total",
                    "ice_total",
                    "cbp_total",
                    "other_dhs_total",
                    "weighted_total",
                )
            ]
            + [pl.col(c).fill_null(0).cast(pl.Int64) for c in ("link_count", "award_count", "evidence_count")]
        )
        .with_columns(score_expr(pl.col("weighted_total"), methodology).alias("score"))
        .with_columns(tier_expr(pl.col("score"), methodology).alias("tier"))
    )
    return scored.with_columns(
        pl.lit(as_of).alias("as_of"), pl.lit(methodology.version).alias("methodology_version")
    ).rename({"parent_id": "firm_id"})


def revenue_shares(
    scores: pl.LazyFrame,
    contributions: pl.LazyFrame,
    firms: pl.LazyFrame,
    methodology: Methodology,
    as_of: date,
) -> pl.LazyFrame:
    """Obligations of the 365 days to as_of as a share of annual revenue, in the ESG bands, where known.
    Only U.S.-dollar revenue is compared; other currencies are left unreported rather than converted on a guess."""
    window_start = date.fromordinal(as_of.toordinal() - 365)
    recent = (
        contributions.filter((pl.col("link_date") > window_start) & (pl.col("link_kind") != "evidence"))
        .group_by("parent_id")
        .agg((pl.col("share_cents").sum() / 100).alias("_recent"))
    )
    revenue = firms.filter(pl.col("annual_revenue").is_not_null() & (pl.col("revenue_currency") == "USD")).select(
        pl.col("firm_id").alias("parent_id"), pl.col("annual_revenue").cast(pl.Float64), "revenue_basis"
    )
    bands = sorted(methodology.revenue_bands.items(), key=lambda kv: kv[1])
    share = (pl.col("_recent").fill_null(0) / pl.col("annual_revenue") * 100).clip(lower_bound=0)
    # The highest band whose lower bound the share reaches.
    band = pl.coalesce([pl.when(share >= lower).then(pl.lit(label)) for label, lower in reversed(bands)])
    joined = revenue.join(recent, on="parent_id", how="left").select(
        pl.col("parent_id").alias("firm_id"),
        share.round(4).alias("revenue_share"),
        band.alias("revenue_band"),
        pl.col("revenue_basis"),
    )
    return scores.join(joined, on="firm_id", how="left")
