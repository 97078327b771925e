"""API keys: hashed, scoped, rate limited and under a monthly quota shared by every worker; anonymous access
only as configured, and limited per address; every /v1 route declares the scope it needs."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from service.access import AccessControl, AccessDenied, NotInMemory, lease_size
from service.app import create_app
from service.cli import main
from service.deps import authorised_key
from service.settings import Settings
from service.state import ServiceState
from tests.conftest import serve

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
    with serve(db) as client:
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


# --- every route declares its access; the key may come in either header ---------------------------------


def _access_declarations(dependant: Dependant) -> int:
    return sum((d.call is authorised_key) + _access_declarations(d) for d in dependant.dependencies)


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # newer FastAPI keeps an included router whole, as one route
            yield from _api_routes(route.original_router.routes)


def test_every_v1_route_declares_exactly_one_access_dependency_with_a_scope() -> None:
    app = create_app(Settings())
    document = app.openapi()
    routes = list(_api_routes(app.routes))
    v1_routes = [r for r in routes if r.path.startswith("/v1")]
    assert len(v1_routes) >= 10
    for route in v1_routes:
        assert _access_declarations(route.dependant) == 1, f"{route.path} declares no access, or twice"
        for method in route.methods or ():
            operation = document["paths"][route.path][method.lower()]
            scopes = {scope for requirement in operation["security"] for scope in next(iter(requirement.values()))}
            assert len(scopes) == 1 and scopes <= {"read", "screen", "admin"}, f"{method} {route.path}: {scopes}"
            assert {"401", "403", "429"} <= set(operation["responses"]), f"{method} {route.path}"
    # The HTML pages show what GET /v1/firms serves, so they need what it needs; health, metrics and docs are open.
    page_paths = {"/", "/checks", "/checks/{record_id}", "/firms", "/firms/{firm_id}"}
    pages = [r for r in routes if r.path in page_paths]
    assert {r.path for r in pages} == page_paths and all(_access_declarations(r.dependant) >= 1 for r in pages)
    open_routes = [r for r in routes if not r.path.startswith("/v1") and r.path not in page_paths]
    assert {r.path for r in open_routes} >= {"/healthz", "/readyz", "/metrics", "/docs", "/redoc"}
    assert all(_access_declarations(r.dependant) == 0 for r in open_routes)
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}


def test_every_v1_operation_refuses_a_caller_without_a_key(locked: tuple[TestClient, ServiceState]) -> None:
    client, _ = locked
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if not path.startswith("/v1"):
            continue
        url = re.sub(r"\{[^}]+\}", "0" * 32, path)
        for method in operations:
            response = client.request(method, url, json={} if method == "post" else None)
            assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"


def test_the_key_may_be_sent_as_x_api_key(locked: tuple[TestClient, ServiceState]) -> None:
    client, state = locked
    _, token = state.create_key("header", ["read"], 1000, 1000)
    assert client.get("/v1/firms/roshel", headers={"X-API-Key": token}).status_code == 200
    assert client.get("/v1/firms/roshel", headers={"X-API-Key": "es_nope_nope"}).status_code == 401


def test_the_key_check_and_the_counting_never_run_on_the_event_loop(locked: tuple[TestClient, ServiceState]) -> None:
    client, state = locked
    _, token = state.create_key("threads", ["read", "screen"], 3, 1000)
    on_loop: list[str] = []

    def watched(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with contextlib.suppress(RuntimeError):  # raised when no event loop runs in this thread
                asyncio.get_running_loop()
                on_loop.append(name)
            return method(*args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        for name in ("authenticate", "take_allowance", "save_screening"):
            patch.setattr(state, name, watched(name, getattr(state, name)))
        statuses = [client.get("/v1/agencies", headers=bearer(token)).status_code for _ in range(4)]
        client.post("/v1/screen", json={"items": []}, headers=bearer("es_unknown_key"))
    assert statuses == [200, 200, 200, 429] and on_loop == []


# --- limits shared by every worker -------------------------------------------------------------------------

READ = frozenset({"read"})


def test_two_workers_share_one_keys_rate_and_quota(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    states = [ServiceState(path), ServiceState(path)]
    workers = [AccessControl(state, frozenset(), anonymous_rate_per_minute=120) for state in states]
    _, slow = states[0].create_key("four a minute", ["read"], 4, 1000)
    assert all(workers[i % 2].admit(slow, READ, "10.0.0.1") for i in range(4))
    for worker in workers:
        with pytest.raises(AccessDenied) as refused:
            worker.admit(slow, READ, "10.0.0.1")
        assert refused.value.status == 429 and int(refused.value.headers["Retry-After"]) >= 1

    _, capped = states[1].create_key("three a month", ["read"], 6000, 3)
    admitted = 0
    for i in range(8):
        with contextlib.suppress(AccessDenied):
            admitted += workers[i % 2].admit(capped, READ, "10.0.0.1") is not None
    assert admitted == 3
    for state in states:
        state.close()


def test_requests_leased_and_not_made_are_handed_back(tmp_path: Path) -> None:
    state = ServiceState(tmp_path / "state.sqlite")
    worker = AccessControl(state, frozenset(), anonymous_rate_per_minute=120)
    key, token = state.create_key("busy", ["read"], 60_000, 1_000_000)
    from_memory = 0
    for _ in range(5):
        answer = worker.admit_from_memory(token, READ, "10.0.0.1")
        if isinstance(answer, NotInMemory):
            answer = worker.admit(token, READ, "10.0.0.1")
        else:
            from_memory += 1
        assert answer == key
    assert from_memory == 4  # the first took a batch from the state; the next four needed no visit
    assert {k.key_id: used for k, used in state.api_keys()}[key.key_id] == lease_size(60_000)
    worker.close()
    assert {k.key_id: used for k, used in state.api_keys()}[key.key_id] == 5
    state.close()


def _settle(worker: AccessControl) -> None:
    """Wait for the renewals already asked for (they run one at a time on one thread)."""
    worker._renewals.submit(lambda: None).result(timeout=10)


def test_a_half_spent_lease_is_renewed_ahead_so_busy_callers_never_wait(tmp_path: Path) -> None:
    state = ServiceState(tmp_path / "state.sqlite")
    worker = AccessControl(state, frozenset(), anonymous_rate_per_minute=120)
    key, token = state.create_key("busy", ["read"], 60_000, 1_000_000)
    size = lease_size(60_000)
    assert worker.admit(token, READ, "10.0.0.1") == key  # takes the first batch
    made = 1
    for _ in range(size // 2 - 1):  # down to half a lease: a renewal is asked for on the last of these
        assert worker.admit_from_memory(token, READ, "10.0.0.1") == key
        made += 1
    _settle(worker)
    used = {k.key_id: n for k, n in state.api_keys()}[key.key_id]
    assert used == 2 * size  # the second batch was taken before the first ran out
    for _ in range(3 * size):  # each half-spent lease renewed in time: no request needs the state
        answer = worker.admit_from_memory(token, READ, "10.0.0.1")
        if isinstance(answer, NotInMemory):
            _settle(worker)
            answer = worker.admit_from_memory(token, READ, "10.0.0.1")
        assert answer == key
        made += 1
    worker.close()
    assert {k.key_id: n for k, n in state.api_keys()}[key.key_id] == made  # what was renewed and not made went back
    state.close()


def test_a_renewal_ahead_never_counts_against_the_quota(tmp_path: Path) -> None:
    state = ServiceState(tmp_path / "state.sqlite")
    worker = AccessControl(state, frozenset(), anonymous_rate_per_minute=120)
    key, token = state.create_key("nearly spent", ["read"], 60_000, 3)
    assert worker.admit(token, READ, "10.0.0.1") == key  # a batch of three: the whole quota
    assert worker.admit_from_memory(token, READ, "10.0.0.1") == key  # half spent: a renewal is refused
    _settle(worker)
    assert {k.key_id: n for k, n in state.api_keys()}[key.key_id] == 3
    worker.close()
    assert {k.key_id: n for k, n in state.api_keys()}[key.key_id] == 2
    state.close()


def test_a_cached_key_is_asked_again_ahead_of_expiry_and_a_revoke_drops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr("service.access._clock", lambda: now[0])
    path = tmp_path / "state.sqlite"
    serving, command_line = ServiceState(path), ServiceState(path)
    worker = AccessControl(serving, frozenset(), anonymous_rate_per_minute=120, key_cache_seconds=10.0)
    key, token = serving.create_key("kept", ["read"], 60_000, 1_000_000)
    assert worker.admit(token, READ, "10.0.0.1") == key  # cached until 1010, and a lease taken
    now[0] += 0.1
    assert worker.admit_from_memory(token, READ, "10.0.0.1") == key  # 9.9 s to go: no renewal
    _settle(worker)
    assert worker._keys and next(iter(worker._keys.values()))[1] == 1010.0
    now[0] = 1006.0  # past half the cache time: answered from memory, and asked again behind it
    assert worker.admit(token, READ, "10.0.0.1") == key  # a fresh lease (the first expired), the key from memory
    _settle(worker)
    assert next(iter(worker._keys.values()))[1] == 1016.0
    assert command_line.revoke(key.key_id)  # by another process: this worker's state object cannot tell
    now[0] = 1006.1
    assert worker.admit_from_memory(token, READ, "10.0.0.1") == key  # cached, and 9.9 s to go: no renewal
    now[0] = 1012.0
    # Its lease has expired, so memory cannot admit it; the key, cached for 4 s more, is asked again behind it.
    assert isinstance(worker.admit_from_memory(token, READ, "10.0.0.1"), NotInMemory)
    _settle(worker)  # the renewal found the key revoked and dropped it, 4 s before its entry would expire
    assert not worker._keys
    with pytest.raises(AccessDenied) as refused:
        worker.admit(token, READ, "10.0.0.1")
    assert refused.value.status == 401
    worker.close()
    serving.close()
    command_line.close()


def test_a_revoke_by_another_process_takes_effect_within_the_cache_time(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    serving, command_line = ServiceState(path), ServiceState(path)
    worker = AccessControl(serving, frozenset(), anonymous_rate_per_minute=120, key_cache_seconds=0.2)
    key, token = serving.create_key("leaving", ["read"], 1000, 1000)
    assert worker.admit(token, READ, "10.0.0.1") == key
    assert command_line.revoke(key.key_id)
    time.sleep(0.25)
    with pytest.raises(AccessDenied) as refused:
        worker.admit(token, READ, "10.0.0.1")
    assert refused.value.status == 401
    serving.close()
    command_line.close()


def test_anonymous_callers_are_limited_per_address(db: Path) -> None:
    settings = Settings(db=db, anonymous_scopes="read", anonymous_rate_per_minute=2)
    with TestClient(create_app(settings), client=("192.0.2.1", 5000)) as client:
        assert [client.get("/v1/agencies").status_code for _ in range(2)] == [200, 200]
        limited = client.get("/v1/agencies")
        assert limited.status_code == 429 and limited.headers["content-type"].startswith(PROBLEM)
        assert "without a key" in limited.json()["detail"] and 1 <= int(limited.headers["Retry-After"]) <= 60
        state: ServiceState = client.app.state.service_state  # type: ignore[attr-defined]
        _, token = state.create_key("own limit", ["read"], 1000, 1000)
        assert client.get("/v1/agencies", headers=bearer(token)).status_code == 200
    with TestClient(create_app(settings), client=("192.0.2.2", 5000)) as elsewhere:
        assert elsewhere.get("/v1/agencies").status_code == 200
