"""Government of Canada contracts, in three forms, all in Canadian dollars:

- `goc_contracts`: the "Proactive Disclosure of Contracts" CSV as open.canada.ca publishes it (43 columns,
  `reference_number` ... `owner_org`, `owner_org_title`), one row per contract or amendment reported;
- `goc_contracts_processed`: the same rows as the GoC-Spending project processes them: its own
  `d_reference_number`, `d_start_date`, `d_end_date`, `d_reporting_period`, `d_reporting_year` columns, the
  older `aboriginal_business*` spellings of `indigenous_business*`, and `NA` for an empty value;
- `goc_vendor_totals`: that project's totals per normalised vendor and fiscal year (`d_vendor_name`,
  `d_fiscal_year`, `total`, `total_constant_2019_dollars`), amendments counted once and spread over the
  years a contract runs by its method;
- `goc_vendor_spellings`: that project's vendor normalisation (`parent_company`, `company_name`): which raw
  spellings each normalised vendor name of the totals groups together. A group may hold a business the
  firm bought later (MICRO FOCUS under OPENTEXT), so the scoring checks every spelling of a group against
  the registry's dated ownership before it puts a year's total on a firm (`scoring.federal`).

Contract rows are not to be added up per vendor: an amendment is reported as a row of its own carrying the
contract's whole value so far. The totals are what counts per vendor and year.

Amounts are dollars and cents. The processed files were written from binary floating point, so a value may
carry noise past the cent (`3784831.2600000002`, `3219275.8699999996`): such a value is read as the cent it
renders (within a millionth of a cent); any other fraction of a cent, a thousands separator or a decimal
comma is quarantined with its reason, never rounded.
"""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta
from datasets.sql import ident, literal, text

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))
GOC_SPENDING_META = SourceMeta.from_yaml(Path(__file__).with_name("goc_spending.yml"))
DATASET_URL = META.url

# The published header, in order (../shared/data/reference/goc_contracts_columns.txt).
PUBLISHED_COLUMNS: tuple[str, ...] = (
    "reference_number",
    "procurement_id",
    "vendor_name",
    "vendor_postal_code",
    "buyer_name",
    "contract_date",
    "economic_object_code",
    "description_en",
    "description_fr",
    "contract_period_start",
    "delivery_date",
    "contract_value",
    "original_value",
    "amendment_value",
    "comments_en",
    "comments_fr",
    "additional_comments_en",
    "additional_comments_fr",
    "agreement_type_code",
    "trade_agreement",
    "land_claims",
    "commodity_type",
    "commodity_code",
    "country_of_vendor",
    "solicitation_procedure",
    "limited_tendering_reason",
    "trade_agreement_exceptions",
    "indigenous_business",
    "indigenous_business_excluding_psib",
    "intellectual_property",
    "potential_commercial_exploitation",
    "former_public_servant",
    "contracting_entity",
    "standing_offer_number",
    "instrument_type",
    "ministers_office",
    "number_of_bids",
    "article_6_exceptions",
    "award_criteria",
    "socioeconomic_indicator",
    "reporting_period",
    "owner_org",
    "owner_org_title",
)
# What the GoC-Spending processing adds; the fields it renamed are read under their published names.
PROCESSED_COLUMNS: tuple[str, ...] = (
    "d_reference_number",
    "d_start_date",
    "d_end_date",
    "d_reporting_period",
    "d_reporting_year",
)
PROCESSED_RENAMES: tuple[tuple[str, str], ...] = (
    ("aboriginal_business", "indigenous_business"),
    ("aboriginal_business_incidental", "indigenous_business_excluding_psib"),
)
CONTRACT_REQUIRED = ("reference_number", "vendor_name", "contract_value", "owner_org")

# A fiscal year as both files write it: April 1 to March 31, "2021-2022".
FISCAL_YEAR = r"[0-9]{4}-[0-9]{4}"
_AMOUNT = r"[+-]?[0-9]+(\.[0-9]+)?"
_NOISE = "0.000001"  # what is left past the cent by a float rendering of a cent value
_AMOUNT_SHOWN = "dollars with at most two decimals after a '.', e.g. -1234.56; no thousands separators"


def _value(column: str, na: bool) -> str:
    """The trimmed value, NULL when blank (and when `NA`, in the processed form)."""
    return f"NULLIF({text(column)}, 'NA')" if na else text(column)


def _decimal(raw: str) -> str:
    return f"TRY_CAST({raw} AS DECIMAL(38,10))"


def cad_amount(raw: str) -> str:
    """Dollars exact to the cent; digits past the cent only as float noise; NULL for anything else."""
    exact = _decimal(raw)
    return (
        f"(CASE WHEN regexp_full_match({raw}, {literal(_AMOUNT)}) "
        f"AND abs({exact} - round({exact}, 2)) < {_NOISE} "
        f"THEN TRY_CAST(round({exact}, 2) AS DECIMAL(18,2)) END)"
    )


def check_cad_amount(column: str, raw: str, required: bool = False) -> tuple[str, str]:
    bad = f"({raw} IS NOT NULL AND {cad_amount(raw)} IS NULL)"
    if required:
        bad = f"({raw} IS NULL OR {bad})"
    shown = f"{literal(f'unparseable amount in {column}: ' + chr(39))} || {ident(column)} || {literal(chr(39))}"
    reason = (
        f"CASE WHEN {raw} IS NULL THEN {literal(f'missing {column}')} "
        f"WHEN regexp_full_match({raw}, {literal(_AMOUNT)}) AND {_decimal(raw)} IS NOT NULL "
        f"AND abs({_decimal(raw)} - round({_decimal(raw)}, 2)) >= {_NOISE} "
        f"THEN {shown} || {literal(' has a fraction of a cent')} "
        f"WHEN regexp_full_match({raw}, {literal(_AMOUNT)}) THEN {shown} || {literal(' is too large')} "
        f"ELSE {shown} || {literal(f' is not a plain decimal number ({_AMOUNT_SHOWN})')} END"
    )
    return (bad, reason)


def _iso_date(raw: str) -> str:
    return f"CAST(try_strptime({raw}, '%Y-%m-%d') AS DATE)"


def _check_date(column: str, raw: str) -> tuple[str, str]:
    return (
        f"({raw} IS NOT NULL AND {_iso_date(raw)} IS NULL)",
        f"{literal(f'unparseable date in {column} (expected YYYY-MM-DD): ')} || {ident(column)}",
    )


def _fiscal_year_of(raw: str) -> str:
    """A "2021-2022" fiscal year at the start of `raw` (a reporting period "2021-2022-Q3"), if its two years follow."""
    head = f"left({raw}, 9)"
    return (
        f"(CASE WHEN regexp_full_match({head}, {literal(FISCAL_YEAR)}) "
        f"AND TRY_CAST(right({head}, 4) AS INTEGER) = TRY_CAST(left({head}, 4) AS INTEGER) + 1 THEN {head} END)"
    )


def _fiscal_year_of_date(day: str) -> str:
    """The fiscal year (April 1 to March 31) a date falls in."""
    start = f"(year({day}) - CASE WHEN month({day}) < 4 THEN 1 ELSE 0 END)"
    return f"(CAST({start} AS VARCHAR) || '-' || CAST({start} + 1 AS VARCHAR))"


def _contracts_kind(processed: bool) -> Kind:
    def v(column: str) -> str:
        return _value(column, processed)

    # The published file's own key is (owner_org, reference_number); GoC-Spending writes it as one column.
    key_columns = "d_reference_number" if processed else "owner_org, reference_number"
    key = v("d_reference_number") if processed else f"{v('owner_org')} || '-' || {v('reference_number')}"
    # The fiscal year a row was reported in; for the oldest rows, without a reporting period, the contract's.
    reported = ["d_reporting_year", "d_reporting_period", "reporting_period"] if processed else ["reporting_period"]
    years = [*(_fiscal_year_of(v(column)) for column in reported), _fiscal_year_of_date(_iso_date(v("contract_date")))]
    fiscal_year = f"coalesce({', '.join(years)})"
    money_columns = ("contract_value", "original_value", "amendment_value")
    date_columns = ("contract_date", "contract_period_start", "delivery_date")
    plain = (
        "owner_org",
        "owner_org_title",
        "reference_number",
        "procurement_id",
        "vendor_name",
        "vendor_postal_code",
        "buyer_name",
        "economic_object_code",
        "description_en",
        "description_fr",
        "commodity_type",
        "commodity_code",
        "country_of_vendor",
        "solicitation_procedure",
        "instrument_type",
        "reporting_period",
    )
    fields = (
        ("contract_key", key),
        *((column, v(column)) for column in plain),
        *((column, _iso_date(v(column))) for column in date_columns),
        *((column, cad_amount(v(column))) for column in money_columns),
        ("fiscal_year", fiscal_year),
    )
    checks = (
        (f"{key} IS NULL", literal(f"missing key: {key_columns}")),
        (f"{v('vendor_name')} IS NULL", literal("missing vendor_name")),
        check_cad_amount("contract_value", v("contract_value"), required=True),
        check_cad_amount("original_value", v("original_value")),
        check_cad_amount("amendment_value", v("amendment_value")),
        *(_check_date(column, v(column)) for column in date_columns),
        (f"{fiscal_year} IS NULL", literal("no fiscal year: neither reporting_period nor contract_date gives one")),
    )
    required = [(c,) for c in CONTRACT_REQUIRED]
    if processed:
        return Kind(
            name="goc_contracts_processed",
            description="GoC-Spending's processed Proactive Disclosure of Contracts (d_reference_number, ..., NA)",
            table="goc_contracts",
            key="contract_key",
            required=(("d_reference_number",), *required, ("d_reporting_year",)),
            fields=fields,
            checks=checks,
            meta=GOC_SPENDING_META,
            known_columns=(*PROCESSED_COLUMNS, *PUBLISHED_COLUMNS),
            renames=PROCESSED_RENAMES,
        )
    return Kind(
        name="goc_contracts",
        description="open.canada.ca Proactive Disclosure of Contracts contracts.csv (reference_number, ..., owner_org)",
        table="goc_contracts",
        key="contract_key",
        required=tuple(required),
        fields=fields,
        checks=checks,
        meta=META,
        known_columns=PUBLISHED_COLUMNS,
    )


CONTRACTS = _contracts_kind(processed=False)
CONTRACTS_PROCESSED = _contracts_kind(processed=True)


def _goc_spending_kind(
    name: str,
    description: str,
    key: tuple[str, tuple[str, ...]],
    required: tuple[str, ...],
    fields: tuple[tuple[str, str], ...],
    checks: tuple[tuple[str, str], ...],
    columns: tuple[str, ...],
) -> Kind:
    """One of GoC-Spending's own files: its table is named as the kind, its key the named columns joined by '|'."""
    key_name, key_columns = key
    return Kind(
        name=name,
        description=description,
        table=name,
        key=key_name,
        required=tuple((column,) for column in required),
        fields=((key_name, " || '|' || ".join(text(c) for c in key_columns)), *fields),
        checks=tuple((f"{text(c)} IS NULL", literal(f"missing {c}")) for c in key_columns) + checks,
        meta=GOC_SPENDING_META,
        known_columns=columns,
    )


_YEAR = text("d_fiscal_year")
VENDOR_TOTALS = _goc_spending_kind(
    "goc_vendor_totals",
    "GoC-Spending totals by vendor and fiscal year (d_vendor_name, d_fiscal_year, total, ...)",
    ("vendor_total_key", ("d_vendor_name", "d_fiscal_year")),
    ("d_vendor_name", "d_fiscal_year", "total"),
    (
        ("vendor_name", text("d_vendor_name")),
        ("fiscal_year", _YEAR),
        ("total_cad", cad_amount(text("total"))),
        ("total_constant_2019_cad", cad_amount(text("total_constant_2019_dollars"))),
    ),
    (
        (
            f"({_fiscal_year_of(_YEAR)} IS NULL OR length({_YEAR}) <> 9)",
            f"{literal('d_fiscal_year must be a fiscal year such as 2021-2022, got: ')} "
            f"|| coalesce({ident('d_fiscal_year')}, '')",
        ),
        check_cad_amount("total", text("total"), required=True),
        check_cad_amount("total_constant_2019_dollars", text("total_constant_2019_dollars")),
    ),
    ("d_vendor_name", "d_fiscal_year", "total", "total_constant_2019_dollars"),
)
VENDOR_SPELLINGS = _goc_spending_kind(
    "goc_vendor_spellings",
    "GoC-Spending vendor normalisation: raw spellings per normalised vendor (parent_company, company_name)",
    ("spelling_key", ("parent_company", "company_name")),
    ("parent_company", "company_name"),
    (("group_name", text("parent_company")), ("spelling", text("company_name"))),
    (),
    ("parent_company", "company_name"),
)

KINDS: tuple[Kind, ...] = (CONTRACTS, CONTRACTS_PROCESSED, VENDOR_TOTALS, VENDOR_SPELLINGS)
