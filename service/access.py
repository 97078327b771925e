"""Who may call what: API keys with scopes, a per-key rate limit and a monthly quota.

Scopes: `read` (every GET under /v1), `screen` (POST /v1/screen and GET /v1/screenings/...), `admin`
(everything, and /v1/admin/...). Health, readiness, metrics and the API description are open. An operator
may let anonymous callers have some scopes (the `make run` demo allows `read`).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from service.state import ApiKey, ServiceState

OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect")


@dataclass(frozen=True)
class Denial:
    status: int
    detail: str
    retry_after: int | None = None


def required_scope(method: str, path: str) -> str | None:
    if path in OPEN_PATHS or not path.startswith("/v1"):
        return None
    if path.startswith("/v1/admin"):
        return "admin"
    if path == "/v1/screen" or path.startswith("/v1/screenings"):
        return "screen"
    return "read"


class TokenBucket:
    """Requests per minute, smoothed: the bucket holds a minute's allowance and refills continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when a request may go now, else the seconds until it may."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate else 60.0


def _seconds_to_next_month() -> int:
    now = datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return math.ceil((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds())


class AccessControl:
    def __init__(self, state: ServiceState, anonymous_scopes: frozenset[str]) -> None:
        self.state = state
        self.anonymous_scopes = anonymous_scopes
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, method: str, path: str, token: str | None) -> tuple[ApiKey | None, Denial | None]:
        scope = required_scope(method, path)
        if scope is None:
            return None, None
        if token is None:
            if scope in self.anonymous_scopes:
                return None, None
            return None, Denial(
                401,
                f"this endpoint needs an API key with scope {scope!r}: send "
                "'Authorization: Bearer <key>' (exposure keys create makes one)",
            )
        key = self.state.authenticate(token)
        if key is None:
            return None, Denial(401, "the API key is unknown, malformed or revoked")
        if scope not in key.scopes and "admin" not in key.scopes:
            return key, Denial(
                403, f"key {key.key_id} has scopes {', '.join(sorted(key.scopes))}; this endpoint needs {scope!r}"
            )
        with self._lock:
            bucket = self._buckets.setdefault(key.key_id, TokenBucket(key.rate_per_minute))
            wait = bucket.take()
        if wait > 0:
            return key, Denial(
                429, f"key {key.key_id} is limited to {key.rate_per_minute} requests a minute", math.ceil(wait)
            )
        used = self.state.count_request(key.key_id)
        if used > key.monthly_quota:
            return key, Denial(
                429,
                f"key {key.key_id} has used its monthly quota of {key.monthly_quota:,} requests",
                _seconds_to_next_month(),
            )
        return key, None


def bearer_token(headers: dict[bytes, bytes]) -> str | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1").strip()
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    api_key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return api_key or None
