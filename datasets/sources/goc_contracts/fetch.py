"""Downloading the Proactive Disclosure of Contracts from open.canada.ca, then ingesting it.

The dataset (https://open.canada.ca/data/en/dataset/d8f85d91-7dec-4fd1-8055-483b77225d8b) publishes the
whole file as its resource `fac950c0-00d5-4ec1-a4d3-9cbebf98a305`, `contracts.csv`. It streams into
`<name>.part` with the resumable download USAspending's fetch uses (a cut connection resumes with a `Range`
request; transient failures are retried with backoff, see `datasets.sources.usaspending.retries`), and is
renamed to its final name only once its header is the published one, so a truncated or wrong file (an HTML
error page, say) is never ingested. Progress goes to an optional callback; nothing here prints.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Unpack

import httpx

from datasets.errors import DataError, FetchError
from datasets.ingest import LoadReport
from datasets.ingest.header import read_header
from datasets.sources.goc_contracts.load import CONTRACTS
from datasets.sources.usaspending.api import http_client
from datasets.sources.usaspending.download import (
    DownloadOptions,
    download,
    ingest_download,
    keep_verified,
    reuse_verified,
)
from datasets.sources.usaspending.retries import ProgressCallback, RetryPolicy

DATASET_ID = "d8f85d91-7dec-4fd1-8055-483b77225d8b"
RESOURCE_ID = "fac950c0-00d5-4ec1-a4d3-9cbebf98a305"
CONTRACTS_CSV_URL = f"https://open.canada.ca/data/dataset/{DATASET_ID}/resource/{RESOURCE_ID}/download/contracts.csv"
USER_AGENT = "exposure-screen/0.1 (Government of Canada proactive disclosure of contracts download)"


def verify_contracts_file(path: Path) -> None:
    """Refuse a file that is not the published contracts CSV (its header lacks the columns the loader needs)."""
    try:
        header = read_header(path)
    except DataError as exc:
        raise FetchError(f"{path.name}: not a contracts CSV ({exc})") from exc
    missing = CONTRACTS.missing_from(header)
    if missing:
        raise FetchError(
            f"{path.name}: not the Proactive Disclosure of Contracts file: its header lacks {', '.join(missing)}"
        )


def fetch_goc_contracts(
    *,
    dest_dir: Path,
    url: str = CONTRACTS_CSV_URL,
    retries: int = 5,
    backoff_seconds: float = 1.0,
    client: httpx.Client | None = None,
    on_step: ProgressCallback | None = None,
    today: date | None = None,
) -> Path:
    """Download the contracts CSV into `dest_dir` as `goc_contracts_<date>.csv` and return its path. The file
    changes every quarter, so it is named by the day it was fetched; one already fetched today is reused when
    its header checks out."""
    step = on_step or (lambda _message: None)
    policy = RetryPolicy(retries=max(retries, 0), backoff_seconds=backoff_seconds)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / f"goc_contracts_{today or date.today():%Y-%m-%d}.csv"
    if reuse_verified(final, verify_contracts_file, step, f"{final.name} is already downloaded"):
        return final
    part = final.with_name(final.name + ".part")
    step(f"downloading the Government of Canada contracts from {url}")
    with http_client(client, USER_AGENT, read_seconds=120.0) as http:
        download(http, url, part, policy, step)
    step(f"checking {final.name}")
    return keep_verified(part, final, verify_contracts_file, step)


class FetchOptions(DownloadOptions, total=False):
    """What `fetch_and_ingest` passes on to `fetch_goc_contracts` (see it for the defaults)."""

    url: str


def fetch_and_ingest(
    db: Path, *, dest_dir: Path, on_step: ProgressCallback | None = None, **options: Unpack[FetchOptions]
) -> list[LoadReport]:
    """Fetch with `fetch_goc_contracts`, then load the file into the store at `db` as `exposure ingest` would.
    Nothing touches the database before the download is complete and checked."""
    step = on_step or (lambda _message: None)
    path = fetch_goc_contracts(dest_dir=dest_dir, on_step=step, **options)
    return ingest_download(db, path, step)
