"""The exposure pipeline, pure Polars: store frames in, scores and contributions out.

    result = score(frames, load_methodology(), as_of=date(2026, 11, 1))

It imports neither DuckDB nor FastAPI; the command line reads the frames from the store and writes the
result back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from scoring.candidates import review_candidates
from scoring.categories import classify, unmapped
from scoring.export_controls import ECL_COLUMNS, export_control_items
from scoring.exposure import DHS_PREFIX, aggregate, revenue_shares, weigh
from scoring.federal import empty_candidates, empty_links, federal_contracts
from scoring.links import StoreFrames, build_links
from scoring.methodology import Methodology, load_methodology
from scoring.normalize import normalized_name_expr
from scoring.resolve import apply_overrides, attribute, fuzzy_attribute, match_keys, registry_matcher
from scoring.rollup import dated_canadian_parents

__all__ = ["Methodology", "ScoreResult", "StoreFrames", "load_methodology", "score"]

CANADA = "CAN"
# What a contribution carries from its link: the factors' inputs and what a reader needs to trace it.
CONTRIBUTION_INPUTS = [
    "link_id",
    "link_kind",
    "source_key",
    "award_key",
    "source_url",
    "firm_id",
    "matched_by",
    "matched_value",
    "match_confidence",
    "recipient_name",
    "recipient_country_code",
    "agency_code",
    "category",
    "category_source",
    "category_severity",
    "link_date",
    "is_direct",
    "amount_cents",
    "description",
    "evidence_status",
    "evidence_channel",
    "evidence_confidence",
    "evidence_channel_share",
    *ECL_COLUMNS,  # the Export Control List item the goods suggest, and the rule that said so
]
DISCOVERED_PREFIX = "can-"


@dataclass(frozen=True)
class ScoreResult:
    scores: pl.DataFrame  # one row per Canadian parent firm
    contributions: pl.DataFrame  # one row per (firm, link); sums back to the scores
    # (firm_id, parent_id, ownership_share, path, valid_from, valid_to): how each vendor rolls up, and when
    ownership_paths: pl.DataFrame
    unattributed: pl.DataFrame  # records that matched no firm, counted by kind
    unmapped_categories: pl.DataFrame  # codes and descriptions that fell to the fallback category
    discovered_firms: pl.DataFrame  # recipients located in Canada with no registry entry
    candidates: pl.DataFrame  # the review queue: unattributed vendors that may be Canadian-owned (never scored)
    # Government of Canada records put on a Canadian parent (scoring.federal), and its own review list; CAD
    federal_links: pl.DataFrame = field(default_factory=empty_links)
    federal_candidates: pl.DataFrame = field(default_factory=empty_candidates)


def in_scope(links: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """Links dated on or before as_of, placed by a DHS component."""
    return links.filter(
        pl.col("link_date").is_not_null()
        & (pl.col("link_date") <= as_of)
        & pl.col("agency_code").str.starts_with(DHS_PREFIX)
    )


def out_of_scope(links: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """What `in_scope` leaves out and why, counted so nothing is dropped silently."""
    reason = (
        pl.when(pl.col("link_date").is_null())
        .then(pl.lit("undated"))
        .when(pl.col("link_date") > as_of)
        .then(pl.lit("after as_of"))
        .otherwise(pl.lit("not a DHS agency"))
    )
    kept = in_scope(links, as_of).select("link_id")
    return (
        links.join(kept, on="link_id", how="anti")
        .group_by(pl.concat_str(pl.col("link_kind"), pl.lit(" ("), reason, pl.lit(")")).alias("link_kind"))
        .agg(pl.len().cast(pl.UInt32).alias("records"), (pl.col("amount_cents").sum() / 100).alias("amount"))
    )


def discover_canadian_recipients(attributed: pl.LazyFrame) -> pl.LazyFrame:
    """A recipient located in Canada is a Canadian firm even without a registry entry."""
    candidates = pl.col("firm_id").is_null() & (pl.col("recipient_country_code") == CANADA)
    names = (
        attributed.filter(candidates)
        .select(pl.col("recipient_name").unique().drop_nulls())
        .with_columns(
            normalized_name_expr(pl.col("recipient_name"))
            .str.to_lowercase()
            .str.replace_all(r"[^a-z0-9]+", "-")
            .alias("_slug")
        )
        .collect()
    )
    if names.is_empty():  # the usual case for bulk U.S. data: nothing to join
        return attributed
    slug = pl.col("_slug")
    unmatched_canadian = candidates & slug.is_not_null()
    return (
        attributed.join(names.lazy(), on="recipient_name", how="left")
        .with_columns(
            pl.when(unmatched_canadian)
            .then(pl.concat_str(pl.lit(DISCOVERED_PREFIX), slug))
            .otherwise(pl.col("firm_id"))
            .alias("firm_id"),
            pl.when(unmatched_canadian)
            .then(pl.lit("recipient_country:CAN"))
            .otherwise(pl.col("matched_by"))
            .alias("matched_by"),
            pl.when(unmatched_canadian)
            .then(pl.col("recipient_country_code"))
            .otherwise(pl.col("matched_value"))
            .alias("matched_value"),
            pl.when(unmatched_canadian).then(1.0).otherwise(pl.col("match_confidence")).alias("match_confidence"),
        )
        .drop("_slug")
    )


def drop_evidence_already_in_records(links: pl.LazyFrame) -> pl.LazyFrame:
    """A document about an award the same firm already has in the contract records does not count twice.
    (Evidence about an award made to someone else, such as a reseller, still counts.)"""
    money = (
        links.filter((pl.col("link_kind") != "evidence") & pl.col("award_key").is_not_null())
        .select("parent_id", "award_key")
        .unique()
    )
    evidence = links.filter(pl.col("link_kind") == "evidence").join(
        money, on=["parent_id", "award_key"], how="anti", nulls_equal=False
    )
    return pl.concat([links.filter(pl.col("link_kind") != "evidence"), evidence], how="vertical")


def evidence_at_recorded_obligations(links: pl.LazyFrame, records: pl.LazyFrame) -> pl.LazyFrame:
    """A document about an award whose obligations are in the records (a reseller's award, say) counts those
    obligations, not the "up to" ceiling it reports; an award that netted to nothing counts nothing (the
    nominal amount is for documents with no figure at all, not for figures the records contradict)."""
    obligated = (
        records.filter((pl.col("link_kind") != "evidence") & pl.col("award_key").is_not_null())
        .group_by("award_key")
        .agg(pl.col("amount_cents").sum().clip(lower_bound=0).alias("_recorded_cents"))
    )
    is_evidence = pl.col("link_kind") == "evidence"
    return (
        links.join(obligated, on="award_key", how="left", nulls_equal=False)
        .with_columns(
            pl.when(is_evidence & pl.col("_recorded_cents").is_not_null())
            .then(pl.col("_recorded_cents"))
            .otherwise(pl.col("amount_cents"))
            .alias("amount_cents"),
            (is_evidence & pl.col("_recorded_cents").is_not_null()).alias("amount_from_records"),
        )
        .drop("_recorded_cents")
    )


def score(frames: StoreFrames, methodology: Methodology, as_of: date) -> ScoreResult:
    # Collected once: attribution, the unmapped report and the out-of-scope count all read them.
    every_link = build_links(frames, as_of).collect().lazy()
    links = (
        in_scope(every_link, as_of).pipe(classify, methodology).pipe(export_control_items, methodology).collect().lazy()
    )
    keys = match_keys(frames.firms, frames.firm_identifiers, frames.firm_aliases)
    matcher = registry_matcher(frames.firms, frames.firm_aliases)
    overrides = frames.overrides.collect() if frames.overrides is not None else pl.DataFrame()
    exact = links.pipe(attribute, keys).collect()
    attributed = discover_canadian_recipients(
        apply_overrides(fuzzy_attribute(exact, matcher), overrides).lazy()
    ).collect()

    discovered = (
        attributed.filter(pl.col("matched_by") == "recipient_country:CAN")
        .group_by("firm_id")
        .agg(pl.col("recipient_name").sort().first().alias("name"))
        .with_columns(pl.lit(CANADA).alias("country_code"), pl.lit(None, dtype=pl.String).alias("listing_status"))
        .sort("firm_id")
    )
    registry = frames.firms.select("firm_id", "name", "country_code", "listing_status").collect()
    all_firms = pl.concat([registry, discovered.select(registry.columns)], how="vertical")
    # Ownership is dated per record: a link counts for a parent only if every edge of its path held that day.
    rollup = dated_canadian_parents(all_firms.lazy(), frames.ownership, methodology.default_shares).collect()
    held_on_the_day = (pl.col("valid_from").is_null() | (pl.col("link_date") >= pl.col("valid_from"))) & (
        pl.col("valid_to").is_null() | (pl.col("link_date") <= pl.col("valid_to"))
    )

    contributions = (
        attributed.lazy()
        .filter(pl.col("firm_id").is_not_null())
        .select(CONTRIBUTION_INPUTS)
        .join(rollup.lazy(), on="firm_id", how="inner")
        .filter(held_on_the_day)
        .drop("valid_from", "valid_to")
        .rename({"firm_id": "via_firm_id", "path": "ownership_path"})
        .pipe(drop_evidence_already_in_records)
        .pipe(evidence_at_recorded_obligations, links)
        .pipe(weigh, methodology, as_of)
        .collect()
    )
    names = all_firms.select(pl.col("firm_id").alias("parent_id"), pl.col("name").alias("firm_name"))
    parents = (
        rollup.filter(pl.col("firm_id") == pl.col("parent_id"))
        .select("parent_id")
        .unique()
        .join(names, on="parent_id", how="left")
        .with_columns(pl.col("parent_id").is_in(registry["firm_id"].to_list()).alias("in_registry"))
    )
    scores = (
        aggregate(contributions.lazy(), parents.lazy(), methodology, as_of)
        .pipe(revenue_shares, contributions.lazy(), frames.firms, methodology, as_of)
        .sort(["score", "firm_id"], descending=[True, False])
        .collect()
    )
    # Why a link was not scored.
    scored = contributions.select(pl.col("link_id").unique())
    scored_evidence = contributions.filter(pl.col("link_kind") == "evidence").select("link_id").unique()
    dropped_evidence = attributed.filter((pl.col("link_kind") == "evidence") & pl.col("firm_id").is_not_null()).join(
        scored_evidence, on="link_id", how="anti"
    )
    why = (
        pl.when(pl.col("firm_id").is_null())
        .then(pl.col("link_kind"))
        .when(pl.col("link_kind") == "evidence")
        .then(pl.lit("evidence (already in the firm's contract records)"))
        .otherwise(pl.concat_str(pl.col("link_kind"), pl.lit(" (matched firm had no Canadian parent on its date)")))
    )
    unrolled = (
        attributed.lazy()
        .filter((pl.col("link_kind") != "evidence") | pl.col("firm_id").is_null())
        .join(scored.lazy(), on="link_id", how="anti")
    )
    not_scored = (  # matched no firm, counted twice, or left out of scope: by kind and reason
        pl.concat([unrolled, dropped_evidence.lazy()], how="vertical")
        .group_by(why.alias("link_kind"))
        .agg(pl.len().cast(pl.UInt32).alias("records"), (pl.col("amount_cents").sum() / 100).alias("amount"))
    )
    unattributed = pl.concat([not_scored, out_of_scope(every_link, as_of)], how="vertical").sort("link_kind").collect()
    federal_links, federal_candidates = federal_contracts(
        frames.goc_vendor_totals, frames.goc_contracts, frames.firms, frames.firm_aliases, rollup.lazy(),
        spellings=frames.goc_vendor_spellings, matcher=matcher, overrides=overrides,
    )  # fmt: skip
    return ScoreResult(
        federal_links=federal_links,
        federal_candidates=federal_candidates,
        scores=scores,
        contributions=contributions,
        ownership_paths=rollup,
        unattributed=unattributed,
        unmapped_categories=unmapped(links).collect(),
        discovered_firms=discovered,
        candidates=review_candidates(
            attributed,
            matcher,
            frames.issuers.collect() if frames.issuers is not None else None,
            overrides=overrides,
            leads=frames.review_leads.collect() if frames.review_leads is not None else None,
        ),
    )
