"""Downloading the Proactive Disclosure of Contracts from open.canada.ca, then ingesting it.

The dataset (https://open.canada.ca/data/en/dataset/d8f85d91-7dec-4fd1-8055-483b77225d8b) publishes the
whole file as its resource `fac950c0-00d5-4ec1-a4d3-9cbebf98a305`, `contracts.csv`. It streams into
`<name>.part` with the resumable download USAspending's fetch uses (a cut connection resumes with a `Range`
request; transient failures are retried with backoff, see `datasets.sources.usaspending.retries`), and is
renamed to its final name only once its header is the published one, so a truncated or wrong file (an HTML
error page, say) is never ingested. Progress goes to an optional callback; nothing here prints.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx

from datasets.errors import DataError, FetchError
from datasets.ingest import LoadReport, ingest_paths
from datasets.ingest.header import read_header
from datasets.sources.goc_contracts.load import CONTRACTS
from datasets.sources.usaspending.download import download, file_size, megabytes
from datasets.sources.usaspending.retries import ProgressCallback, RetryPolicy

DATASET_ID = "d8f85d91-7dec-4fd1-8055-483b77225d8b"
RESOURCE_ID = "fac950c0-00d5-4ec1-a4d3-9cbebf98a305"
CONTRACTS_CSV_URL = f"https://open.canada.ca/data/dataset/{DATASET_ID}/resource/{RESOURCE_ID}/download/contracts.csv"
USER_AGENT = "exposure-screen/0.1 (Government of Canada proactive disclosure of contracts download)"


@contextlib.contextmanager
def _http_client(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    timeout = httpx.Timeout(120.0, connect=30.0)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}) as owned:
        yield owned


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
    if final.exists():
        try:
            verify_contracts_file(final)
        except FetchError:
            final.unlink()
        else:
            step(f"{final.name} is already downloaded")
            return final
    part = final.with_name(final.name + ".part")
    step(f"downloading the Government of Canada contracts from {url}")
    with _http_client(client) as http:
        download(http, url, part, policy, step)
    step(f"checking {final.name}")
    try:
        verify_contracts_file(part)
    except FetchError:
        part.unlink(missing_ok=True)  # the wrong file is no base to resume from
        raise
    os.replace(part, final)
    step(f"downloaded {final.name} ({megabytes(file_size(final))})")
    return final


def fetch_and_ingest(
    db: Path,
    *,
    dest_dir: Path,
    url: str = CONTRACTS_CSV_URL,
    retries: int = 5,
    backoff_seconds: float = 1.0,
    client: httpx.Client | None = None,
    on_step: ProgressCallback | None = None,
) -> list[LoadReport]:
    """Fetch with `fetch_goc_contracts`, then load the file into the store at `db` as `exposure ingest` would.
    Nothing touches the database before the download is complete and checked."""
    from datasets.catalogue import KINDS
    from datasets.store import connect

    step = on_step or (lambda _message: None)
    path = fetch_goc_contracts(
        dest_dir=dest_dir, url=url, retries=retries, backoff_seconds=backoff_seconds, client=client, on_step=step
    )
    con = connect(db)
    try:
        return ingest_paths(con, [path], KINDS, on_step=lambda name, progress: step(f"{name}: {progress}"))
    finally:
        con.close()
