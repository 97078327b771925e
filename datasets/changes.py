"""The change log a refresh writes: firms whose score, tier or verdict changed, awards and evidence new to a
firm, each with its before and after. Taken as a baseline of the served result before rescoring, then compared
with the result that will be published."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

# The served result: the pinned one (`--serve`), else the newest as-of date, its latest scoring first. The
# server's query of the snapshot it serves uses the same rule.
SERVED_RESULT_SQL = """
    SELECT s.as_of, s.methodology_version, max(s.scored_at) AS scored_at
    FROM scores s LEFT JOIN served_snapshot p USING (as_of, methodology_version)
    GROUP BY ALL ORDER BY bool_or(p.as_of IS NOT NULL) DESC, s.as_of DESC, scored_at DESC LIMIT 1
"""
# What the default screening policy answers for a tier: the verdict a buyer would see without a policy.
DEFAULT_VERDICT = {"none": "pass", "low": "flag", "moderate": "flag", "high": "flag", "severe": "exclude"}


@dataclass(frozen=True)
class Baseline:
    """The served result before a refresh: per firm its score and tier, and the awards and evidence behind it."""

    as_of: Any = None
    methodology_version: str | None = None
    scores: dict[str, tuple[float, str]] = field(default_factory=dict)
    awards: dict[str, set[str]] = field(default_factory=dict)
    evidence: dict[str, set[str]] = field(default_factory=dict)


def _served(con: duckdb.DuckDBPyConnection) -> tuple[Any, str] | None:
    row = con.execute(SERVED_RESULT_SQL).fetchone()
    return None if row is None else (row[0], str(row[1]))


def baseline(con: duckdb.DuckDBPyConnection) -> Baseline:
    served = _served(con)
    if served is None:
        return Baseline()
    as_of, version = served
    scores = {
        str(firm): (float(score), str(tier))
        for firm, score, tier in con.execute(
            "SELECT firm_id, score, tier FROM scores WHERE as_of = ? AND methodology_version = ?", [as_of, version]
        ).fetchall()
    }
    awards: dict[str, set[str]] = {}
    evidence: dict[str, set[str]] = {}
    for firm, kind, key in con.execute(
        "SELECT DISTINCT firm_id, link_kind, coalesce(CASE WHEN link_kind = 'evidence' THEN source_key END, award_key)"
        " FROM contributions WHERE as_of = ? AND methodology_version = ?",
        [as_of, version],
    ).fetchall():
        if key is not None:
            (evidence if kind == "evidence" else awards).setdefault(str(firm), set()).add(str(key))
    return Baseline(as_of, version, scores, awards, evidence)


@dataclass(frozen=True)
class Recorded:
    refresh_id: str
    changes: list[dict[str, Any]]  # as stored, for subscribers


def record(con: duckdb.DuckDBPyConnection, before: Baseline) -> Recorded:
    """Compare the result now served in `con` with `before` and append what changed to the change log."""
    refresh_id = secrets.token_hex(8)
    now = baseline(con)
    if now.as_of is None:
        return Recorded(refresh_id, [])
    rows: list[tuple[str, str, str | None, str | None, str | None, str]] = []  # firm, kind, key, before, after, summary
    for firm in sorted(set(now.scores) | set(before.scores)):
        old, new = before.scores.get(firm), now.scores.get(firm)
        if old is None and new is not None and new[0] == 0:
            continue  # a firm first scored with nothing against it is not news
        old_state = _state(old)
        new_state = _state(new)
        if old is None or new is None or round(old[0], 2) != round(new[0], 2):
            rows.append((firm, "score", None, _json(old_state), _json(new_state), _summary(firm, old, new)))
        elif old[1] != new[1]:
            rows.append((firm, "tier", None, _json(old_state), _json(new_state), _summary(firm, old, new)))
        for kind, then, later in (("award", before.awards, now.awards), ("evidence", before.evidence, now.evidence)):
            for key in sorted(later.get(firm, set()) - then.get(firm, set())):
                rows.append((firm, f"new_{kind}", key, None, _json({kind: key}), f"{firm}: new {kind} {key}"))
    if not rows:
        return Recorded(refresh_id, [])
    detected = datetime.now(UTC).replace(tzinfo=None)
    context = (refresh_id, detected, before.as_of, before.methodology_version, now.as_of, now.methodology_version)
    con.executemany(
        "INSERT INTO changes VALUES (nextval('change_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*context, *row) for row in rows],
    )
    stored = con.execute("SELECT * FROM changes WHERE refresh_id = ? ORDER BY change_id", [refresh_id]).fetchall()
    names = [column[0] for column in con.description or ()]
    return Recorded(refresh_id, [dict(zip(names, row, strict=True)) for row in stored])


def _state(value: tuple[float, str] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"score": round(value[0], 2), "tier": value[1], "verdict": DEFAULT_VERDICT.get(value[1])}


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _summary(firm: str, old: tuple[float, str] | None, new: tuple[float, str] | None) -> str:
    def said(value: tuple[float, str] | None) -> str:
        return "not scored" if value is None else f"{value[0]:.2f} ({value[1]})"

    return f"{firm}: score {said(old)} -> {said(new)}"
