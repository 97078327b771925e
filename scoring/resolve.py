"""Attribute links to registry firms: by identifier first (UEI, parent UEI, DUNS, CAGE), then by exact
normalised name against the registry's aliases. A key that points at two firms attributes nothing.

Every attribution carries `matched_by` (which rule) and `matched_value` (what matched), so a profile can
say why a record was put on a firm.
"""

from __future__ import annotations

import polars as pl

from scoring.matching import NameMatcher
from scoring.normalize import normalized_name_expr

EXACT_NAME_CONFIDENCE = 0.97
EXACT_NAMES_ONLY = "exact"  # firms.name_matching: only an exact (normalised) name attributes to the firm
FOREIGN_OWNED_US = "FOREIGN-OWNED BUSINESS INCORPORATED IN THE U.S."
ANY_FIRM = "*"  # an "is_not" decision about every registry firm: the vendor is not Canadian-owned
FOREIGN_OWNED_ACCEPT = 0.85

# (link column, registry scheme, rule name), in priority order.
IDENTIFIER_RULES: tuple[tuple[str, str, str], ...] = (
    ("recipient_uei", "uei", "identifier:uei"),
    ("recipient_duns", "duns", "identifier:duns"),
    ("cage_code", "cage", "identifier:cage"),
    ("recipient_parent_uei", "uei", "identifier:parent_uei"),
    ("recipient_parent_duns", "duns", "identifier:parent_duns"),
)
NAME_RULES: tuple[tuple[str, str], ...] = (
    ("recipient_name", "alias:name"),
    ("recipient_parent_name", "alias:parent_name"),
)


def registry_matcher(firms: pl.LazyFrame, aliases: pl.LazyFrame) -> NameMatcher:
    """The name matcher over every registry name and alias: the one the scoring attributes records with."""
    names = pl.concat([aliases.select("firm_id", pl.col("alias").alias("name")), firms.select("firm_id", "name")])
    exact_only: list[str] = []
    if "name_matching" in firms.collect_schema().names():
        exact_only = (
            firms.filter(pl.col("name_matching") == EXACT_NAMES_ONLY).select("firm_id").collect()["firm_id"].to_list()
        )
    return NameMatcher(names.collect().iter_rows(), exact_only=exact_only)


def match_keys(firms: pl.LazyFrame, identifiers: pl.LazyFrame, aliases: pl.LazyFrame) -> pl.LazyFrame:
    """(scheme, value, firm_id) for every identifier and normalised alias (scheme "name"); a value claimed by
    two firms within a scheme is dropped, so it attributes nothing."""
    by_identifier = identifiers.select(pl.col("scheme"), pl.col("value").str.to_uppercase().alias("value"), "firm_id")
    names = pl.concat(
        [aliases.select(pl.col("alias").alias("name"), "firm_id"), firms.select("name", "firm_id")],
        how="vertical",
    )
    by_name = names.select(
        pl.lit("name").alias("scheme"), normalized_name_expr(pl.col("name")).alias("value"), "firm_id"
    )
    keys = pl.concat([by_identifier, by_name], how="vertical").drop_nulls().unique()
    return keys.filter(pl.col("firm_id").n_unique().over(["scheme", "value"]) == 1)


def attribute(links: pl.LazyFrame, keys: pl.LazyFrame) -> pl.LazyFrame:
    """Add `firm_id`, `matched_by` and `matched_value` to each link (null when nothing matched).

    The joins run on a narrow frame of the matching columns only, in the links' own order, and the three
    result columns are put beside the links: wide rows are never copied through the joins."""
    # Formats without a column (the search export has no UEI) skip its rule rather than join on nulls.
    columns = [column for column, _scheme, _rule in IDENTIFIER_RULES]
    filled = links.select([pl.col(c).is_not_null().any() for c in columns]).collect().row(0)
    rules = [rule for rule, has_values in zip(IDENTIFIER_RULES, filled, strict=True) if has_values]
    name_columns = [column for column, _rule in NAME_RULES]
    frame = links.select("firm_id_hint", *[column for column, _scheme, _rule in rules], *name_columns)
    for column in name_columns:
        # Vendor names repeat across thousands of records: normalise each distinct spelling once.
        spellings = frame.select(pl.col(column).unique().drop_nulls())
        normalised = spellings.with_columns(normalized_name_expr(pl.col(column)).alias(f"_norm_{column}"))
        frame = frame.join(normalised, on=column, how="left", maintain_order="left")
    rules += [(f"_norm_{column}", "name", rule) for column, rule in NAME_RULES]
    for index, (column, scheme, _rule) in enumerate(rules):
        lookup = keys.filter(pl.col("scheme") == scheme).select(
            pl.col("value").alias(column), pl.col("firm_id").alias(f"_firm{index}")
        )
        frame = frame.join(lookup, on=column, how="left", maintain_order="left")
    hint = pl.col("firm_id_hint")
    matched = [pl.col(f"_firm{index}").is_not_null() for index in range(len(rules))]
    firm = pl.coalesce(hint, *[pl.col(f"_firm{index}") for index in range(len(rules))])
    # The first rule that matched names the match; the value it matched on says why.
    rule = pl.coalesce(
        pl.when(hint.is_not_null()).then(pl.lit("evidence:firm")),
        *[pl.when(m).then(pl.lit(name)) for m, (_column, _scheme, name) in zip(matched, rules, strict=True)],
    )
    value = pl.coalesce(
        hint, *[pl.when(m).then(pl.col(column)) for m, (column, _scheme, _name) in zip(matched, rules, strict=True)]
    )
    confidence = (
        pl.when(rule.str.starts_with("alias")).then(pl.lit(EXACT_NAME_CONFIDENCE)).when(firm.is_not_null()).then(1.0)
    )
    result = frame.select(
        firm.alias("firm_id"),
        rule.alias("matched_by"),
        value.alias("matched_value"),
        confidence.cast(pl.Float64).alias("match_confidence"),
    )
    return pl.concat([links, result], how="horizontal")


FUZZY_RULES: tuple[tuple[str, str], ...] = (
    ("recipient_name", "fuzzy:name"),
    ("recipient_parent_name", "fuzzy:parent_name"),
)


def fuzzy_attribute(attributed: pl.DataFrame, matcher: NameMatcher) -> pl.DataFrame:
    """Names no exact rule placed, matched fuzzily: each distinct spelling once, attributed only when the
    matcher is sure (see scoring.matching); the alias it resembled becomes the matched value."""
    for column, rule in FUZZY_RULES:
        unmatched = attributed.filter(pl.col("firm_id").is_null() & pl.col(column).is_not_null())
        names = unmatched.get_column(column).unique().sort().to_list()
        # A vendor registered as foreign-owned yet incorporated in the U.S. is what a Canadian firm's U.S.
        # subsidiary looks like: for those, a strong candidate just under the threshold is enough.
        foreign_owned = set(
            unmatched.filter(pl.col("domestic_or_foreign_entity") == FOREIGN_OWNED_US)
            .get_column(column)
            .unique()
            .to_list()
        )
        accepted = []
        for m in matcher.match_many(names):
            if m.firm_id is not None and m.method == "fuzzy" and not m.features.get("look_alike"):
                accepted.append((m.query, m.firm_id, m.confidence, str(m.features.get("alias", ""))))
            elif (
                m.query in foreign_owned
                and m.candidates
                and m.candidates[0].confidence >= FOREIGN_OWNED_ACCEPT
                and not m.candidates[0].features.get("look_alike")
            ):
                top = m.candidates[0]
                rivals = [c for c in m.candidates[1:] if c.confidence >= top.confidence]
                if not rivals:
                    accepted.append((m.query, top.firm_id, top.confidence, f"{top.alias} (foreign-owned U.S. entity)"))
        if not accepted:
            continue
        found = pl.DataFrame(
            accepted, schema={column: pl.String, "_ff": pl.String, "_fc": pl.Float64, "_fa": pl.String}, orient="row"
        )
        fresh = pl.col("firm_id").is_null() & pl.col("_ff").is_not_null()
        attributed = (
            attributed.join(found, on=column, how="left", maintain_order="left")
            .with_columns(
                pl.when(fresh).then(pl.col("_ff")).otherwise(pl.col("firm_id")).alias("firm_id"),
                pl.when(fresh).then(pl.lit(rule)).otherwise(pl.col("matched_by")).alias("matched_by"),
                pl.when(fresh).then(pl.col("_fa")).otherwise(pl.col("matched_value")).alias("matched_value"),
                pl.when(fresh).then(pl.col("_fc")).otherwise(pl.col("match_confidence")).alias("match_confidence"),
            )
            .drop("_ff", "_fc", "_fa")
        )
    return attributed


def apply_overrides(attributed: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """Analysts' decisions win: "is" puts a vendor (by UEI or normalised name) on a firm; "is not" takes
    it off that firm (off every firm, for ANY_FIRM), whatever matched it."""
    if overrides.is_empty():
        return attributed
    names = attributed.select(pl.col("recipient_name").unique().drop_nulls())
    keyed = attributed.join(
        names.with_columns(normalized_name_expr(pl.col("recipient_name")).alias("_name_key")),
        on="recipient_name",
        how="left",
        maintain_order="left",
    )
    decided = overrides.select("scheme", "value", pl.col("firm_id").alias("_of"), "decision", "override_id")
    for scheme, column in (("name", "_name_key"), ("uei", "recipient_uei")):
        rules = decided.filter(pl.col("scheme") == scheme).drop("scheme")
        positive = (
            rules.filter(pl.col("decision") == "is")
            .select(pl.col("value").alias(column), pl.col("_of").alias("_is"), pl.col("override_id").alias("_is_id"))
            .unique(column, keep="last")
        )
        refusals = rules.filter(pl.col("decision") == "is_not")
        negative = (
            refusals.filter(pl.col("_of") != ANY_FIRM)
            .select(pl.col("value").alias(column), pl.col("_of").alias("firm_id"), pl.lit(True).alias("_is_not"))
            .unique([column, "firm_id"])
        )
        no_firm = (
            refusals.filter(pl.col("_of") == ANY_FIRM)
            .select(pl.col("value").alias(column), pl.lit(True).alias("_is_no_firm"))
            .unique(column)
        )
        keyed = (
            keyed.join(positive, on=column, how="left", maintain_order="left")
            .join(negative, on=[column, "firm_id"], how="left", maintain_order="left")
            .join(no_firm, on=column, how="left", maintain_order="left")
        )
        forced = pl.col("_is").is_not_null()
        no_firm_refused = pl.col("_is_no_firm").fill_null(False) & pl.col("firm_id").is_not_null()
        refused = (pl.col("_is_not").fill_null(False) | no_firm_refused) & ~forced
        keyed = keyed.with_columns(
            pl.when(forced).then(pl.col("_is")).when(refused).then(None).otherwise(pl.col("firm_id")).alias("firm_id"),
            pl.when(forced)
            .then(pl.lit("override:is"))
            .when(refused)
            .then(pl.lit("override:is_not"))
            .otherwise(pl.col("matched_by"))
            .alias("matched_by"),
            pl.when(forced)
            .then(pl.concat_str(pl.lit("override #"), pl.col("_is_id").cast(pl.String)))
            .otherwise(pl.col("matched_value"))
            .alias("matched_value"),
            pl.when(forced)
            .then(1.0)
            .when(refused)
            .then(None)
            .otherwise(pl.col("match_confidence"))
            .alias("match_confidence"),
        ).drop("_is", "_is_id", "_is_not", "_is_no_firm")
    return keyed.drop("_name_key")
