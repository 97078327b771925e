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

GoC-Spending's totals are per *normalised* vendor name, a group of raw spellings (its vendor normalisation,
`goc_vendor_spellings`). A group may hold a business the firm bought later: its MICRO FOCUS and ATTACHMATE
spellings are grouped under OPENTEXT for fiscal years before OpenText bought Micro Focus (2023-01-31). So a
year's total is put on a firm only if every spelling of its group that the registry knows is the firm's, or
a firm it owned throughout that fiscal year; a spelling the registry puts on another business that year (or
that an analyst ruled out) sends the year's total to the review list instead, naming the spellings. Without
the normalisation loaded a total cannot be checked, and goes to the review list saying so. A total whose
firm changed hands during the fiscal year (ownership held on some of its days only) is reviewed too.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from scoring.candidates import near_misses
from scoring.matching import NameMatcher
from scoring.resolve import apply_overrides, attribute, fuzzy_attribute, match_keys, registry_matcher

VENDOR_TOTAL, CONTRACT = "vendor_total", "contract"
NEAR_MISS = "goc_vendor_near_miss"
GROUP_MEMBER_NOT_OWNED = "goc_group_member_not_owned"
GROUPS_NOT_LOADED = "goc_spelling_groups_not_loaded"
OWNED_PART_OF_YEAR = "goc_owned_part_of_fiscal_year"
SPELLINGS_FILE = "goc_contracts_vendor_normalization.csv"

# One Government of Canada record, whichever file it came from.
RECORD_SCHEMA: dict[str, Any] = {
    "record": pl.String,
    "record_key": pl.String,
    "vendor_name": pl.String,
    "fiscal_year": pl.String,
    "record_date": pl.Date,
    "period_start": pl.Date,  # the fiscal year's first day for a total; the record date for a contract row
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
    **{k: v for k, v in RECORD_SCHEMA.items() if k != "period_start"},
    **{k: v for k, v in MATCH_SCHEMA.items() if k != "firm_id"},
    # The spellings of a total's GoC-Spending group that the registry puts on no firm: shown, not confirmed.
    "unverified_spellings": pl.List(pl.String),
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


def fiscal_year_start(fiscal_year: pl.Expr) -> pl.Expr:
    """April 1 of a fiscal year's first calendar year: "2021-2022" starts 2021-04-01."""
    return pl.date(fiscal_year.str.slice(0, 4).cast(pl.Int32, strict=False), 4, 1)


def _as_records(
    frame: pl.LazyFrame,
    record: str,
    key: str,
    record_date: pl.Expr,
    period_start: pl.Expr,
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
        period_start.alias("period_start"),
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
                fiscal_year_start(pl.col("fiscal_year")),
                pl.lit(None),
                pl.lit(None),
                "total_cad",
                pl.col("total_constant_2019_cad"),
            )
        )
    if contracts is not None:
        contract_date = pl.coalesce(pl.col("contract_date"), year_end)
        frames.append(
            _as_records(
                contracts,
                CONTRACT,
                "contract_key",
                contract_date,
                contract_date,
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


class VendorResolver:
    """Resolves Government of Canada vendor spellings to registry firms, each distinct name once, exactly as
    the scoring resolves U.S. vendor names (see `resolve_vendor_names`)."""

    def __init__(
        self,
        firms: pl.LazyFrame,
        aliases: pl.LazyFrame,
        matcher: NameMatcher | None = None,
        overrides: pl.DataFrame | None = None,
    ) -> None:
        no_identifiers = pl.DataFrame(schema={"firm_id": pl.String, "scheme": pl.String, "value": pl.String}).lazy()
        self.keys = match_keys(firms, no_identifiers, aliases)
        self.matcher = matcher or registry_matcher(firms, aliases)
        self.overrides = overrides

    def resolve(self, names: pl.Series | list[str]) -> pl.DataFrame:
        distinct = pl.Series("vendor_name", names, dtype=pl.String).drop_nulls().unique().sort().to_list()
        return resolve_vendor_names(distinct, self.keys, self.matcher, self.overrides)


def match_federal_vendors(
    records: pl.LazyFrame,
    firms: pl.LazyFrame,
    aliases: pl.LazyFrame,
    *,
    matcher: NameMatcher | None = None,
    overrides: pl.DataFrame | None = None,
    resolver: VendorResolver | None = None,
) -> pl.LazyFrame:
    """Each record (see `vendor_records`; the totals frame's columns will do) with `firm_id`, `matched_by`,
    `matched_value` and `match_confidence`, all null where its vendor name is put on no registry firm.
    Each distinct vendor name is resolved once."""
    if "record" not in records.collect_schema().names():
        records = vendor_records(records)
    resolver = resolver or VendorResolver(firms, aliases, matcher, overrides)
    resolved = resolver.resolve(records.select("vendor_name").collect()["vendor_name"])
    return records.join(resolved.lazy(), on="vendor_name", how="left", maintain_order="left")


def _held_throughout() -> pl.Expr:
    """Every ownership edge of the path held from the record's period start to its date."""
    return (pl.col("valid_from").is_null() | (pl.col("period_start") >= pl.col("valid_from"))) & (
        pl.col("valid_to").is_null() | (pl.col("record_date") <= pl.col("valid_to"))
    )


def roll_up(matched: pl.LazyFrame, rollup: pl.LazyFrame) -> pl.LazyFrame:
    """Matched records on their Canadian parents: a record counts for a parent only if every ownership edge
    of the path held on its date, and for a fiscal year's total on every day of the year (`rollup` is
    `scoring.rollup.dated_canadian_parents`)."""
    if "period_start" not in matched.collect_schema().names():
        matched = matched.with_columns(pl.col("record_date").alias("period_start"))
    held = _held_throughout()
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
            *[
                c
                for c in LINK_SCHEMA
                if c not in ("firm_id", "via_firm_id", "ownership_path", "ownership_share", "unverified_spellings")
            ],
            pl.lit([], dtype=pl.List(pl.String)).alias("unverified_spellings"),
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
    return _ranked(open_names.join(reasons, on="vendor_name", how="inner"))


def _ranked(reviewed: pl.DataFrame) -> pl.DataFrame:
    """One review row per vendor name (records with `_reason` and `suggested_firm_id`), most dollars first."""
    totals = pl.when(pl.col("record") == VENDOR_TOTAL).then(pl.col("value_cad"))
    return (
        reviewed.group_by("vendor_name")
        .agg(
            totals.sum().fill_null(0).alias("total_cad"),
            pl.len().alias("records"),
            pl.col("fiscal_year").unique().sort().alias("fiscal_years"),
            pl.col("_reason").unique(maintain_order=True).alias("reasons"),
            pl.col("suggested_firm_id").first(),
        )
        .sort(["total_cad", "vendor_name"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])
    )


def _listed(values: list[str], most: int = 6) -> str:
    shown = ", ".join(values[:most])
    return shown if len(values) <= most else f"{shown} and {len(values) - most} more"


def _parents_throughout(frame: pl.DataFrame, firm: str, rollup: pl.LazyFrame) -> pl.DataFrame:
    """`frame`'s rows (with `period_start`, `record_date` and a firm column) joined to the Canadian parents
    that owned that firm on every day of the record's period."""
    paths = rollup.select(pl.col("firm_id").alias(firm), "parent_id", "valid_from", "valid_to").collect()
    return frame.join(paths, on=firm, how="inner").filter(_held_throughout()).drop("valid_from", "valid_to")


UNVERIFIED_SCHEMA: dict[str, Any] = {"record_key": pl.String, "unverified_spellings": pl.List(pl.String)}


def unverified_spellings(members: pl.DataFrame) -> pl.DataFrame:
    """(record_key, unverified_spellings): the spellings of each total's group the registry puts on no firm,
    so that a reader sees what GoC-Spending's grouping adds that nothing here confirms."""
    if members.is_empty():
        return pl.DataFrame(schema=UNVERIFIED_SCHEMA)
    open_members = members.filter(pl.col("member_firm").is_null() & pl.col("matched_by").ne_missing("override:is_not"))
    return open_members.group_by("record_key").agg(pl.col("spelling").unique().sort().alias("unverified_spellings"))


def group_members(matched: pl.DataFrame, spellings: pl.DataFrame, resolver: VendorResolver) -> pl.DataFrame:
    """Each vendor total put on a firm, once per spelling of its group, with the firm the spelling resolves to."""
    totals = matched.filter((pl.col("record") == VENDOR_TOTAL) & pl.col("firm_id").is_not_null())
    years = totals.select("record_key", "vendor_name", "fiscal_year", "period_start", "record_date", "firm_id")
    members = years.rename({"vendor_name": "group_name", "firm_id": "group_firm"}).join(
        spellings.select("group_name", "spelling").unique(), on="group_name", how="inner"
    )
    resolved = resolver.resolve(members["spelling"]).select(
        pl.col("vendor_name").alias("spelling"), pl.col("firm_id").alias("member_firm"), "matched_by"
    )
    return members.join(resolved, on="spelling", how="left").sort("record_key", "spelling")


def spelling_group_reviews(matched: pl.DataFrame, members: pl.DataFrame | None, rollup: pl.LazyFrame) -> pl.DataFrame:
    """The vendor totals put on a firm that cannot be shown to be the firm's alone: (`record_key`, `_reason`).
    `members` is `group_members`, None when no spelling groups are loaded.

    - no spelling groups loaded: the total cannot be checked;
    - a spelling of the total's group is put by the registry on a business the firm's Canadian parent did not
      own throughout the fiscal year (or an analyst ruled the spelling out of the firm it matched);
    - the firm itself was owned by its Canadian parent on some days of the year only.
    """
    totals = matched.filter((pl.col("record") == VENDOR_TOTAL) & pl.col("firm_id").is_not_null())
    reviews = pl.DataFrame(schema={"record_key": pl.String, "_reason": pl.String})
    if totals.is_empty():
        return reviews
    if members is None:
        return totals.select(
            "record_key",
            pl.format(
                "{}: GoC-Spending's totals group spellings; load its vendor normalisation ({}) so that each "
                "spelling in this total is checked against {}'s dated ownership",
                pl.lit(GROUPS_NOT_LOADED),
                pl.lit(SPELLINGS_FILE),
                pl.col("firm_id"),
            ).alias("_reason"),
        )
    group_parents = _parents_throughout(
        members.select("record_key", "group_firm", "period_start", "record_date").unique(), "group_firm", rollup
    )
    member_parents = _parents_throughout(
        members.filter(pl.col("member_firm").is_not_null()).select(
            "record_key", "spelling", "member_firm", "period_start", "record_date"
        ),
        "member_firm",
        rollup,
    )
    belonging = member_parents.join(
        group_parents.select("record_key", "parent_id"), on=["record_key", "parent_id"], how="semi"
    ).select("record_key", "spelling")
    another_business = (pl.col("member_firm").is_not_null() & (pl.col("member_firm") != pl.col("group_firm"))) | (
        pl.col("matched_by") == "override:is_not"
    )
    blocking = members.filter(another_business).join(belonging, on=["record_key", "spelling"], how="anti")
    if not blocking.is_empty():
        described = blocking.group_by("record_key", maintain_order=True).agg(
            pl.col("group_name").first(),
            pl.col("group_firm").first(),
            pl.col("fiscal_year").first(),
            pl.col("spelling").unique().sort(),
            pl.col("member_firm").drop_nulls().unique().sort(),
        )
        stems = [
            f"{GROUP_MEMBER_NOT_OWNED}: GoC-Spending groups {_listed(row['spelling'])} under {row['group_name']}; "
            + (f"the registry puts them on {_listed(row['member_firm'])}" if row["member_firm"] else "an analyst ruled")
            + (" out" if not row["member_firm"] else "")
            + f", not owned by {row['group_firm']}'s Canadian parent throughout fiscal year"
            for row in described.iter_rows(named=True)
        ]
        # One reason per group and stem, naming every fiscal year it holds back.
        stemmed = described.with_columns(pl.Series("_stem", stems, dtype=pl.String))
        years = stemmed.group_by("group_name", "_stem").agg(pl.col("fiscal_year").unique().sort().alias("_years"))
        reasons = stemmed.join(years, on=["group_name", "_stem"], how="left").select(
            "record_key",
            pl.concat_str(
                pl.col("_stem"),
                pl.when(pl.col("_years").list.len() > 1).then(pl.lit("s ")).otherwise(pl.lit(" ")),
                pl.col("_years").list.join(", "),
            ).alias("_reason"),
        )
        reviews = pl.concat([reviews, reasons])
    # The firm itself: owned on some days of the year (a path's period overlaps it) but not on all of them.
    checked = totals.join(reviews, on="record_key", how="anti")
    throughout = _parents_throughout(checked, "firm_id", rollup).select("record_key").unique()
    paths = rollup.select("firm_id", "valid_from", "valid_to").collect()
    overlapping = (
        checked.join(throughout, on="record_key", how="anti")
        .join(paths, on="firm_id", how="inner")
        .filter(
            (pl.col("valid_from").is_null() | (pl.col("valid_from") <= pl.col("record_date")))
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("period_start")))
        )
        .select(
            "record_key",
            pl.format(
                "{}: {}'s ownership by its Canadian parent began or ended during {}; "
                "a year's total is not split by date",
                pl.lit(OWNED_PART_OF_YEAR),
                pl.col("firm_id"),
                pl.col("fiscal_year"),
            ).alias("_reason"),
        )
        .unique("record_key", keep="first", maintain_order=True)
    )
    return pl.concat([reviews, overlapping])


def federal_contracts(
    totals: pl.LazyFrame | None,
    contracts: pl.LazyFrame | None,
    firms: pl.LazyFrame,
    aliases: pl.LazyFrame,
    rollup: pl.LazyFrame,
    *,
    spellings: pl.LazyFrame | None = None,
    matcher: NameMatcher | None = None,
    overrides: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The step `scoring.score` runs: (links of the records put on a Canadian parent, the review list)."""
    records = vendor_records(totals, contracts)
    resolver = VendorResolver(firms, aliases, matcher, overrides)
    matched = match_federal_vendors(records, firms, aliases, resolver=resolver).collect()
    groups = spellings.collect() if spellings is not None else None
    members = group_members(matched, groups, resolver) if groups is not None and not groups.is_empty() else None
    held_back = spelling_group_reviews(matched, members, rollup)
    links = (
        roll_up(matched.join(held_back, on="record_key", how="anti").lazy(), rollup)
        .drop("unverified_spellings")
        .join(
            unverified_spellings(members if members is not None else pl.DataFrame()).lazy(),
            on="record_key",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.col("unverified_spellings").fill_null([]))
        .select(list(LINK_SCHEMA))
        .collect()
    )
    reviewed = matched.join(held_back, on="record_key", how="inner").with_columns(
        pl.col("firm_id").alias("suggested_firm_id")
    )
    near = federal_vendor_candidates(matched, resolver.matcher)
    near_rows = matched.join(
        near.select("vendor_name", pl.col("reasons").list.first().alias("_reason"), "suggested_firm_id"),
        on="vendor_name",
        how="inner",
    )
    columns = [*RECORD_SCHEMA, "_reason", "suggested_firm_id"]
    queue = _ranked(pl.concat([near_rows.select(columns), reviewed.select(columns)], how="vertical"))
    return links, queue


def empty_links() -> pl.DataFrame:
    return pl.DataFrame(schema=LINK_SCHEMA)


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


__all__ = [
    "CONTRACT",
    "GROUPS_NOT_LOADED",
    "GROUP_MEMBER_NOT_OWNED",
    "NEAR_MISS",
    "OWNED_PART_OF_YEAR",
    "VENDOR_TOTAL",
    "VendorResolver",
    "federal_contracts",
    "federal_vendor_candidates",
    "fiscal_year_end",
    "match_federal_vendors",
    "resolve_vendor_names",
    "roll_up",
    "spelling_group_reviews",
    "vendor_records",
]
