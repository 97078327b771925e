"""The middleware: a body over the limit is stopped as it streams in (chunked, or longer than declared), on the
ASGI app and on a real uvicorn server; every response, refusals and crashes included, has its request id."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import SNAPSHOT_HEADER, create_app
from service.settings import Settings
from tests.conftest import build_store
from tests.live_server import free_port

PROBLEM = "application/problem+json"
LIMIT = 1024 * 1024
CHUNK = 64 * 1024
HUGE = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("middleware") / "exposure.duckdb"
    build_store(path)
    return path


def small_limit_app(db: Path) -> FastAPI:
    return create_app(Settings(db=db, anonymous_scopes="read,screen", max_body_bytes=LIMIT))


def test_a_chunked_body_is_stopped_at_the_limit_not_read_whole(db: Path) -> None:
    app = small_limit_app(db)
    sent = 0

    async def endless_json() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"items": ['
        while sent < HUGE:
            sent += CHUNK
            yield b'{"name": "x"},' * (CHUNK // 14)

    async def post() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://exposure") as client:
                # No Content-Length: the body streams in chunks, as Transfer-Encoding: chunked would.
                return await client.post(
                    "/v1/screen", content=endless_json(), headers={"Content-Type": "application/json"}
                )

    response = asyncio.run(post())
    assert response.status_code == 413 and response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 413 and f"{LIMIT:,}" in response.json()["detail"]
    assert response.headers["Connection"] == "close" and response.headers["X-Request-ID"]
    assert len(response.headers[SNAPSHOT_HEADER]) == 16
    assert sent <= LIMIT + 2 * CHUNK, f"{sent:,} bytes were read of a body over {LIMIT:,}"


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(db: Path) -> None:
    with TestClient(small_limit_app(db)) as client:
        response = client.post("/v1/screen", content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and response.headers["content-type"].startswith(PROBLEM)
        assert f"{LIMIT + 1:,} bytes" in response.json()["detail"]
        within = client.post("/v1/screen", json={"items": [{"name": "Roshel"}]})
        assert within.status_code == 200 and within.json()["data"][0]["match"]["firm_id"] == "roshel"


@pytest.fixture
def server(db: Path) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(small_limit_app(db), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def test_a_chunked_post_to_a_real_server_is_answered_413_long_before_200_mb(server: str) -> None:
    host, port = server.split(":")
    chunk = b"%x\r\n%s\r\n" % (CHUNK, b" " * CHUNK)
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /v1/screen HTTP/1.1\r\nHost: exposure\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        while sent < HUGE and not select.select([conn], [], [], 0)[0]:  # until the server answers
            try:
                conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # it answered and closed while this chunk was going
            sent += CHUNK
        answer = b""
        while b"\r\n\r\n" not in answer:
            more = conn.recv(65536)
            if not more:
                break
            answer += more
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 413"), head
    assert f"content-type: {PROBLEM}" in head and "x-request-id: " in head and "connection: close" in head
    assert sent < 64 * 1024 * 1024, f"{sent:,} bytes were taken before the 413"


def test_every_response_has_its_request_id_refusals_and_crashes_too(db: Path) -> None:
    app = create_app(Settings(db=db, anonymous_scopes=""))

    @app.get("/crash", include_in_schema=False)
    async def crash() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, status in (("GET", "/v1/firms", 401), ("GET", "/nowhere", 404), ("GET", "/crash", 500)):
            response = client.request(method, path, headers={"X-Request-ID": f"trace-{status}"})
            assert response.status_code == status and response.headers["X-Request-ID"] == f"trace-{status}"
            assert response.headers["content-type"].startswith(PROBLEM)
        assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
