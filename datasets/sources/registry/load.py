"""The project's own curated formats: the DHS agency list, firms, aliases, identifiers, ownership and key awards.

Every row carries the public URL it was taken from; rows that do not are quarantined.
"""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta, one_spelling_each, own_format
from datasets.sql import (
    check_date,
    check_fraction,
    check_in,
    check_known_firm,
    check_money,
    check_required,
    date,
    date_text_or_blank,
    fields_from,
    flag,
    fraction,
    integer,
    joined,
    lower_text,
    money,
    text,
    text_or,
    upper_text,
)

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))

IDENTIFIER_SCHEMES = ("ticker", "isin", "lei", "bn", "uei", "duns", "cage", "sec_cik", "cusip")
# joint_venture_8a: an SBA 8(a) joint venture, where the 8(a) partner holds at least 51 % (13 CFR 124.513)
RELATIONS = ("wholly_owned", "majority", "minority", "joint_venture", "joint_venture_8a", "consolidated")
CONFIDENCE = ("high", "medium", "low")

AGENCIES = own_format(
    name="registry_agencies",
    description="exposure-screen agency list (agency_code, name, level, parent_code)",
    table="agencies",
    key="agency_code",
    spec={
        "agency_code": text,
        "name": text,
        "abbreviation": text,
        "level": lower_text,
        "parent_code": text,
        "active": flag(blank=True),
        "source_url": text,
    },
    checks=(
        check_required("agency_code"),
        check_required("name"),
        check_in("level", ("department", "subtier")),
        check_required("source_url"),
    ),
    meta=META,
)

FIRMS = own_format(
    name="registry_firms",
    description="exposure-screen firm registry (firm_id, name, country_code, ...)",
    table="firms",
    key="firm_id",
    required=("firm_id", "name", "country_code", "province", "listing_status", "source_url"),
    spec={
        "firm_id": lower_text,
        "name": text,
        "country_code": upper_text,
        "province": upper_text,
        "city": text,
        "listing_status": lower_text,
        "annual_revenue": money,
        "revenue_currency": upper_text,
        "revenue_year": integer,
        "revenue_basis": lower_text,
        "description": text,
        "source_url": text,
        "source_publisher": text,
        "name_matching": lower_text,
    },
    checks=(
        check_required("firm_id"),
        (
            f"NOT regexp_matches({lower_text('firm_id')}, '^[a-z0-9][a-z0-9-]*$')",
            "'firm_id must be a lowercase slug [a-z0-9-], got: ' || \"firm_id\"",
        ),
        check_required("name"),
        check_money("annual_revenue"),
        check_in("revenue_basis", ("actual", "estimated"), required=False),
        check_in("name_matching", ("exact",), required=False),
        check_required("source_url"),
    ),
    meta=META,
)

ALIASES = own_format(
    name="registry_aliases",
    description="exposure-screen firm aliases (firm_id, alias, language, alias_kind)",
    table="firm_aliases",
    key="alias_key",
    spec={
        "alias_key": joined(lower_text("firm_id"), text("alias")),
        "firm_id": lower_text,
        "alias": text,
        "language": lower_text,
        "alias_kind": lower_text,
        "source_url": text,
    },
    checks=(
        check_required("firm_id"),
        check_required("alias"),
        check_known_firm("firm_id"),
        check_required("source_url"),
    ),
    meta=META,
)

IDENTIFIERS = own_format(
    name="registry_identifiers",
    description="exposure-screen firm identifiers (firm_id, scheme, value, exchange)",
    table="firm_identifiers",
    key="identifier_key",
    spec={
        "identifier_key": joined(lower_text("scheme"), upper_text("value"), f"coalesce({upper_text('exchange')}, '')"),
        "firm_id": lower_text,
        "scheme": lower_text,
        "value": upper_text,
        "exchange": upper_text,
        "source_url": text,
    },
    checks=(
        check_required("firm_id"),
        check_known_firm("firm_id"),
        check_in("scheme", IDENTIFIER_SCHEMES),
        check_required("value"),
        check_required("source_url"),
    ),
    meta=META,
)

OWNERSHIP = own_format(
    name="registry_ownership",
    description="exposure-screen ownership edges (child_firm_id, parent_firm_id, share, relation)",
    table="ownership",
    key="ownership_key",
    required=("child_firm_id", "parent_firm_id", "share", "relation", "valid_from", "valid_to", "source_url"),
    spec={
        "ownership_key": joined(
            lower_text("child_firm_id"), lower_text("parent_firm_id"), date_text_or_blank("valid_from")
        ),
        "child_firm_id": lower_text,
        "parent_firm_id": lower_text,
        "share": fraction,
        "relation": lower_text,
        "valid_from": date,
        "valid_to": date,
        "source_url": text,
        "source_publisher": text,
        "confidence": lower_text,
    },
    checks=(
        check_required("child_firm_id"),
        check_required("parent_firm_id"),
        check_known_firm("child_firm_id"),
        check_known_firm("parent_firm_id"),
        (
            f"{lower_text('child_firm_id')} = {lower_text('parent_firm_id')}",
            "'a firm cannot own itself: ' || \"child_firm_id\"",
        ),
        check_fraction("share"),
        check_in("relation", RELATIONS),
        check_date("valid_from"),
        check_date("valid_to"),
        check_in("confidence", CONFIDENCE, required=False),
        check_required("source_url"),
    ),
    meta=META,
)

KEY_AWARDS = Kind(
    name="registry_key_awards",
    description="exposure-screen key contract awards (contract_award_unique_key, obligated_amount, ...)",
    table="awards",
    key="contract_award_unique_key",
    required=one_spelling_each(
        "contract_award_unique_key",
        "award_id_piid",
        "recipient_name",
        "awarding_sub_agency_code",
        "obligated_amount",
        "amount_basis",
        "first_action_date",
        "source_url",
    ),
    # The awards table's columns from the few a curated key award carries; the rest is what USAspending adds.
    fields=fields_from(
        {
            "contract_award_unique_key": text,
            "award_id_piid": text,
            "parent_award_id_piid": text,
            "total_obligated_amount": money("obligated_amount"),
            "amount_basis": text,
            "potential_total_value": "NULL",
            "award_base_action_date": date("first_action_date"),
            "award_latest_action_date": date("last_action_date"),
            "awarding_agency_code": text_or("awarding_agency_code", "070"),
            "awarding_sub_agency_code": text,
            "awarding_sub_agency_name": "NULL",
            "recipient_uei": upper_text,
            "recipient_duns": "NULL",
            "recipient_name": text,
            "recipient_parent_uei": "NULL",
            "recipient_parent_name": text,
            "cage_code": "NULL",
            "recipient_country_code": upper_text,
            "recipient_state_code": "NULL",
            "domestic_or_foreign_entity": "NULL",
            "product_or_service_code": upper_text,
            "product_or_service_description": text,
            "naics_code": text,
            "naics_description": text,
            "award_description": text,
            "source_url": text,
        }
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
