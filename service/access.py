"""Who may call what: API keys with scopes, a rate limit and a monthly quota shared by every server worker, and
a rate limit per client address for callers without a key.

Each router declares the scope its endpoints need (`service.deps.access`): `read`, `screen` or `admin`; an
`admin` key may do everything. Routes that declare none (health, readiness, metrics, the API description)
are open. An operator may let callers without a key have `read` and `screen` (the `make run` demo allows
`read`); each client address then gets `anonymous_rate_per_minute`.

The SQLite state is the truth, but asking it costs a write transaction and, from the event loop, a hop to a
worker thread. So each worker keeps two things briefly in memory: the keys it has authenticated (for
`key_cache_seconds`; a revoke through this process's state drops them at once, one by another process, such
as `exposure keys revoke`, takes effect within that time), and small leases of requests taken from a bucket
(at most half a second's allowance and LEASE_MAX requests, handed back when unused). Most requests are then
answered from memory, on the loop; the rest call `admit` from a worker thread.

Busy callers never wait for the state: when a lease is half spent, or a cached key has run half its time, one
background thread renews it (a new batch added to the lease; the key asked again, and dropped if it is no
longer live). A worker then holds at most one and a half leases of a subject, and a revoke still takes effect
within `key_cache_seconds`.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
import anyio.to_thread

from service.errors import ApiError
from service.state import Allowance, ApiKey, ServiceState

log = logging.getLogger("exposure.access")

_clock = time.monotonic  # one indirection, so tests can move time
LEASE_SECONDS = 0.5
LEASE_MAX = 1000
MAX_CACHED_KEYS = 10_000


class AccessDenied(ApiError):
    """A refusal: 401 (no key, or not a live one), 403 (the key lacks the scope) or 429 (rate or quota), with
    the headers that tell the caller what to do next."""

    def __init__(self, status: int, detail: str, retry_after: float | None = None) -> None:
        headers: dict[str, str] = {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="exposure-screen"'
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        super().__init__(status, detail, headers=headers)


@dataclass
class _Lease:
    """Requests taken from a shared bucket (and counted against the quota) that this worker may still make."""

    remaining: int
    size: int  # requests taken from the bucket at a time
    per_minute: int
    quota: tuple[str, int] | None  # (key id, requests a month) for a key
    month: str  # the month the requests were counted in
    expires: float  # _clock()


class NotInMemory:
    """The answer of `admit_from_memory` when only the state can say: call `admit` from a worker thread."""


NOT_IN_MEMORY = NotInMemory()


def lease_size(per_minute: int) -> int:
    """Requests to take from a bucket at once: one for slow limits, so they stay exact."""
    return max(1, min(LEASE_MAX, int(per_minute * LEASE_SECONDS / 60)))


def _seconds_to_next_month() -> int:
    now = datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return math.ceil((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds())


def _digest(credential: str) -> bytes:
    # Cached keys are found by a hash of the token, so no secret is kept as a dictionary key.
    return hashlib.sha256(credential.encode()).digest()


def _scopes(needed: frozenset[str]) -> str:
    return " and ".join(repr(scope) for scope in sorted(needed))


def _check_declared(needed: frozenset[str]) -> None:
    if not needed:  # a route that declared access but no scope would be open to every key: fail closed
        raise ValueError("a route declares access without a scope; use service.deps.access('read') or similar")


class AccessControl:
    def __init__(
        self,
        state: ServiceState,
        anonymous_scopes: frozenset[str],
        anonymous_rate_per_minute: int,
        key_cache_seconds: float = 2.0,
    ) -> None:
        self.state = state
        self.anonymous_scopes = anonymous_scopes
        self.anonymous_rate_per_minute = anonymous_rate_per_minute
        self.key_cache_seconds = key_cache_seconds
        self._keys: dict[bytes, tuple[ApiKey, float]] = {}
        self._leases: dict[str, _Lease] = {}
        self._revocations_seen = state.revocations
        self._lock = threading.Lock()
        self._visiting_state = threading.Lock()
        self._one_waiting_on_state = anyio.Lock()
        # Renewals ahead of need, one at a time, each subject (or key) at most once in flight.
        self._renewals = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="access-renewal")
        self._renewing: set[str | bytes] = set()
        self._closed = False

    async def admit_on_loop(self, credential: str | None, needed: frozenset[str], client: str) -> ApiKey | None:
        """`admit` for the event loop: from memory when it can; otherwise on a worker thread, one request at a
        time. Those that ran out of memory together wait here without a thread each, then look in memory again:
        the one ahead of them has usually cached the key and leased a batch."""
        admitted = self.admit_from_memory(credential, needed, client)
        if not isinstance(admitted, NotInMemory):
            return admitted
        async with self._one_waiting_on_state:
            admitted = self.admit_from_memory(credential, needed, client)
            if not isinstance(admitted, NotInMemory):
                return admitted
            return await anyio.to_thread.run_sync(self.admit, credential, needed, client)

    def admit_from_memory(
        self, credential: str | None, needed: frozenset[str], client: str
    ) -> ApiKey | NotInMemory | None:
        """The caller's key (None: anonymous) when memory alone admits the request; raises AccessDenied when
        memory alone refuses it; NOT_IN_MEMORY otherwise. Never blocks, so it is safe on the event loop."""
        _check_declared(needed)
        if credential is None:
            self._authorise_anonymous(needed)
            return None if self._spend_leased(f"addr:{client}") else NOT_IN_MEMORY
        key = self._cached_key(credential)
        if key is None:
            return NOT_IN_MEMORY
        self._authorise(key, needed)
        return key if self._spend_leased(f"key:{key.key_id}") else NOT_IN_MEMORY

    def admit(self, credential: str | None, needed: frozenset[str], client: str) -> ApiKey | None:
        """The caller's key (None: anonymous) once the request may go; raises AccessDenied (401, 403, 429).
        May read and write the state, which can wait on another process's lock: call it from a worker thread."""
        _check_declared(needed)
        # One visit to the state at a time (they would queue on its connection anyway): requests that ran out
        # of memory together then find the key cached and a lease taken by the first of them.
        with self._visiting_state:
            return self._admit(credential, needed, client)

    def _admit(self, credential: str | None, needed: frozenset[str], client: str) -> ApiKey | None:
        if credential is None:
            self._authorise_anonymous(needed)
            per_minute = self.anonymous_rate_per_minute
            refused = self._spend(f"addr:{client}", per_minute, None)
            if refused is not None:
                raise AccessDenied(
                    429,
                    f"callers without a key are limited to {per_minute:,} requests a minute from one address "
                    f"({client}); an API key has a limit of its own",
                    refused.wait_seconds,
                )
            return None
        key = self._cached_key(credential) or self._authenticate(credential)
        self._authorise(key, needed)
        refused = self._spend(f"key:{key.key_id}", key.rate_per_minute, (key.key_id, key.monthly_quota))
        if refused is not None and refused.over_quota:
            raise AccessDenied(
                429,
                f"key {key.key_id} has used its monthly quota of {key.monthly_quota:,} requests",
                _seconds_to_next_month(),
            )
        if refused is not None:
            raise AccessDenied(
                429, f"key {key.key_id} is limited to {key.rate_per_minute:,} requests a minute", refused.wait_seconds
            )
        return key

    def close(self) -> None:
        """Hand back the requests leased and not made, so the state's counts are exact once this worker stops."""
        with self._lock:
            self._closed = True
        self._renewals.shutdown(wait=True, cancel_futures=True)
        with self._visiting_state, self._lock:
            leases, self._leases = self._leases, {}
        for subject, lease in leases.items():
            if lease.remaining > 0:
                self.state.take_allowance(subject, lease.per_minute, 0, lease.quota, lease.remaining, lease.month)

    # --- who the caller is, and what it may do ---------------------------------------------------------

    def _cached_key(self, credential: str) -> ApiKey | None:
        if self.state.revocations != self._revocations_seen:
            with self._lock:
                self._revocations_seen = self.state.revocations
                self._keys.clear()
            return None
        digest = _digest(credential)
        cached = self._keys.get(digest)
        now = _clock()
        if cached is None or cached[1] < now:
            return None
        if cached[1] - now < self.key_cache_seconds / 2:
            self._renew_ahead(digest, self._reauthenticate, credential, digest)
        return cached[0]

    def _reauthenticate(self, credential: str, digest: bytes) -> None:
        """Ask the state about a cached key again before its entry expires (a background renewal)."""
        with self._visiting_state:
            try:
                self._authenticate(credential)
            except AccessDenied:  # revoked meanwhile: forget it now rather than at expiry
                with self._lock:
                    self._keys.pop(digest, None)

    def _authenticate(self, credential: str) -> ApiKey:
        revocations = self.state.revocations
        key = self.state.authenticate(credential)
        if key is None:
            raise AccessDenied(401, "the API key is unknown, malformed or revoked")
        with self._lock:
            # Not cached when a revoke landed meanwhile: it may have been this key's.
            if self.key_cache_seconds > 0 and self.state.revocations == revocations:
                if len(self._keys) >= MAX_CACHED_KEYS:
                    self._keys.clear()
                self._keys[_digest(credential)] = (key, _clock() + self.key_cache_seconds)
        return key

    def _authorise(self, key: ApiKey, needed: frozenset[str]) -> None:
        if "admin" in key.scopes or needed <= key.scopes:
            return
        raise AccessDenied(
            403, f"key {key.key_id} has scopes {', '.join(sorted(key.scopes))}; this endpoint needs {_scopes(needed)}"
        )

    def _authorise_anonymous(self, needed: frozenset[str]) -> None:
        if needed <= self.anonymous_scopes:
            return
        raise AccessDenied(
            401,
            f"this endpoint needs an API key with scope {_scopes(needed)}: send 'Authorization: Bearer <key>' "
            "or 'X-API-Key: <key>' (exposure keys create makes one)",
        )

    # --- rate limits and quotas ------------------------------------------------------------------------

    def _spend_leased(self, subject: str) -> bool:
        now = _clock()
        with self._lock:
            lease = self._leases.get(subject)
            if lease is None or lease.remaining <= 0 or lease.expires <= now:
                return False
            lease.remaining -= 1
            half_spent = lease.size > 1 and lease.remaining <= lease.size // 2
        if half_spent:
            self._renew_ahead(subject, self._renew_lease, subject)
        return True

    def _renew_ahead(self, token: str | bytes, renewal: Callable[..., None], *args: object) -> None:
        """Run `renewal(*args)` on the background thread unless one for `token` is already on its way."""
        with self._lock:
            if self._closed or token in self._renewing:
                return
            self._renewing.add(token)

        def run() -> None:
            try:
                renewal(*args)
            except Exception:  # a renewal is only ahead of need: the next request that needs it asks again
                log.warning("access renewal failed", exc_info=True)
            finally:
                with self._lock:
                    self._renewing.discard(token)

        try:
            self._renewals.submit(run)
        except RuntimeError:  # shut down meanwhile
            with self._lock:
                self._renewing.discard(token)

    def _renew_lease(self, subject: str) -> None:
        """Add a batch to a half-spent lease, so its worker keeps answering from memory (a background renewal)."""
        with self._visiting_state:
            with self._lock:
                lease = self._leases.get(subject)
            if lease is None or lease.expires <= _clock():
                return  # gone or expired: the next request takes a new one the usual way
            allowance = self.state.take_allowance(subject, lease.per_minute, lease.size, lease.quota, ahead=True)
            if not allowance.granted:
                return
            with self._lock:
                if self._leases.get(subject) is lease and allowance.month == lease.month:
                    lease.remaining += allowance.granted
                    lease.expires = _clock() + LEASE_SECONDS
                    return
            # The lease changed meanwhile, or the month turned: the batch goes straight back.
            self.state.take_allowance(subject, lease.per_minute, 0, lease.quota, allowance.granted, allowance.month)

    def _spend(self, subject: str, per_minute: int, quota: tuple[str, int] | None) -> Allowance | None:
        """One request from the subject's lease, or else from its shared bucket: None when it may go, else
        the refusal. Called under _visiting_state."""
        if self._spend_leased(subject):
            return None
        with self._lock:
            leftover = self._leases.pop(subject, None)  # expired or spent: what it has left goes back
        allowance = self.state.take_allowance(
            subject,
            per_minute,
            lease_size(per_minute),
            quota,
            leftover.remaining if leftover else 0,
            leftover.month if leftover else None,
        )
        if not allowance.granted:
            return allowance
        if allowance.granted > 1:  # this request takes one; the rest are leased (only here, under _visiting_state)
            lease = _Lease(
                allowance.granted - 1,
                lease_size(per_minute),
                per_minute,
                quota,
                allowance.month,
                _clock() + LEASE_SECONDS,
            )
            with self._lock:
                self._leases[subject] = lease
        return None
