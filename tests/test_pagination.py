"""Page cursors: signed and bound to their list. A cursor that is not ours is a 422, one of another sort or
filters a 409, one of a snapshot no longer served a 410: always problem+json, never a 500 and never a page
of another list."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from service import pagination
from service.app import SNAPSHOT_HEADER, create_app
from service.cli import main
from service.pagination import CursorError, ListScope
from service.settings import Settings
from tests.conftest import build_store, serve

KEY = b"k" * 32
SCOPE = ListScope.of("snapshot-a", "score", {"tier": None, "q": None})
# Every JSON value, as a forged cursor body might hold.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forged(value: Any) -> str:
    """A cursor as someone who read one might forge it: base64 of JSON, without our signature."""
    return b64(json.dumps(value).encode())


def assert_cursor_problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"]  # answered inside the middleware: the connection stays open
    body = response.json()
    assert body["status"] == status and body["detail"].startswith("cursor: ")
    detail: str = body["detail"]
    return detail


# --- the codec ----------------------------------------------------------------------------------------


def test_a_cursor_round_trips_within_its_scope() -> None:
    token = pagination.encode(SCOPE, "roshel", KEY)
    assert pagination.decode(token, SCOPE, KEY) == "roshel"
    assert "roshel" not in token and len(token) < 200


def test_the_scope_ignores_the_order_of_the_filters_but_not_their_values() -> None:
    assert ListScope.of("s", "score", {"q": "a", "tier": None}) == ListScope.of("s", "score", {"tier": None, "q": "a"})
    assert ListScope.of("s", "score", {"q": "a"}) != ListScope.of("s", "score", {"q": "b"})


def test_a_cursor_of_another_list_or_snapshot_says_which() -> None:
    token = pagination.encode(SCOPE, "roshel", KEY)
    with pytest.raises(CursorError) as refreshed:
        pagination.decode(token, ListScope("snapshot-b", SCOPE.sort, SCOPE.filters), KEY)
    assert refreshed.value.status == 410 and "snapshot-a" in refreshed.value.detail
    with pytest.raises(CursorError) as resorted:
        pagination.decode(token, ListScope(SCOPE.snapshot_id, "name", SCOPE.filters), KEY)
    assert resorted.value.status == 409 and "'score'" in resorted.value.detail
    with pytest.raises(CursorError) as refiltered:
        pagination.decode(token, ListScope.of(SCOPE.snapshot_id, SCOPE.sort, {"tier": "high", "q": None}), KEY)
    assert refiltered.value.status == 409 and "filters" in refiltered.value.detail


def test_an_edited_cursor_or_another_servers_key_is_refused() -> None:
    token = pagination.encode(SCOPE, "roshel", KEY)
    payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    edited = b64(json.dumps({**body, "after": "cae"}, separators=(",", ":")).encode()) + "." + signature
    for bad, key in ((edited, KEY), (token, b"x" * 32), (payload, KEY), (token[:-2], KEY)):
        with pytest.raises(CursorError) as refused:
            pagination.decode(bad, SCOPE, key)
        assert refused.value.status == 422


@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(b64), JSON_VALUES.map(forged)))
@settings(max_examples=300, deadline=None)
def test_any_string_is_a_cursor_or_a_422_never_anything_else(text: str) -> None:
    with pytest.raises(CursorError) as refused:
        pagination.decode(text, SCOPE, KEY)
    assert refused.value.status == 422


@given(JSON_VALUES)
@settings(max_examples=200, deadline=None)
def test_even_a_signed_body_of_the_wrong_shape_is_a_422(value: Any) -> None:
    payload = json.dumps(value).encode()
    token = f"{b64(payload)}.{b64(pagination._signature(KEY, payload))}"
    with pytest.raises(CursorError) as refused:
        pagination.decode(token, SCOPE, KEY)
    assert refused.value.status == 422


def test_the_key_file_is_made_once_and_shared(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "exposure.duckdb")
    key = pagination.signing_key(settings)
    key_file = tmp_path / pagination.KEY_FILE
    assert len(key) == pagination.KEY_BYTES and key_file.read_bytes() == key
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the server's user alone
    pagination._key_file.cache_clear()  # as another worker starting would
    assert pagination.signing_key(settings) == key
    assert [p.name for p in tmp_path.iterdir()] == [pagination.KEY_FILE]  # no draft left behind
    configured = Settings(db=tmp_path / "exposure.duckdb", cursor_secret=SecretStr("shared by every host"))
    assert pagination.signing_key(configured) != key


# --- over HTTP ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with serve(db) as test_client:
        yield test_client


def next_cursor(client: TestClient, **params: Any) -> str:
    cursor: str = client.get("/v1/firms", params=params).json()["next_cursor"]
    assert cursor
    return cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "WyJzY29yZSIsImFiYyIsIngiXQ",  # ["score","abc","x"]: the cursor format before signing, edited (issue #15)
        forged({"sort": "score", "after": "roshel"}),
        forged(["score", [1, 2], 3]),
        forged(True),
        forged(["score", 5.0, "roshel"]),
        "not-a-cursor",
        "....",
        "é" * 20,
    ],
)
def test_a_cursor_we_did_not_give_is_a_422_problem(client: TestClient, cursor: str) -> None:
    detail = assert_cursor_problem(client.get("/v1/firms", params={"limit": 2, "cursor": cursor}), 422)
    assert "start again without a cursor" in detail


def test_a_tampered_signed_cursor_is_a_422(client: TestClient) -> None:
    payload, signature = next_cursor(client, limit=2).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    edited = b64(json.dumps({**body, "after": "cae"}, separators=(",", ":")).encode())
    detail = assert_cursor_problem(client.get("/v1/firms", params={"limit": 2, "cursor": f"{edited}.{signature}"}), 422)
    assert "signature" in detail


@given(st.one_of(st.binary(min_size=1, max_size=120).map(b64), JSON_VALUES.map(forged)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_cursor_breaks_the_list(client: TestClient, cursor: str) -> None:
    assert_cursor_problem(client.get("/v1/firms", params={"limit": 2, "cursor": cursor}), 422)


def test_a_cursor_of_another_sort_or_other_filters_is_a_409(client: TestClient) -> None:
    by_name = next_cursor(client, sort="name", limit=2)
    detail = assert_cursor_problem(client.get("/v1/firms", params={"sort": "score", "cursor": by_name}), 409)
    assert "'name'" in detail and "'score'" in detail
    severe = next_cursor(client, min_score=20, limit=2)
    detail = assert_cursor_problem(client.get("/v1/firms", params={"min_score": 30, "cursor": severe}), 409)
    assert "filters" in detail
    assert_cursor_problem(client.get("/v1/firms", params={"cursor": severe}), 409)  # a filter dropped


def test_the_page_size_may_change_between_pages(client: TestClient) -> None:
    whole = [f["firm_id"] for f in client.get("/v1/firms", params={"limit": 500}).json()["data"]]
    first = client.get("/v1/firms", params={"limit": 2}).json()
    second = client.get("/v1/firms", params={"limit": 5, "cursor": first["next_cursor"]}).json()
    assert [f["firm_id"] for f in first["data"] + second["data"]] == whole[:7]


def test_hosts_sharing_a_secret_read_each_others_cursors(db: Path, tmp_path: Path) -> None:
    def host(name: str, secret: str) -> TestClient:
        state = tmp_path / name / "state.sqlite"  # each host its own state, and so its own key file
        return TestClient(
            create_app(Settings(db=db, state_db=state, anonymous_scopes="read", cursor_secret=SecretStr(secret)))
        )

    with host("a", "shared") as a, host("b", "shared") as b, host("c", "another") as c:
        cursor = next_cursor(a, limit=2)
        assert b.get("/v1/firms", params={"limit": 2, "cursor": cursor}).status_code == 200
        assert "signature" in assert_cursor_problem(c.get("/v1/firms", params={"limit": 2, "cursor": cursor}), 422)


def test_a_cursor_from_before_a_refresh_is_a_410(tmp_path: Path) -> None:
    db = build_store(tmp_path / "exposure.duckdb", as_of="2025-12-31")
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read", refresh_poll_seconds=0.1))) as client:
        before = client.get("/v1/firms", params={"limit": 2})
        assert main(["--db", str(db), "refresh", "--as-of", "2026-11-22"]) == 0
        deadline = time.monotonic() + 30
        while client.get("/healthz").headers[SNAPSHOT_HEADER] == before.headers[SNAPSHOT_HEADER]:
            assert time.monotonic() < deadline, "the server did not switch to the refreshed snapshot"
            time.sleep(0.1)
        stale = client.get("/v1/firms", params={"limit": 2, "cursor": before.json()["next_cursor"]})
        detail = assert_cursor_problem(stale, 410)
        assert before.headers[SNAPSHOT_HEADER] in detail and stale.headers[SNAPSHOT_HEADER] in detail
