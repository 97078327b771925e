"""USAspending formats: the bulk Contracts_PrimeTransactions, Contracts_PrimeAwardSummaries and
Contracts_Subawards downloads, the award-search transaction export, and the 2018-era DUNS download.

Each kind maps its raw columns onto the store's tables; the SQL is pure projection and checks.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import yaml

from datasets.ingest import Kind, SourceMeta, one_spelling_each
from datasets.sql import (
    ISO_DATE,
    US_DATES,
    FieldSpec,
    check_date,
    check_money,
    check_required,
    date,
    date_text_or_blank,
    digits_padded,
    fields_from,
    ident,
    joined,
    literal,
    money,
    none_marker,
    text,
    text_or,
    upper_text,
)

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))
COLUMN_LISTS = yaml.safe_load(Path(__file__).with_name("columns.yml").read_text(encoding="utf-8"))

# Bulk downloads write ISO dates; a spreadsheet re-save turns them into M/D/YY, which we also accept.
BULK_DATES = (ISO_DATE, *US_DATES)
# The 2018 download passed through a spreadsheet set to day-first dates.
DAY_FIRST_DATES = ("%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y", ISO_DATE)

bulk_date = partial(date, formats=BULK_DATES)
duns = partial(digits_padded, width=9)  # nine digits, which a spreadsheet strips of leading zeros


def _columns(name: str) -> tuple[str, ...]:
    return tuple(str(column) for column in COLUMN_LISTS[name])


# Who was paid and what was sold, as the bulk downloads' transactions and award summaries both name them.
RECIPIENT: FieldSpec = {
    "recipient_uei": upper_text,
    "recipient_duns": duns,
    "recipient_name": text,
    "recipient_parent_uei": upper_text,
    "recipient_parent_duns": duns,
    "recipient_parent_name": text,
    "cage_code": upper_text,
    "recipient_country_code": upper_text,
    "recipient_state_code": upper_text,
    "domestic_or_foreign_entity": text,
}
PRODUCT: FieldSpec = {
    "product_or_service_code": upper_text,
    "product_or_service_description": text("product_or_service_code_description"),
    "naics_code": text,
    "naics_description": text,
}

# The transactions table as the bulk download fills it; the other transaction formats start from it.
BULK_TRANSACTION: FieldSpec = {
    "transaction_key": text("contract_transaction_unique_key"),
    "contract_award_unique_key": text,
    "award_id_piid": text,
    "modification_number": text,
    "transaction_number": text,
    "parent_award_id_piid": text,
    "parent_award_agency_id": text,
    "action_date": bulk_date,
    "federal_action_obligation": money,
    "awarding_agency_code": text,
    "awarding_sub_agency_code": text,
    "awarding_sub_agency_name": text,
    "funding_sub_agency_code": text,
    **RECIPIENT,
    **PRODUCT,
    "transaction_description": text,
}

PRIME_TRANSACTIONS = Kind(
    name="usaspending_prime_transactions",
    description="USAspending bulk download Contracts_PrimeTransactions",
    table="transactions",
    key="transaction_key",
    required=one_spelling_each(
        "contract_transaction_unique_key",
        "contract_award_unique_key",
        "award_id_piid",
        "modification_number",
        "federal_action_obligation",
        "action_date",
        "awarding_sub_agency_code",
        "recipient_name",
    ),
    known_columns=_columns("Contracts_PrimeTransactions"),
    fields=fields_from(BULK_TRANSACTION),
    checks=(
        check_required("contract_transaction_unique_key", "key contract_transaction_unique_key"),
        check_required("contract_award_unique_key", "key contract_award_unique_key"),
        check_date("action_date", BULK_DATES, required=True),
        check_money("federal_action_obligation", required=True),
    ),
    meta=META,
)


AWARD_SUMMARIES = Kind(
    name="usaspending_award_summaries",
    description="USAspending download Contracts_PrimeAwardSummaries",
    table="awards",
    key="contract_award_unique_key",
    required=one_spelling_each(
        "contract_award_unique_key",
        "award_id_piid",
        "total_obligated_amount",
        "award_base_action_date",
        "awarding_sub_agency_code",
        "recipient_name",
    ),
    known_columns=_columns("Contracts_PrimeAwardSummaries"),
    fields=fields_from(
        {
            "contract_award_unique_key": text,
            "award_id_piid": text,
            "parent_award_id_piid": text,
            "total_obligated_amount": money,
            "amount_basis": literal("award summary total_obligated_amount (lifetime obligations)"),
            "potential_total_value": money("potential_total_value_of_award"),
            "award_base_action_date": bulk_date,
            "award_latest_action_date": bulk_date,
            "awarding_agency_code": text,
            "awarding_sub_agency_code": text,
            "awarding_sub_agency_name": text,
            # A summary has no parent DUNS, and its DUNS comes first.
            "recipient_duns": duns,
            **{name: sql for name, sql in RECIPIENT.items() if name != "recipient_parent_duns"},
            **PRODUCT,
            "award_description": text("prime_award_base_transaction_description"),
            "source_url": text("usaspending_permalink"),
        }
    ),
    checks=(
        check_required("contract_award_unique_key", "key contract_award_unique_key"),
        check_money("total_obligated_amount", required=True),
        check_money("potential_total_value_of_award"),
        check_date("award_base_action_date", BULK_DATES, required=True),
        check_date("award_latest_action_date", BULK_DATES),
    ),
    meta=META,
)


SUBAWARDS = Kind(
    name="usaspending_subawards",
    description="USAspending download Contracts_Subawards",
    table="subawards",
    key="subaward_key",
    required=(
        ("prime_award_unique_key",),
        # Renamed in 2026 when reporting moved from FSRS to SAM.gov; both spellings load.
        ("subaward_sam_report_id", "subaward_fsrs_report_id"),
        ("subaward_number",),
        ("subaward_amount",),
        ("subaward_action_date",),
        ("subawardee_name",),
    ),
    known_columns=_columns("Contracts_Subawards"),
    renames=(
        ("subaward_fsrs_report_year", "subaward_sam_report_year"),
        ("subaward_fsrs_report_month", "subaward_sam_report_month"),
        ("subaward_fsrs_report_last_modified_date", "subaward_sam_report_last_modified_date"),
    ),
    fields=fields_from(
        {
            "subaward_key": joined(text("subaward_sam_report_id"), text("subaward_number")),
            "prime_award_unique_key": text,
            "prime_award_piid": text,
            "prime_awarding_sub_agency_code": text("prime_award_awarding_sub_agency_code"),
            "prime_awarding_sub_agency_name": text("prime_award_awarding_sub_agency_name"),
            "prime_awardee_uei": upper_text,
            "prime_awardee_name": text,
            "prime_awardee_parent_uei": upper_text,
            "prime_awardee_parent_name": text,
            "subaward_report_id": text("subaward_sam_report_id"),
            "subaward_number": text,
            "subaward_amount": money,
            "subaward_action_date": bulk_date,
            "subawardee_uei": upper_text,
            "subawardee_duns": duns,
            "subawardee_name": text,
            "subawardee_parent_uei": upper_text,
            "subawardee_parent_name": text,
            "subawardee_country_code": upper_text,
            "prime_award_naics_code": text,
            "prime_award_naics_description": text,
            "subaward_description": text,
        }
    ),
    checks=(
        check_required("prime_award_unique_key", "key prime_award_unique_key"),
        check_required("subaward_sam_report_id", "key subaward report id"),
        check_required("subaward_number", "key subaward_number"),
        check_money("subaward_amount", required=True),
        check_date("subaward_action_date", BULK_DATES, required=True),
    ),
    meta=META,
)


# The award key CONT_AWD_{piid}_{awarding sub-tier}_{parent piid}_{parent agency} carries the sub-tier code.
_SEARCH_KEY = text("generated_award_id")
_SEARCH_KEY_PATTERN = r"^CONT_AWD_[^_]+_[0-9A-Z]{4}_[^_]+_[^_]+$"
# The export's columns, and the names its SQL reads them by.
_SEARCH_COLUMNS = (
    ("Agency", "agency"),
    ("Award ID", "award_id"),
    ("Recipient Name", "recipient_name"),
    ("Federal Action Obligation", "federal_action_obligation"),
    ("Action Date", "action_date"),
    ("Modification", "modification"),
    ("Product/Service Description", "product_or_service_description"),
    ("NAICS Description", "naics_description"),
    ("Transaction Description", "transaction_description"),
    ("Generated Award ID", "generated_award_id"),
)

SEARCH_EXPORT = Kind(
    name="usaspending_search_export",
    description="USAspending award search transaction export (spending_by_transaction)",
    table="transactions",
    key="transaction_key",
    required=one_spelling_each(
        "Agency",
        "Award ID",
        "Recipient Name",
        "Federal Action Obligation",
        "Action Date",
        "Modification",
        "Generated Award ID",
    ),
    known_columns=tuple(column for column, _name in _SEARCH_COLUMNS),
    renames=_SEARCH_COLUMNS,
    fields=fields_from(
        {
            **dict.fromkeys(BULK_TRANSACTION, "NULL"),  # what the export does not carry
            "transaction_key": joined(_SEARCH_KEY, text_or("modification", "0"), date_text_or_blank("action_date")),
            "contract_award_unique_key": _SEARCH_KEY,
            "award_id_piid": text("award_id"),
            "modification_number": text_or("modification", "0"),
            "parent_award_id_piid": none_marker(f"split_part({_SEARCH_KEY}, '_', 5)"),
            "parent_award_agency_id": none_marker(f"split_part({_SEARCH_KEY}, '_', 6)"),
            "action_date": date,
            "federal_action_obligation": money,
            "awarding_agency_code": literal("070"),
            "awarding_sub_agency_code": f"split_part({_SEARCH_KEY}, '_', 4)",
            "awarding_sub_agency_name": text("agency"),
            "recipient_name": text,
            "product_or_service_description": text,
            "naics_description": text,
            "transaction_description": text,
        }
    ),
    checks=(
        check_required("generated_award_id", "key Generated Award ID"),
        (
            f"NOT regexp_matches({_SEARCH_KEY}, {literal(_SEARCH_KEY_PATTERN)})",
            f"'malformed Generated Award ID (expected CONT_AWD_<piid>_<agency>_<parent piid>_<parent agency>): '"
            f" || {ident('generated_award_id')}",
        ),
        check_date("action_date", required=True),
        check_money("federal_action_obligation", required=True),
    ),
    meta=META,
)


# The 2018 download has no unique keys; USAspending's own key formats are rebuilt from their parts.
_TX_2018_KEY = joined(
    text("awarding_sub_agency_code"),
    text_or("parent_award_agency_id", "-NONE-"),
    text("award_id_piid"),
    text_or("modification_number", "0"),
    text_or("parent_award_id", "-NONE-"),
    text_or("transaction_number", "0"),
    separator="_",
)
_AWARD_2018_KEY = "'CONT_AWD_' || " + joined(
    text("award_id_piid"),
    text("awarding_sub_agency_code"),
    text_or("parent_award_id", "-NONE-"),
    text_or("parent_award_agency_id", "-NONE-"),
    separator="_",
)

TRANSACTIONS_2018 = Kind(
    name="usaspending_transactions_2018",
    description="2018-era USAspending contract transaction download (DUNS, day-first dates, t/f flags)",
    table="transactions",
    key="transaction_key",
    known_columns=_columns("Transactions_2018"),
    required=one_spelling_each(
        "award_id_piid",
        "modification_number",
        "transaction_number",
        "parent_award_id",
        "federal_action_obligation",
        "action_date",
        "awarding_sub_agency_code",
        "recipient_duns",
        "recipient_name",
    ),
    fields=fields_from(
        {
            **BULK_TRANSACTION,
            "transaction_key": _TX_2018_KEY,
            "contract_award_unique_key": _AWARD_2018_KEY,
            "modification_number": text_or("modification_number", "0"),
            "parent_award_id_piid": text("parent_award_id"),
            "action_date": partial(date, formats=DAY_FIRST_DATES),
            "recipient_uei": "NULL",  # the DUNS era: no UEIs yet
            "recipient_parent_uei": "NULL",
            "transaction_description": text("award_description"),
        }
    ),
    checks=(
        check_required("award_id_piid", "key part award_id_piid"),
        check_required("awarding_sub_agency_code", "key part awarding_sub_agency_code"),
        check_date("action_date", DAY_FIRST_DATES, required=True),
        check_money("federal_action_obligation", required=True),
    ),
    meta=META,
)

KINDS: tuple[Kind, ...] = (PRIME_TRANSACTIONS, AWARD_SUMMARIES, SUBAWARDS, SEARCH_EXPORT, TRANSACTIONS_2018)
