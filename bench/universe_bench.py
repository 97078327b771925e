"""Screening against the whole issuer universe: 10,000 holdings as funds send them (ISIN and name, tickers in
several forms, names alone, foreign ISINs), and the server's start with the universe loaded.

Baselines measured in the same run: a bare dictionary lookup of the same ISINs (screening), and the snapshot
opened without the universe (start)."""

from __future__ import annotations

import csv
import io
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx
from fastapi.testclient import TestClient

from scoring import load_methodology
from service.app import create_app
from service.cli import main as cli
from service.db import Cursor
from service.holdings import HOLDING_COLUMNS
from service.models import ScreenItem
from service.screening import DEFAULT_POLICY, screen
from service.settings import Settings
from service.snapshot import load_snapshot
from service.universe import load_universe

HOLDINGS = 10_000
START_TARGET_SECONDS = 5.0
SCREEN_TARGET_SECONDS = 1.0
CSV_TARGET_SECONDS = 1.5  # a 10,000-row holdings file, through HTTP, answered in CSV


def _holdings_csv(items: list[ScreenItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HOLDING_COLUMNS)
    for item in items:
        sent = item.model_dump()
        writer.writerow([sent.get(column) or "" for column in HOLDING_COLUMNS])
    return out.getvalue()


def _csv_round_trip(db: Path, items: list[ScreenItem]) -> tuple[float, float, int]:
    """Seconds for the holdings as a CSV upload answered in CSV, and as JSON answered in JSON (the baseline),
    in-process against the app, one of each after a warm-up."""
    body = _holdings_csv(items)
    payload = {"items": [item.model_dump(exclude_none=True) for item in items]}
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as client:
        client.post("/v1/screen", json={"items": payload["items"][:10]})
        started = time.perf_counter()
        as_csv = client.post("/v1/screen", content=body, headers={"Content-Type": "text/csv", "Accept": "text/csv"})
        csv_seconds = time.perf_counter() - started
        started = time.perf_counter()
        as_json = client.post("/v1/screen", json=payload)
        json_seconds = time.perf_counter() - started
    if as_csv.status_code != 200 or as_json.status_code != 200:
        raise RuntimeError(f"screening failed: {as_csv.status_code} {as_csv.text[:200]} / {as_json.status_code}")
    return csv_seconds, json_seconds, as_csv.text.count("\n") - 1


def _holdings(con: duckdb.DuckDBPyConnection, count: int) -> list[ScreenItem]:
    rows = con.execute(
        "SELECT l.isin, i.name, l.ticker, l.exchange FROM issuer_listings l JOIN issuers i USING (issuer_id) "
        "ORDER BY l.exchange, l.ticker"
    ).fetchall()
    rng = random.Random(7)
    items = []
    for n in range(count):
        isin, name, ticker, exchange = rows[rng.randrange(len(rows))]
        form = n % 5
        if form == 0 and isin:
            items.append(ScreenItem(ref=str(n), isin=isin, name=name))
        elif form == 1:
            items.append(ScreenItem(ref=str(n), ticker=ticker.replace(".", "/") + " CN", name=name))
        elif form == 2:
            items.append(ScreenItem(ref=str(n), ticker=ticker, exchange={"TSX": "XTSE"}.get(exchange, exchange)))
        elif form == 3:
            items.append(ScreenItem(ref=str(n), name=str(name).upper()))
        else:
            items.append(ScreenItem(ref=str(n), isin="US0378331005", name="APPLE INC"))
    return items


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_start(db: Path) -> float:
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 60:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not become ready within 60 s")
    finally:
        process.terminate()
        process.wait(10)


def run(holdings: int = HOLDINGS) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "exposure.duckdb"
        cli(["--db", str(db), "init"])
        cli(["--db", str(db), "score"])
        con = duckdb.connect(str(db), read_only=True)
        try:
            started = time.perf_counter()
            serving = load_snapshot(con)
            opened = time.perf_counter() - started
            started = time.perf_counter()
            load_universe(Cursor(con))
            universe_only = time.perf_counter() - started
            items = _holdings(con, holdings)
        finally:
            con.close()
        methodology = load_methodology()
        started = time.perf_counter()
        results = screen(serving, items, DEFAULT_POLICY, methodology)
        screening = time.perf_counter() - started
        started = time.perf_counter()
        found = [serving.universe.by_identifier.get(("isin", item.isin or "")) for item in items]
        lookup = max(time.perf_counter() - started, 1e-9)
        start = _server_start(db)
        csv_seconds, json_seconds, answered = _csv_round_trip(db, items)
    verdicts: dict[str, int] = {}
    for result in results:
        verdicts[result.verdict] = verdicts.get(result.verdict, 0) + 1
    print(f"universe: {len(serving.universe.issuers):,} issuers; {sum(1 for f in found if f):,} ISINs found by lookup")
    print(
        f"screen {holdings:,} holdings: {screening:.3f} s (target <= {SCREEN_TARGET_SECONDS:.0f} s; "
        f"{screening / lookup:,.0f}x a bare ISIN dict lookup of {lookup * 1000:.1f} ms); verdicts {verdicts}"
    )
    print(
        f"snapshot open: {opened:.2f} s, of which the universe {universe_only:.2f} s "
        f"({universe_only / opened:.2f} of the open); server start to /readyz: {start:.2f} s "
        f"(target <= {START_TARGET_SECONDS:.0f} s)"
    )
    print(
        f"holdings CSV of {holdings:,} rows over HTTP, answered in CSV ({answered:,} rows): {csv_seconds:.2f} s "
        f"(target <= {CSV_TARGET_SECONDS} s); {csv_seconds / json_seconds:.2f}x the same holdings as JSON "
        f"({json_seconds:.2f} s)"
    )
