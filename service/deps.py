"""Request dependencies, as Annotated aliases. The snapshot comes from the request, taken once when it
started (see service.middleware.pin_snapshot), so one request never sees two snapshots.

Access is a Security dependency each router declares with the scope it needs, `dependencies=[access("read")]`
on the router or a `ReadKeyDep` / `ScreenKeyDep` / `AdminKeyDep` parameter where the endpoint wants the key;
a test checks that every /v1 route declares one. The key is read by FastAPI's own security classes, so the
OpenAPI contract documents both ways of sending it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Security
from fastapi.params import Security as SecurityParam
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from scoring.methodology import Methodology
from service.access import AccessControl
from service.db import Cursor
from service.errors import PROBLEM_JSON, ApiError
from service.live import Live
from service.models import Problem
from service.settings import Settings
from service.snapshot import ServingSnapshot
from service.state import ApiKey, ServiceState

Scope = Literal["read", "screen", "admin"]

bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    description="an API key from `exposure keys create`, sent as `Authorization: Bearer <key>`",
    auto_error=False,
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", scheme_name="apiKey", description="the same API key, sent as `X-API-Key: <key>`", auto_error=False
)


async def authorised_key(
    request: Request,
    security_scopes: SecurityScopes,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> ApiKey | None:
    """The caller's key (None: anonymous, where the operator allows it) once it may make this request: known
    and live, holding the route's scopes, within its rate limit and monthly quota. Raises AccessDenied."""
    control: AccessControl | None = getattr(request.app.state, "access", None)
    if control is None:
        raise ApiError(503, "the service is starting; try again in a moment")
    credential = (bearer.credentials.strip() if bearer is not None else (api_key or "").strip()) or None
    needed = frozenset(security_scopes.scopes)
    client = request.client.host if request.client is not None else "unknown"
    key = await control.admit_on_loop(credential, needed, client)  # SQLite only ever on a worker thread
    request.state.key_id = key.key_id if key is not None else None  # for the access log
    return key


def access(scope: Scope) -> SecurityParam:
    """The access dependency for a router's or a route's `dependencies=[...]`."""
    dependency: SecurityParam = Security(authorised_key, scopes=[scope])
    return dependency


def problem_doc(description: str) -> dict[str, Any]:
    """One documented problem+json answer, for a route's `responses=`."""
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


def linked(description: str, method: str, path: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link: the operation `method path` called with `parameters`, runtime expressions taking them
    from an answer (`$response.body#/...`) or its request (`$request.query.sort`)."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", "description": description, "parameters": parameters}


def csv_alternative(description: str) -> dict[str, Any]:
    """The documented 200 of a route that answers JSON, or CSV when asked."""
    return {"description": description, "content": {"text/csv": {}}}


# The 503 of every route that reads the database.
QUERY_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: problem_doc("No database, or a query stopped at the server's time limit")
}
# ...and of one that also takes parameters.
QUERY_ERRORS: dict[int | str, dict[str, Any]] = {422: problem_doc("A parameter is invalid"), **QUERY_UNAVAILABLE}


# The answers access may give, for the `responses=` of a router or route that declares it.
ACCESS_DENIALS: dict[int | str, dict[str, Any]] = {
    401: problem_doc("No API key where one is needed, or an unknown or revoked one"),
    403: problem_doc("The key lacks the scope this endpoint needs"),
    429: problem_doc("Rate limit or monthly quota reached; see Retry-After"),
}


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


# The paging parameters of the review lists (the firm list pages with cursors instead).
ReviewLimit = Annotated[int, Query(ge=1, le=1000, description="rows in this page")]
ReviewOffset = Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")]

SettingsDep = Annotated[Settings, Depends(get_settings)]
CursorDep = Annotated[Cursor, Depends(get_cursor)]
LiveDep = Annotated[Live, Depends(get_live)]
ServingDep = Annotated[ServingSnapshot, Depends(get_serving)]
MethodologyDep = Annotated[Methodology, Depends(get_methodology)]
StateDep = Annotated[ServiceState, Depends(get_state)]
ReadKeyDep = Annotated[ApiKey | None, access("read")]
ScreenKeyDep = Annotated[ApiKey | None, access("screen")]
AdminKeyDep = Annotated[ApiKey | None, access("admin")]
