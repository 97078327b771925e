"""Request dependencies, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from scoring.methodology import Methodology
from service.errors import ApiError
from service.screenings import ScreeningStore
from service.settings import Settings
from service.snapshot import ServingSnapshot


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_serving(request: Request) -> ServingSnapshot:
    serving: ServingSnapshot | None = getattr(request.app.state, "serving", None)
    if serving is None:
        raise ApiError(503, "no data snapshot is open; run `exposure init` and `exposure score`, then restart")
    return serving


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


async def get_methodology(request: Request) -> Methodology:
    methodology: Methodology = request.app.state.methodology
    return methodology


def get_screenings(request: Request) -> ScreeningStore:
    store: ScreeningStore = request.app.state.screenings
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
CursorDep = Annotated[duckdb.DuckDBPyConnection, Depends(get_cursor)]
ServingDep = Annotated[ServingSnapshot, Depends(get_serving)]
MethodologyDep = Annotated[Methodology, Depends(get_methodology)]
ScreeningsDep = Annotated[ScreeningStore, Depends(get_screenings)]
