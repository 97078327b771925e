"""Shared fixtures: a temporary store, a scored one, the real public files (skipped with a reason when absent),
CSV writers."""

from __future__ import annotations

import atexit
import csv
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from datasets.catalogue import KINDS
from datasets.ingest import LoadReport, ingest_paths
from datasets.store import connect

# The suites send hundreds of anonymous requests a minute from one address (the test client's, or 127.0.0.1 to
# the servers they start); tests/test_access.py sets the per-address limit itself where it is what is tested.
os.environ.setdefault("EXPOSURE_ANONYMOUS_RATE_PER_MINUTE", "1000000")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "data" / "real"
SEARCH_EXPORTS = REAL / "usaspending_cbp_ice_fy2021_2026"
AWARD_SUMMARIES = REAL / "usaspending_ice_mn_Contracts_PrimeAwardSummaries_2025-03-21.csv"
SUBAWARDS = REAL / "usaspending_ice_Contracts_Subawards_after2020_2025-03-28.csv"
TRANSACTIONS_2018 = REAL / "usaspending_ice_transactions_fy2013_2018_tornapart.csv"


def real_usaspending_files() -> list[Path]:
    return [*sorted(SEARCH_EXPORTS.glob("*.csv")), AWARD_SUMMARIES, SUBAWARDS, TRANSACTIONS_2018]


@pytest.fixture
def real_files() -> list[Path]:
    files = real_usaspending_files()
    missing = [str(f) for f in files if not f.exists()]
    if not SEARCH_EXPORTS.exists() or missing:
        pytest.skip(f"real USAspending files not found under {REAL} (CI provides ../shared/data/real): {missing[:2]}")
    return files


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "exposure.duckdb"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled data loaded and scored, one store per test module (its tests share it)."""
    return build_store(tmp_path_factory.mktemp("store") / "exposure.duckdb")


@contextmanager
def read_only(db: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the store at `db`, closed afterwards."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        yield con
    finally:
        con.close()


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def csv_row(header: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """`values` laid out in `header`'s order, empty where absent; a name not in the header fails the test."""
    unknown = set(values) - set(header)
    assert not unknown, unknown
    return [values.get(column, "") for column in header]


def load_one(con: duckdb.DuckDBPyConnection, path: Path) -> LoadReport:
    """Ingest one file as `exposure ingest` would, and its one report, which accounts for every row read."""
    [report] = ingest_paths(con, [path], KINDS)
    assert report.balanced, report
    return report


def load_rows(
    con: duckdb.DuckDBPyConnection, path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]
) -> LoadReport:
    """`rows` under `header` written to `path` as a CSV file and loaded."""
    return load_one(con, write_csv(path, header, rows))


def serve(db: Path, anonymous_scopes: str = "read", **settings: Any) -> TestClient:
    """A test client of the app serving `db`, where anonymous callers hold `anonymous_scopes`; enter it with
    `with` so the app starts (and opens its snapshot) and stops."""
    from service.app import create_app
    from service.settings import Settings

    return TestClient(create_app(Settings(db=db, anonymous_scopes=anonymous_scopes, **settings)))


def screen(client: TestClient, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST the items to /v1/screen (the client holds scope `screen`) and return the answers, in order."""
    response = client.post("/v1/screen", json={"items": items})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def ingest_and_score(path: Path, files: Sequence[Path], as_of: str) -> Path:
    """Ingest `files` into the store at `path`, every row loaded and none quarantined, then score it as of
    `as_of`."""
    from service import pipeline

    outcome = pipeline.ingest(path, files)
    assert not outcome.refused and all(r.balanced and r.rows_quarantined == 0 for r in outcome.reports)
    pipeline.score(path, date.fromisoformat(as_of))
    return path


_TEMPLATES: dict[tuple[str, ...], Path] = {}  # the dates scored -> a store built once per test process


def build_store(path: Path, as_of: str = "2026-11-22", *more_dates: str, scored: bool = True) -> Path:
    """A store built from the bundled data and scored as of each date, by the pipeline the command line runs
    (`scored=False`: loaded only). Built once per test process and dates, then copied, so each test still gets
    a file of its own to change."""
    dates = (as_of, *more_dates) if scored else ()
    template = _TEMPLATES.get(dates)
    if template is None:
        from datetime import date

        from service import pipeline

        folder = Path(tempfile.mkdtemp(prefix="exposure-store-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "exposure.duckdb"
        outcome = pipeline.init(template)
        assert not any(r.rows_quarantined for r in outcome.reports)
        for day in dates:
            pipeline.score(template, date.fromisoformat(day))
        _TEMPLATES[dates] = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return path
