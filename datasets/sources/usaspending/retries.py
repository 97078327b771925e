"""Retrying USAspending's transient failures: connection errors, timeouts, HTTP 408, 429 and 5xx.

The retry loop is tenacity's; this module only configures it. The wait is what `Retry-After` asks for when
the server sent one (capped at MAX_RETRY_AFTER_SECONDS), otherwise exponential backoff with a little jitter.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

import httpx
import tenacity

from datasets.errors import FetchError

# Longest wait a Retry-After may impose, and the cap on the exponential backoff.
MAX_RETRY_AFTER_SECONDS = 900.0
MAX_BACKOFF_SECONDS = 60.0
_TRANSIENT_STATUSES = frozenset({408, 429})

ProgressCallback = Callable[[str], None]


class Transient(Exception):
    """A failure worth another try, with the wait the server asked for, if it did."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for: a number of seconds or an HTTP date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def is_transient(status_code: int) -> bool:
    return status_code in _TRANSIENT_STATUSES or status_code >= 500


def transient_from(response: httpx.Response) -> Transient:
    return Transient(f"HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After")))


class _FailureCount:
    """Consecutive failed attempts; with `progress` (how far the work has got), a failure that advanced it
    starts the count again, so that only failures without progress use up the retries."""

    def __init__(self, progress: Callable[[], int] | None) -> None:
        self.progress = progress
        self.high_water = progress() if progress else 0
        self.failures = 0

    def record(self, _state: tenacity.RetryCallState) -> None:
        reached = self.progress() if self.progress else 0
        if reached > self.high_water:
            self.high_water, self.failures = reached, 0
        self.failures += 1


def _transient(state: tenacity.RetryCallState) -> Transient:
    assert state.outcome is not None
    failure = state.outcome.exception()
    assert isinstance(failure, Transient)  # the retry condition lets nothing else through
    return failure


@dataclass(frozen=True)
class RetryPolicy:
    retries: int
    backoff_seconds: float

    def delay(self, failures: int, retry_after: float | None) -> float:
        """Retry-After when the server gave one; otherwise exponential backoff with a little jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER_SECONDS)
        base = min(self.backoff_seconds * 2.0 ** (failures - 1), MAX_BACKOFF_SECONDS)
        return base * (1 + random.random() / 10)

    def retrying(
        self,
        what: str,
        step: ProgressCallback,
        *,
        progress: Callable[[], int] | None = None,
        kept: Callable[[], str] | None = None,
    ) -> tenacity.Retrying:
        """Calls a function, retrying the Transient failures it raises `retries` times (each one told to
        `step`), then raising FetchError with the last reason. With `progress`, only failures that made no
        progress count; `kept` adds what is left to resume from to the final error."""
        count = _FailureCount(progress)

        def announce(state: tenacity.RetryCallState) -> None:
            reason = _transient(state).reason
            step(f"{what}: {reason}; retrying in {state.upcoming_sleep:.1f} s ({count.failures} of {self.retries})")

        def give_up(state: tenacity.RetryCallState) -> NoReturn:
            without = " without progress" if progress else ""
            note = kept() if kept else ""
            reason = _transient(state).reason
            raise FetchError(f"{what}: gave up after {count.failures} attempts{without} ({reason}){note}") from None

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(Transient),
            after=count.record,
            wait=lambda state: self.delay(count.failures, _transient(state).retry_after),
            stop=lambda _state: count.failures > self.retries,
            before_sleep=announce,
            retry_error_callback=give_up,
        )
