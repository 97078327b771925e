"""Attribute links to registry firms: by identifier first (UEI, parent UEI, DUNS, CAGE), then by exact
normalised name against the registry's aliases. A key that points at two firms attributes nothing.

Every attribution carries `matched_by` (which rule) and `matched_value` (what matched), so a profile can
say why a record was put on a firm.
"""

from __future__ import annotations

import polars as pl

from scoring.normalize import normalized_name_expr

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
    result = frame.select(firm.alias("firm_id"), rule.alias("matched_by"), value.alias("matched_value"))
    return pl.concat([links, result], how="horizontal")
