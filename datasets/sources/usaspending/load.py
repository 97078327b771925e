"""USAspending formats: the bulk Contracts_PrimeTransactions, Contracts_PrimeAwardSummaries and
Contracts_Subawards downloads, the award-search transaction export, and the 2018-era DUNS download.

Each kind maps its raw columns onto the store's tables; the SQL is pure projection and checks.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from datasets.ingest import Kind, SourceMeta
from datasets.sql import (
    ISO_DATE,
    US_DATES,
    check_date,
    check_money,
    check_required,
    date,
    digits_padded,
    ident,
    literal,
    money,
    none_marker,
    text,
    upper_text,
)

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))
COLUMN_LISTS = yaml.safe_load(Path(__file__).with_name("columns.yml").read_text(encoding="utf-8"))

# Bulk downloads write ISO dates; a spreadsheet re-save turns them into M/D/YY, which we also accept.
BULK_DATES = (ISO_DATE, *US_DATES)
# The 2018 download passed through a spreadsheet set to day-first dates.
DAY_FIRST_DATES = ("%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y", ISO_DATE)


def _columns(name: str) -> tuple[str, ...]:
    return tuple(str(column) for column in COLUMN_LISTS[name])


def _recipient_fields(prefix: str = "") -> tuple[tuple[str, str], ...]:
    return (
        ("recipient_uei", upper_text(f"{prefix}recipient_uei")),
        ("recipient_duns", digits_padded(f"{prefix}recipient_duns", 9)),
        ("recipient_name", text(f"{prefix}recipient_name")),
        ("recipient_parent_uei", upper_text(f"{prefix}recipient_parent_uei")),
        ("recipient_parent_name", text(f"{prefix}recipient_parent_name")),
        ("cage_code", upper_text(f"{prefix}cage_code")),
        ("recipient_country_code", upper_text(f"{prefix}recipient_country_code")),
        ("recipient_state_code", upper_text(f"{prefix}recipient_state_code")),
        ("domestic_or_foreign_entity", text(f"{prefix}domestic_or_foreign_entity")),
    )


PRIME_TRANSACTIONS = Kind(
    name="usaspending_prime_transactions",
    description="USAspending bulk download Contracts_PrimeTransactions",
    table="transactions",
    key="transaction_key",
    required=tuple(
        (c,)
        for c in (
            "contract_transaction_unique_key",
            "contract_award_unique_key",
            "award_id_piid",
            "modification_number",
            "federal_action_obligation",
            "action_date",
            "awarding_sub_agency_code",
            "recipient_name",
        )
    ),
    known_columns=_columns("Contracts_PrimeTransactions"),
    fields=(
        ("transaction_key", text("contract_transaction_unique_key")),
        ("contract_award_unique_key", text("contract_award_unique_key")),
        ("award_id_piid", text("award_id_piid")),
        ("modification_number", text("modification_number")),
        ("transaction_number", text("transaction_number")),
        ("parent_award_id_piid", text("parent_award_id_piid")),
        ("parent_award_agency_id", text("parent_award_agency_id")),
        ("action_date", date("action_date", BULK_DATES)),
        ("federal_action_obligation", money("federal_action_obligation")),
        ("awarding_agency_code", text("awarding_agency_code")),
        ("awarding_sub_agency_code", text("awarding_sub_agency_code")),
        ("awarding_sub_agency_name", text("awarding_sub_agency_name")),
        ("funding_sub_agency_code", text("funding_sub_agency_code")),
        ("recipient_uei", upper_text("recipient_uei")),
        ("recipient_duns", digits_padded("recipient_duns", 9)),
        ("recipient_name", text("recipient_name")),
        ("recipient_parent_uei", upper_text("recipient_parent_uei")),
        ("recipient_parent_duns", digits_padded("recipient_parent_duns", 9)),
        ("recipient_parent_name", text("recipient_parent_name")),
        ("cage_code", upper_text("cage_code")),
        ("recipient_country_code", upper_text("recipient_country_code")),
        ("recipient_state_code", upper_text("recipient_state_code")),
        ("domestic_or_foreign_entity", text("domestic_or_foreign_entity")),
        ("product_or_service_code", upper_text("product_or_service_code")),
        ("product_or_service_description", text("product_or_service_code_description")),
        ("naics_code", text("naics_code")),
        ("naics_description", text("naics_description")),
        ("transaction_description", text("transaction_description")),
    ),
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
    required=tuple(
        (c,)
        for c in (
            "contract_award_unique_key",
            "award_id_piid",
            "total_obligated_amount",
            "award_base_action_date",
            "awarding_sub_agency_code",
            "recipient_name",
        )
    ),
    known_columns=_columns("Contracts_PrimeAwardSummaries"),
    fields=(
        ("contract_award_unique_key", text("contract_award_unique_key")),
        ("award_id_piid", text("award_id_piid")),
        ("parent_award_id_piid", text("parent_award_id_piid")),
        ("total_obligated_amount", money("total_obligated_amount")),
        ("amount_basis", literal("award summary total_obligated_amount (lifetime obligations)")),
        ("potential_total_value", money("potential_total_value_of_award")),
        ("award_base_action_date", date("award_base_action_date", BULK_DATES)),
        ("award_latest_action_date", date("award_latest_action_date", BULK_DATES)),
        ("awarding_agency_code", text("awarding_agency_code")),
        ("awarding_sub_agency_code", text("awarding_sub_agency_code")),
        ("awarding_sub_agency_name", text("awarding_sub_agency_name")),
        ("recipient_duns", digits_padded("recipient_duns", 9)),
        *(f for f in _recipient_fields() if f[0] != "recipient_duns"),
        ("product_or_service_code", upper_text("product_or_service_code")),
        ("product_or_service_description", text("product_or_service_code_description")),
        ("naics_code", text("naics_code")),
        ("naics_description", text("naics_description")),
        ("award_description", text("prime_award_base_transaction_description")),
        ("source_url", text("usaspending_permalink")),
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
    fields=(
        ("subaward_key", f"{text('subaward_sam_report_id')} || '|' || {text('subaward_number')}"),
        ("prime_award_unique_key", text("prime_award_unique_key")),
        ("prime_award_piid", text("prime_award_piid")),
        ("prime_awarding_sub_agency_code", text("prime_award_awarding_sub_agency_code")),
        ("prime_awarding_sub_agency_name", text("prime_award_awarding_sub_agency_name")),
        ("prime_awardee_uei", upper_text("prime_awardee_uei")),
        ("prime_awardee_name", text("prime_awardee_name")),
        ("prime_awardee_parent_uei", upper_text("prime_awardee_parent_uei")),
        ("prime_awardee_parent_name", text("prime_awardee_parent_name")),
        ("subaward_report_id", text("subaward_sam_report_id")),
        ("subaward_number", text("subaward_number")),
        ("subaward_amount", money("subaward_amount")),
        ("subaward_action_date", date("subaward_action_date", BULK_DATES)),
        ("subawardee_uei", upper_text("subawardee_uei")),
        ("subawardee_duns", digits_padded("subawardee_duns", 9)),
        ("subawardee_name", text("subawardee_name")),
        ("subawardee_parent_uei", upper_text("subawardee_parent_uei")),
        ("subawardee_parent_name", text("subawardee_parent_name")),
        ("subawardee_country_code", upper_text("subawardee_country_code")),
        ("prime_award_naics_code", text("prime_award_naics_code")),
        ("prime_award_naics_description", text("prime_award_naics_description")),
        ("subaward_description", text("subaward_description")),
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

SEARCH_EXPORT = Kind(
    name="usaspending_search_export",
    description="USAspending award search transaction export (spending_by_transaction)",
    table="transactions",
    key="transaction_key",
    required=tuple(
        (c,)
        for c in (
            "Agency",
            "Award ID",
            "Recipient Name",
            "Federal Action Obligation",
            "Action Date",
            "Modification",
            "Generated Award ID",
        )
    ),
    known_columns=(
        "Agency",
        "Award ID",
        "Recipient Name",
        "Federal Action Obligation",
        "Action Date",
        "Modification",
        "Product/Service Description",
        "NAICS Description",
        "Transaction Description",
        "Generated Award ID",
    ),
    renames=(
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
    ),
    fields=(
        (
            "transaction_key",
            f"{_SEARCH_KEY} || '|' || coalesce({text('modification')}, '0') || '|' || "
            f"coalesce(CAST({date('action_date')} AS VARCHAR), '')",
        ),
        ("contract_award_unique_key", _SEARCH_KEY),
        ("award_id_piid", text("award_id")),
        ("modification_number", f"coalesce({text('modification')}, '0')"),
        ("transaction_number", "NULL"),
        ("parent_award_id_piid", none_marker(f"split_part({_SEARCH_KEY}, '_', 5)")),
        ("parent_award_agency_id", none_marker(f"split_part({_SEARCH_KEY}, '_', 6)")),
        ("action_date", date("action_date")),
        ("federal_action_obligation", money("federal_action_obligation")),
        ("awarding_agency_code", literal("070")),
        ("awarding_sub_agency_code", f"split_part({_SEARCH_KEY}, '_', 4)"),
        ("awarding_sub_agency_name", text("agency")),
        ("funding_sub_agency_code", "NULL"),
        ("recipient_uei", "NULL"),
        ("recipient_duns", "NULL"),
        ("recipient_name", text("recipient_name")),
        ("recipient_parent_uei", "NULL"),
        ("recipient_parent_duns", "NULL"),
        ("recipient_parent_name", "NULL"),
        ("cage_code", "NULL"),
        ("recipient_country_code", "NULL"),
        ("recipient_state_code", "NULL"),
        ("domestic_or_foreign_entity", "NULL"),
        ("product_or_service_code", "NULL"),
        ("product_or_service_description", text("product_or_service_description")),
        ("naics_code", "NULL"),
        ("naics_description", text("naics_description")),
        ("transaction_description", text("transaction_description")),
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
def _none(column: str) -> str:
    return f"coalesce({text(column)}, '-NONE-')"


_TX_2018_KEY = (
    f"{text('awarding_sub_agency_code')} || '_' || {_none('parent_award_agency_id')} || '_' || "
    f"{text('award_id_piid')} || '_' || coalesce({text('modification_number')}, '0') || '_' || "
    f"{_none('parent_award_id')} || '_' || coalesce({text('transaction_number')}, '0')"
)
_AWARD_2018_KEY = (
    f"'CONT_AWD_' || {text('award_id_piid')} || '_' || {text('awarding_sub_agency_code')} || '_' || "
    f"{_none('parent_award_id')} || '_' || {_none('parent_award_agency_id')}"
)

TRANSACTIONS_2018 = Kind(
    name="usaspending_transactions_2018",
    description="2018-era USAspending contract transaction download (DUNS, day-first dates, t/f flags)",
    table="transactions",
    key="transaction_key",
    known_columns=_columns("Transactions_2018"),
    required=tuple(
        (c,)
        for c in (
            "award_id_piid",
            "modification_number",
            "transaction_number",
            "parent_award_id",
            "federal_action_obligation",
            "action_date",
            "awarding_sub_agency_code",
            "recipient_duns",
            "recipient_name",
        )
    ),
    fields=(
        ("transaction_key", _TX_2018_KEY),
        ("contract_award_unique_key", _AWARD_2018_KEY),
        ("award_id_piid", text("award_id_piid")),
        ("modification_number", f"coalesce({text('modification_number')}, '0')"),
        ("transaction_number", text("transaction_number")),
        ("parent_award_id_piid", text("parent_award_id")),
        ("parent_award_agency_id", text("parent_award_agency_id")),
        ("action_date", date("action_date", DAY_FIRST_DATES)),
        ("federal_action_obligation", money("federal_action_obligation")),
        ("awarding_agency_code", text("awarding_agency_code")),
        ("awarding_sub_agency_code", text("awarding_sub_agency_code")),
        ("awarding_sub_agency_name", text("awarding_sub_agency_name")),
        ("funding_sub_agency_code", text("funding_sub_agency_code")),
        ("recipient_uei", "NULL"),
        ("recipient_duns", digits_padded("recipient_duns", 9)),
        ("recipient_name", text("recipient_name")),
        ("recipient_parent_uei", "NULL"),
        ("recipient_parent_duns", digits_padded("recipient_parent_duns", 9)),
        ("recipient_parent_name", text("recipient_parent_name")),
        ("cage_code", upper_text("cage_code")),
        ("recipient_country_code", upper_text("recipient_country_code")),
        ("recipient_state_code", upper_text("recipient_state_code")),
        ("domestic_or_foreign_entity", text("domestic_or_foreign_entity")),
        ("product_or_service_code", upper_text("product_or_service_code")),
        ("product_or_service_description", text("product_or_service_code_description")),
        ("naics_code", text("naics_code")),
        ("naics_description", text("naics_description")),
        ("transaction_description", text("award_description")),
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
