"""kill -9 in the middle of `exposure ingest`: the database must come back exactly as it was before the load
(same tables, same rows, no source recorded for the killed file), readable from end to end, and the same
file must then load cleanly.

Two moments are tested: 0.7 s into the load of a 200k-row bulk file (the real command, untouched: it is
reading and staging), and the moment every row has been written to the tables but not committed (the
command is paused there by a hook, so the kill lands at the worst place deterministically).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from datasets.store import connect, table_counts
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or not Path("/proc/self/fd").is_dir(), reason="needs Linux (/proc and SIGKILL)"
)

ROWS = 200_000
WAIT_SECONDS = 30  # the longest any step of these tests may wait before giving up

# The real command, paused once every row is written and the load is about to be recorded and committed.
PAUSED_INGEST = """
import sys, time
from pathlib import Path

import datasets.ingest.load as ingest_load

marker = Path(sys.argv[1])
record = ingest_load.record_source


def paused(*args, **kwargs):
    marker.write_text("rows written, transaction open")
    time.sleep(120)
    return record(*args, **kwargs)


ingest_load.record_source = paused
from service.cli import main

sys.exit(main(sys.argv[2:]))
"""


def exposure(*args: str) -> list[str]:
    """The `exposure` command of this environment (its console script, or the module if not installed)."""
    script = Path(sys.executable).with_name("exposure")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "service.cli", *args]


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.generate import generate

    return generate(ROWS, tmp_path_factory.mktemp("crash") / "Contracts_PrimeTransactions_200k.csv")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the bundled data and an earlier transactions file: the state the kill must not touch."""
    from bench.generate import generate

    folder = tmp_path_factory.mktemp("template")
    db = folder / "exposure.duckdb"
    earlier = generate(1_000, folder / "Contracts_PrimeTransactions_earlier.csv", first_row=10 * ROWS)
    for command in (exposure("--db", str(db), "init"), exposure("--db", str(db), "ingest", str(earlier))):
        done = subprocess.run(command, cwd=REPO, env=child_env(), capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    return db


def fingerprint(db: Path) -> dict[str, tuple[int, int]]:
    """Per table: row count and an order-independent hash of every row, reading every block of the file."""
    con = duckdb.connect(str(db))
    try:
        return {
            table: tuple(  # type: ignore[misc]
                int(v or 0)
                for v in con.execute(f'SELECT count(*), sum(CAST(hash(t) AS HUGEINT)) FROM "{table}" t').fetchall()[0]
            )
            for table in table_counts(con)
        }
    finally:
        con.close()


def has_open(pid: int, path: Path) -> bool:
    target = str(path.resolve())
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def wait_for(condition: object, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        if proc.poll() is not None:
            pytest.fail(f"the ingest exited (code {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.skip(f"gave up waiting {WAIT_SECONDS} s for {what}")
        time.sleep(0.01)


def kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=WAIT_SECONDS)
    assert proc.returncode == -signal.SIGKILL


def assert_as_before(db: Path, before: dict[str, tuple[int, int]], big_file: Path) -> None:
    assert fingerprint(db) == before
    con = connect(db)
    try:
        assert con.execute("SELECT count(*) FROM sources WHERE file_name = ?", [big_file.name]).fetchall() == [(0,)]
        orphans = con.execute("SELECT count(*) FROM quarantine WHERE source_id NOT IN (SELECT source_id FROM sources)")
        assert orphans.fetchall() == [(0,)]
    finally:
        con.close()


def assert_loads_again(db: Path, big_file: Path) -> None:
    before = fingerprint(db)
    done = subprocess.run(
        exposure("--db", str(db), "ingest", str(big_file)),
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"total: read {ROWS:,} = inserted {ROWS:,}" in done.stdout
    after = fingerprint(db)  # reads every table end to end
    assert after["transactions"][0] == before["transactions"][0] + ROWS
    assert after["sources"][0] == before["sources"][0] + 1
    con = connect(db)
    try:
        keys = con.execute("SELECT count(*) - count(DISTINCT transaction_key) FROM transactions").fetchall()
        assert keys == [(0,)]
        con.execute("CHECKPOINT")
    finally:
        con.close()


def test_kill_9_while_reading_leaves_the_store_as_it_was(tmp_path: Path, template: Path, big_file: Path) -> None:
    db = tmp_path / "exposure.duckdb"
    shutil.copy(template, db)
    before = fingerprint(db)

    proc = subprocess.Popen(
        exposure("--db", str(db), "ingest", str(big_file)),
        cwd=REPO,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: has_open(proc.pid, big_file), "it opened the file", proc)
    time.sleep(0.7)
    if proc.poll() is not None:
        pytest.skip("the whole load took under 0.7 s here: nothing left to interrupt")
    kill(proc)

    con = connect(db)
    try:
        committed = con.execute("SELECT count(*) FROM sources WHERE file_name = ?", [big_file.name]).fetchall()
    finally:
        con.close()
    if committed != [(0,)]:
        pytest.skip("the load had committed before the kill landed (a fast machine); see the paused test")
    assert_as_before(db, before, big_file)
    assert_loads_again(db, big_file)


def test_kill_9_with_every_row_written_but_not_committed(tmp_path: Path, template: Path, big_file: Path) -> None:
    db = tmp_path / "exposure.duckdb"
    shutil.copy(template, db)
    before = fingerprint(db)
    marker = tmp_path / "paused"

    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_INGEST, str(marker), "--db", str(db), "ingest", str(big_file)],
        cwd=REPO,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(marker.exists, "it wrote every row", proc)
    kill(proc)

    assert_as_before(db, before, big_file)
    assert_loads_again(db, big_file)
