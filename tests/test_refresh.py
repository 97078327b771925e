"""Refresh without downtime, against a real uvicorn server on 127.0.0.1: a load test during two refreshes
sees zero failed requests and no response that mixes two snapshots; a refresh killed with SIGKILL leaves the
served database exactly as it was."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from service.cli import main
from tests.conftest import build_store
from tests.live_server import REPO, running_server

pytestmark = pytest.mark.slow


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = build_store(tmp_path / "exposure.duckdb", "2025-12-31")
    with running_server(db) as base:
        yield base, db


def _wait_until_serving(base: str, as_of: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if httpx2.get(f"{base}/healthz", timeout=5).json()["snapshot"]["as_of"] == as_of:
            return
        time.sleep(0.1)
    pytest.fail(f"the server did not switch to the snapshot as of {as_of}")


def test_refresh_under_load_fails_no_request_and_mixes_no_snapshots(server: tuple[str, Path]) -> None:
    base, db = server
    failures: list[str] = []
    seen: dict[str, set[str]] = defaultdict(set)  # snapshot header -> the snapshots the bodies named
    stop = threading.Event()

    def hammer(path: str) -> None:
        with httpx2.Client(base_url=base, timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.get(path)
                except httpx2.HTTPError as exc:
                    failures.append(f"{path}: {exc!r}")
                    continue
                if response.status_code != 200:
                    failures.append(f"{path}: {response.status_code} {response.text[:200]}")
                    continue
                body = response.json()
                snapshot = body["snapshot"]
                seen[response.headers["X-Exposure-Snapshot"]].add(f"{snapshot['as_of']}|{snapshot['scored_at']}")

    threads = [
        threading.Thread(target=hammer, args=(p,))
        for p in ("/v1/firms/gardaworld", "/v1/firms/roshel", "/v1/firms?limit=5", "/healthz")
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        for as_of in ("2026-06-30", "2026-11-22"):
            assert main(["--db", str(db), "refresh", "--as-of", as_of]) == 0
            _wait_until_serving(base, as_of)  # under load: the switch happens within seconds
            time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
    assert failures == []
    assert len(seen) == 3, f"expected three snapshots served in turn, saw {dict(seen)}"
    assert all(len(bodies) == 1 for bodies in seen.values()), f"a response mixed snapshots: {dict(seen)}"
    final = httpx2.get(f"{base}/healthz").json()["snapshot"]["as_of"]
    assert final == "2026-11-22"


def test_a_killed_refresh_leaves_the_served_database_as_it_was(server: tuple[str, Path]) -> None:
    base, db = server
    before = _sha(db)
    snapshot_before = httpx2.get(f"{base}/healthz").json()["snapshot"]
    refresh = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", str(db), "refresh", "--as-of", "2026-11-22"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    snapshots = db.with_name(db.name + ".snapshots")
    deadline = time.monotonic() + 20
    while not list(snapshots.glob("*.staging")) and time.monotonic() < deadline:  # the copy exists: now rescoring
        time.sleep(0.005)
    refresh.send_signal(signal.SIGKILL)
    refresh.wait(timeout=10)
    assert _sha(db) == before
    time.sleep(0.5)
    assert httpx2.get(f"{base}/healthz").json()["snapshot"] == snapshot_before
    assert list(snapshots.glob("*.staging"))  # the killed refresh's copy, never published
    assert main(["--db", str(db), "refresh", "--as-of", "2026-11-22"]) == 0  # and the next refresh is clean
    assert not list(snapshots.glob("*.staging*"))  # and removed what the killed one left
    _wait_until_serving(base, "2026-11-22")
