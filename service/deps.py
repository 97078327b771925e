"""Request dependencies, as Annotated aliases. The snapshot comes from the request, taken once when it
started (see service.app.ServiceMiddleware), so one request never sees two snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from scoring.methodology import Methodology
from service.db import Cursor
from service.errors import ApiError
from service.live import Live
from service.settings import Settings
from service.snapshot import ServingSnapshot
from service.state import ServiceState


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_live(request: Request) -> Live:
    live: Live | None = getattr(request.state, "live", None)
    if live is None:
        raise ApiError(503, "no data snapshot is open; run `exposure init` and `exposure score`, then restart")
    return live


async def get_serving(request: Request) -> ServingSnapshot:
    return (await get_live(request)).serving


def get_cursor(request: Request) -> Iterator[Cursor]:
    """One cursor per request on the snapshot's read-only connection, its queries under the time limit."""
    live: Live | None = getattr(request.state, "live", None)
    if live is None:
        raise ApiError(503, "the database is not open; run `exposure init` and restart the server")
    settings: Settings = request.app.state.settings
    with live.cursor(settings.query_timeout_seconds) as cursor:
        yield cursor


async def get_methodology(request: Request) -> Methodology:
    methodology: Methodology = request.app.state.methodology
    return methodology


async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service_state
    return state


SettingsDep = Annotated[Settings, Depends(get_settings)]
CursorDep = Annotated[Cursor, Depends(get_cursor)]
LiveDep = Annotated[Live, Depends(get_live)]
ServingDep = Annotated[ServingSnapshot, Depends(get_serving)]
MethodologyDep = Annotated[Methodology, Depends(get_methodology)]
StateDep = Annotated[ServiceState, Depends(get_state)]
