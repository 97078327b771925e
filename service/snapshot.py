"""The data snapshot a server process serves: opened read-only once, with the hot reads (firm profiles,
identifier and name lookups for screening) built into memory when it opens.

DuckDB answers the analytic queries (filtered lists, exports); everything a screening or a profile needs is
a dictionary lookup here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from scoring.matching import NameMatcher
from service import queries
from service.models import FirmProfile, FirmSummary, Snapshot
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
    rows_quarantined: int = 0
    universe: Universe = field(default_factory=Universe)
    aliases_of: dict[str, int] = field(default_factory=dict)  # registry firm -> its aliases and names
    name_results: dict[Any, Any] = field(default_factory=dict)  # screening's name matches, filled as asked

    def subsidiaries_of(self, parent: str) -> list[str]:
        return sorted(f for f, p in self.parents.items() if p == parent and f != parent)

    def remember_page(self, etag: str, body: bytes) -> None:
        if len(self.pages) < MAX_CACHED_PAGES:
            self.pages[etag] = body

    def resolve_agency(self, text: str) -> str | None:
        return self.agencies.get(text.strip().upper())


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def snapshot_id(snapshot: Snapshot, sources: int) -> str:
    raw = json.dumps([snapshot.as_of, snapshot.methodology_version, snapshot.scored_at, sources], default=_json_default)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def load_snapshot(con: duckdb.DuckDBPyConnection, top_contributions: int = 20) -> ServingSnapshot:
    cur = con.cursor()
    try:
        snapshot = queries.current_snapshot(cur)
        counts = queries.counts(cur)
        serving = ServingSnapshot(snapshot=snapshot, snapshot_id=snapshot_id(snapshot, counts["sources"]))
        quarantined = cur.execute("SELECT coalesce(sum(rows_quarantined), 0) FROM sources").fetchall()
        serving.rows_quarantined = int(quarantined[0][0])
        _load_agencies(cur, serving)
        _load_firms(cur, serving)
        _load_lookups(cur, serving)
        _load_profiles(cur, serving, top_contributions)
        serving.universe = load_universe(cur)
    finally:
        cur.close()
    return serving


def _load_agencies(cur: duckdb.DuckDBPyConnection, serving: ServingSnapshot) -> None:
    for code, name, abbreviation in cur.execute(
        "SELECT agency_code, name, abbreviation FROM agencies ORDER BY level DESC, active, agency_code DESC"
    ).fetchall():
        # Later rows win: active sub-tiers with the lowest code take an abbreviation shared with history.
        for key in (code, name, abbreviation):
            if key:
                serving.agencies[str(key).upper()] = str(code)


def _load_firms(cur: duckdb.DuckDBPyConnection, serving: ServingSnapshot) -> None:
    if serving.snapshot.as_of is None:
        return
    summaries, _count, _next = queries.list_firms(
        cur, serving.snapshot, queries.FirmFilters(limit=10_000_000, sort="score")
    )
    weighted: dict[str, dict[str, float]] = {}
    for firm_id, raw in cur.execute(
        "SELECT firm_id, by_agency FROM scores WHERE as_of = ? AND methodology_version = ?",
        [serving.snapshot.as_of, serving.snapshot.methodology_version],
    ).fetchall():
        items = json.loads(raw) if raw else []
        weighted[firm_id] = {str(i["key"]): float(i["weighted"]) for i in items}
    for summary in summaries:
        serving.firms[summary.firm_id] = FirmEntry(
            firm_id=summary.firm_id, name=summary.name, summary=summary, by_agency=weighted.get(summary.firm_id, {})
        )


def _load_lookups(cur: duckdb.DuckDBPyConnection, serving: ServingSnapshot) -> None:
    # Every registry firm maps to the scored parent it rolls up to (itself when it is one).
    parents = {firm_id: firm_id for firm_id in serving.firms}
    if serving.snapshot.as_of is not None:
        for child, parent in cur.execute(
            "SELECT DISTINCT via_firm_id, firm_id FROM contributions WHERE as_of = ? AND methodology_version = ?",
            [serving.snapshot.as_of, serving.snapshot.methodology_version],
        ).fetchall():
            parents.setdefault(child, parent)
    if serving.snapshot.as_of is not None:
        # The roll-up scoring persisted, as it holds on the snapshot's date: no second walk of the ownership.
        for child, parent in cur.execute(
            """SELECT firm_id, parent_id FROM ownership_paths
               WHERE as_of = ? AND methodology_version = ? AND firm_id <> parent_id
                 AND (valid_from IS NULL OR valid_from <= as_of) AND (valid_to IS NULL OR valid_to >= as_of)
               ORDER BY ownership_share DESC, parent_id""",
            [serving.snapshot.as_of, serving.snapshot.methodology_version],
        ).fetchall():
            if parent in serving.firms:
                parents.setdefault(child, parent)
    serving.parents = parents

    ticker_claims: dict[str, set[str]] = {}
    for firm_id, scheme, value, exchange in cur.execute(
        "SELECT firm_id, scheme, upper(value), upper(exchange) FROM firm_identifiers"
    ).fetchall():
        key = f"{value}|{exchange}" if scheme == "ticker" and exchange else value
        serving.identifiers[(scheme, key)] = firm_id
        if scheme == "ticker":
            ticker_claims.setdefault(value, set()).add(firm_id)
    # A ticker sent without its exchange still finds a firm, but only when one firm alone uses it.
    for ticker, firms in ticker_claims.items():
        if len(firms) == 1:
            serving.identifiers[("ticker_any", ticker)] = next(iter(firms))

    rows = cur.execute("SELECT firm_id, alias FROM firm_aliases UNION SELECT firm_id, name FROM firms").fetchall()
    for firm_id, _name in rows:
        serving.aliases_of[str(firm_id)] = serving.aliases_of.get(str(firm_id), 0) + 1
    rows += [(entry.firm_id, entry.name) for entry in serving.firms.values() if entry.name]
    serving.matcher = NameMatcher((str(firm_id), str(name)) for firm_id, name in rows)
    for scheme, value, firm_id, decision in cur.execute(
        "SELECT scheme, value, firm_id, decision FROM match_overrides ORDER BY override_id"
    ).fetchall():
        if scheme == "name" and decision == "is":
            serving.name_overrides[value] = firm_id
        elif scheme == "name":
            serving.refused.add((value, firm_id))
        elif decision == "is":
            serving.identifiers[("uei", value)] = firm_id
        elif serving.identifiers.get(("uei", value)) == firm_id:
            del serving.identifiers[("uei", value)]


def _load_profiles(cur: duckdb.DuckDBPyConnection, serving: ServingSnapshot, top_contributions: int) -> None:
    """Every profile rendered to JSON once, when the snapshot opens: a profile request is a dict lookup."""
    for firm_id in queries.all_profile_ids(cur, serving.snapshot):
        profile = queries.firm_profile(cur, serving.snapshot, firm_id, top_contributions)
        serving.profile_models[firm_id] = profile
        serving.profiles[firm_id] = profile.model_dump_json().encode()
