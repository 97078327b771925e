"""The bundled universe of Canadian listed issuers and their listings, in the project's own format
(written by `build.py` beside this file). Identifiers are checked for shape here; their check digits were
validated when the files were built, and the tests validate them again."""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta, own_format
from datasets.sql import (
    FieldSpec,
    check_in,
    check_known_firm,
    check_known_issuer,
    check_required,
    check_shape,
    flag,
    integer,
    joined,
    lower_text,
    text,
    upper_text,
)

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))

EXCHANGES = ("TSX", "TSXV", "CSE", "NEO")
ISIN, CUSIP = "^[A-Z]{2}[A-Z0-9]{9}[0-9]$", "^[A-Z0-9]{8}[0-9]$"


def _count(column: str) -> str:
    return f"coalesce({integer(column)}, 0)"


ISSUER_FIELDS: FieldSpec = {
    "issuer_id": lower_text,
    "name": text,
    "firm_id": lower_text,
    "status": lower_text,
    **dict.fromkeys(("country", "province", "city", "sector", "industry", "website"), text),
    "primary_exchange": upper_text,
    "primary_ticker": upper_text,
    "isin": upper_text,
    "cusip": upper_text,
    "lei": upper_text,
    "lei_legal_name": text,
    "listings": _count,
    "source_url": text,
}
LISTING_FIELDS: FieldSpec = {
    "listing_key": joined(upper_text("exchange"), upper_text("ticker")),
    "issuer_id": lower_text,
    "exchange": upper_text,
    "mic": upper_text,
    "ticker": upper_text,
    "source_symbol": text,
    "isin": upper_text,
    "isin_basis": lower_text,
    **dict.fromkeys(("cusip", "figi", "composite_figi", "shareclass_figi", "currency"), upper_text),
    "delisted": flag(blank=False),
    "source_url": text,
}
ISSUERS = own_format(
    name="registry_issuers",
    description="exposure-screen universe of Canadian listed issuers (issuer_id, name, firm_id, status, ...)",
    table="issuers",
    key="issuer_id",
    required=("issuer_id", "name", "firm_id", "status", "primary_exchange", "primary_ticker"),
    spec=ISSUER_FIELDS,
    checks=(
        check_required("issuer_id"),
        check_required("name"),
        check_known_firm("firm_id"),
        check_in("status", ("listed", "delisted")),
        check_in("primary_exchange", tuple(e.lower() for e in EXCHANGES)),
        check_shape("isin", ISIN, "an ISIN"),
        check_shape("cusip", CUSIP, "a CUSIP"),
        check_shape("lei", "^[A-Z0-9]{18}[0-9]{2}$", "an LEI"),
        check_required("source_url"),
    ),
    meta=META,
)

LISTINGS = own_format(
    name="registry_issuer_listings",
    description="exposure-screen listings of universe issuers (issuer_id, exchange, ticker, isin, cusip, figi, ...)",
    table="issuer_listings",
    key="listing_key",
    required=("issuer_id", "exchange", "mic", "ticker", "isin", "cusip", "figi", "delisted"),
    spec=LISTING_FIELDS,
    checks=(
        check_required("issuer_id"),
        check_known_issuer("issuer_id"),
        check_in("exchange", tuple(e.lower() for e in EXCHANGES)),
        check_required("ticker"),
        check_shape("isin", ISIN, "an ISIN"),
        check_shape("cusip", CUSIP, "a CUSIP"),
        check_shape("figi", "^BBG[A-Z0-9]{9}$", "a FIGI"),
        check_required("source_url"),
    ),
    meta=META,
)

# The columns `build.py` writes, in order.
ISSUER_COLUMNS = ISSUERS.known_columns
LISTING_COLUMNS = LISTINGS.known_columns

KINDS: tuple[Kind, ...] = (ISSUERS, LISTINGS)
# Issuers refer to registry firms, so they load after the registry.
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (("issuers.csv", ISSUERS), ("issuer_listings.csv", LISTINGS))
