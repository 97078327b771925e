"""Fetching a fiscal year of contract transactions from USAspending's bulk download API, then ingesting it.

USAspending generates the file (`api`), it is downloaded resumably (`download`) and verified (`verify`): the
download streams to `<file_name>.part` and is renamed to its final name only once its size matches what the
server declared and every zip member passes its CRC check, so a half-downloaded or corrupt file is never
passed on, and nothing is ingested from one. Transient failures are retried (`retries`). Progress goes to an
optional callback as short strings; nothing here prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack
from urllib.parse import quote, urljoin

import httpx

from datasets.errors import FetchError
from datasets.ingest import LoadReport
from datasets.sources.usaspending.api import (
    AWARDS_ENDPOINT,
    STATUS_ENDPOINT,
    USASPENDING_API,
    agency_filter,
    download_request,
    expected_bytes,
    http_client,
    request_json,
    safe_file_name,
    wait_until_finished,
)
from datasets.sources.usaspending.download import (
    DownloadOptions,
    download,
    file_size,
    ingest_download,
    keep_verified,
    megabytes,
    reuse_verified,
)
from datasets.sources.usaspending.retries import ProgressCallback, RetryPolicy
from datasets.sources.usaspending.verify import verify_download


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
    on_step: ProgressCallback | None = None,
) -> Path:
    """Request a fiscal year of `agency`'s contract transactions, wait for it, download and verify it.

    Returns the path of the complete, verified zip in `dest_dir`. `timeout_seconds` bounds the wait for
    USAspending to generate the file; `retries` bounds the retries of each request (and of a download that
    makes no progress); `backoff_seconds` is the first retry delay, doubling each time. A file already in
    `dest_dir` under the name USAspending gives (it answers the same request on the same day with the same
    file) is reused when it verifies.
    """
    step = on_step or (lambda _message: None)
    policy = RetryPolicy(retries=max(retries, 0), backoff_seconds=backoff_seconds)
    body = download_request(fiscal_year, agency)
    base = base_url.rstrip("/")
    dest_dir.mkdir(parents=True, exist_ok=True)

    with http_client(client) as http:
        step(f"requesting FY{fiscal_year} {agency_filter(agency).code} contract transactions from USAspending")
        requested = request_json(http, "POST", base + AWARDS_ENDPOINT, "requesting the download", policy, step, body)
        file_name = safe_file_name(requested.get("file_name"))
        status_url = urljoin(
            base + "/", str(requested.get("status_url") or f"{STATUS_ENDPOINT}?file_name={quote(file_name)}")
        )
        status = wait_until_finished(http, status_url, file_name, policy, poll_seconds, timeout_seconds, step)
        file_url = status.get("file_url") or status.get("url") or requested.get("file_url")
        if not file_url:
            raise FetchError(f"{file_name}: USAspending finished the file but gave no URL for it")
        url = urljoin(base + "/", str(file_url))
        expected = expected_bytes(status.get("total_size"))

        def verify(path: Path) -> None:
            verify_download(path, expected)

        final = dest_dir / file_name
        if reuse_verified(final, verify, step, f"{file_name} is already downloaded and complete"):
            return final

        part = final.with_name(final.name + ".part")
        if expected is not None and file_size(part) > expected:
            part.unlink()  # longer than the file it should be the start of: not ours to resume
        step(f"downloading {file_name}" + (f" ({megabytes(expected)})" if expected else ""))
        download(http, url, part, policy, step)

    step(f"verifying {file_name}")
    return keep_verified(part, final, verify, step)


class FetchOptions(DownloadOptions, total=False):
    """What `fetch_and_ingest` passes on to `fetch_usaspending` (see it for the defaults)."""

    base_url: str
    poll_seconds: float
    timeout_seconds: float


def fetch_and_ingest(
    db: Path,
    *,
    fiscal_year: int,
    agency: str,
    dest_dir: Path,
    on_step: ProgressCallback | None = None,
    **options: Unpack[FetchOptions],
) -> list[LoadReport]:
    """Fetch with `fetch_usaspending`, then load every CSV of the verified archive into the store at `db`.

    Nothing touches the database before the download is complete and verified. Each CSV loads in its own
    transaction, exactly as `exposure ingest` loads it; a refused CSV raises its DataError, keeping the
    CSVs loaded before it (loading the archive again skips those as already loaded).
    """
    step = on_step or (lambda _message: None)
    archive = fetch_usaspending(fiscal_year=fiscal_year, agency=agency, dest_dir=dest_dir, on_step=step, **options)
    return ingest_download(db, archive, step)
