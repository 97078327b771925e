"""The data snapshot a server process serves: opened read-only once, with the hot reads (firm profiles,
identifier and name lookups for screening) built into memory when it opens.

DuckDB answers the analytic queries (filtered lists, exports); everything a screening or a profile needs is
a dictionary lookup here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from scoring.matching import NameMatcher
from scoring.resolve import ANY_FIRM
from service.db import Connection, Cursor
from service.models import FirmProfile, FirmSummary, Snapshot
from service.queries import firms as firm_queries
from service.queries import lookups, meta, profiles
from service.universe import Universe, load_universe

TIER_ORDER = ("none", "low", "moderate", "high", "severe")
MAX_CACHED_PAGES = 4096
SCHEMES = ("isin", "lei", "ticker", "bn", "uei", "cage", "duns", "cusip", "sec_cik")


@dataclass(frozen=True)
class FirmEntry:
    """What screening needs of one scored firm, precomputed."""

    firm_id: str
    name: str | None
    summary: FirmSummary
    by_agency: dict[str, float]  # agency code -> weighted contribution


@dataclass
class ServingSnapshot:
    snapshot: Snapshot
    snapshot_id: str
    firms: dict[str, FirmEntry] = field(default_factory=dict)
    identifiers: dict[tuple[str, str], str] = field(default_factory=dict)  # (scheme, value[|exchange]) -> firm
    matcher: NameMatcher = field(default_factory=lambda: NameMatcher([]))
    name_overrides: dict[str, str] = field(default_factory=dict)  # normalised name -> firm ("is")
    refused: set[tuple[str, str]] = field(default_factory=set)  # (normalised name, firm) pairs ("is not")
    parents: dict[str, str] = field(default_factory=dict)  # any registry firm -> its scored parent
    agencies: dict[str, str] = field(default_factory=dict)  # code, abbreviation or name (upper) -> code
    profiles: dict[str, bytes] = field(default_factory=dict)  # firm_id -> the profile's JSON
    profile_models: dict[str, FirmProfile] = field(default_factory=dict)  # the same, as models (vendor check)
    pages: dict[str, bytes] = field(default_factory=dict)  # list ETag -> the page's JSON, filled as asked
    gzipped_profiles: dict[str, bytes] = field(default_factory=dict)  # firm_id -> gzip of its JSON, as asked
    rows_quarantined: int = 0
    universe: Universe = field(default_factory=Universe)
    aliases_of: dict[str, int] = field(default_factory=dict)  # registry firm -> its aliases and names
    name_results: dict[Any, Any] = field(default_factory=dict)  # screening's name matches, filled as asked

    def subsidiaries_of(self, parent: str) -> list[str]:
        return sorted(f for f, p in self.parents.items() if p == parent and f != parent)

    def remember_page(self, etag: str, body: bytes) -> None:
        if len(self.pages) < MAX_CACHED_PAGES:
            self.pages[etag] = body

    def gzipped_profile(self, firm_id: str) -> bytes | None:
        """A profile compressed once, the first time a client that accepts gzip asks for it."""
        body = self.gzipped_profiles.get(firm_id)
        if body is None and firm_id in self.profiles:
            body = self.gzipped_profiles[firm_id] = gzip.compress(self.profiles[firm_id], compresslevel=6)
        return body

    def resolve_agency(self, text: str) -> str | None:
        return self.agencies.get(text.strip().upper())


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def snapshot_id(snapshot: Snapshot, sources: int) -> str:
    raw = json.dumps([snapshot.as_of, snapshot.methodology_version, snapshot.scored_at, sources], default=_json_default)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def load_snapshot(con: Connection, top_contributions: int = 20) -> ServingSnapshot:
    with Cursor(con) as cur:  # no time limit: the server is not serving this snapshot yet
        snapshot = meta.current_snapshot(cur)
        counts = meta.counts(cur)
        serving = ServingSnapshot(snapshot=snapshot, snapshot_id=snapshot_id(snapshot, counts["sources"]))
        serving.rows_quarantined = meta.rows_quarantined(cur)
        _load_agencies(cur, serving)
        _load_firms(cur, serving)
        _load_lookups(cur, serving)
        _load_profiles(cur, serving, top_contributions)
        serving.universe = load_universe(cur, snapshot.as_of, snapshot.methodology_version)
    return serving


def _load_agencies(cur: Cursor, serving: ServingSnapshot) -> None:
    for code, name, abbreviation in lookups.agency_names(cur):
        # Later rows win: active sub-tiers with the lowest code take an abbreviation shared with history.
        for key in (code, name, abbreviation):
            if key:
                serving.agencies[str(key).upper()] = str(code)


def _load_firms(cur: Cursor, serving: ServingSnapshot) -> None:
    if serving.snapshot.as_of is None:
        return
    everything = firm_queries.FirmFilters(limit=10_000_000, sort="score")
    summaries = firm_queries.list_firms(cur, serving.snapshot, everything).firms
    weighted: dict[str, dict[str, float]] = {}
    for firm_id, raw in lookups.exposure_by_agency(cur, serving.snapshot):
        items = json.loads(raw) if raw else []
        weighted[firm_id] = {str(i["key"]): float(i["weighted"]) for i in items}
    for summary in summaries:
        serving.firms[summary.firm_id] = FirmEntry(
            firm_id=summary.firm_id, name=summary.name, summary=summary, by_agency=weighted.get(summary.firm_id, {})
        )


def _load_lookups(cur: Cursor, serving: ServingSnapshot) -> None:
    # Every registry firm maps to the scored parent it rolls up to (itself when it is one).
    parents = {firm_id: firm_id for firm_id in serving.firms}
    if serving.snapshot.as_of is not None:
        for child, parent in lookups.contribution_parents(cur, serving.snapshot):
            parents.setdefault(child, parent)
    if serving.snapshot.as_of is not None:
        # The roll-up scoring persisted, as it holds on the snapshot's date: no second walk of the ownership.
        for child, parent in lookups.ownership_parents(cur, serving.snapshot):
            if parent in serving.firms:
                parents.setdefault(child, parent)
    serving.parents = parents

    ticker_claims: dict[str, set[str]] = {}
    for firm_id, scheme, value, exchange in lookups.identifiers(cur):
        key = f"{value}|{exchange}" if scheme == "ticker" and exchange else value
        serving.identifiers[(scheme, key)] = firm_id
        if scheme == "ticker":
            ticker_claims.setdefault(value, set()).add(firm_id)
    # A ticker sent without its exchange still finds a firm, but only when one firm alone uses it.
    for ticker, firms in ticker_claims.items():
        if len(firms) == 1:
            serving.identifiers[("ticker_any", ticker)] = next(iter(firms))

    rows = lookups.names(cur)
    for firm_id, _name in rows:
        serving.aliases_of[str(firm_id)] = serving.aliases_of.get(str(firm_id), 0) + 1
    rows += [(entry.firm_id, entry.name) for entry in serving.firms.values() if entry.name]
    serving.matcher = NameMatcher(
        ((str(firm_id), str(name)) for firm_id, name in rows), exact_only=lookups.exact_name_firms(cur)
    )
    for scheme, value, firm_id, decision in lookups.overrides(cur):
        if scheme == "name" and decision == "is":
            serving.name_overrides[value] = firm_id
        elif scheme == "name":
            serving.refused.add((value, firm_id))
        elif decision == "is":
            serving.identifiers[("uei", value)] = firm_id
        elif firm_id == ANY_FIRM or serving.identifiers.get(("uei", value)) == firm_id:
            serving.identifiers.pop(("uei", value), None)


def _load_profiles(cur: Cursor, serving: ServingSnapshot, top_contributions: int) -> None:
    """Every profile rendered to JSON once, when the snapshot opens: a profile request is a dict lookup."""
    for firm_id, profile in profiles.all_profiles(cur, serving.snapshot, top_contributions).items():
        serving.profile_models[firm_id] = profile
        serving.profiles[firm_id] = profile.model_dump_json().encode()
