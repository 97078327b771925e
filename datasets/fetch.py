"""Fetching a fiscal year of contract transactions from USAspending's bulk download API, then ingesting it.

The API (https://api.usaspending.gov/docs/endpoints) generates files asynchronously:

1. `POST /api/v2/bulk_download/awards/` with the filters answers at once with `file_name`, `status_url` and
   `file_url`;
2. `GET status_url` answers `status` ready | running | finished | failed, with `message` when it failed and
   `total_size` (the zip's size in kilobytes of 1,000 bytes) once finished;
3. `GET file_url` serves the zip of `Contracts_PrimeTransactions_*.csv` files.

The download streams to `<file_name>.part`, resumes with a `Range` request after a broken connection, and is
renamed to its final name only once its size matches what the server declared and every zip member passes
its CRC check: a half-downloaded or corrupt file is never passed on, and nothing is ingested from one.
Transient failures (connection errors, timeouts, HTTP 408, 429 and 5xx) are retried with exponential backoff,
honouring `Retry-After`. Progress goes to an optional callback as short strings; nothing here prints.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import random
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from datasets.errors import DataError
from datasets.ingest import LoadReport, StepCallback

USASPENDING_API = "https://api.usaspending.gov"
AWARDS_ENDPOINT = "/api/v2/bulk_download/awards/"
STATUS_ENDPOINT = "/api/v2/download/status"
USER_AGENT = "exposure-screen/0.1 (USAspending bulk contract download)"

# Contracts and indefinite-delivery vehicles: every award type whose transactions land in
# Contracts_PrimeTransactions. Grants, loans and other assistance are left out.
CONTRACT_AWARD_TYPES: tuple[str, ...] = (
    "A",
    "B",
    "C",
    "D",
    "IDV_A",
    "IDV_B",
    "IDV_B_A",
    "IDV_B_B",
    "IDV_B_C",
    "IDV_C",
    "IDV_D",
    "IDV_E",
)
DHS_NAME = "Department of Homeland Security"

# Longest wait a Retry-After may impose, and the cap on the exponential backoff and on the poll interval.
MAX_RETRY_AFTER_SECONDS = 900.0
MAX_BACKOFF_SECONDS = 60.0
MAX_POLL_SECONDS = 30.0
_TRANSIENT_STATUSES = frozenset({408, 429})
_PROGRESS_EVERY_SECONDS = 0.5


class FetchError(DataError):
    """USAspending refused or failed the download, or what came back is incomplete or corrupt."""

    status = 502
    title = "USAspending download failed"


@dataclass(frozen=True)
class Agency:
    """An awarding agency as the bulk download's `agencies` filter names it."""

    code: str
    name: str
    tier: str  # "toptier" or "subtier"

    def as_filter(self) -> dict[str, str]:
        entry = {"type": "awarding", "tier": self.tier, "name": self.name}
        if self.tier == "subtier":  # the API needs the parent's name with a sub-tier agency
            entry["toptier_name"] = DHS_NAME
        return entry


AGENCIES: Mapping[str, Agency] = {
    "DHS": Agency("DHS", DHS_NAME, "toptier"),
    "ICE": Agency("ICE", "U.S. Immigration and Customs Enforcement", "subtier"),
    "CBP": Agency("CBP", "U.S. Customs and Border Protection", "subtier"),
}


def agency_filter(agency: str) -> Agency:
    """The filter for `DHS`, `ICE` or `CBP` (case-insensitive)."""
    found = AGENCIES.get(agency.strip().upper())
    if found is None:
        raise FetchError(f"unknown agency {agency!r}; expected one of {', '.join(AGENCIES)}")
    return found


def fiscal_year_dates(fiscal_year: int) -> tuple[date, date]:
    """U.S. federal fiscal year N runs from 1 October of N-1 to 30 September of N."""
    if fiscal_year < 2001:
        raise FetchError(f"fiscal year {fiscal_year}: USAspending's award data starts with FY2001")
    return date(fiscal_year - 1, 10, 1), date(fiscal_year, 9, 30)


def download_request(fiscal_year: int, agency: str) -> dict[str, Any]:
    """The JSON body of the bulk download request: one fiscal year of an agency's contract transactions."""
    start, end = fiscal_year_dates(fiscal_year)
    return {
        "filters": {
            "prime_award_types": list(CONTRACT_AWARD_TYPES),
            "date_type": "action_date",
            "date_range": {"start_date": start.isoformat(), "end_date": end.isoformat()},
            "agencies": [agency_filter(agency).as_filter()],
        },
        "file_format": "csv",
    }


# ---------------------------------------------------------------------------------------------------
# Retrying.


@dataclass(frozen=True)
class _RetryPolicy:
    retries: int
    backoff_seconds: float

    def delay(self, failures: int, retry_after: float | None) -> float:
        """Retry-After when the server gave one; otherwise exponential backoff with a little jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER_SECONDS)
        base = min(self.backoff_seconds * 2.0**failures, MAX_BACKOFF_SECONDS)
        return base * (1 + random.random() / 10)


class _Transient(Exception):
    """A failure worth another try."""

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


def _is_transient(status_code: int) -> bool:
    return status_code in _TRANSIENT_STATUSES or status_code >= 500


def _transient_from(response: httpx.Response) -> _Transient:
    return _Transient(f"HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After")))


def _with_retries(
    what: str, policy: _RetryPolicy, step: StepCallback, attempt: Callable[[], httpx.Response]
) -> httpx.Response:
    """Call `attempt()` until it returns; retry the transient failures it raises, `policy.retries` times."""
    failures = 0
    while True:
        try:
            return attempt()
        except _Transient as exc:
            if failures >= policy.retries:
                raise FetchError(f"{what}: gave up after {failures + 1} attempts ({exc.reason})") from None
            delay = policy.delay(failures, exc.retry_after)
            failures += 1
            step(f"{what}: {exc.reason}; retrying in {delay:.1f} s ({failures} of {policy.retries})")
            time.sleep(delay)


def _request_json(
    client: httpx.Client,
    method: str,
    url: str,
    what: str,
    policy: _RetryPolicy,
    step: StepCallback,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    def attempt() -> httpx.Response:
        try:
            response = client.request(method, url, json=body)
        except httpx.TransportError as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if _is_transient(response.status_code):
            raise _transient_from(response)
        return response

    response = _with_retries(what, policy, step, attempt)
    if response.status_code >= 400:
        raise FetchError(f"{what}: USAspending answered HTTP {response.status_code}: {_detail(response)}")
    try:
        payload = response.json()
    except ValueError:
        raise FetchError(f"{what}: the answer is not JSON ({response.text[:200]!r})") from None
    if not isinstance(payload, dict):
        raise FetchError(f"{what}: expected a JSON object, got {type(payload).__name__}")
    return payload


def _detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300].strip() or "(empty body)"
    if isinstance(payload, dict):
        for key in ("detail", "message", "error", "messages"):
            if payload.get(key):
                return str(payload[key])
    return str(payload)[:300]


# ---------------------------------------------------------------------------------------------------
# Requesting and waiting.


def _safe_file_name(value: object) -> str:
    name = Path(str(value or "")).name
    if not name or name in (".", "..") or name.endswith(".part"):
        raise FetchError(f"USAspending returned an unusable file name {value!r}")
    return name


def _wait_until_finished(
    client: httpx.Client,
    status_url: str,
    file_name: str,
    policy: _RetryPolicy,
    poll_seconds: float,
    timeout_seconds: float,
    step: StepCallback,
) -> dict[str, Any]:
    started = time.monotonic()
    interval = poll_seconds
    while True:
        status = _request_json(client, "GET", status_url, f"checking {file_name}", policy, step)
        state = str(status.get("status") or "")
        if state == "finished":
            return status
        if state == "failed":
            reason = status.get("message") or status.get("error") or "no reason given"
            raise FetchError(f"USAspending could not generate {file_name}: {reason}")
        if state not in ("ready", "running"):
            raise FetchError(f"{file_name}: unexpected download status {state!r}")
        elapsed = time.monotonic() - started
        if elapsed + interval > timeout_seconds:
            raise FetchError(f"{file_name} is still {state} after {elapsed:.0f} s; try again later (same request)")
        step(f"USAspending is generating {file_name}: {state} ({elapsed:.0f} s)")
        time.sleep(interval)
        interval = min(interval * 1.5, max(poll_seconds, MAX_POLL_SECONDS))


def expected_bytes(total_size: object) -> int | None:
    """The file size the status declares: `total_size` is bytes / 1000; None (or 0) when not known."""
    if isinstance(total_size, bool) or not isinstance(total_size, int | float) or total_size <= 0:
        return None
    return round(total_size * 1000)


# ---------------------------------------------------------------------------------------------------
# Downloading.


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, complete length) of a `Content-Range: bytes a-b/n` (or `bytes */n`) header."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    first = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(2)) if match.group(2) != "*" else None
    return first, total


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _download_once(client: httpx.Client, url: str, part: Path, step: StepCallback) -> None:
    """One GET of the file into `part`, resuming from its current size; _Transient when worth another go."""
    offset = _size(part) if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        with client.stream("GET", url, headers=headers) as response:
            total = _accept(response, part, offset, step)
            if response.status_code == 416:  # _accept found the part already complete
                return
            if response.status_code == 200:
                offset = 0
            mode = "ab" if offset else "wb"
            written = offset
            last_report = time.monotonic()
            with part.open(mode) as handle:
                try:
                    for chunk in response.iter_bytes():  # as it arrives: a cut keeps what came before it
                        handle.write(chunk)
                        written += len(chunk)
                        if time.monotonic() - last_report >= _PROGRESS_EVERY_SECONDS:
                            last_report = time.monotonic()
                            of = f" of {_megabytes(total)}" if total else ""
                            step(f"downloading {part.name[: -len('.part')]}: {_megabytes(written)}{of}")
                finally:
                    handle.flush()
                    os.fsync(handle.fileno())
    except httpx.TransportError as exc:
        raise _Transient(f"connection lost after {_size(part):,} bytes ({type(exc).__name__}: {exc})") from exc
    if total is not None and written < total:
        raise _Transient(f"connection closed after {written:,} of {total:,} bytes")
    if total is not None and written > total:
        part.unlink(missing_ok=True)
        raise _Transient(f"received {written:,} bytes for a {total:,}-byte file; starting again")


def _accept(response: httpx.Response, part: Path, offset: int, step: StepCallback) -> int | None:
    """Check the answer to a (ranged) GET; the complete file size when the server declared it."""
    status = response.status_code
    if status == 416 and offset:
        _first, total = _content_range(response.headers.get("Content-Range"))
        if total == offset:  # the previous attempt got it all but was stopped before the rename
            return total
        part.unlink(missing_ok=True)
        raise _Transient(f"the server cannot resume at byte {offset:,} (file size {total}); starting again", 0.0)
    if _is_transient(status):
        raise _transient_from(response)
    encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    length = response.headers.get("Content-Length")
    if status == 206 and offset:
        first, total = _content_range(response.headers.get("Content-Range"))
        if first != offset:
            part.unlink(missing_ok=True)
            raise _Transient(f"asked to resume at byte {offset:,}, the server resumed at {first}; starting again", 0.0)
        step(f"resuming {part.name[: -len('.part')]} at {_megabytes(offset)}")
        return total
    if status == 200:
        if offset:
            step(f"the server does not resume downloads; downloading {part.name[: -len('.part')]} again from zero")
        return int(length) if length and length.isdigit() and not encoded else None
    raise FetchError(f"downloading {response.url}: HTTP {status}: {_detail(response)}")


def _download(client: httpx.Client, url: str, part: Path, policy: _RetryPolicy, step: StepCallback) -> None:
    """Download `url` into `part`, retrying; a failure that made progress does not use up a retry."""
    high_water = _size(part)
    failures = 0
    while True:
        try:
            _download_once(client, url, part, step)
            return
        except _Transient as exc:
            size = _size(part)
            if size > high_water:
                high_water, failures = size, 0
            if failures >= policy.retries:
                raise FetchError(
                    f"downloading {url}: gave up after {failures + 1} attempts without progress ({exc.reason}); "
                    f"{size:,} bytes kept in {part} to resume from"
                ) from None
            delay = policy.delay(failures, exc.retry_after)
            failures += 1
            step(f"download interrupted: {exc.reason}; retrying in {delay:.1f} s")
            time.sleep(delay)


def verify_download(path: Path, expected_size: int | None) -> None:
    """Refuse a file whose size differs from the declared one, or a zip whose members fail their CRC check."""
    size = _size(path)
    if expected_size is not None and size != expected_size:
        raise FetchError(f"{path.name}: got {size:,} bytes but USAspending declared {expected_size:,}")
    if not path.name.lower().removesuffix(".part").endswith(".zip"):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise FetchError(f"{path.name}: not a complete, readable zip archive ({exc})") from exc
    if bad is not None:
        raise FetchError(f"{path.name}: archive member {bad} is corrupt (CRC check failed)")


@contextlib.contextmanager
def _client(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    timeout = httpx.Timeout(60.0, connect=30.0)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}) as owned:
        yield owned


# ---------------------------------------------------------------------------------------------------
# The public entry points.


def fetch_usaspending(
    *,
    fiscal_year: int,
    agency: str,
    dest_dir: Path,
    base_url: str = USASPENDING_API,
    poll_seconds: float = 5.0,
    timeout_seconds: float = 3600,
    retries: int = 5,
    backoff_seconds: float = 1.0,
    client: httpx.Client | None = None,
    on_step: StepCallback | None = None,
) -> Path:
    """Request a fiscal year of `agency`'s contract transactions, wait for it, download and verify it.

    Returns the path of the complete, verified zip in `dest_dir`. `timeout_seconds` bounds the wait for
    USAspending to generate the file; `retries` bounds the retries of each request (and of a download that
    makes no progress); `backoff_seconds` is the first retry delay, doubling each time. A file already in
    `dest_dir` under the name USAspending gives (it answers the same request on the same day with the same
    file) is reused when it verifies.
    """
    step = on_step or (lambda _message: None)
    policy = _RetryPolicy(retries=max(retries, 0), backoff_seconds=backoff_seconds)
    body = download_request(fiscal_year, agency)
    base = base_url.rstrip("/")
    dest_dir.mkdir(parents=True, exist_ok=True)

    with _client(client) as http:
        step(f"requesting FY{fiscal_year} {agency_filter(agency).code} contract transactions from USAspending")
        requested = _request_json(http, "POST", base + AWARDS_ENDPOINT, "requesting the download", policy, step, body)
        file_name = _safe_file_name(requested.get("file_name"))
        status_url = urljoin(
            base + "/", str(requested.get("status_url") or f"{STATUS_ENDPOINT}?file_name={quote(file_name)}")
        )
        status = _wait_until_finished(http, status_url, file_name, policy, poll_seconds, timeout_seconds, step)
        file_url = status.get("file_url") or status.get("url") or requested.get("file_url")
        if not file_url:
            raise FetchError(f"{file_name}: USAspending finished the file but gave no URL for it")
        url = urljoin(base + "/", str(file_url))
        expected = expected_bytes(status.get("total_size"))

        final = dest_dir / file_name
        if final.exists():
            try:
                verify_download(final, expected)
            except FetchError:
                final.unlink()
            else:
                step(f"{file_name} is already downloaded and complete")
                return final

        part = final.with_name(final.name + ".part")
        if expected is not None and _size(part) > expected:
            part.unlink()  # longer than the file it should be the start of: not ours to resume
        step(f"downloading {file_name}" + (f" ({_megabytes(expected)})" if expected else ""))
        _download(http, url, part, policy, step)

    step(f"verifying {file_name}")
    try:
        verify_download(part, expected)
    except FetchError:
        part.unlink(missing_ok=True)  # a wrong or corrupt file is no base to resume from
        raise
    os.replace(part, final)
    step(f"downloaded {file_name} ({_megabytes(_size(final))})")
    return final


def fetch_and_ingest(
    db: Path,
    *,
    fiscal_year: int,
    agency: str,
    dest_dir: Path,
    base_url: str = USASPENDING_API,
    poll_seconds: float = 5.0,
    timeout_seconds: float = 3600,
    retries: int = 5,
    backoff_seconds: float = 1.0,
    client: httpx.Client | None = None,
    on_step: StepCallback | None = None,
) -> list[LoadReport]:
    """Fetch with `fetch_usaspending`, then load every CSV of the verified archive into the store at `db`.

    Nothing touches the database before the download is complete and verified. Each CSV loads in its own
    transaction, exactly as `exposure ingest` loads it; a refused CSV raises its DataError, keeping the
    CSVs loaded before it (loading the archive again skips those as already loaded).
    """
    # Imported here: the catalogue pulls in every source's loader, which fetching alone does not need.
    from datasets.catalogue import KINDS
    from datasets.ingest import csv_inputs, load_file
    from datasets.store import connect

    step = on_step or (lambda _message: None)
    archive = fetch_usaspending(
        fiscal_year=fiscal_year,
        agency=agency,
        dest_dir=dest_dir,
        base_url=base_url,
        poll_seconds=poll_seconds,
        timeout_seconds=timeout_seconds,
        retries=retries,
        backoff_seconds=backoff_seconds,
        client=client,
        on_step=step,
    )
    reports: list[LoadReport] = []
    con = connect(db)
    try:
        with csv_inputs(archive) as inputs:
            for source in inputs:

                def show(message: str, name: str = source.display_name) -> None:
                    step(f"{name}: {message}")

                reports.append(load_file(con, source, KINDS, on_step=show))
    finally:
        con.close()
    return reports
