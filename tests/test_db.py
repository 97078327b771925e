"""The service's DuckDB door: the query time limit (EXPOSURE_QUERY_TIMEOUT_SECONDS) stops a slow query and
answers a 503 problem naming the limit, and no other module of the service imports duckdb."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import Connection, Cursor, QueryFailedError, QueryTimeoutError, open_read_only
from service.queries import meta
from service.settings import Settings
from tests.conftest import REPO

# Seconds of work on any machine: a join of 10^8 rows against 100, filtered row by row.
SLOW_SQL = "SELECT count(*) FROM range(100000000) a, range(100) b WHERE a.range % 7 = b.range"
SLOW_STREAM_SQL = "SELECT a.range FROM range(100000000) a, range(100) b WHERE a.range % 7 = b.range"
LIMIT = 0.2


@pytest.fixture
def con(db: Path) -> Iterator[Connection]:
    connection = open_read_only(db)
    yield connection
    connection.close()


def test_a_slow_query_stops_at_the_limit_and_the_cursor_still_works(con: Connection) -> None:
    with Cursor(con, timeout_seconds=LIMIT) as cur:
        started = time.perf_counter()
        with pytest.raises(QueryTimeoutError) as stopped:
            cur.tuples(SLOW_SQL)
        assert time.perf_counter() - started < LIMIT + 2
        assert stopped.value.status == 503 and "0.2 s" in stopped.value.detail
        assert "EXPOSURE_QUERY_TIMEOUT_SECONDS" in stopped.value.detail
        assert cur.tuples("SELECT 42") == [(42,)]
        # The limit is per query: quick queries one after another never add up to it.
        for _ in range(5):
            assert cur.rows("SELECT count(*) AS n FROM firms")[0]["n"] > 0


def test_a_stream_is_stopped_while_fetching_not_while_the_client_reads(con: Connection) -> None:
    with Cursor(con, timeout_seconds=LIMIT) as cur:
        batches = cur.batches("SELECT range AS n FROM range(5000)", batch_rows=1000)
        read = 0
        for batch in batches:
            time.sleep(LIMIT / 2)  # a slow client: its reading is not the query's time
            read += batch.num_rows
        assert read == 5000
        with pytest.raises(QueryTimeoutError):
            for _batch in cur.batches(SLOW_STREAM_SQL, batch_rows=1000):
                pass


def test_without_a_limit_a_query_runs_to_the_end(con: Connection) -> None:
    with Cursor(con) as cur:  # how a snapshot is built when it opens
        assert cur.tuples("SELECT count(*) FROM range(3000000)") == [(3000000,)]


def test_a_query_duckdb_refuses_is_a_500_of_ours_not_a_duckdb_error(con: Connection) -> None:
    with Cursor(con, timeout_seconds=LIMIT) as cur, pytest.raises(QueryFailedError) as failed:
        cur.rows("SELECT CAST('x' AS INTEGER)")
    assert failed.value.status == 500


def test_the_api_answers_a_slow_query_with_a_503_problem(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meta, "SOURCES_SQL", SLOW_SQL)
    settings = Settings(db=db, anonymous_scopes="read", query_timeout_seconds=LIMIT)
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/sources")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["x-request-id"]
        body = response.json()
        assert body["title"] == "Query time limit reached" and "time limit of 0.2 s" in body["detail"]
        assert client.get("/v1/agencies").status_code == 200  # the next request is served as usual


def test_only_service_db_imports_duckdb() -> None:
    importers = []
    for path in sorted((REPO / "service").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "duckdb" or name.startswith("duckdb.") for name in names):
                importers.append(path.relative_to(REPO).as_posix())
    assert importers == ["service/db.py"]
