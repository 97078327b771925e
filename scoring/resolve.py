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
    """(key, firm_id) for every identifier and normalised alias; keys claimed by two firms are dropped."""
    by_identifier = identifiers.select(
        pl.concat_str(pl.col("scheme"), pl.lit(":"), pl.col("value").str.to_uppercase()).alias("key"),
        "firm_id",
    )
    names = pl.concat(
        [aliases.select(pl.col("alias").alias("name"), "firm_id"), firms.select("name", "firm_id")],
        how="vertical",
    )
    by_name = names.select(pl.concat_str(pl.lit("name:"), normalized_name_expr(pl.col("name"))).alias("key"), "firm_id")
    keys = pl.concat([by_identifier, by_name], how="vertical").drop_nulls().unique()
    return keys.filter(pl.col("firm_id").n_unique().over("key") == 1)


def attribute(links: pl.LazyFrame, keys: pl.LazyFrame) -> pl.LazyFrame:
    """Add `firm_id`, `matched_by` and `matched_value` to each link (null when nothing matched)."""
    candidates: list[tuple[pl.Expr, str]] = [
        (pl.concat_str(pl.lit(f"{scheme}:"), pl.col(column).str.to_uppercase()), rule)
        for column, scheme, rule in IDENTIFIER_RULES
    ]
    candidates += [
        (pl.concat_str(pl.lit("name:"), normalized_name_expr(pl.col(column))), rule) for column, rule in NAME_RULES
    ]
    frame = links
    firm_columns: list[str] = []
    for index, (key_expr, _rule) in enumerate(candidates):
        key_col, firm_col = f"_key{index}", f"_firm{index}"
        frame = frame.with_columns(key_expr.alias(key_col)).join(
            keys.rename({"key": key_col, "firm_id": firm_col}), on=key_col, how="left"
        )
        firm_columns.append(firm_col)
    hint = pl.col("firm_id_hint")
    firm = pl.coalesce(hint, *[pl.col(c) for c in firm_columns])
    # The first rule that matched names the match; its key (without the scheme) is what matched.
    matched = [pl.col(f"_firm{index}").is_not_null() for index in range(len(candidates))]
    rule = pl.coalesce(
        pl.when(hint.is_not_null()).then(pl.lit("evidence:firm")),
        *[pl.when(m).then(pl.lit(name)) for m, (_key, name) in zip(matched, candidates, strict=True)],
    )
    value = pl.coalesce(
        hint,
        *[
            pl.when(m).then(pl.col(f"_key{index}").str.split_exact(":", 1).struct.field("field_1"))
            for index, m in enumerate(matched)
        ],
    )
    return frame.with_columns(
        firm.alias("firm_id"),
        rule.alias("matched_by"),
        value.alias("matched_value"),
    ).drop([c for i in range(len(candidates)) for c in (f"_key{i}", f"_firm{i}")])
