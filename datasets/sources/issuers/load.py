"""The bundled universe of Canadian listed issuers and their listings, in the project's own format
(written by `build.py` beside this file). Identifiers are checked for shape here; their check digits were
validated when the files were built, and the tests validate them again."""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta
from datasets.sql import check_in, check_known_firm, check_required, integer, text, upper_text

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))

EXCHANGES = ("TSX", "TSXV", "CSE", "NEO")
ISSUER_COLUMNS = (
    "issuer_id",
    "name",
    "firm_id",
    "status",
    "country",
    "province",
    "city",
    "sector",
    "industry",
    "website",
    "primary_exchange",
    "primary_ticker",
    "isin",
    "cusip",
    "lei",
    "lei_legal_name",
    "listings",
    "source_url",
)
LISTING_COLUMNS = (
    "issuer_id",
    "exchange",
    "mic",
    "ticker",
    "source_symbol",
    "isin",
    "isin_basis",
    "cusip",
    "figi",
    "composite_figi",
    "shareclass_figi",
    "currency",
    "delisted",
    "source_url",
)


def _shape(column: str, pattern: str, what: str) -> tuple[str, str]:
    bad = f"({text(column)} IS NOT NULL AND NOT regexp_matches({upper_text(column)}, '{pattern}'))"
    return bad, f"'{column} is not {what}: ' || \"{column}\""


ISSUERS = Kind(
    name="registry_issuers",
    description="exposure-screen universe of Canadian listed issuers (issuer_id, name, firm_id, status, ...)",
    table="issuers",
    key="issuer_id",
    required=tuple((c,) for c in ("issuer_id", "name", "firm_id", "status", "primary_exchange", "primary_ticker")),
    fields=(
        ("issuer_id", f"lower({text('issuer_id')})"),
        ("name", text("name")),
        ("firm_id", f"lower({text('firm_id')})"),
        ("status", f"lower({text('status')})"),
        *((c, text(c)) for c in ("country", "province", "city", "sector", "industry", "website")),
        ("primary_exchange", upper_text("primary_exchange")),
        ("primary_ticker", upper_text("primary_ticker")),
        ("isin", upper_text("isin")),
        ("cusip", upper_text("cusip")),
        ("lei", upper_text("lei")),
        ("lei_legal_name", text("lei_legal_name")),
        ("listings", f"coalesce({integer('listings')}, 0)"),
        ("source_url", text("source_url")),
    ),
    checks=(
        check_required("issuer_id"),
        check_required("name"),
        check_known_firm("firm_id"),
        check_in("status", ("listed", "delisted")),
        check_in("primary_exchange", tuple(e.lower() for e in EXCHANGES)),
        _shape("isin", "^[A-Z]{2}[A-Z0-9]{9}[0-9]$", "an ISIN"),
        _shape("cusip", "^[A-Z0-9]{8}[0-9]$", "a CUSIP"),
        _shape("lei", "^[A-Z0-9]{18}[0-9]{2}$", "an LEI"),
        check_required("source_url"),
    ),
    known_columns=ISSUER_COLUMNS,
    meta=META,
    source_kind_column=False,
)

LISTINGS = Kind(
    name="registry_issuer_listings",
    description="exposure-screen listings of universe issuers (issuer_id, exchange, ticker, isin, cusip, figi, ...)",
    table="issuer_listings",
    key="listing_key",
    required=tuple((c,) for c in ("issuer_id", "exchange", "mic", "ticker", "isin", "cusip", "figi", "delisted")),
    fields=(
        ("listing_key", f"{upper_text('exchange')} || '|' || {upper_text('ticker')}"),
        ("issuer_id", f"lower({text('issuer_id')})"),
        ("exchange", upper_text("exchange")),
        ("mic", upper_text("mic")),
        ("ticker", upper_text("ticker")),
        ("source_symbol", text("source_symbol")),
        ("isin", upper_text("isin")),
        ("isin_basis", f"lower({text('isin_basis')})"),
        ("cusip", upper_text("cusip")),
        ("figi", upper_text("figi")),
        ("composite_figi", upper_text("composite_figi")),
        ("shareclass_figi", upper_text("shareclass_figi")),
        ("currency", upper_text("currency")),
        ("delisted", f"lower(coalesce({text('delisted')}, 'false')) IN ('true', 't', '1', 'yes')"),
        ("source_url", text("source_url")),
    ),
    checks=(
        check_required("issuer_id"),
        (
            f"{text('issuer_id')} IS NOT NULL AND lower({text('issuer_id')}) NOT IN (SELECT issuer_id FROM issuers)",
            "'unknown issuer in issuer_id: ' || \"issuer_id\"",
        ),
        check_in("exchange", tuple(e.lower() for e in EXCHANGES)),
        check_required("ticker"),
        _shape("isin", "^[A-Z]{2}[A-Z0-9]{9}[0-9]$", "an ISIN"),
        _shape("cusip", "^[A-Z0-9]{8}[0-9]$", "a CUSIP"),
        _shape("figi", "^BBG[A-Z0-9]{9}$", "a FIGI"),
        check_required("source_url"),
    ),
    known_columns=LISTING_COLUMNS,
    meta=META,
    source_kind_column=False,
)

KINDS: tuple[Kind, ...] = (ISSUERS, LISTINGS)
# Issuers refer to registry firms, so they load after the registry.
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (("issuers.csv", ISSUERS), ("issuer_listings.csv", LISTINGS))
