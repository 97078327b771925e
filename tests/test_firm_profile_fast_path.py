"""GET /v1/firms/{firm_id} answered by the fast path (service.middleware.firm_profile) gives what routing gives:
the same status, body and headers, for every caller and every kind of id. The routed twin is the same app
with the middleware left out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.access import AccessControl
from service.app import create_app
from service.middleware.firm_profile import FirmProfileFastPath
from service.settings import Settings
from service.state import ServiceState

VARYING = {"x-request-id", "date"}  # an id of its own on every answer


def _app(db: Path, anonymous_scopes: str, fast: bool) -> FastAPI:
    app = create_app(Settings(db=db, anonymous_scopes=anonymous_scopes))
    if not fast:  # the middleware stack is built at the first request, from this list
        app.user_middleware = [m for m in app.user_middleware if m.cls is not FirmProfileFastPath]  # type: ignore[comparison-overlap]
    return app


@pytest.fixture(params=["", "read"], ids=["keys only", "anonymous read"])
def twins(db: Path, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, TestClient, dict[str, str]]]:
    """(fast, routed, tokens by name): both apps on one state file, so one key works on both."""
    with (
        TestClient(_app(db, request.param, fast=True)) as fast,
        TestClient(_app(db, request.param, fast=False)) as routed,
    ):
        state: ServiceState = fast.app.state.service_state  # type: ignore[attr-defined]
        tokens = {
            "reader": state.create_key("reader", ["read"], 60_000, 1_000_000)[1],
            "screener": state.create_key("screener", ["screen"], 60_000, 1_000_000)[1],
            "admin": state.create_key("admin", ["admin"], 60_000, 1_000_000)[1],
        }
        revoked_key, tokens["revoked"] = state.create_key("revoked", ["read"], 60_000, 1_000_000)
        state.revoke(revoked_key.key_id)
        yield fast, routed, tokens


def _answer(client: TestClient, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, Any]:
    response = client.request(method, path, headers=headers)
    kept = sorted((k, v) for k, v in response.headers.items() if k not in VARYING)
    assert response.headers.get("x-request-id") and response.headers.get("x-exposure-snapshot")
    return response.status_code, response.content, kept


def _spy_on_routed_access(client: TestClient) -> list[str]:
    """Calls of the routed path's access check: the fast path never makes one."""
    control: AccessControl = client.app.state.access  # type: ignore[attr-defined]
    calls: list[str] = []
    original: Callable[..., Any] = control.admit_on_loop

    async def spy(*args: Any) -> Any:
        calls.append(str(args[0]))
        return await original(*args)

    control.admit_on_loop = spy  # type: ignore[method-assign, assignment]
    return calls


CASES = [
    ("GET", "/v1/firms/roshel", {"auth": "reader"}),
    ("GET", "/v1/firms/roshel", {"auth": "admin", "Accept-Encoding": "gzip"}),
    ("GET", "/v1/firms/cgi", {"x-api-key": "reader"}),
    ("HEAD", "/v1/firms/roshel", {"auth": "reader"}),
    ("GET", "/v1/firms/Roshel", {"auth": "reader"}),  # another case: routed, which lower-cases it
    ("GET", "/v1/firms/no-such-firm", {"auth": "reader"}),
    ("GET", "/v1/firms/" + "x" * 201, {"auth": "reader"}),  # longer than the route allows: 422
    ("GET", "/v1/firms/roshel", {"auth": "screener"}),  # 403
    ("GET", "/v1/firms/roshel", {"auth": "revoked"}),  # 401
    ("GET", "/v1/firms/roshel", {"Authorization": "Basic dXNlcjpwYXNz"}),  # another scheme
    ("GET", "/v1/firms/roshel", {}),  # anonymous: 200 or 401 as the operator set it
    ("GET", "/v1/firms/roshel?unused=1", {"auth": "reader"}),
]


def _headers(spec: dict[str, str], tokens: dict[str, str]) -> dict[str, str]:
    headers = {k: v for k, v in spec.items() if k not in ("auth", "x-api-key")}
    if "auth" in spec:
        headers["Authorization"] = f"Bearer {tokens[spec['auth']]}"
    if "x-api-key" in spec:
        headers["X-API-Key"] = tokens[spec["x-api-key"]]
    return headers


@pytest.mark.parametrize(("method", "path", "spec"), CASES, ids=[f"{m} {p} {s}" for m, p, s in CASES])
def test_the_fast_path_answers_as_routing_does(
    twins: tuple[TestClient, TestClient, dict[str, str]], method: str, path: str, spec: dict[str, str]
) -> None:
    fast, routed, tokens = twins
    headers = _headers(spec, tokens)
    for _ in range(2):  # the first asks the state for the key; the second may come from memory
        expected = _answer(routed, method, path, headers)
        assert _answer(fast, method, path, headers) == expected


def test_a_known_caller_is_answered_without_routing_and_logged_as_the_route(
    twins: tuple[TestClient, TestClient, dict[str, str]],
) -> None:
    fast, _routed, tokens = twins
    calls = _spy_on_routed_access(fast)
    headers = {"Authorization": f"Bearer {tokens['reader']}"}
    assert fast.get("/v1/firms/roshel", headers=headers).status_code == 200  # key and lease from the state
    assert len(calls) == 1
    for _ in range(5):
        answer = fast.get("/v1/firms/roshel", headers=headers)
        assert answer.status_code == 200 and json.loads(answer.content)["firm"]["firm_id"] == "roshel"
    assert len(calls) == 1  # the five came from memory
    assert fast.get("/v1/firms/ROSHEL", headers=headers).status_code == 200 and len(calls) == 2  # routed
    metrics = fast.get("/metrics").text
    assert 'route="/v1/firms/{firm_id}"' in metrics and 'route="unmatched"' not in metrics


def test_the_fast_path_serves_the_snapshot_the_request_was_pinned_to(
    twins: tuple[TestClient, TestClient, dict[str, str]],
) -> None:
    fast, _routed, tokens = twins
    headers = {"Authorization": f"Bearer {tokens['reader']}"}
    fast.get("/v1/firms/roshel", headers=headers)
    answer = fast.get("/v1/firms/roshel", headers=headers)
    serving = fast.app.state.holder.current.serving  # type: ignore[attr-defined]
    assert answer.headers["x-exposure-snapshot"] == serving.snapshot_id
    assert answer.content == serving.profiles["roshel"]
