"""`exposure fetch goc-contracts`: the open.canada.ca contracts CSV downloaded, checked and ingested, against
httpx's MockTransport and a local stand-in server (no network)."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasets.db import scalar
from datasets.errors import FetchError
from datasets.sources.goc_contracts.fetch import CONTRACTS_CSV_URL, fetch_and_ingest, fetch_goc_contracts
from datasets.sources.goc_contracts.load import PUBLISHED_COLUMNS
from datasets.store import connect
from service.cli import main

TODAY = date(2026, 11, 22)
FAST: dict[str, Any] = {"backoff_seconds": 0.01, "retries": 3}


def contracts_csv(rows: int = 3) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(PUBLISHED_COLUMNS)
    for n in range(1, rows + 1):
        row = {
            "reference_number": f"C-2025-2026-Q2-{n:05d}",
            "vendor_name": f"EXAMPLE SUPPLY {n} INC.",
            "contract_date": "2025-08-01",
            "contract_value": f"{1000 * n}.50",
            "reporting_period": "2025-2026-Q2",
            "owner_org": "pspc-spac",
            "owner_org_title": "Public Services and Procurement Canada",
        }
        writer.writerow([row.get(c, "") for c in PUBLISHED_COLUMNS])
    return b"\xef\xbb\xbf" + text.getvalue().encode()  # open.canada.ca writes a UTF-8 byte order mark


PAYLOAD = contracts_csv()


def mock_client(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_the_published_resource_url_is_the_datasets_contracts_csv() -> None:
    assert CONTRACTS_CSV_URL == (
        "https://open.canada.ca/data/dataset/d8f85d91-7dec-4fd1-8055-483b77225d8b/resource/"
        "fac950c0-00d5-4ec1-a4d3-9cbebf98a305/download/contracts.csv"
    )


def test_a_download_is_retried_through_transient_failures(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, content=PAYLOAD, headers={"Content-Length": str(len(PAYLOAD))}),
    ]
    steps: list[str] = []
    with mock_client(answers, seen) as client:
        path = fetch_goc_contracts(dest_dir=tmp_path, client=client, today=TODAY, on_step=steps.append, **FAST)
    assert path == tmp_path / "goc_contracts_2026-11-22.csv" and path.read_bytes() == PAYLOAD
    assert [str(r.url) for r in seen] == [CONTRACTS_CSV_URL] * 3
    assert any("HTTP 503; retrying" in s for s in steps) and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("page", "refusal"),
    [
        (b"<!DOCTYPE html><html><body>Maintenance</body></html>", "not a contracts CSV"),
        (b"d_vendor_name,d_fiscal_year,total\nCGI,2021-2022,1.00\n", "its header lacks reference_number, vendor_name"),
    ],
)
def test_a_file_that_is_not_the_contracts_file_is_refused_and_nothing_kept(
    tmp_path: Path, page: bytes, refusal: str
) -> None:
    seen: list[httpx.Request] = []
    with (
        mock_client([httpx.Response(200, content=page)], seen) as client,
        pytest.raises(FetchError, match=refusal),
    ):
        fetch_goc_contracts(dest_dir=tmp_path, client=client, today=TODAY, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_persistent_failures_give_up_with_the_reason(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    with (
        mock_client([httpx.Response(502)], seen) as client,
        pytest.raises(FetchError, match=r"gave up after 4 attempts.*HTTP 502"),
    ):
        fetch_goc_contracts(dest_dir=tmp_path, client=client, today=TODAY, **FAST)
    assert len(seen) == 4


def test_a_file_fetched_today_is_reused(tmp_path: Path) -> None:
    (tmp_path / "goc_contracts_2026-11-22.csv").write_bytes(PAYLOAD)
    seen: list[httpx.Request] = []
    with mock_client([httpx.Response(500)], seen) as client:
        path = fetch_goc_contracts(dest_dir=tmp_path, client=client, today=TODAY, **FAST)
    assert path.read_bytes() == PAYLOAD and seen == []


def test_fetch_and_ingest_loads_the_verified_file(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    db = tmp_path / "exposure.duckdb"
    with mock_client([httpx.Response(200, content=PAYLOAD)], seen) as client:
        [report] = fetch_and_ingest(db, dest_dir=tmp_path / "downloads", client=client, **FAST)
    assert (report.kind, report.rows_inserted, report.rows_quarantined) == ("goc_contracts", 3, 0)
    con = connect(db, read_only=True)
    try:
        assert scalar(con, "SELECT sum(contract_value) FROM goc_contracts") == 6001.5
    finally:
        con.close()


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A stand-in for open.canada.ca: the CSV at /contracts.csv, after one 503."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            if len(paths) == 1:
                self.send_response(503)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)

        def log_message(self, *_args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/contracts.csv", paths
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_command_fetches_and_loads(
    tmp_path: Path, server: tuple[str, list[str]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets.sources.usaspending.retries as retries

    monkeypatch.setattr(retries.RetryPolicy, "delay", lambda _self, _failures, _after: 0.01)
    url, paths = server
    db = tmp_path / "exposure.duckdb"
    args = ["--db", str(db), "fetch", "goc-contracts", "--url", url, "--dest", str(tmp_path / "dl")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "goc_contracts_" in out and "goc_contracts" in out and paths == ["/contracts.csv"] * 2
    con = connect(db, read_only=True)
    try:
        assert scalar(con, "SELECT count(*) FROM goc_contracts") == 3
    finally:
        con.close()
    # USAspending still needs its fiscal year.
    assert main(["--db", str(db), "fetch", "usaspending"]) == 1
    assert "needs --fiscal-year" in capsys.readouterr().err
