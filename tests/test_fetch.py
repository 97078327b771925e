"""`exposure fetch usaspending` against a local stand-in for USAspending's bulk download API.

The stand-in follows the documented contract (POST /api/v2/bulk_download/awards/ → status_url, file_name,
file_url; GET status_url → ready | running | finished | failed with total_size in kilobytes; GET file_url →
the zip, with Range support) and can fail in the ways the real one does: 5xx and 429 answers, a connection
cut mid-file, a server that ignores Range, a failed generation, a truncated or corrupt archive.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from datasets.db import scalar
from datasets.errors import FetchError
from datasets.sources.usaspending.api import download_request, expected_bytes, fiscal_year_dates
from datasets.sources.usaspending.fetch import fetch_and_ingest, fetch_usaspending
from datasets.sources.usaspending.load import COLUMN_LISTS
from datasets.sources.usaspending.retries import MAX_RETRY_AFTER_SECONDS, RetryPolicy, retry_after_seconds
from datasets.store import connect, table_counts
from tests.conftest import csv_row

TX_HEADER: list[str] = [str(c) for c in COLUMN_LISTS["Contracts_PrimeTransactions"]]
FILE_NAME = "FY2026_070_Contracts_PrimeTransactions_2026-11-01_H10M00S000001.zip"
MEMBER = "FY2026_070_Contracts_PrimeTransactions_2026-11-01_H10M00S000001_1.csv"
FAST: dict[str, Any] = {"poll_seconds": 0.01, "backoff_seconds": 0.01, "timeout_seconds": 10.0}


def tx_row(n: int, **values: str) -> list[str]:
    """One fictional DHS contract transaction in the bulk download's 297-column layout."""
    piid = f"70CDCR26P0000{n:04d}"
    row = {
        "contract_transaction_unique_key": f"7012_-NONE-_{piid}_0_-NONE-_0",
        "contract_award_unique_key": f"CONT_AWD_{piid}_7012_-NONE-_-NONE-",
        "award_id_piid": piid,
        "modification_number": "0",
        "transaction_number": "0",
        "federal_action_obligation": f"{1000 * n + 0.5:.2f}",
        "action_date": f"2025-1{n % 3}-0{n}",
        "awarding_agency_code": "070",
        "awarding_agency_name": "Department of Homeland Security",
        "awarding_sub_agency_code": "7012",
        "awarding_sub_agency_name": "U.S. Immigration and Customs Enforcement",
        "recipient_name": f"EXAMPLE NORTHERN SUPPLY {n} LLC",
        "recipient_uei": f"EXMPL{n:07d}",
        "recipient_country_code": "USA",
        "product_or_service_code": "2355",
        "naics_code": "336992",
        **values,
    }
    return csv_row(TX_HEADER, row)


def make_zip(rows: int = 3, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(TX_HEADER)
    writer.writerows(tx_row(n) for n in range(1, rows + 1))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr(MEMBER, text.getvalue())
    return buffer.getvalue()


PAYLOAD = make_zip()


# ---------------------------------------------------------------------------------------------------
# The stand-in server.


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int = 0


@dataclass
class FakeUSAspending:
    """What the server will answer; every request it saw, with the status it answered."""

    payload: bytes = PAYLOAD
    total_size: float | None = len(PAYLOAD) / 1000
    statuses: list[str] = field(default_factory=lambda: ["running", "finished"])
    failure_message: str = "Download failed: the query timed out"
    post_failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    status_failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    cut_downloads_at: int | None = None  # close the connection after this many bytes...
    cuts_left: int = 1  # ...this many times
    honour_range: bool = True
    relative_file_url: bool = True
    base: str = ""
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, method: str, prefix: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]

    @property
    def file_requests(self) -> list[Seen]:
        return self.of("GET", "/files/")


def _handler(fake: FakeUSAspending) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _record(self, body: bytes = b"") -> Seen:
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with fake.lock:
                fake.seen.append(seen)
            return seen

        def _send(self, seen: Seen, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            seen.answered = code
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, seen: Seen, code: int, payload: object, headers: dict[str, str] | None = None) -> None:
            self._send(
                seen, code, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})}
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen = self._record(body)
            if self.path != "/api/v2/bulk_download/awards/":
                self._json(seen, 404, {"detail": "not found"})
                return
            if fake.post_failures:
                code, headers = fake.post_failures.pop(0)
                self._json(seen, code, {"detail": "try later"}, headers)
                return
            request = json.loads(body)
            self._json(
                seen,
                200,
                {
                    "status_url": f"{fake.base}/api/v2/download/status?file_name={FILE_NAME}",
                    "file_name": FILE_NAME,
                    "file_url": f"{fake.base}/files/{FILE_NAME}",
                    "download_request": request,
                },
            )

        def do_GET(self) -> None:
            seen = self._record()
            url = urlsplit(self.path)
            if url.path == "/api/v2/download/status":
                self._status(seen, parse_qs(url.query).get("file_name", [""])[0])
            elif url.path == f"/files/{FILE_NAME}":
                self._file(seen)
            else:
                self._json(seen, 404, {"detail": "not found"})

        def _status(self, seen: Seen, file_name: str) -> None:
            if fake.status_failures:
                code, headers = fake.status_failures.pop(0)
                self._json(seen, code, {"detail": "busy"}, headers)
                return
            state = fake.statuses.pop(0) if len(fake.statuses) > 1 else fake.statuses[0]
            finished = state == "finished"
            file_url = f"/files/{FILE_NAME}" if fake.relative_file_url else f"{fake.base}/files/{FILE_NAME}"
            self._json(
                seen,
                200,
                {
                    "status": state,
                    "message": fake.failure_message if state == "failed" else None,
                    "file_name": file_name,
                    "file_url": file_url,
                    "total_size": fake.total_size if finished else None,
                    "total_columns": len(TX_HEADER) if finished else None,
                    "total_rows": 3 if finished else None,
                    "seconds_elapsed": "0.5",
                },
            )

        def _file(self, seen: Seen) -> None:
            data = fake.payload
            start = 0
            requested = self.headers.get("Range")
            if requested and fake.honour_range:
                start = int(requested.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self._send(seen, 416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    return
            code = 206 if start else 200
            seen.answered = code
            self.send_response(code)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(data) - start))
            if code == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Accept-Ranges", "bytes" if fake.honour_range else "none")
            self.end_headers()
            body = data[start:]
            if fake.cut_downloads_at is not None and fake.cuts_left > 0 and len(body) > fake.cut_downloads_at:
                fake.cuts_left -= 1
                self.wfile.write(body[: fake.cut_downloads_at])
                self.wfile.flush()
                self.close_connection = True  # the server hangs up mid-file
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def usaspending() -> Iterator[FakeUSAspending]:
    fake = FakeUSAspending()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch(fake: FakeUSAspending, dest: Path, **kwargs: Any) -> Path:
    options: dict[str, Any] = {**FAST, **kwargs}
    return fetch_usaspending(fiscal_year=2026, agency="DHS", dest_dir=dest, base_url=fake.base, **options)


def counts(db: Path) -> dict[str, int]:
    with connect(db) as con:
        return table_counts(con)


def assert_intact(path: Path) -> None:
    assert path.name == FILE_NAME
    assert path.read_bytes() == PAYLOAD
    assert not path.with_name(path.name + ".part").exists()
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


# ---------------------------------------------------------------------------------------------------
# The request.


def test_fiscal_year_runs_from_october_to_september() -> None:
    start, end = fiscal_year_dates(2026)
    assert (start.isoformat(), end.isoformat()) == ("2025-10-01", "2026-09-30")
    with pytest.raises(FetchError, match="FY2001"):
        fiscal_year_dates(1999)


def test_request_body_names_the_agency_at_its_tier() -> None:
    dhs = download_request(2026, "DHS")
    assert dhs["file_format"] == "csv"
    assert dhs["filters"]["date_type"] == "action_date"
    assert dhs["filters"]["date_range"] == {"start_date": "2025-10-01", "end_date": "2026-09-30"}
    assert dhs["filters"]["agencies"] == [
        {"type": "awarding", "tier": "toptier", "name": "Department of Homeland Security"}
    ]
    assert set(dhs["filters"]["prime_award_types"]) == {"A", "B", "C", "D", "IDV_A", "IDV_B", "IDV_B_A", "IDV_B_B"} | {
        "IDV_B_C",
        "IDV_C",
        "IDV_D",
        "IDV_E",
    }
    ice = download_request(2025, "ice")["filters"]
    assert ice["agencies"] == [
        {
            "type": "awarding",
            "tier": "subtier",
            "name": "U.S. Immigration and Customs Enforcement",
            "toptier_name": "Department of Homeland Security",
        }
    ]
    assert ice["date_range"] == {"start_date": "2024-10-01", "end_date": "2025-09-30"}
    assert download_request(2026, "CBP")["filters"]["agencies"][0]["name"] == "U.S. Customs and Border Protection"
    with pytest.raises(FetchError, match="unknown agency 'FBI'"):
        download_request(2026, "FBI")


def test_retry_after_and_declared_size() -> None:
    assert retry_after_seconds("0") == 0.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert expected_bytes(3.169) == 3169
    assert expected_bytes(1234567.891) == 1234567891
    assert expected_bytes(None) is None
    assert expected_bytes(0) is None


# ---------------------------------------------------------------------------------------------------
# (1) The happy path.


def test_fetch_then_ingest_lands_the_rows(usaspending: FakeUSAspending, db_path: Path, tmp_path: Path) -> None:
    steps: list[str] = []
    dest = tmp_path / "downloads"
    reports = fetch_and_ingest(
        db_path, fiscal_year=2026, agency="DHS", dest_dir=dest, base_url=usaspending.base, on_step=steps.append, **FAST
    )

    assert [(r.kind, r.rows_read, r.rows_inserted, r.rows_quarantined) for r in reports] == [
        ("usaspending_prime_transactions", 3, 3, 0)
    ]
    assert reports[0].file_name == f"{FILE_NAME}:{MEMBER}"
    con = connect(db_path)
    try:
        assert scalar(con, "SELECT count(*) FROM transactions") == 3
        assert str(scalar(con, "SELECT sum(federal_action_obligation) FROM transactions")) == "6001.50"
        assert scalar(con, "SELECT count(*) FROM sources WHERE kind = 'usaspending_prime_transactions'") == 1
    finally:
        con.close()

    (post,) = usaspending.of("POST", "/api/v2/bulk_download/awards/")
    body = json.loads(post.body)
    assert body == download_request(2026, "DHS")
    assert body["filters"]["date_range"] == {"start_date": "2025-10-01", "end_date": "2026-09-30"}
    assert body["filters"]["agencies"][0]["name"] == "Department of Homeland Security"
    assert [s.answered for s in usaspending.of("GET", "/api/v2/download/status")] == [200, 200]  # running, finished
    assert [(s.headers.get("range"), s.answered) for s in usaspending.file_requests] == [(None, 200)]
    assert_intact(dest / FILE_NAME)
    assert sorted(p.name for p in dest.iterdir()) == [FILE_NAME]
    assert any("generating" in s for s in steps) and any("verifying" in s for s in steps)
    assert any(s.endswith(": writing") for s in steps)

    # The same request again: the verified file is reused and loading it twice changes nothing.
    again = fetch_and_ingest(db_path, fiscal_year=2026, agency="DHS", dest_dir=dest, base_url=usaspending.base, **FAST)
    assert [r.already_loaded for r in again] == [True]
    assert len(usaspending.file_requests) == 1


# ---------------------------------------------------------------------------------------------------
# (2) Transient failures are retried.


def test_transient_failures_are_retried(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    usaspending.post_failures = [(503, {})]
    usaspending.status_failures = [(500, {}), (429, {"Retry-After": "0"})]
    steps: list[str] = []
    path = fetch(usaspending, tmp_path, on_step=steps.append)

    assert_intact(path)
    assert [s.answered for s in usaspending.of("POST", "/api/v2/bulk_download/awards/")] == [503, 200]
    assert [s.answered for s in usaspending.of("GET", "/api/v2/download/status")] == [500, 429, 200, 200]
    assert any("HTTP 503; retrying" in s for s in steps)
    assert any("HTTP 429; retrying in 0.0 s" in s for s in steps)  # Retry-After: 0 honoured


def test_the_wait_is_what_retry_after_asks_for(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    usaspending.status_failures = [(503, {"Retry-After": "1"})]
    steps: list[str] = []
    started = time.monotonic()
    assert_intact(fetch(usaspending, tmp_path, on_step=steps.append))  # backoff alone would wait 0.01 s
    assert time.monotonic() - started >= 1.0
    assert any("HTTP 503; retrying in 1.0 s (1 of 5)" in s for s in steps)
    assert RetryPolicy(retries=1, backoff_seconds=0.01).delay(1, 86_400.0) == MAX_RETRY_AFTER_SECONDS


def test_retries_run_out(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    usaspending.post_failures = [(503, {})] * 5
    with pytest.raises(FetchError, match=r"gave up after 3 attempts \(HTTP 503\)"):
        fetch(usaspending, tmp_path, retries=2)
    assert len(usaspending.of("POST", "/")) == 3
    assert list(tmp_path.iterdir()) == []


def test_a_refused_request_is_not_retried(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    usaspending.post_failures = [(400, {})]
    with pytest.raises(FetchError, match="HTTP 400: try later"):
        fetch(usaspending, tmp_path)
    assert len(usaspending.of("POST", "/")) == 1


def test_generation_that_takes_too_long_times_out(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    usaspending.statuses = ["running"]
    with pytest.raises(FetchError, match="still running"):
        fetch(usaspending, tmp_path, timeout_seconds=0.1)
    assert usaspending.file_requests == []


# ---------------------------------------------------------------------------------------------------
# (3) and (4) Interrupted downloads.


@pytest.mark.parametrize(
    ("honour_range", "answered", "said"),
    [(True, 206, "resuming"), (False, 200, "does not resume")],
    ids=["resumes with a range request", "starts again where the server ignores the range"],
)
def test_an_interrupted_download_resumes_or_starts_again(
    usaspending: FakeUSAspending, tmp_path: Path, honour_range: bool, answered: int, said: str
) -> None:
    half = len(PAYLOAD) // 2
    usaspending.cut_downloads_at = half
    usaspending.honour_range = honour_range
    steps: list[str] = []
    path = fetch(usaspending, tmp_path, on_step=steps.append)

    assert [(s.headers.get("range"), s.answered) for s in usaspending.file_requests] == [
        (None, 200),
        (f"bytes={half}-", answered),
    ]
    assert_intact(path)  # the whole file once, not the first half twice
    assert any(said in s for s in steps)


def test_a_download_cut_again_and_again_is_not_given_up_while_it_advances(
    usaspending: FakeUSAspending, tmp_path: Path
) -> None:
    quarter = len(PAYLOAD) // 4
    usaspending.cut_downloads_at = quarter
    usaspending.cuts_left = 3  # three cuts, one retry allowed: only failures without progress count
    path = fetch(usaspending, tmp_path, retries=1)

    assert [(s.headers.get("range"), s.answered) for s in usaspending.file_requests] == [
        (None, 200),
        (f"bytes={quarter}-", 206),
        (f"bytes={2 * quarter}-", 206),
        (f"bytes={3 * quarter}-", 206),
    ]
    assert_intact(path)


def test_a_part_left_by_an_earlier_run_is_resumed(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    (tmp_path / f"{FILE_NAME}.part").write_bytes(PAYLOAD[:100])
    path = fetch(usaspending, tmp_path)
    assert [(s.headers.get("range"), s.answered) for s in usaspending.file_requests] == [("bytes=100-", 206)]
    assert_intact(path)


# ---------------------------------------------------------------------------------------------------
# (5) and (6) Nothing reaches the store from a failed or broken download.


def test_a_failed_generation_raises_and_leaves_nothing(
    usaspending: FakeUSAspending, db_path: Path, tmp_path: Path
) -> None:
    usaspending.statuses = ["ready", "running", "failed"]
    before = counts(db_path)
    dest = tmp_path / "downloads"
    with pytest.raises(FetchError, match="Download failed: the query timed out"):
        fetch_and_ingest(db_path, fiscal_year=2026, agency="ICE", dest_dir=dest, base_url=usaspending.base, **FAST)

    assert counts(db_path) == before
    assert before["transactions"] == 0 and before["sources"] == 0
    assert list(dest.iterdir()) == []
    assert usaspending.file_requests == []
    (post,) = usaspending.of("POST", "/")
    assert json.loads(post.body)["filters"]["agencies"][0]["tier"] == "subtier"


def _flip_a_byte_inside_the_member(payload: bytes) -> bytes:
    offset = 30 + len(MEMBER) + 40  # past the local header, inside the (stored) member data
    return payload[:offset] + bytes([payload[offset] ^ 0xFF]) + payload[offset + 1 :]


TRUNCATED = PAYLOAD[: len(PAYLOAD) * 2 // 3]
CRC_BROKEN = _flip_a_byte_inside_the_member(make_zip(compression=zipfile.ZIP_STORED))


BROKEN = [
    # (what, bytes served, total_size declared by the status, server cuts every transfer, expected error)
    ("truncated, declared size of the whole file", TRUNCATED, len(PAYLOAD) / 1000, False, "but USAspending declared"),
    ("truncated, size not declared", TRUNCATED, None, False, "not a complete, readable zip archive"),
    ("member fails its CRC check", CRC_BROKEN, len(CRC_BROKEN) / 1000, False, "member .* is corrupt"),
    ("Content-Length never honoured", PAYLOAD, len(PAYLOAD) / 1000, True, "gave up after"),
]


@pytest.mark.parametrize(("case", "served", "declared", "cut_every_time", "error"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_archive_is_never_ingested(
    usaspending: FakeUSAspending,
    db_path: Path,
    tmp_path: Path,
    case: str,
    served: bytes,
    declared: float | None,
    cut_every_time: bool,
    error: str,
) -> None:
    usaspending.payload = served
    usaspending.total_size = declared
    if cut_every_time:
        usaspending.cut_downloads_at = len(served) * 2 // 3
        usaspending.cuts_left = 100
        usaspending.honour_range = False
    before = counts(db_path)
    dest = tmp_path / "downloads"

    with pytest.raises(FetchError, match=error):
        fetch_and_ingest(
            db_path, fiscal_year=2026, agency="DHS", dest_dir=dest, base_url=usaspending.base, retries=2, **FAST
        )

    assert counts(db_path) == before, case
    assert not (dest / FILE_NAME).exists(), case
    leftover = [p.name for p in dest.iterdir()]
    # A short download is kept as .part to resume from; a complete but wrong one is removed.
    assert leftover == ([f"{FILE_NAME}.part"] if cut_every_time else []), case


def test_a_wrong_file_already_in_place_is_downloaded_again(usaspending: FakeUSAspending, tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(TRUNCATED)
    path = fetch(usaspending, tmp_path)
    assert len(usaspending.file_requests) == 1
    assert_intact(path)


def test_the_cli_fetches_and_prints_the_accounting(
    usaspending: FakeUSAspending, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import main

    db = tmp_path / "cli.duckdb"
    arguments = [
        "--db",
        str(db),
        "fetch",
        "usaspending",
        "--fiscal-year",
        "2026",
        "--agency",
        "ice",
        "--dest",
        str(tmp_path / "downloads"),
        "--base-url",
        usaspending.base,
        "--poll-seconds",
        "0.01",
    ]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "rows per file" in out
    assert counts(db)["transactions"] == 3
    body = usaspending.of("POST", "/api/v2/bulk_download/awards")[0]
    assert b"U.S. Immigration and Customs Enforcement" in (body.body or b"")
