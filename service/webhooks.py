"""Telling subscribers what a refresh changed: one signed POST per registered webhook, retried with backoff,
every attempt in the delivery log.

The receiver checks a delivery by recomputing the signature: `X-Exposure-Signature: sha256=<hex>` is
HMAC-SHA256, keyed with the webhook's secret, over `<X-Exposure-Timestamp>.<body>` (the Unix time the delivery
was signed, a dot, the raw body). A receiver should refuse a timestamp more than a few minutes old (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from service.state import ServiceState, Webhook

SIGNATURE_HEADER = "X-Exposure-Signature"
TIMESTAMP_HEADER = "X-Exposure-Timestamp"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    first_wait_seconds: float = 1.0  # then doubled each time
    timeout_seconds: float = 10.0


class _NotAccepted(Exception):
    """A receiver that did not answer 2xx: worth another try."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def payload(refresh_id: str, changes: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps({"refresh_id": refresh_id, "count": len(changes), "changes": list(changes)}, default=str).encode()


def deliver(
    state: ServiceState,
    refresh_id: str,
    changes: Sequence[dict[str, Any]],
    policy: RetryPolicy = RetryPolicy(),
    client: httpx.Client | None = None,
) -> dict[str, bool]:
    """Send this refresh's changes to every live webhook; which were delivered (by webhook id)."""
    if not changes:
        return {}
    body = payload(refresh_id, changes)
    results: dict[str, bool] = {}
    with client or httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False) as http:
        for hook in state.webhooks():
            results[hook.webhook_id] = _deliver_one(state, http, hook, refresh_id, body, policy)
    return results


def _deliver_one(
    state: ServiceState, http: httpx.Client, hook: Webhook, refresh_id: str, body: bytes, policy: RetryPolicy
) -> bool:
    attempt = 0

    def post() -> None:
        nonlocal attempt
        attempt += 1
        timestamp = str(int(time.time()))  # signed afresh each attempt: a retry is not a stale replay
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(hook.secret, timestamp, body),
            "X-Exposure-Refresh": refresh_id,
        }
        try:
            response = http.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            state.log_delivery(hook.webhook_id, refresh_id, attempt, None, f"{type(exc).__name__}: {exc}")
            raise _NotAccepted(str(exc)) from exc
        error = None if response.is_success else f"answered {response.status_code}"
        state.log_delivery(hook.webhook_id, refresh_id, attempt, response.status_code, error)
        if not response.is_success:
            raise _NotAccepted(error)

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.first_wait_seconds, max=60),
        retry=retry_if_exception_type(_NotAccepted),
    )
    try:
        retrying(post)
    except RetryError:
        return False
    return True
