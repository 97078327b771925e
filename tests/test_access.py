"""API keys: hashed, scoped, rate limited and under a monthly quota; anonymous access only as configured."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import main
from service.settings import Settings
from service.state import ServiceState

PROBLEM = "application/problem+json"


@pytest.fixture
def locked(db: Path) -> Iterator[tuple[TestClient, ServiceState]]:
    settings = Settings(db=db, anonymous_scopes="")
    with TestClient(create_app(settings)) as client:
        yield client, client.app.state.service_state  # type: ignore[attr-defined]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_key_is_401_and_open_paths_stay_open(locked: tuple[TestClient, ServiceState]) -> None:
    client, _ = locked
    response = client.get("/v1/firms")
    assert response.status_code == 401 and response.headers["content-type"].startswith(PROBLEM)
    assert "API key" in response.json()["detail"] and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/v1/firms", headers=bearer("es_nope_nope")).status_code == 401
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_scopes(locked: tuple[TestClient, ServiceState]) -> None:
    client, state = locked
    _, reader = state.create_key("fund", ["read"], 1000, 1000)
    _, screener = state.create_key("procurement", ["screen"], 1000, 1000)
    _, admin = state.create_key("ops", ["admin"], 1000, 1000)
    assert client.get("/v1/firms", headers=bearer(reader)).status_code == 200
    refused = client.post("/v1/screen", json={"items": [{"name": "Roshel"}]}, headers=bearer(reader))
    assert refused.status_code == 403 and "'screen'" in refused.json()["detail"]
    assert client.post("/v1/screen", json={"items": [{"name": "Roshel"}]}, headers=bearer(screener)).status_code == 200
    assert client.get("/v1/firms", headers=bearer(screener)).status_code == 403
    assert client.get("/v1/admin/keys", headers=bearer(reader)).status_code == 403
    keys = client.get("/v1/admin/keys", headers=bearer(admin)).json()
    assert {k["name"] for k in keys["data"]} >= {"fund", "procurement", "ops"}
    assert all("secret" not in str(k) and "token" not in str(k) for k in keys["data"])


def test_keys_are_stored_hashed_and_revocable(locked: tuple[TestClient, ServiceState], db: Path) -> None:
    client, state = locked
    key, token = state.create_key("temp", ["read"], 1000, 1000)
    raw = sqlite3.connect(Settings(db=db).state_path).execute("SELECT * FROM api_keys").fetchall()
    assert not any(token.split("_", 2)[2] in str(row) for row in raw)
    assert client.get("/v1/firms", headers=bearer(token)).status_code == 200
    assert state.revoke(key.key_id)
    assert client.get("/v1/firms", headers=bearer(token)).status_code == 401


def test_rate_limit_gives_429_with_retry_after(locked: tuple[TestClient, ServiceState]) -> None:
    client, state = locked
    _, token = state.create_key("burst", ["read"], 3, 1000)
    statuses = [client.get("/healthz").status_code] + [
        client.get("/v1/methodology", headers=bearer(token)).status_code for _ in range(5)
    ]
    assert statuses[1:4] == [200, 200, 200] and statuses[4] == 429
    limited = client.get("/v1/methodology", headers=bearer(token))
    assert limited.headers["content-type"].startswith(PROBLEM) and int(limited.headers["Retry-After"]) >= 1


def test_monthly_quota_gives_429_until_next_month(locked: tuple[TestClient, ServiceState]) -> None:
    client, state = locked
    key, token = state.create_key("small", ["read"], 1000, 2)
    assert [client.get("/v1/agencies", headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 429]
    over = client.get("/v1/agencies", headers=bearer(token))
    assert "monthly quota" in over.json()["detail"] and int(over.headers["Retry-After"]) > 0
    usage = {k.key_id: used for k, used in state.api_keys()}
    assert usage[key.key_id] == 4


def test_each_screening_records_the_key_that_asked(locked: tuple[TestClient, ServiceState]) -> None:
    client, state = locked
    key, token = state.create_key("auditor", ["screen"], 1000, 1000)
    body = client.post("/v1/screen", json={"items": [{"name": "CGI Inc."}]}, headers=bearer(token)).json()
    stored = state.screening(body["screening_id"])
    assert stored is not None and stored[1] == key.key_id


def test_anonymous_read_when_the_operator_allows_it(db: Path) -> None:
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read"))) as client:
        assert client.get("/v1/firms").status_code == 200
        assert client.post("/v1/screen", json={"items": []}).status_code == 401


def test_keys_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(db), "keys", "create", "--name", "cli fund", "--scopes", "read,screen"]) == 0
    out = capsys.readouterr().out
    token = out.split("token (shown once; only its hash is kept): ")[1].strip()
    key_id = token.split("_")[1]
    assert main(["--db", str(db), "keys", "list"]) == 0
    assert f"{key_id} cli fund: read,screen" in capsys.readouterr().out
    assert main(["--db", str(db), "keys", "revoke", key_id]) == 0
    assert main(["--db", str(db), "keys", "revoke", key_id]) == 1
    assert main(["--db", str(db), "keys", "create", "--name", "x", "--scopes", "root"]) == 1
