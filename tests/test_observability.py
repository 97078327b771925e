"""Structured JSON logs with a request id; Prometheus metrics by route, snapshot age and quarantined rows."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.observability import JsonFormatter
from tests.conftest import serve


@pytest.fixture
def client(db: Path) -> TestClient:
    return serve(db)


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    with client:
        given = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
        assert given.headers["X-Request-ID"] == "trace-123"
        made = client.get("/healthz").headers["X-Request-ID"]
        assert len(made) == 32


def test_every_request_is_logged_as_json(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with client, caplog.at_level(logging.INFO, logger="exposure.http"):
        client.get("/v1/firms/roshel", headers={"X-Request-ID": "abc"})
    record = next(r for r in caplog.records if getattr(r, "request_id", None) == "abc")
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request" and line["route"] == "/v1/firms/{firm_id}" and line["status"] == 200
    assert line["path"] == "/v1/firms/roshel" and line["ms"] >= 0 and len(line["snapshot"]) == 16


def test_metrics_by_route_snapshot_age_and_quarantine(client: TestClient) -> None:
    with client:
        for _ in range(3):
            client.get("/v1/firms/roshel")
        client.get("/v1/firms/nobody")
        text = client.get("/metrics").text
    assert 'exposure_requests_total{method="GET",route="/v1/firms/{firm_id}",status="200"} 3.0' in text
    assert 'exposure_requests_total{method="GET",route="/v1/firms/{firm_id}",status="404"} 1.0' in text
    assert 'exposure_request_duration_seconds_count{route="/v1/firms/{firm_id}"} 4.0' in text
    age = next(line for line in text.splitlines() if line.startswith("exposure_snapshot_age_seconds "))
    assert 0 <= float(age.split()[1]) < 3600
    assert "exposure_rows_quarantined 0.0" in text
