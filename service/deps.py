"""Request dependencies, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from service.errors import ApiError
from service.models import Snapshot
from service.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """One cursor per request on the read-only connection opened at start-up."""
    con: duckdb.DuckDBPyConnection | None = getattr(request.app.state, "con", None)
    if con is None:
        raise ApiError(503, "the database is not open; run `exposure init` and restart the server")
    cursor = con.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def get_snapshot(request: Request) -> Snapshot:
    snapshot: Snapshot = request.app.state.snapshot
    return snapshot


SettingsDep = Annotated[Settings, Depends(get_settings)]
CursorDep = Annotated[duckdb.DuckDBPyConnection, Depends(get_cursor)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
