"""The Government of Canada's own contracts beside ICE exposure: which registry firms Ottawa contracts with.

The vendor names of the Government of Canada records (GoC-Spending's totals per vendor and fiscal year, and
open.canada.ca's contract rows) go through the scoring's own name resolution (`scoring.resolve`: exact
normalised aliases, then the `scoring.matching` name matcher on the same terms as U.S. vendor names, then the
analysts' overrides), and a record whose vendor is put on a registry firm rolls up to the firm's Canadian
parent as ownership stood on the record's date. Nothing here adds to a score: the values are Canadian
dollars, kept in their own columns (`*_cad`) and never added to U.S. obligations.

A name that resembles a registry firm without being put on it (a look-alike spelling, a partial resemblance)
is not attributed; it goes to its own review list (`federal_vendor_candidates`), apart from the U.S. review
queue, whose amounts are U.S. dollars.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from scoring.candidates import near_misses
from scoring.matching import NameMatcher
from scoring.resolve import apply_overrides, attribute, fuzzy_attribute, match_keys, registry_matcher

VENDOR_TOTAL, CONTRACT = "vendor_total", "contract"
NEAR_MISS = "goc_vendor_near_miss"

# One Government of Canada record, whichever file it came from.
RECORD_SCHEMA: dict[str, Any] = {
    "record": pl.String,
    "record_key": pl.String,
    "vendor_name": pl.String,
    "fiscal_year": pl.String,
    "record_date": pl.Date,
    "department": pl.String,
    "department_name": pl.String,
    "value_cad": pl.Decimal(18, 2),
    "value_constant_2019_cad": pl.Decimal(18, 2),
    "source_id": pl.Int32,
    "source_line": pl.Int64,
}
MATCH_SCHEMA: dict[str, Any] = {
    "firm_id": pl.String,
    "matched_by": pl.String,
    "matched_value": pl.String,
    "match_confidence": pl.Float64,
}
LINK_SCHEMA: dict[str, Any] = {
    "firm_id": pl.String,  # the Canadian parent
    "via_firm_id": pl.String,  # the registry firm the vendor name matched
    "ownership_path": pl.List(pl.String),
    "ownership_share": pl.Float64,
    **RECORD_SCHEMA,
    **{k: v for k, v in MATCH_SCHEMA.items() if k != "firm_id"},
}
CANDIDATE_SCHEMA: dict[str, Any] = {
    "rank": pl.UInt32,
    "vendor_name": pl.String,
    "total_cad": pl.Decimal(18, 2),
    "records": pl.UInt32,
    "fiscal_years": pl.List(pl.String),
    "reasons": pl.List(pl.String),
    "suggested_firm_id": pl.String,
}
# The columns a name resolution over link frames reads, besides the name: all empty for these records.
_LINK_NAME_COLUMNS = (
    "firm_id_hint",
    "recipient_uei",
    "recipient_duns",
    "cage_code",
    "recipient_parent_uei",
    "recipient_parent_duns",
    "recipient_parent_name",
    "domestic_or_foreign_entity",
)


def fiscal_year_end(fiscal_year: pl.Expr) -> pl.Expr:
    """March 31 of a fiscal year's second calendar year: "2021-2022" ends 2022-03-31."""
    return pl.date(fiscal_year.str.slice(5, 4).cast(pl.Int32, strict=False), 3, 31)


def _as_records(
    frame: pl.LazyFrame,
    record: str,
    key: str,
    record_date: pl.Expr,
    department: pl.Expr,
    department_name: pl.Expr,
    value_cad: str,
    value_constant_2019_cad: pl.Expr,
) -> pl.LazyFrame:
    return frame.select(
        pl.lit(record).alias("record"),
        pl.col(key).alias("record_key"),
        "vendor_name",
        "fiscal_year",
        record_date.alias("record_date"),
        department.alias("department"),
        department_name.alias("department_name"),
        pl.col(value_cad).alias("value_cad"),
        value_constant_2019_cad.alias("value_constant_2019_cad"),
        "source_id",
        "source_line",
    )


def vendor_records(totals: pl.LazyFrame | None, contracts: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The vendor totals (goc_vendor_totals) and contract rows (goc_contracts) as one frame of records."""
    frames = [pl.DataFrame(schema=RECORD_SCHEMA).lazy()]
    year_end = fiscal_year_end(pl.col("fiscal_year"))
    if totals is not None:
        frames.append(
            _as_records(
                totals,
                VENDOR_TOTAL,
                "vendor_total_key",
                year_end,
                pl.lit(None),
                pl.lit(None),
                "total_cad",
                pl.col("total_constant_2019_cad"),
            )
        )
    if contracts is not None:
        frames.append(
            _as_records(
                contracts,
                CONTRACT,
                "contract_key",
                pl.coalesce(pl.col("contract_date"), year_end),
                pl.col("owner_org"),
                pl.col("owner_org_title"),
                "contract_value",
                pl.lit(None),
            )
        )
    conformed = [f.select([pl.col(c).cast(t) for c, t in RECORD_SCHEMA.items()]) for f in frames]
    return pl.concat(conformed, how="vertical")


def resolve_vendor_names(
    names: list[str], keys: pl.LazyFrame, matcher: NameMatcher, overrides: pl.DataFrame | None = None
) -> pl.DataFrame:
    """(vendor_name, firm_id, matched_by, matched_value, match_confidence) for each distinct name, resolved
    exactly as the scoring resolves a U.S. vendor's name: `attribute` (exact normalised alias), then
    `fuzzy_attribute` (the matcher, look-alikes refused), then the analysts' overrides."""
    frame = pl.DataFrame({"recipient_name": names}, schema={"recipient_name": pl.String}).with_columns(
        [pl.lit(None, dtype=pl.String).alias(column) for column in _LINK_NAME_COLUMNS]
    )
    exact = frame.lazy().pipe(attribute, keys).collect()
    resolved = apply_overrides(fuzzy_attribute(exact, matcher), overrides if overrides is not None else pl.DataFrame())
    return resolved.select(
        pl.col("recipient_name").alias("vendor_name"), *[pl.col(c).cast(t) for c, t in MATCH_SCHEMA.items()]
    )


def match_federal_vendors(
    records: pl.LazyFrame,
    firms: pl.LazyFrame,
    aliases: pl.LazyFrame,
    *,
    matcher: NameMatcher | None = None,
    overrides: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Each record (see `vendor_records`; the totals frame's columns will do) with `firm_id`, `matched_by`,
    `matched_value` and `match_confidence`, all null where its vendor name is put on no registry firm.
    Each distinct vendor name is resolved once."""
    if "record" not in records.collect_schema().names():
        records = vendor_records(records)
    names = records.select(pl.col("vendor_name").unique().drop_nulls().sort()).collect()["vendor_name"].to_list()
    no_identifiers = pl.DataFrame(schema={"firm_id": pl.String, "scheme": pl.String, "value": pl.String}).lazy()
    keys = match_keys(firms, no_identifiers, aliases)
    resolved = resolve_vendor_names(names, keys, matcher or registry_matcher(firms, aliases), overrides)
    return records.join(resolved.lazy(), on="vendor_name", how="left", maintain_order="left")


def roll_up(matched: pl.LazyFrame, rollup: pl.LazyFrame) -> pl.LazyFrame:
    """Matched records on their Canadian parents: a record counts for a parent only if every ownership edge
    of the path held on its date (`rollup` is `scoring.rollup.dated_canadian_parents`)."""
    held = (pl.col("valid_from").is_null() | (pl.col("record_date") >= pl.col("valid_from"))) & (
        pl.col("valid_to").is_null() | (pl.col("record_date") <= pl.col("valid_to"))
    )
    return (
        matched.filter(pl.col("firm_id").is_not_null())
        .rename({"firm_id": "via_firm_id"})
        .join(rollup.rename({"firm_id": "via_firm_id"}), on="via_firm_id", how="inner")
        .filter(held)
        .select(
            pl.col("parent_id").alias("firm_id"),
            "via_firm_id",
            pl.col("path").alias("ownership_path"),
            "ownership_share",
            *[c for c in LINK_SCHEMA if c not in ("firm_id", "via_firm_id", "ownership_path", "ownership_share")],
        )
        .select([pl.col(c).cast(t) for c, t in LINK_SCHEMA.items()])
        .sort(["firm_id", "record", "fiscal_year", "vendor_name", "record_key"])
    )


def federal_vendor_candidates(matched: pl.DataFrame, matcher: NameMatcher) -> pl.DataFrame:
    """Vendor names put on no firm that resemble a registry firm, most Canadian dollars first. The dollars are
    the names' vendor totals (contract rows repeat a contract's value in each amendment, so are not summed)."""
    open_names = matched.filter(pl.col("firm_id").is_null() & pl.col("vendor_name").is_not_null())
    if open_names.is_empty():
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    names = open_names["vendor_name"].unique().sort().to_list()
    near = near_misses(matcher, names, reason=NEAR_MISS)
    reasons = pl.DataFrame(
        [(name, firm, reason) for name, (firm, reason) in near.items()],
        schema={"vendor_name": pl.String, "suggested_firm_id": pl.String, "_reason": pl.String},
        orient="row",
    )
    totals = pl.when(pl.col("record") == VENDOR_TOTAL).then(pl.col("value_cad"))
    return (
        open_names.join(reasons, on="vendor_name", how="inner")
        .group_by("vendor_name")
        .agg(
            totals.sum().fill_null(0).alias("total_cad"),
            pl.len().alias("records"),
            pl.col("fiscal_year").unique().sort().alias("fiscal_years"),
            pl.concat_list(pl.col("_reason").first()).alias("reasons"),
            pl.col("suggested_firm_id").first(),
        )
        .sort(["total_cad", "vendor_name"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])
    )


def federal_contracts(
    totals: pl.LazyFrame | None,
    contracts: pl.LazyFrame | None,
    firms: pl.LazyFrame,
    aliases: pl.LazyFrame,
    rollup: pl.LazyFrame,
    *,
    matcher: NameMatcher | None = None,
    overrides: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The step `scoring.score` runs: (links of the records put on a Canadian parent, the review list)."""
    records = vendor_records(totals, contracts)
    matcher = matcher or registry_matcher(firms, aliases)
    matched = match_federal_vendors(records, firms, aliases, matcher=matcher, overrides=overrides).collect()
    return roll_up(matched.lazy(), rollup).collect(), federal_vendor_candidates(matched, matcher)


def empty_links() -> pl.DataFrame:
    return pl.DataFrame(schema=LINK_SCHEMA)


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


__all__ = [
    "CONTRACT",
    "NEAR_MISS",
    "VENDOR_TOTAL",
    "federal_contracts",
    "federal_vendor_candidates",
    "fiscal_year_end",
    "match_federal_vendors",
    "resolve_vendor_names",
    "roll_up",
    "vendor_records",
]
