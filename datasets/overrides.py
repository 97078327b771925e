"""Analysts' match decisions: "this vendor is / is not that firm", stored with who, when and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from datasets.db import first_row, scalar
from datasets.errors import LoadError, NotFoundError
from scoring.normalize import normalize_name
from scoring.resolve import ANY_FIRM

UEI_LENGTH = 12


@dataclass(frozen=True)
class Override:
    override_id: int
    scheme: str
    value: str
    raw_value: str
    firm_id: str
    decision: str
    decided_by: str
    decided_at: datetime
    reason: str


def add_override(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str | None,
    uei: str | None,
    firm_id: str | None,
    decision: str,
    by: str,
    why: str,
) -> Override:
    """Record an analyst's decision. "is_not" without a firm says the vendor is no registry firm at all (not
    Canadian-owned): it is stored against ANY_FIRM, attributes to none, and leaves the review queue."""
    if bool(name) == bool(uei):
        raise LoadError("give exactly one of --name or --uei")
    if decision not in ("is", "is_not"):
        raise LoadError(f"decision must be 'is' or 'is_not', not {decision!r}")
    if not by.strip() or not why.strip():
        raise LoadError("an override needs who decided it (--by) and why (--why)")
    if firm_id is None:
        if decision == "is":
            raise LoadError("an 'is' decision needs the registry firm (--firm)")
        firm_id = ANY_FIRM
    elif scalar(con, "SELECT count(*) FROM firms WHERE firm_id = ?", [firm_id]) == 0:
        raise NotFoundError(f"no firm {firm_id!r} in the registry")
    if uei:
        scheme, value = "uei", uei.strip().upper()
        if len(value) != UEI_LENGTH or not value.isalnum():
            raise LoadError(f"{uei!r} is not a UEI (12 letters and digits)")
    else:
        scheme, value = "name", normalize_name(name) or ""
        if not value:
            raise LoadError(f"{name!r} has nothing left to match once legal forms and punctuation are removed")
    raw = (uei or name or "").strip()
    row = first_row(
        con,
        "INSERT INTO match_overrides (scheme, value, raw_value, firm_id, decision, decided_by, decided_at, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        [scheme, value, raw, firm_id, decision, by.strip(), datetime.now(UTC).replace(tzinfo=None), why.strip()],
    )
    assert row is not None
    return Override(*row)


def list_overrides(con: duckdb.DuckDBPyConnection, firm_id: str | None = None) -> list[Override]:
    sql = "SELECT * FROM match_overrides" + (" WHERE firm_id = ?" if firm_id else "") + " ORDER BY override_id"
    rows: list[Any] = con.execute(sql, [firm_id] if firm_id else []).fetchall()
    return [Override(*row) for row in rows]


def remove_override(con: duckdb.DuckDBPyConnection, override_id: int) -> Override:
    row = first_row(con, "DELETE FROM match_overrides WHERE override_id = ? RETURNING *", [override_id])
    if row is None:
        raise NotFoundError(f"no override #{override_id}")
    return Override(*row)
