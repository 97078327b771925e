"""The universe of Canadian listed issuers as a server holds it in memory: identifier, ticker and name lookups,
what the loaded records say about each issuer's name, and the span of the loaded records (the coverage a
`pass` rests on). Built from a few bulk queries when a snapshot opens."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from scoring.matching import NameMatcher
from scoring.normalize import normalize_names
from service.db import Cursor
from service.queries import universe as stored

# What funds write for an exchange -> the universe's exchange code.
EXCHANGE_ALIASES = {
    "TSX": "TSX",
    "XTSE": "TSX",
    "TSE": "TSX",
    "TOR": "TSX",
    "TO": "TSX",
    "CT": "TSX",  # Bloomberg's Toronto code
    "TSXV": "TSXV",
    "TSX-V": "TSXV",
    "XTSX": "TSXV",
    "CVE": "TSXV",
    "VAN": "TSXV",
    "V": "TSXV",
    "CV": "TSXV",
    "CSE": "CSE",
    "XCNQ": "CSE",
    "CNQ": "CSE",
    "CNSX": "CSE",
    "NEO": "NEO",
    "NEOE": "NEO",
    "NE": "NEO",
    "CBOE CANADA": "NEO",
}
CANADA_COMPOSITE = "CN"  # Bloomberg's "GIB/A CN": any Canadian exchange
_SUFFIX = re.compile(r"^(?P<ticker>.+?)[.:](?P<suffix>TO|V|CN|NE)$")
_BLOOMBERG = re.compile(r"^(?P<ticker>\S+)\s+(?P<suffix>CN|CT|CV|NE)(\s+EQUITY)?$")
_PREFIX = re.compile(r"^(?P<suffix>[A-Z-]+):(?P<ticker>.+)$")


@dataclass(frozen=True)
class Ticker:
    ticker: str  # GIB.A
    exchange: str | None  # a universe exchange code, None for "any Canadian exchange"
    foreign_exchange: str | None = None  # an exchange the universe does not list (NYSE, NASDAQ)


def parse_ticker(raw: str, exchange: str | None) -> Ticker:
    """`GIB.A`, `GIB-A`, `GIB/A`, `GIB.A.TO`, `GIB/A CN`, `TSX:GIB.A`, with or without an exchange field."""
    text = " ".join(raw.strip().upper().split())
    suffix: str | None = None
    for pattern in (_BLOOMBERG, _SUFFIX, _PREFIX):
        found = pattern.match(text)
        if found:
            text, suffix = found["ticker"], found["suffix"]
            if pattern is _SUFFIX and suffix == "CN":
                suffix = "CSE"  # Yahoo's ".CN" is the Canadian Securities Exchange, Bloomberg's " CN" all of Canada
            break
    ticker = re.sub(r"[-/ ]", ".", text)
    sent = " ".join((exchange or "").strip().upper().split()) or None
    named = sent or suffix
    if named is None or named == CANADA_COMPOSITE:
        return Ticker(ticker, None)
    code = EXCHANGE_ALIASES.get(named)
    return Ticker(ticker, code, None if code else named)


@dataclass(frozen=True)
class Issuer:
    issuer_id: str
    name: str
    firm_id: str | None
    status: str
    primary_exchange: str
    primary_ticker: str
    listings: int
    sector: str | None
    subsidiary_research: str  # the research status of its U.S. subsidiaries (COVERAGE.md, issue #11)


@dataclass(frozen=True)
class NameInRecords:
    """Vendor records that may be an issuer's (its exact normalised name, or a name the review queue offers for it):
    unconfirmed until an analyst decides."""

    names: tuple[str, ...]
    records: int


@dataclass(frozen=True)
class RecordSpan:
    first: date | None
    last: date | None
    agencies: tuple[str, ...]
    vendor_names: int


@dataclass
class Universe:
    issuers: dict[str, Issuer] = field(default_factory=dict)
    by_identifier: dict[tuple[str, str], str] = field(default_factory=dict)  # (isin|cusip|figi|lei, value) -> id
    by_ticker: dict[tuple[str, str], str] = field(default_factory=dict)  # (exchange, ticker) -> issuer
    by_bare_ticker: dict[str, set[str]] = field(default_factory=dict)  # ticker -> issuers on any exchange
    by_name: dict[str, set[str]] = field(default_factory=dict)  # normalised name -> issuers
    name_keys: dict[str, str] = field(default_factory=dict)  # issuer or registry firm -> its normalised name
    matcher: NameMatcher = field(default_factory=lambda: NameMatcher([]))
    in_records: dict[str, NameInRecords] = field(default_factory=dict)
    queued: dict[str, NameInRecords] = field(default_factory=dict)  # vendors the review queue offers as the issuer's
    span: RecordSpan = field(default_factory=lambda: RecordSpan(None, None, (), 0))

    def ticker(self, parsed: Ticker) -> set[str]:
        if parsed.foreign_exchange:
            return set()
        if parsed.exchange:
            found = self.by_ticker.get((parsed.exchange, parsed.ticker))
            return {found} if found else set()
        return self.by_bare_ticker.get(parsed.ticker, set())


def load_universe(cur: Cursor, as_of: date | None = None, methodology_version: str | None = None) -> Universe:
    universe = Universe()
    for row in stored.issuers(cur):
        universe.issuers[row[0]] = Issuer(*row)
    by_ticker_any: dict[str, set[str]] = defaultdict(set)
    claims: dict[tuple[str, str], set[str]] = defaultdict(set)
    for issuer_id, exchange, ticker, isin, cusip, figi, composite, shareclass in stored.listings(cur):
        universe.by_ticker[(exchange, ticker)] = issuer_id
        by_ticker_any[ticker].add(issuer_id)
        for scheme, value in (
            ("isin", isin),
            ("cusip", cusip),
            ("figi", figi),
            ("figi", composite),
            ("figi", shareclass),
        ):
            if value:
                claims[(scheme, value)].add(issuer_id)
    for issuer_id, lei in stored.issuer_leis(cur):
        claims[("lei", lei)].add(issuer_id)
    for issuer in universe.issuers.values():
        by_ticker_any.setdefault(issuer.primary_ticker, set()).add(issuer.issuer_id)
    # An identifier two issuers claim (a source error) identifies neither.
    universe.by_identifier = {key: next(iter(ids)) for key, ids in claims.items() if len(ids) == 1}
    universe.by_bare_ticker = dict(by_ticker_any)
    ids = list(universe.issuers)
    keys = normalize_names([universe.issuers[i].name for i in ids])
    by_name: dict[str, set[str]] = defaultdict(set)
    for issuer_id, key in zip(ids, keys, strict=True):
        if key:
            by_name[key].add(issuer_id)
            universe.name_keys[issuer_id] = key
    universe.by_name = dict(by_name)
    universe.matcher = NameMatcher((i, universe.issuers[i].name) for i in ids if not universe.issuers[i].firm_id)
    firms = stored.registry_names(cur)
    for (firm_id, _name), key in zip(firms, normalize_names([str(f[1]) for f in firms]), strict=True):
        if key:
            universe.name_keys[f"firm:{firm_id}"] = key
    _load_records(cur, universe)
    if as_of is not None and methodology_version is not None:
        for issuer_id, names, records in stored.queued_for_issuers(cur, as_of, methodology_version):
            universe.queued[issuer_id] = NameInRecords(tuple(names), records)
    return universe


def _load_records(cur: Cursor, universe: Universe) -> None:
    """Which universe names appear, exactly, in the loaded vendor records; and the span of those records."""
    raw_names = stored.vendor_names(cur)
    unlinked = {key: ids for key, ids in universe.by_name.items() if not any(universe.issuers[i].firm_id for i in ids)}
    carried: dict[str, list[str]] = defaultdict(list)
    for raw, key in zip(raw_names, normalize_names(raw_names), strict=True):
        if key in unlinked:
            carried[key].append(raw)
    counts = stored.records_per_name(cur, [n for names in carried.values() for n in names])
    for key, names in carried.items():
        seen = NameInRecords(tuple(sorted(names)), sum(counts.get(n, 0) for n in names))
        for issuer_id in unlinked[key]:
            universe.in_records[issuer_id] = seen
    first, last = stored.record_span(cur)
    universe.span = RecordSpan(first, last, tuple(stored.record_agencies(cur)), len(raw_names))
