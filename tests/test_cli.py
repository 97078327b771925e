"""The `exposure` command: each command works, prints what it did, and fails in one line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from datasets.sources.usaspending.load import SEARCH_EXPORT
from service.cli import main
from tests.conftest import read_only, write_csv


def test_init_score_and_list_on_the_bundled_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.duckdb")
    assert main(["--db", db, "init"]) == 0
    out = capsys.readouterr().out
    assert "initialised" in out and "firms" in out
    assert main(["--db", db, "score", "--as-of", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    assert "scored" in out and "roshel" in out
    with read_only(db) as con:
        rows = con.execute("SELECT firm_id, tier FROM scores WHERE as_of = DATE '2026-11-22'").fetchall()
    assert ("roshel", "high") in rows or any(r[0] == "roshel" for r in rows)


def test_init_twice_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.duckdb")
    assert main(["--db", db, "init"]) == 0
    first = capsys.readouterr().out.splitlines()[-1]
    assert main(["--db", db, "init"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == first


def test_ingest_refuses_unknown_files_with_one_line_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.duckdb")
    odd = write_csv(tmp_path / "odd.csv", ["name", "value"], [["a", "1"]])
    good = write_csv(
        tmp_path / "export.csv",
        SEARCH_EXPORT.required_names,
        [["ICE", "P1", "ROSHEL LLC", "10", "2025-11-28", "0", "CONT_AWD_P1_7012_-NONE-_-NONE-"]],
    )
    assert main(["--db", db, "ingest", str(odd), str(good), str(tmp_path / "missing.csv")]) == 1
    captured = capsys.readouterr()
    assert "total: read 1 = inserted 1" in captured.out
    assert "refused: odd.csv: header matches no known kind; the closest is" in captured.err
    assert "missing.csv: no such file" in captured.err
    assert captured.err.strip().splitlines()[-1].startswith("exposure ingest: 2 of 3 files could not be loaded")


def test_env_var_selects_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("EXPOSURE_DB", str(db))
    assert main(["init"]) == 0
    assert db.exists()


def test_serve_without_a_database_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "none.duckdb"), "serve"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run `exposure --db" in err


def test_version_missing_database_and_a_database_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from service.settings import package_version

    with pytest.raises(SystemExit) as shown:
        main(["--version"])
    assert shown.value.code == 0 and capsys.readouterr().out.strip() == f"exposure {package_version()}"
    missing = tmp_path / "typo.duckdb"
    assert main(["--db", str(missing), "score"]) == 1
    assert "does not exist; run `exposure --db" in capsys.readouterr().err
    assert not missing.exists()  # refused, not created empty
    db = tmp_path / "x.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    capsys.readouterr()
    # A server holds the file read-only; a writing command in another process is told what to do instead.
    server = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}, read_only=True); time.sleep(30)"]
    )
    try:
        time.sleep(1.5)
        assert main(["--db", str(db), "score"]) == 1
        err = capsys.readouterr().err
        assert "is in use by another process" in err and "exposure refresh" in err
    finally:
        server.kill()
        server.wait()


@pytest.mark.parametrize("option", ["--rate", "--quota"])
def test_a_key_cannot_be_made_unlimited_with_a_negative_rate_or_quota(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    with pytest.raises(SystemExit) as refused:
        main(["--db", str(db), "keys", "create", "--name", "fund", option, "-1"])
    assert refused.value.code == 2 and "must be at least 1, not -1" in capsys.readouterr().err
