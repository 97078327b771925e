"""The record of every screening: what was screened, when, against which snapshot and methodology.

Kept in a small SQLite file beside the (read-only) DuckDB snapshot, so several workers can write to it and
a screening can be returned later byte for byte.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS screenings (
    screening_id        TEXT PRIMARY KEY,
    created_at          TEXT NOT NULL,
    snapshot_id         TEXT NOT NULL,
    methodology_version TEXT,
    items               INTEGER NOT NULL,
    response            BLOB NOT NULL      -- the JSON answered, exactly
);
"""


class ScreeningStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.executescript(SCHEMA)
        self._lock = threading.Lock()

    def save(
        self, screening_id: str, snapshot_id: str, methodology_version: str | None, items: int, response: bytes
    ) -> None:
        with self._lock:
            self._con.execute(
                "INSERT INTO screenings VALUES (?, ?, ?, ?, ?, ?)",
                (screening_id, datetime.now(UTC).isoformat(), snapshot_id, methodology_version, items, response),
            )

    def get(self, screening_id: str) -> bytes | None:
        with self._lock:
            row = self._con.execute(
                "SELECT response FROM screenings WHERE screening_id = ?", (screening_id,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        self._con.close()
