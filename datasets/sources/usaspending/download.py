"""A resumable download: the file streams into `<name>.part`, and a broken connection resumes with a `Range`
request from what arrived. Failures that made progress do not use up the retries."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import httpx

from datasets.errors import FetchError
from datasets.ingest import LoadReport, ingest_paths
from datasets.sources.usaspending.api import response_detail
from datasets.sources.usaspending.retries import ProgressCallback, RetryPolicy, Transient, is_transient, transient_from

_PROGRESS_EVERY_SECONDS = 0.5


def file_size(path: Path) -> int:
    """The size of `path`, 0 when it does not exist."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class DownloadOptions(TypedDict, total=False):
    """How a source's download is retried and over which client, as its `fetch_and_ingest` passes them on."""

    retries: int
    backoff_seconds: float
    client: httpx.Client | None


def reuse_verified(final: Path, verify: Callable[[Path], None], step: ProgressCallback, message: str) -> bool:
    """Whether `final`, downloaded before, passes `verify` and can be used again (saying `message`); one that
    fails is removed."""
    if not final.exists():
        return False
    try:
        verify(final)
    except FetchError:
        final.unlink()
        return False
    step(message)
    return True


def keep_verified(part: Path, final: Path, verify: Callable[[Path], None], step: ProgressCallback) -> Path:
    """Rename the finished download `part` to `final` once it passes `verify`; a `part` that fails is removed
    (a wrong or corrupt file is no base to resume from) and its FetchError raised."""
    try:
        verify(part)
    except FetchError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    step(f"downloaded {final.name} ({megabytes(file_size(final))})")
    return final


def ingest_download(db: Path, path: Path, step: ProgressCallback) -> list[LoadReport]:
    """Load a complete, verified download into the store at `db`, exactly as `exposure ingest` loads it."""
    # Imported here: the catalogue pulls in every source's loader, which fetching alone does not need.
    from datasets.catalogue import KINDS
    from datasets.store import connect

    with connect(db) as con:  # closed on leaving
        return ingest_paths(con, [path], KINDS, on_step=lambda name, progress: step(f"{name}: {progress}"))


def download(client: httpx.Client, url: str, part: Path, policy: RetryPolicy, step: ProgressCallback) -> None:
    """Download `url` into `part`, resuming from whatever `part` holds; retried by `policy`, where only the
    failures that added nothing to `part` count."""
    retrying = policy.retrying(
        f"downloading {url}",
        step,
        progress=lambda: file_size(part),
        kept=lambda: f"; {file_size(part):,} bytes kept in {part} to resume from",
    )
    retrying(_download_once, client, url, part, step)


def content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, complete length) of a `Content-Range: bytes a-b/n` (or `bytes */n`) header."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    first = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(2)) if match.group(2) != "*" else None
    return first, total


def _download_once(client: httpx.Client, url: str, part: Path, step: ProgressCallback) -> None:
    """One GET of the file into `part`, resuming from its current size; Transient when worth another go."""
    offset = file_size(part)
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
            written = offset
            last_report = time.monotonic()
            with part.open("ab" if offset else "wb") as handle:
                try:
                    for chunk in response.iter_bytes():  # as it arrives: a cut keeps what came before it
                        handle.write(chunk)
                        written += len(chunk)
                        if time.monotonic() - last_report >= _PROGRESS_EVERY_SECONDS:
                            last_report = time.monotonic()
                            of = f" of {megabytes(total)}" if total else ""
                            step(f"downloading {part.name.removesuffix('.part')}: {megabytes(written)}{of}")
                finally:
                    handle.flush()
                    os.fsync(handle.fileno())
    except httpx.TransportError as exc:
        raise Transient(f"connection lost after {file_size(part):,} bytes ({type(exc).__name__}: {exc})") from exc
    if total is not None and written < total:
        raise Transient(f"connection closed after {written:,} of {total:,} bytes")
    if total is not None and written > total:
        part.unlink(missing_ok=True)
        raise Transient(f"received {written:,} bytes for a {total:,}-byte file; starting again")


def _accept(response: httpx.Response, part: Path, offset: int, step: ProgressCallback) -> int | None:
    """Check the answer to a (ranged) GET; the complete file size when the server declared it."""
    status = response.status_code
    name = part.name.removesuffix(".part")
    if status == 416 and offset:
        _first, total = content_range(response.headers.get("Content-Range"))
        if total == offset:  # the previous attempt got it all but was stopped before the rename
            return total
        part.unlink(missing_ok=True)
        raise Transient(f"the server cannot resume at byte {offset:,} (file size {total}); starting again", 0.0)
    if is_transient(status):
        raise transient_from(response)
    encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    length = response.headers.get("Content-Length")
    if status == 206 and offset:
        first, total = content_range(response.headers.get("Content-Range"))
        if first != offset:
            part.unlink(missing_ok=True)
            raise Transient(f"asked to resume at byte {offset:,}, the server resumed at {first}; starting again", 0.0)
        step(f"resuming {name} at {megabytes(offset)}")
        return total
    if status == 200:
        if offset:
            step(f"the server does not resume downloads; downloading {name} again from zero")
        return int(length) if length and length.isdigit() and not encoded else None
    raise FetchError(f"downloading {response.url}: HTTP {status}: {response_detail(response)}")
