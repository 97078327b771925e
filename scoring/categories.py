"""What was sold: PSC and NAICS codes, or their descriptions where a format carries only those, to a
category and its severity. A record's own description naming surveillance, investigative data, licence-plate
readers, intercept, detention or removal wins first (a generic IT product code does not say what the data is
for); then codes (longest prefix wins), then code descriptions, then the fallback."""

from __future__ import annotations

import polars as pl

from scoring.methodology import Methodology

PSC_LENGTHS = (4, 3, 2, 1)
NAICS_LENGTHS = (6, 5, 4, 3, 2)


def _prefix_lookup(code: pl.Expr, rules: dict[str, str], lengths: tuple[int, ...]) -> pl.Expr:
    """The category of the longest rule prefix of `code`."""
    by_length: dict[int, dict[str, str]] = {}
    for prefix, category in rules.items():
        by_length.setdefault(len(prefix), {})[prefix] = category
    lookups = [
        code.str.slice(0, n).replace_strict(by_length[n], default=None, return_dtype=pl.String)
        for n in lengths
        if n in by_length
    ]
    return pl.coalesce(lookups) if lookups else pl.lit(None, dtype=pl.String)


def _description_lookup(text: pl.Expr, rules: dict[str, str]) -> pl.Expr:
    normalized = text.str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return normalized.replace_strict(rules, default=None, return_dtype=pl.String)


def _keyword_lookup(text: pl.Expr, rules: tuple[tuple[str, str], ...]) -> pl.Expr:
    if not rules:
        return pl.lit(None, dtype=pl.String)
    upper = text.str.to_uppercase()
    found = pl.lit(None, dtype=pl.String)
    for pattern, category in reversed(rules):  # the first rule that matches wins
        found = pl.when(upper.str.contains(pattern)).then(pl.lit(category)).otherwise(found)
    return found


def classify(links: pl.LazyFrame, methodology: Methodology) -> pl.LazyFrame:
    """Add `category`, `category_source` and `category_severity` to each link."""
    psc_desc = {d: c for (scheme, d), c in methodology.description_rules.items() if scheme == "psc"}
    naics_desc = {d: c for (scheme, d), c in methodology.description_rules.items() if scheme == "naics"}
    psc_code = pl.col("psc_code").str.to_uppercase().str.strip_chars()
    naics_code = pl.col("naics_code").str.strip_chars()
    candidates = [
        ("evidence", pl.col("evidence_category")),
        ("description_keyword", _keyword_lookup(pl.col("description"), methodology.keyword_rules)),
        ("psc_code", _prefix_lookup(psc_code, methodology.psc_rules, PSC_LENGTHS)),
        ("psc_description", _description_lookup(pl.col("psc_description"), psc_desc)),
        ("naics_code", _prefix_lookup(naics_code, methodology.naics_rules, NAICS_LENGTHS)),
        ("naics_description", _description_lookup(pl.col("naics_description"), naics_desc)),
    ]
    # A few hundred distinct code/description combinations cover millions of links: classify each once.
    inputs = ["evidence_category", "description", "psc_code", "psc_description", "naics_code", "naics_description"]
    combos = links.select(inputs).unique()
    frame = combos.with_columns([expr.alias(f"_cat_{name}") for name, expr in candidates])
    category = pl.coalesce([pl.col(f"_cat_{name}") for name, _ in candidates])
    source = pl.coalesce([pl.when(pl.col(f"_cat_{name}").is_not_null()).then(pl.lit(name)) for name, _ in candidates])
    severities = {c.category: c.severity for c in methodology.categories.values()}
    fallback = methodology.fallback_category
    classified = (
        frame.with_columns(
            category.fill_null(fallback).alias("category"),
            source.fill_null("fallback").alias("category_source"),
        )
        .with_columns(
            pl.col("category")
            .replace_strict(severities, default=severities[fallback], return_dtype=pl.Float64)
            .alias("category_severity")
        )
        .drop([f"_cat_{name}" for name, _ in candidates])
    )
    return links.join(classified, on=inputs, how="left", nulls_equal=True)


def unmapped(links: pl.LazyFrame) -> pl.LazyFrame:
    """The codes and descriptions that fell through to the fallback, with their dollars: what to map next."""
    return (
        links.filter(
            (pl.col("category_source") == "fallback")
            # A record with no code and no description at all cannot be mapped; it is not a gap in the tables.
            & pl.any_horizontal(
                pl.col(c).is_not_null() for c in ("psc_code", "psc_description", "naics_code", "naics_description")
            )
        )
        .group_by(["psc_code", "psc_description", "naics_code", "naics_description"])
        .agg(pl.len().alias("links"), pl.col("amount_cents").sum().alias("amount_cents"))
        .sort("amount_cents", descending=True)
    )
