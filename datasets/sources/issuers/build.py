"""Rebuild the bundled universe of Canadian listed issuers from FinanceDatabase's exchange files.

    python -m datasets.sources.issuers.build [--source ../shared/data/real/financedatabase_canada] [--out datasets/data]

Deterministic: the same inputs give the same bytes. One row per issuer in `issuers.csv` (share classes and
listings grouped under it), one row per listing in `issuer_listings.csv`. Every identifier is check-digit
validated; a Canadian ISIN missing from the source is derived from the CUSIP (`CA` + CUSIP + check digit). The
cited supplement beside this file adds listings the source misses (CGI's GIB.A) and corrects what it has wrong.
Registry firms with a TSX ticker (Thomson Reuters, CGI, ...) give their firm_id to their issuer: one identity.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stdnum import cusip as cusip_check
from stdnum import figi as figi_check
from stdnum import isin as isin_check

from datasets.sources.issuers.load import ISSUER_COLUMNS, LISTING_COLUMNS

HERE = Path(__file__).parent
REPO = HERE.parents[2]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "real" / "financedatabase_canada"
DEFAULT_OUT = REPO / "datasets" / "data"
SUPPLEMENT = HERE / "supplement.csv"
REGISTRY_IDENTIFIERS = REPO / "datasets" / "data" / "firm_identifiers.csv"

SOURCE_COMMIT = "268be5d29898a12dbd6b1f006a0deb55b81a5a29"
SOURCE_URL = "https://github.com/JerBouma/FinanceDatabase/blob/{commit}/database/equities/{file}"
# Source file -> our exchange code, its MIC and the Yahoo symbol suffix; listed in the order a primary listing wins.
EXCHANGES = {
    "TOR.csv": ("TSX", "XTSE", ".TO"),
    "NEO.csv": ("NEO", "NEOE", ".NE"),
    "VAN.csv": ("TSXV", "XTSX", ".V"),
    "CNQ.csv": ("CSE", "XCNQ", ".CN"),
}
EXCHANGE_RANK = {code: rank for rank, (code, _mic, _suffix) in enumerate(EXCHANGES.values())}
MIC = {code: mic for code, mic, _suffix in EXCHANGES.values()}
SLUG_PREFIX = {"TSX": "tsx", "NEO": "neo", "TSXV": "tsxv", "CSE": "cse"}

NOTICE = """# Issuer universe: licence notice

`issuers.csv` and `issuer_listings.csv` are derived from FinanceDatabase (https://github.com/JerBouma/FinanceDatabase,
commit {commit}, files `database/equities/TOR.csv`, `VAN.csv`, `CNQ.csv`, `NEO.csv`), regrouped one row per issuer,
with identifiers check-digit validated, ISINs derived from CUSIPs where absent, and a cited supplement
(`datasets/sources/issuers/supplement.csv`). Rebuild with `python -m datasets.sources.issuers.build`.

FinanceDatabase is distributed under the MIT License:

{licence}"""


@dataclass
class Listing:
    exchange: str
    ticker: str
    source_symbol: str
    name: str
    isin: str = ""
    isin_basis: str = ""
    cusip: str = ""
    figi: str = ""
    composite_figi: str = ""
    shareclass_figi: str = ""
    currency: str = ""
    delisted: bool = False
    country: str = ""
    province: str = ""
    city: str = ""
    sector: str = ""
    industry: str = ""
    website: str = ""
    source_url: str = ""

    @property
    def root(self) -> str:
        return self.ticker.split(".")[0]


@dataclass
class BuildReport:
    listings: int = 0
    issuers: int = 0
    dropped_identifiers: list[str] = field(default_factory=list)
    merged_spellings: list[str] = field(default_factory=list)  # one listing under two Yahoo spellings
    dropped_unnamed: list[str] = field(default_factory=list)  # issuers with no name in any listing
    derived_isins: int = 0
    supplement_added: int = 0
    supplement_corrected: int = 0
    registry_linked: dict[str, str] = field(default_factory=dict)


def ticker_of(symbol: str, suffix: str) -> str:
    """Yahoo's `GIB-A.TO` is the exchange's `GIB.A`."""
    base = symbol[: -len(suffix)] if symbol.endswith(suffix) else symbol
    return base.replace("-", ".").upper()


def canadian_isin(cusip: str) -> str:
    body = "CA" + cusip
    return body + isin_check.calc_check_digit(body)


def _valid(value: str, check: object, what: str, symbol: str, report: BuildReport) -> str:
    value = value.strip().upper()
    if not value:
        return ""
    if not check.is_valid(value):  # type: ignore[attr-defined]
        report.dropped_identifiers.append(f"{symbol}: {what} {value!r} fails its check digit")
        return ""
    return value


def read_source(source: Path, report: BuildReport) -> list[Listing]:
    listings = []
    for file_name, (exchange, _mic, suffix) in EXCHANGES.items():
        url = SOURCE_URL.format(commit=SOURCE_COMMIT, file=file_name)
        with (source / file_name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                symbol = row["symbol"].strip()
                listing = Listing(
                    exchange=exchange,
                    ticker=ticker_of(symbol, suffix),
                    source_symbol=symbol,
                    name=" ".join(row["name"].split()),
                    isin=_valid(row["isin"], isin_check, "ISIN", symbol, report),
                    cusip=_valid(row["cusip"], cusip_check, "CUSIP", symbol, report),
                    figi=_valid(row["figi"], figi_check, "FIGI", symbol, report),
                    composite_figi=_valid(row["composite_figi"], figi_check, "composite FIGI", symbol, report),
                    shareclass_figi=_valid(row["shareclass_figi"], figi_check, "share-class FIGI", symbol, report),
                    currency=row["currency"].strip(),
                    delisted=row["delisted"].strip().lower() == "true",
                    country=row["country"].strip(),
                    province=row["state"].strip(),
                    city=row["city"].strip(),
                    sector=row["sector"].strip(),
                    industry=row["industry"].strip(),
                    website=row["website"].strip(),
                    source_url=url,
                )
                if listing.isin and listing.cusip and listing.isin[2:11] != listing.cusip:
                    report.dropped_identifiers.append(
                        f"{symbol}: ISIN {listing.isin} does not carry CUSIP {listing.cusip}"
                    )
                    listing.isin = ""
                listings.append(listing)
    return merge_spellings(listings, report)


def merge_spellings(listings: list[Listing], report: BuildReport) -> list[Listing]:
    """`AF-P.V` and `AF.P.V` are one listing (AF.P): keep the first, fill its blanks from the other."""
    kept: dict[tuple[str, str], Listing] = {}
    for listing in listings:
        key = (listing.exchange, listing.ticker)
        first = kept.get(key)
        if first is None:
            kept[key] = listing
            continue
        report.merged_spellings.append(f"{listing.source_symbol} is {first.source_symbol}")
        for name in ("name", "isin", "cusip", "figi", "composite_figi", "shareclass_figi", "country", "city"):
            if not getattr(first, name) and getattr(listing, name):
                setattr(first, name, getattr(listing, name))
    return list(kept.values())


def apply_supplement(listings: list[Listing], path: Path, report: BuildReport) -> None:
    by_symbol = {listing.source_symbol: listing for listing in listings}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            symbol = row["source_symbol"].strip()
            checked = {
                "isin": _valid(row["isin"], isin_check, "ISIN", symbol, report),
                "cusip": _valid(row["cusip"], cusip_check, "CUSIP", symbol, report),
            }
            if (row["isin"].strip() and not checked["isin"]) or (row["cusip"].strip() and not checked["cusip"]):
                raise ValueError(f"supplement {symbol}: an identifier fails its check digit; fix the supplement")
            fields = {k: row[k].strip() for k in ("name", "country", "province", "city", "sector")}
            listing = by_symbol.get(symbol)
            if listing is None:
                listing = Listing(
                    exchange=row["exchange"].strip(), ticker=row["ticker"].strip(), source_symbol=symbol, name=""
                )
                listings.append(listing)
                by_symbol[symbol] = listing
                report.supplement_added += 1
            else:
                report.supplement_corrected += 1
            for key, value in {**fields, **checked}.items():
                if value:
                    setattr(listing, key, value)
            if checked["isin"]:
                listing.isin_basis = "supplement"
            listing.source_url = row["source_url"].strip()


def derive_isins(listings: Iterable[Listing], report: BuildReport) -> None:
    for listing in listings:
        if listing.isin:
            listing.isin_basis = listing.isin_basis or "source"
        elif listing.cusip and listing.country == "Canada":
            listing.isin = canadian_isin(listing.cusip)
            listing.isin_basis = "derived_from_cusip"
            report.derived_isins += 1


def group_issuers(listings: list[Listing]) -> list[list[Listing]]:
    """Listings of one issuer: the same ticker root on one exchange, or the same CUSIP issuer number."""
    parent = list(range(len(listings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_seen: dict[tuple[str, str], int] = {}
    for index, listing in enumerate(listings):
        keys = [("root", f"{listing.exchange}:{listing.root}")]
        if listing.cusip:
            keys.append(("cusip6", listing.cusip[:6]))
        for key in keys:
            if key in first_seen:
                union(first_seen[key], index)
            else:
                first_seen[key] = index
    groups: dict[int, list[Listing]] = defaultdict(list)
    for index, listing in enumerate(listings):
        groups[find(index)].append(listing)
    return list(groups.values())


def primary(group: list[Listing]) -> Listing:
    """The listing that names the issuer: live before delisted, TSX first, the plain ticker before classes."""
    return min(group, key=lambda x: (x.delisted, EXCHANGE_RANK[x.exchange], "." in x.ticker, len(x.ticker), x.ticker))


def registry_tickers(path: Path) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["exchange"].strip().upper(), row["value"].strip().upper()): row["firm_id"].strip()
            for row in csv.DictReader(handle)
            if row["scheme"] == "ticker" and row["exchange"].strip().upper() in EXCHANGE_RANK
        }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build(
    source: Path, supplement: Path = SUPPLEMENT, registry: Path = REGISTRY_IDENTIFIERS
) -> tuple[str, str, str, BuildReport]:
    """The three files' text (issuers, listings, notice) and what the build did."""
    report = BuildReport()
    listings = read_source(source, report)
    apply_supplement(listings, supplement, report)
    derive_isins(listings, report)
    linked = registry_tickers(registry)
    issuer_rows = []
    listing_rows = []
    for group in group_issuers(listings):
        head = primary(group)
        if not head.name:
            named = sorted((x for x in group if x.name), key=lambda x: x.ticker)
            if not named:
                report.dropped_unnamed.append(", ".join(sorted(x.source_symbol for x in group)))
                continue
            head.name = named[0].name
        firm_ids = sorted({linked[(x.exchange, x.ticker)] for x in group if (x.exchange, x.ticker) in linked})
        if len(firm_ids) > 1:
            raise ValueError(f"issuer {head.source_symbol} carries tickers of several registry firms: {firm_ids}")
        firm_id = firm_ids[0] if firm_ids else ""
        issuer_id = firm_id or f"{SLUG_PREFIX[head.exchange]}-{_slug(head.ticker)}"
        if firm_id:
            report.registry_linked[firm_id] = head.source_symbol
        live = [x for x in group if not x.delisted]
        ordered = sorted(group, key=lambda x: (x.delisted, EXCHANGE_RANK[x.exchange], x.ticker))
        isin = next((x.isin for x in ordered if x.isin and x.ticker == head.ticker), "")
        cusip = next((x.cusip for x in ordered if x.cusip and x.ticker == head.ticker), "")
        issuer_rows.append(
            {
                "issuer_id": issuer_id,
                "name": head.name,
                "firm_id": firm_id,
                "status": "listed" if live else "delisted",
                "country": head.country,
                "province": head.province,
                "city": head.city,
                "sector": head.sector,
                "industry": head.industry,
                "website": head.website,
                "primary_exchange": head.exchange,
                "primary_ticker": head.ticker,
                "isin": isin,
                "cusip": cusip,
                "listings": str(len(group)),
                "source_url": head.source_url,
            }
        )
        for x in ordered:
            listing_rows.append(
                {
                    "issuer_id": issuer_id,
                    "exchange": x.exchange,
                    "mic": MIC[x.exchange],
                    "ticker": x.ticker,
                    "source_symbol": x.source_symbol,
                    "isin": x.isin,
                    "isin_basis": x.isin_basis,
                    "cusip": x.cusip,
                    "figi": x.figi,
                    "composite_figi": x.composite_figi,
                    "shareclass_figi": x.shareclass_figi,
                    "currency": x.currency,
                    "delisted": "true" if x.delisted else "false",
                    "source_url": x.source_url,
                }
            )
    ids = [row["issuer_id"] for row in issuer_rows]
    if len(ids) != len(set(ids)):
        raise ValueError("two issuers were given the same issuer_id")
    issuer_rows.sort(key=lambda r: r["issuer_id"])
    listing_rows.sort(key=lambda r: (r["issuer_id"], r["exchange"], r["ticker"]))
    report.listings, report.issuers = len(listing_rows), len(issuer_rows)
    licence = (source / "LICENSE").read_text(encoding="utf-8").strip() + "\n"
    return (
        _csv(ISSUER_COLUMNS, issuer_rows),
        _csv(LISTING_COLUMNS, listing_rows),
        NOTICE.format(commit=SOURCE_COMMIT, licence=licence),
        report,
    )


def _csv(columns: Sequence[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


OUTPUT_FILES = ("issuers.csv", "issuer_listings.csv", "ISSUERS_NOTICE.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with TOR.csv, VAN.csv, ...")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    texts = build(args.source)
    for file_name, text in zip(OUTPUT_FILES, texts[:3], strict=True):
        (args.out / file_name).write_text(text, encoding="utf-8")
    report = texts[3]
    print(
        f"{report.issuers:,} issuers, {report.listings:,} listings; {report.derived_isins} ISINs derived from CUSIPs; "
        f"supplement: {report.supplement_added} added, {report.supplement_corrected} corrected; "
        f"registry firms linked: {', '.join(f'{k} ({v})' for k, v in sorted(report.registry_linked.items()))}"
    )
    print(
        f"{len(report.merged_spellings)} listings spelt twice merged; "
        f"{len(report.dropped_unnamed)} unnamed issuers left out"
    )
    for dropped in report.dropped_identifiers + [f"no name: {u}" for u in report.dropped_unnamed]:
        print(f"dropped: {dropped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
