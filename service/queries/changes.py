"""The change log refreshes wrote: what changed, for whom, with its before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from service.db import Cursor
from service.models import Change


def _decoded(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    return dict(json.loads(raw)) if isinstance(raw, str) else dict(raw)


def changes_since(cur: Cursor, since: datetime | None, firm_id: str | None, limit: int) -> list[Change]:
    """Oldest first after `since` (a client keeps the last detected_at it saw and asks again from there)."""
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if since is not None:
        where.append("detected_at > ?")
        params.append(since if since.tzinfo is None else since.astimezone(UTC).replace(tzinfo=None))  # stored in UTC
    if firm_id is not None:
        where.append("firm_id = ?")
        params.append(firm_id)
    rows = cur.rows(
        "SELECT change_id, refresh_id, detected_at, from_as_of, from_methodology_version, to_as_of, "
        "to_methodology_version, firm_id, kind, subject_key, before, after, summary "
        f"FROM changes WHERE {' AND '.join(where)} ORDER BY detected_at, change_id LIMIT ?",
        [*params, limit],
    )
    return [Change(**{**r, "before": _decoded(r["before"]), "after": _decoded(r["after"])}) for r in rows]
