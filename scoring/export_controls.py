"""The export-control lens: which item of Canada's Export Control List (ECL) a record's goods suggest.

The rules are `scoring/methodology/export_control_rules.csv` (see the README there). They are indicative: the
goods' description suggests an ECL item, and a permit decision rests on the exact specification. Which rule
decides, first to last:

1. a product code (PSC prefix, or a PSC description when the record carries no code) whose rule has no item:
   the record is a service (maintenance, installation, transport, training, lease...) and gets no item, whatever
   its description says;
2. the record's own description (keyword rules, in file order: "STANAG 4569", "cell-site simulator", ...);
3. the product code's item (longest PSC prefix, else the first matching PSC description);
4. the vendor's industry (NAICS prefix or description), only when the record names no product at all;
5. the methodology category (documents carry a category and no product code).

Nothing matched: no item. Generic IT and software match nothing, so they carry none.
"""

from __future__ import annotations

import polars as pl

from scoring.categories import NAICS_LENGTHS, PSC_LENGTHS, _prefix_lookup
from scoring.methodology import ExportControlRule, Methodology

ECL_COLUMNS = ("ecl_rule_id", "ecl_item", "wassenaar_item", "ecl_label")
INPUTS = ("psc_code", "psc_description", "naics_code", "naics_description", "description", "category")
VETO_KINDS = ("psc_prefix", "psc_description")


def _text(column: str) -> pl.Expr:
    """Upper case, runs of whitespace as one space, blank as null: what the rules' expressions read."""
    text = pl.col(column).str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def _first_match(text: pl.Expr, rules: list[ExportControlRule]) -> pl.Expr:
    """The id of the first rule (in file order) whose expression `text` contains."""
    found = pl.lit(None, dtype=pl.String)
    for rule in reversed(rules):
        found = pl.when(text.str.contains(rule.value)).then(pl.lit(rule.rule_id)).otherwise(found)
    return found


def _deciding_rule(rules: tuple[ExportControlRule, ...]) -> pl.Expr:
    def of(kind: str) -> list[ExportControlRule]:
        return [r for r in rules if r.match_on == kind]

    psc_code, naics_code = _text("psc_code"), _text("naics_code")
    psc_description, naics_description = _text("psc_description"), _text("naics_description")
    psc = pl.coalesce(
        _prefix_lookup(psc_code, {r.value: r.rule_id for r in of("psc_prefix")}, PSC_LENGTHS),
        _first_match(psc_description, of("psc_description")),
    )
    names_no_product = psc_code.is_null() & psc_description.is_null()
    naics = pl.when(names_no_product).then(
        pl.coalesce(
            _prefix_lookup(naics_code, {r.value: r.rule_id for r in of("naics_prefix")}, NAICS_LENGTHS),
            _first_match(naics_description, of("naics_description")),
        )
    )
    keyword = _first_match(_text("description"), of("keyword"))
    category = pl.col("category").replace_strict(
        {r.value: r.rule_id for r in of("category")}, default=None, return_dtype=pl.String
    )
    vetoes = [r.rule_id for r in rules if r.ecl_item is None and r.match_on in VETO_KINDS]
    return pl.when(psc.is_in(vetoes)).then(psc).otherwise(pl.coalesce(keyword, psc, naics, category))


def export_control_items(links: pl.LazyFrame, methodology: Methodology) -> pl.LazyFrame:
    """Add `ecl_rule_id` (the rule that decided, an item or "no item"; null when none matched), `ecl_item`
    ("2-6", "1-5.A.1.j"), `wassenaar_item` ("ML6", "5.A.1.j") and `ecl_label` to each classified link."""
    rules = methodology.export_control_rules
    items = {r.rule_id: r for r in rules if r.ecl_item is not None}
    rule = pl.col("ecl_rule_id")
    # A few thousand code/description combinations cover millions of links: decide each once.
    decided = (
        links.select(INPUTS)
        .unique()
        .with_columns(_deciding_rule(rules).alias("ecl_rule_id"))
        .with_columns(
            rule.replace_strict({k: r.ecl_item for k, r in items.items()}, default=None, return_dtype=pl.String).alias(
                "ecl_item"
            ),
            rule.replace_strict(
                {k: r.wassenaar_item for k, r in items.items()}, default=None, return_dtype=pl.String
            ).alias("wassenaar_item"),
            rule.replace_strict({k: r.label for k, r in items.items()}, default=None, return_dtype=pl.String).alias(
                "ecl_label"
            ),
        )
    )
    return links.join(decided, on=list(INPUTS), how="left", nulls_equal=True)
