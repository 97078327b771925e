"""The service's own writable state, in a small SQLite file beside the read-only DuckDB snapshot: the record
of every screening (returned later byte for byte), the API keys (hashed), their monthly usage, and the rate
limit buckets of keys and anonymous client addresses.

SQLite in WAL mode lets several server workers and the `exposure keys` command share it safely: a key's rate
and quota are one allowance however many workers serve it. Every method blocks (on disk, or on another
process's write lock), so the server calls them from worker threads, never on its event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
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
CREATE TABLE IF NOT EXISTS webhooks (
    webhook_id  TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,             -- the key that registered it, and alone may see or remove it
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,             -- signs every delivery (HMAC-SHA256); shown once, at registration
    created_at  TEXT NOT NULL,
    removed_at  TEXT
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id   TEXT NOT NULL,
    refresh_id   TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    attempted_at TEXT NOT NULL,
    status_code  INTEGER,                  -- NULL: no answer (refused, timed out)
    error        TEXT,
    delivered    INTEGER NOT NULL          -- 1 when the receiver answered 2xx
);
CREATE TABLE IF NOT EXISTS rate_buckets (
    subject  TEXT PRIMARY KEY,             -- key:<key_id> or addr:<client address>
    tokens   REAL NOT NULL,                -- requests that may go now; holds at most a minute's allowance
    stamp    REAL NOT NULL                 -- unix time tokens was last brought up to date
);
"""
# A bucket left alone this long has refilled, so deleting its row (a missing row is a full bucket) loses nothing.
IDLE_BUCKET_SECONDS = 60.0


@dataclass(frozen=True)
class ScreeningSummary:
    screening_id: str
    created_at: str
    snapshot_id: str
    methodology_version: str | None
    items: int
    key_id: str | None


@dataclass(frozen=True)
class Webhook:
    webhook_id: str
    key_id: str
    url: str
    secret: str
    created_at: str


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    webhook_id: str
    refresh_id: str
    attempt: int
    attempted_at: str
    status_code: int | None
    error: str | None
    delivered: bool


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: frozenset[str]
    rate_per_minute: int
    monthly_quota: int
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class Allowance:
    """What one visit to a bucket gave: `granted` requests, already counted against the key's quota."""

    granted: int
    month: str  # the month they were counted in, for handing back any left unused
    wait_seconds: float = 0.0  # none granted by the rate: until one more may go
    over_quota: bool = False  # none granted because the month's quota is used up


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
        self._pruned_at = 0.0
        self.revocations = 0  # keys revoked through this object, so caches of keys can drop theirs at once

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

    def screenings(self, key_id: str | None, limit: int, offset: int) -> tuple[list[ScreeningSummary], int]:
        """The screenings one key made, newest first (key_id None: every screening, for admin)."""
        where, params = ("WHERE key_id = ?", (key_id,)) if key_id is not None else ("", ())
        with self._lock:
            total = self._con.execute(f"SELECT count(*) FROM screenings {where}", params).fetchone()[0]
            rows = self._con.execute(
                "SELECT screening_id, created_at, snapshot_id, methodology_version, items, key_id "
                f"FROM screenings {where} ORDER BY created_at DESC, screening_id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [ScreeningSummary(*row) for row in rows], int(total)

    # --- webhooks ------------------------------------------------------------------------------------

    def add_webhook(self, key_id: str, url: str) -> Webhook:
        hook = Webhook(secrets.token_hex(8), key_id, url, secrets.token_urlsafe(32), datetime.now(UTC).isoformat())
        with self._lock:
            self._con.execute(
                "INSERT INTO webhooks VALUES (?, ?, ?, ?, ?, NULL)",
                (hook.webhook_id, hook.key_id, hook.url, hook.secret, hook.created_at),
            )
        return hook

    def webhooks(self, key_id: str | None = None) -> list[Webhook]:
        """Live webhooks: one key's, or (key_id None) every one, for delivery."""
        where, params = ("AND key_id = ?", (key_id,)) if key_id is not None else ("", ())
        with self._lock:
            rows = self._con.execute(
                "SELECT webhook_id, key_id, url, secret, created_at FROM webhooks "
                f"WHERE removed_at IS NULL {where} ORDER BY created_at, webhook_id",
                params,
            ).fetchall()
        return [Webhook(*row) for row in rows]

    def remove_webhook(self, key_id: str, webhook_id: str) -> bool:
        with self._lock:
            done = self._con.execute(
                "UPDATE webhooks SET removed_at = ? WHERE webhook_id = ? AND key_id = ? AND removed_at IS NULL",
                (datetime.now(UTC).isoformat(), webhook_id, key_id),
            )
        return done.rowcount > 0

    def log_delivery(
        self, webhook_id: str, refresh_id: str, attempt: int, status_code: int | None, error: str | None
    ) -> None:
        delivered = status_code is not None and 200 <= status_code < 300
        with self._lock:
            self._con.execute(
                "INSERT INTO webhook_deliveries (webhook_id, refresh_id, attempt, attempted_at, status_code, error,"
                " delivered) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (webhook_id, refresh_id, attempt, datetime.now(UTC).isoformat(), status_code, error, int(delivered)),
            )

    def deliveries(self, webhook_id: str, limit: int = 100) -> list[Delivery]:
        with self._lock:
            rows = self._con.execute(
                "SELECT delivery_id, webhook_id, refresh_id, attempt, attempted_at, status_code, error, delivered "
                "FROM webhook_deliveries WHERE webhook_id = ? ORDER BY delivery_id DESC LIMIT ?",
                (webhook_id, limit),
            ).fetchall()
        return [
            Delivery(
                delivery_id=int(r[0]), webhook_id=r[1], refresh_id=r[2], attempt=int(r[3]), attempted_at=r[4],
                status_code=r[5], error=r[6], delivered=bool(r[7]),
            )
            for r in rows
        ]  # fmt: skip

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
            self.revocations += 1
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

    # --- rate limits and quotas -------------------------------------------------------------------------

    def take_allowance(
        self,
        subject: str,
        per_minute: int,
        want: int,
        quota: tuple[str, int] | None = None,
        unused: int = 0,
        unused_month: str | None = None,
        *,
        ahead: bool = False,
    ) -> Allowance:
        """Up to `want` requests for `subject` from its token bucket (a minute's allowance, refilled continuously)
        and, when `quota` (key id, requests a month) is given, counted against the key's month: one short write
        transaction, shared by every process on this file. `unused` requests granted earlier and not made are
        handed back first (to the bucket and, for a key, to the month they were counted in).

        As before the bucket was shared: a request the rate refuses is not counted; one the quota refuses is
        counted (it was made) and spends its token. A batch taken `ahead` of need is no request: when the quota
        refuses it, nothing is counted."""
        now, month = time.time(), _month()
        rate = per_minute / 60.0
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                row = con.execute("SELECT tokens, stamp FROM rate_buckets WHERE subject = ?", (subject,)).fetchone()
                refilled = per_minute if row is None else row[0] + max(0.0, now - row[1]) * rate
                tokens = min(float(per_minute), refilled + unused)
                granted = min(want, int(tokens))
                over_quota = False
                if quota is not None:
                    key_id, monthly = quota
                    if unused and unused_month is not None:
                        con.execute(
                            "UPDATE key_usage SET requests = max(0, requests - ?) WHERE key_id = ? AND month = ?",
                            (unused, key_id, unused_month),
                        )
                    if granted:
                        used_row = con.execute(
                            "SELECT requests FROM key_usage WHERE key_id = ? AND month = ?", (key_id, month)
                        ).fetchone()
                        used = int(used_row[0]) if used_row else 0
                        over_quota = used >= monthly
                        counted = (0 if ahead else 1) if over_quota else min(granted, monthly - used)
                        granted = 0 if over_quota else counted
                        tokens -= counted
                        con.execute(
                            "INSERT INTO key_usage VALUES (?, ?, ?) ON CONFLICT (key_id, month) "
                            "DO UPDATE SET requests = requests + excluded.requests",
                            (key_id, month, counted),
                        )
                else:
                    tokens -= granted
                con.execute(
                    "INSERT INTO rate_buckets VALUES (?, ?, ?) ON CONFLICT (subject) "
                    "DO UPDATE SET tokens = excluded.tokens, stamp = excluded.stamp",
                    (subject, tokens, now),
                )
                if now - self._pruned_at > IDLE_BUCKET_SECONDS:
                    con.execute("DELETE FROM rate_buckets WHERE stamp < ?", (now - IDLE_BUCKET_SECONDS,))
                    self._pruned_at = now
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        wait = 0.0 if granted or over_quota else (1.0 - tokens) / rate if rate else 60.0
        return Allowance(granted, month, wait, over_quota)
