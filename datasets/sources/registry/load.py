"""The project's own curated formats: the DHS agency list, firms, aliases, identifiers, ownership and key awards.

Every row carries the public URL it was taken from; rows that do not are quarantined.
"""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta
from datasets.sql import (
    check_date,
    check_fraction,
    check_in,
    check_known_firm,
    check_money,
    check_required,
    date,
    fraction,
    integer,
    money,
    text,
    upper_text,
)

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))

IDENTIFIER_SCHEMES = ("ticker", "isin", "lei", "bn", "uei", "duns", "cage", "sec_cik", "cusip")
# joint_venture_8a: an SBA 8(a) joint venture, where the 8(a) partner holds at least 51 % (13 CFR 124.513)
RELATIONS = ("wholly_owned", "majority", "minority", "joint_venture", "joint_venture_8a", "consolidated")
CONFIDENCE = ("high", "medium", "low")


def _columns(*names: str) -> tuple[tuple[str, ...], ...]:
    return tuple((n,) for n in names)


AGENCIES = Kind(
    name="registry_agencies",
    description="exposure-screen agency list (agency_code, name, level, parent_code)",
    table="agencies",
    key="agency_code",
    required=_columns("agency_code", "name", "abbreviation", "level", "parent_code", "active", "source_url"),
    fields=(
        ("agency_code", text("agency_code")),
        ("name", text("name")),
        ("abbreviation", text("abbreviation")),
        ("level", f"lower({text('level')})"),
        ("parent_code", text("parent_code")),
        ("active", f"lower(coalesce({text('active')}, 'true')) IN ('true', 't', '1', 'yes')"),
        ("source_url", text("source_url")),
    ),
    checks=(
        check_required("agency_code"),
        check_required("name"),
        check_in("level", ("department", "subtier")),
        check_required("source_url"),
    ),
    known_columns=tuple(["agency_code", "name", "abbreviation", "level", "parent_code", "active", "source_url"]),
    meta=META,
    source_kind_column=False,
)

FIRMS = Kind(
    name="registry_firms",
    description="exposure-screen firm registry (firm_id, name, country_code, ...)",
    table="firms",
    key="firm_id",
    required=_columns("firm_id", "name", "country_code", "province", "listing_status", "source_url"),
    fields=(
        ("firm_id", f"lower({text('firm_id')})"),
        ("name", text("name")),
        ("country_code", upper_text("country_code")),
        ("province", upper_text("province")),
        ("city", text("city")),
        ("listing_status", f"lower({text('listing_status')})"),
        ("annual_revenue", money("annual_revenue")),
        ("revenue_currency", upper_text("revenue_currency")),
        ("revenue_year", integer("revenue_year")),
        ("revenue_basis", f"lower({text('revenue_basis')})"),
        ("description", text("description")),
        ("source_url", text("source_url")),
        ("source_publisher", text("source_publisher")),
    ),
    checks=(
        check_required("firm_id"),
        (
            f"NOT regexp_matches(lower({text('firm_id')}), '^[a-z0-9][a-z0-9-]*$')",
            "'firm_id must be a lowercase slug [a-z0-9-], got: ' || \"firm_id\"",
        ),
        check_required("name"),
        check_money("annual_revenue"),
        check_in("revenue_basis", ("actual", "estimated"), required=False),
        check_required("source_url"),
    ),
    known_columns=tuple(
        [
            "firm_id",
            "name",
            "country_code",
            "province",
            "city",
            "listing_status",
            "annual_revenue",
            "revenue_currency",
            "revenue_year",
            "revenue_basis",
            "description",
            "source_url",
            "source_publisher",
        ]
    ),
    meta=META,
    source_kind_column=False,
)

ALIASES = Kind(
    name="registry_aliases",
    description="exposure-screen firm aliases (firm_id, alias, language, alias_kind)",
    table="firm_aliases",
    key="alias_key",
    required=_columns("firm_id", "alias", "language", "alias_kind", "source_url"),
    fields=(
        ("alias_key", f"lower({text('firm_id')}) || '|' || {text('alias')}"),
        ("firm_id", f"lower({text('firm_id')})"),
        ("alias", text("alias")),
        ("language", f"lower({text('language')})"),
        ("alias_kind", f"lower({text('alias_kind')})"),
        ("source_url", text("source_url")),
    ),
    checks=(
        check_required("firm_id"),
        check_required("alias"),
        check_known_firm("firm_id"),
        check_required("source_url"),
    ),
    known_columns=tuple(["firm_id", "alias", "language", "alias_kind", "source_url"]),
    meta=META,
    source_kind_column=False,
)

IDENTIFIERS = Kind(
    name="registry_identifiers",
    description="exposure-screen firm identifiers (firm_id, scheme, value, exchange)",
    table="firm_identifiers",
    key="identifier_key",
    required=_columns("firm_id", "scheme", "value", "exchange", "source_url"),
    fields=(
        (
            "identifier_key",
            f"lower({text('scheme')}) || '|' || {upper_text('value')} || '|' || coalesce({upper_text('exchange')}, '')",
        ),
        ("firm_id", f"lower({text('firm_id')})"),
        ("scheme", f"lower({text('scheme')})"),
        ("value", upper_text("value")),
        ("exchange", upper_text("exchange")),
        ("source_url", text("source_url")),
    ),
    checks=(
        check_required("firm_id"),
        check_known_firm("firm_id"),
        check_in("scheme", IDENTIFIER_SCHEMES),
        check_required("value"),
        check_required("source_url"),
    ),
    known_columns=tuple(["firm_id", "scheme", "value", "exchange", "source_url"]),
    meta=META,
    source_kind_column=False,
)

OWNERSHIP = Kind(
    name="registry_ownership",
    description="exposure-screen ownership edges (child_firm_id, parent_firm_id, share, relation)",
    table="ownership",
    key="ownership_key",
    required=_columns("child_firm_id", "parent_firm_id", "share", "relation", "valid_from", "valid_to", "source_url"),
    fields=(
        (
            "ownership_key",
            f"lower({text('child_firm_id')}) || '|' || lower({text('parent_firm_id')}) || '|' || "
            f"coalesce(CAST({date('valid_from')} AS VARCHAR), '')",
        ),
        ("child_firm_id", f"lower({text('child_firm_id')})"),
        ("parent_firm_id", f"lower({text('parent_firm_id')})"),
        ("share", fraction("share")),
        ("relation", f"lower({text('relation')})"),
        ("valid_from", date("valid_from")),
        ("valid_to", date("valid_to")),
        ("source_url", text("source_url")),
        ("source_publisher", text("source_publisher")),
        ("confidence", f"lower({text('confidence')})"),
    ),
    checks=(
        check_required("child_firm_id"),
        check_required("parent_firm_id"),
        check_known_firm("child_firm_id"),
        check_known_firm("parent_firm_id"),
        (
            f"lower({text('child_firm_id')}) = lower({text('parent_firm_id')})",
            "'a firm cannot own itself: ' || \"child_firm_id\"",
        ),
        check_fraction("share"),
        check_in("relation", RELATIONS),
        check_date("valid_from"),
        check_date("valid_to"),
        check_in("confidence", CONFIDENCE, required=False),
        check_required("source_url"),
    ),
    known_columns=tuple(
        [
            "child_firm_id",
            "parent_firm_id",
            "share",
            "relation",
            "valid_from",
            "valid_to",
            "source_url",
            "source_publisher",
            "confidence",
        ]
    ),
    meta=META,
    source_kind_column=False,
)

KEY_AWARDS = Kind(
    name="registry_key_awards",
    description="exposure-screen key contract awards (contract_award_unique_key, obligated_amount, ...)",
    table="awards",
    key="contract_award_unique_key",
    required=_columns(
        "contract_award_unique_key",
        "award_id_piid",
        "recipient_name",
        "awarding_sub_agency_code",
        "obligated_amount",
        "amount_basis",
        "first_action_date",
        "source_url",
    ),
    fields=(
        ("contract_award_unique_key", text("contract_award_unique_key")),
        ("award_id_piid", text("award_id_piid")),
        ("parent_award_id_piid", text("parent_award_id_piid")),
        ("total_obligated_amount", money("obligated_amount")),
        ("amount_basis", text("amount_basis")),
        ("potential_total_value", "NULL"),
        ("award_base_action_date", date("first_action_date")),
        ("award_latest_action_date", date("last_action_date")),
        ("awarding_agency_code", f"coalesce({text('awarding_agency_code')}, '070')"),
        ("awarding_sub_agency_code", text("awarding_sub_agency_code")),
        ("awarding_sub_agency_name", "NULL"),
        ("recipient_uei", upper_text("recipient_uei")),
        ("recipient_duns", "NULL"),
        ("recipient_name", text("recipient_name")),
        ("recipient_parent_uei", "NULL"),
        ("recipient_parent_name", text("recipient_parent_name")),
        ("cage_code", "NULL"),
        ("recipient_country_code", upper_text("recipient_country_code")),
        ("recipient_state_code", "NULL"),
        ("domestic_or_foreign_entity", "NULL"),
        ("product_or_service_code", upper_text("product_or_service_code")),
        ("product_or_service_description", text("product_or_service_description")),
        ("naics_code", text("naics_code")),
        ("naics_description", text("naics_description")),
        ("award_description", text("award_description")),
        ("source_url", text("source_url")),
    ),
    checks=(
        check_required("contract_award_unique_key", "key contract_award_unique_key"),
        check_money("obligated_amount", required=True),
        check_date("first_action_date", required=True),
        check_date("last_action_date"),
        check_required("source_url"),
    ),
    known_columns=tuple(
        [
            "contract_award_unique_key",
            "award_id_piid",
            "parent_award_id_piid",
            "recipient_name",
            "recipient_uei",
            "recipient_parent_name",
            "recipient_country_code",
            "awarding_agency_code",
            "awarding_sub_agency_code",
            "obligated_amount",
            "amount_basis",
            "first_action_date",
            "last_action_date",
            "product_or_service_code",
            "product_or_service_description",
            "naics_code",
            "naics_description",
            "award_description",
            "source_publisher",
            "source_url",
        ]
    ),
    meta=META,
)

KINDS: tuple[Kind, ...] = (AGENCIES, FIRMS, ALIASES, IDENTIFIERS, OWNERSHIP, KEY_AWARDS)

# The order `exposure init` loads the bundled files in: firms before what refers to them.
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (
    ("agencies.csv", AGENCIES),
    ("firms.csv", FIRMS),
    ("firm_aliases.csv", ALIASES),
    ("firm_identifiers.csv", IDENTIFIERS),
    ("ownership.csv", OWNERSHIP),
    ("awards.csv", KEY_AWARDS),
)
