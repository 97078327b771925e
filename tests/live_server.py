"""A real uvicorn server on 127.0.0.1 for the tests that need one (refresh under load, schemathesis over HTTP)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(db: Path, anonymous_scopes: str = "read", **env: str) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "EXPOSURE_DB": str(db),
        "EXPOSURE_ANONYMOUS_SCOPES": anonymous_scopes,
        "EXPOSURE_REFRESH_POLL_SECONDS": "0.2",
        "EXPOSURE_LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "service.asgi:app_from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx2.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if process.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready")
        if process.poll() is not None:
            pytest.fail(f"the server exited: {process.stderr.read().decode() if process.stderr else ''}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
