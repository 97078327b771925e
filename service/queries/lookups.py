"""What a server reads once, when a snapshot opens, to screen from memory: agencies by every name, each scored
firm's exposure by agency, the roll-up of registry firms to scored parents, identifiers, names and overrides."""

from __future__ import annotations

from typing import Any

from scoring.resolve import EXACT_NAMES_ONLY
from service.db import Cursor
from service.models import Snapshot


def agency_names(cur: Cursor) -> list[tuple[Any, ...]]:
    """(code, name, abbreviation), in the order later rows should win a shared abbreviation."""
    return cur.tuples(
        "SELECT agency_code, name, abbreviation FROM agencies ORDER BY level DESC, active, agency_code DESC"
    )


def exposure_by_agency(cur: Cursor, snapshot: Snapshot) -> list[tuple[Any, ...]]:
    """(firm_id, by_agency JSON) of every scored firm."""
    return cur.tuples(
        "SELECT firm_id, by_agency FROM scores WHERE as_of = ? AND methodology_version = ?",
        [snapshot.as_of, snapshot.methodology_version],
    )


def contribution_parents(cur: Cursor, snapshot: Snapshot) -> list[tuple[Any, ...]]:
    """(child, scored parent): every firm whose records were scored to a parent, the largest share first (a
    listed subsidiary's own records count for it in full, and for its listed parent at the parent's share)."""
    return cur.tuples(
        """SELECT via_firm_id, firm_id FROM contributions WHERE as_of = ? AND methodology_version = ?
           GROUP BY via_firm_id, firm_id ORDER BY max(ownership_share) DESC, firm_id""",
        [snapshot.as_of, snapshot.methodology_version],
    )


def ownership_parents(cur: Cursor, snapshot: Snapshot) -> list[tuple[Any, ...]]:
    """(child, parent) of the roll-up scoring persisted, as it holds on the snapshot's date, largest share first."""
    return cur.tuples(
        """SELECT firm_id, parent_id FROM ownership_paths
           WHERE as_of = ? AND methodology_version = ? AND firm_id <> parent_id
             AND (valid_from IS NULL OR valid_from <= as_of) AND (valid_to IS NULL OR valid_to >= as_of)
           ORDER BY ownership_share DESC, parent_id""",
        [snapshot.as_of, snapshot.methodology_version],
    )


def identifiers(cur: Cursor) -> list[tuple[Any, ...]]:
    """(firm_id, scheme, value, exchange), value and exchange upper-cased."""
    return cur.tuples("SELECT firm_id, scheme, upper(value), upper(exchange) FROM firm_identifiers")


def names(cur: Cursor) -> list[tuple[Any, ...]]:
    """(firm_id, name) for every alias and registry name."""
    return cur.tuples("SELECT firm_id, alias FROM firm_aliases UNION SELECT firm_id, name FROM firms")


def exact_name_firms(cur: Cursor) -> list[str]:
    """The firms whose names are also other businesses': only an exact name finds them."""
    return [
        str(r[0])
        for r in cur.tuples("SELECT firm_id FROM firms WHERE name_matching = ? ORDER BY 1", [EXACT_NAMES_ONLY])
    ]


def overrides(cur: Cursor) -> list[tuple[Any, ...]]:
    """(scheme, value, firm_id, decision), oldest first, so a later decision wins."""
    return cur.tuples("SELECT scheme, value, firm_id, decision FROM match_overrides ORDER BY override_id")
