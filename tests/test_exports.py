"""Exports: CSV cells a spreadsheet would run as formulas are neutralised (OWASP), and the export's query and
writing never run on the event loop, where they would hold up every other request of the worker."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from service import exports
from service.queries import firms
from tests.conftest import build_store, serve


def test_every_formula_start_is_neutralised_and_nothing_else() -> None:
    risky = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1 CANADA LTD", "\r=1+1"]
    harmless = ["ACME LTD", " =not first", "a=b", "", "'already quoted"]
    batch = pa.record_batch(
        {
            "name": [*risky, *harmless, None],
            "tier": pa.array([*harmless, *risky, "low"]).dictionary_encode(),
            "score": [-1.5] * 12,
        }
    )
    out = exports.neutralise_formulas(batch)
    assert out.column("name").to_pylist() == [*(f"'{v}" for v in risky), *harmless, None]
    assert out.column("tier").to_pylist() == [*harmless, *(f"'{v}" for v in risky), "low"]
    assert out.column("score").to_pylist() == [-1.5] * 12  # numbers are numbers, not text to neutralise
    assert set(exports.FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = build_store(tmp_path_factory.mktemp("exports") / "exposure.duckdb")
    with serve(db) as test_client:
        yield test_client


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_the_export_query_and_writer_run_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    seen: list[tuple[str, bool]] = []
    query, neutralise, parquet = firms.export_batches, exports.neutralise_formulas, exports.write_parquet

    def watched_query(*args: Any, **kwargs: Any) -> Any:
        seen.append(("query", on_event_loop()))
        return query(*args, **kwargs)

    def watched_neutralise(batch: pa.RecordBatch) -> pa.RecordBatch:
        seen.append(("csv", on_event_loop()))
        return neutralise(batch)

    def watched_parquet(*args: Any) -> None:
        seen.append(("parquet", on_event_loop()))
        parquet(*args)

    monkeypatch.setattr(firms, "export_batches", watched_query)
    monkeypatch.setattr(exports, "neutralise_formulas", watched_neutralise)
    monkeypatch.setattr(exports, "write_parquet", watched_parquet)
    response = client.get("/v1/firms", params={"format": fmt})
    assert response.status_code == 200 and response.content
    assert ("query", False) in seen and all(not on_loop for _step, on_loop in seen)
    if fmt in ("csv", "parquet"):
        assert (fmt, False) in seen


def test_an_export_of_nothing_keeps_its_columns_and_their_types(client: TestClient) -> None:
    nobody = {"q": "no firm has this name"}
    text = client.get("/v1/firms", params={**nobody, "format": "csv"}).text
    assert next(csv.reader(io.StringIO(text)))[:3] == ["firm_id", "name", "country_code"]
    table = pq.read_table(io.BytesIO(client.get("/v1/firms", params={**nobody, "format": "parquet"}).content))
    assert table.num_rows == 0
    assert table.schema.field("score").type == pa.float64() and table.schema.field("link_count").type == pa.int64()
    assert client.get("/v1/firms", params={**nobody, "format": "ndjson"}).content == b""


def test_an_export_with_a_bad_filter_is_a_problem_before_any_byte(client: TestClient) -> None:
    for fmt in ("csv", "ndjson", "parquet"):
        response = client.get("/v1/firms", params={"format": fmt, "agency": "NASA"})
        assert response.status_code == 422 and response.json()["detail"].startswith("agency:")
