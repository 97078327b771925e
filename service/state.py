"""The service's own writable state, in a small SQLite file beside the read-only DuckDB snapshot: the record
of every screening (returned later byte for byte), the API keys (hashed) and their monthly usage.

SQLite in WAL mode lets several server workers and the `exposure keys` command share it safely.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCOPES = ("read", "screen", "admin")
KEY_PREFIX = "es"

SCHEMA = """
CREATE TABLE IF NOT EXISTS screenings (
    screening_id        TEXT PRIMARY KEY,
    created_at          TEXT NOT NULL,
    snapshot_id         TEXT NOT NULL,
    methodology_version TEXT,
    items               INTEGER NOT NULL,
    key_id              TEXT,              -- the API key that asked (NULL: anonymous)
    response            BLOB NOT NULL      -- the JSON answered, exactly
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id           TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    scopes           TEXT NOT NULL,        -- comma-separated: read, screen, admin
    secret_sha256    TEXT NOT NULL,        -- the secret is never stored
    rate_per_minute  INTEGER NOT NULL,
    monthly_quota    INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    revoked_at       TEXT
);
CREATE TABLE IF NOT EXISTS key_usage (
    key_id    TEXT NOT NULL,
    month     TEXT NOT NULL,               -- YYYY-MM
    requests  INTEGER NOT NULL,
    PRIMARY KEY (key_id, month)
);
"""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: frozenset[str]
    rate_per_minute: int
    monthly_quota: int
    created_at: str
    revoked_at: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _month(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


class ServiceState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._con.close()

    # --- screenings ---------------------------------------------------------------------------------

    def save_screening(
        self,
        screening_id: str,
        snapshot_id: str,
        methodology_version: str | None,
        items: int,
        key_id: str | None,
        response: bytes,
    ) -> None:
        with self._lock:
            self._con.execute(
                "INSERT INTO screenings VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    screening_id,
                    datetime.now(UTC).isoformat(),
                    snapshot_id,
                    methodology_version,
                    items,
                    key_id,
                    response,
                ),
            )

    def screening(self, screening_id: str) -> tuple[bytes, str | None] | None:
        with self._lock:
            row = self._con.execute(
                "SELECT response, key_id FROM screenings WHERE screening_id = ?", (screening_id,)
            ).fetchone()
        return None if row is None else (bytes(row[0]), row[1])

    # --- keys ---------------------------------------------------------------------------------------

    def create_key(self, name: str, scopes: list[str], rate_per_minute: int, monthly_quota: int) -> tuple[ApiKey, str]:
        """A new key and its secret token; the token is shown once and only its hash is kept."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
        key_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        token = f"{KEY_PREFIX}_{key_id}_{secret}"
        created = datetime.now(UTC).isoformat()
        with self._lock:
            self._con.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (key_id, name, ",".join(sorted(set(scopes))), _hash(secret), rate_per_minute, monthly_quota, created),
            )
        return ApiKey(key_id, name, frozenset(scopes), rate_per_minute, monthly_quota, created, None), token

    def api_keys(self) -> list[tuple[ApiKey, int]]:
        """Every key with its requests this month."""
        with self._lock:
            rows = self._con.execute(
                "SELECT k.key_id, k.name, k.scopes, k.rate_per_minute, k.monthly_quota, k.created_at, k.revoked_at, "
                "coalesce(u.requests, 0) FROM api_keys k LEFT JOIN key_usage u ON u.key_id = k.key_id AND u.month = ? "
                "ORDER BY k.created_at",
                (_month(),),
            ).fetchall()
        return [(ApiKey(r[0], r[1], frozenset(r[2].split(",")), r[3], r[4], r[5], r[6]), int(r[7])) for r in rows]

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            cursor = self._con.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), key_id),
            )
        return cursor.rowcount == 1

    def authenticate(self, token: str) -> ApiKey | None:
        """The live key a token belongs to, or None (unknown, malformed, wrong secret or revoked)."""
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        _prefix, key_id, secret = parts
        with self._lock:
            row = self._con.execute(
                "SELECT key_id, name, scopes, rate_per_minute, monthly_quota, created_at, revoked_at, secret_sha256 "
                "FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None or row[6] is not None or not hmac.compare_digest(row[7], _hash(secret)):
            return None
        return ApiKey(row[0], row[1], frozenset(row[2].split(",")), row[3], row[4], row[5], row[6])

    def count_request(self, key_id: str) -> int:
        """Count one request against this month's quota; returns the month's total so far."""
        month = _month()
        with self._lock:
            row = self._con.execute(
                "INSERT INTO key_usage VALUES (?, ?, 1) ON CONFLICT (key_id, month) "
                "DO UPDATE SET requests = requests + 1 RETURNING requests",
                (key_id, month),
            ).fetchone()
        return int(row[0])
