"""GET /v1/firms/{firm_id}, the hottest read, answered without routing when nothing needs deciding.

A profile is JSON built once per snapshot (service.snapshot), so the routed endpoint is a dict lookup; what
costs is FastAPI's routing and dependency solving around it. This middleware, just inside the snapshot pin,
gives the same answer, byte for byte and header for header, when the firm is in the snapshot under that
exact id and memory alone admits the caller (`AccessControl.admit_from_memory`: a key cached and a request
leased). Anything else goes down the routed path, which decides it as always: another path or method, an id
in other case or unknown (404), no lease or an uncached key, a refusal, an Authorization header it would have
to interpret. tests/test_firm_profile_fast_path.py holds the two paths to the same answers.
"""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from service.access import AccessControl, AccessDenied, NotInMemory
from service.middleware.http import HttpMiddleware

PROFILE_PREFIX = "/v1/firms/"
PROFILE_ROUTE = PROFILE_PREFIX + "{firm_id}"
READ = frozenset({"read"})
_JSON = (b"content-type", b"application/json")
_VARY = (b"vary", b"Accept-Encoding")
_GZIP = (b"content-encoding", b"gzip")


def _credential(scope: Scope) -> tuple[bool, str | None]:
    """(understood, the API key sent or None), read as service.deps reads it: a Bearer token, else X-API-Key.
    Not understood: an Authorization header of another scheme, which the routed path handles."""
    authorization: bytes | None = None
    api_key: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"x-api-key" and api_key is None:
            api_key = value
    if authorization is not None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False, None
        return True, token.strip()
    return True, (api_key.decode("latin-1").strip() if api_key is not None else "") or None


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False


class FirmProfileFastPath(HttpMiddleware):
    def __init__(self, app: ASGIApp, route: BaseRoute) -> None:
        """`route`: the routed endpoint's route, named in the request's scope as routing would name it (the
        access log and the metrics label requests by it)."""
        super().__init__(app)
        if getattr(route, "path", None) != PROFILE_ROUTE:
            raise ValueError(f"the firm profile fast path stands in for {PROFILE_ROUTE}, not {route!r}")
        self.route = route

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await self._answered(scope, send):
            await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, send: Send) -> bool:
        path: str = scope["path"]
        if scope["method"] != "GET" or not path.startswith(PROFILE_PREFIX):
            return False
        firm_id = path[len(PROFILE_PREFIX) :]
        if not firm_id or "/" in firm_id:  # one too long for the route is in no snapshot: it is routed (422)
            return False
        state = scope["state"]
        live = state.get("live")
        control: AccessControl | None = getattr(scope["app"].state, "access", None)
        if live is None or control is None:
            return False
        profile = live.serving.profiles.get(firm_id)
        if profile is None:
            return False
        understood, credential = _credential(scope)
        if not understood:
            return False
        client = scope.get("client")
        try:
            admitted = control.admit_from_memory(credential, READ, client[0] if client else "unknown")
        except AccessDenied:
            return False  # the routed path refuses it, with the same problem
        if isinstance(admitted, NotInMemory):
            return False
        state["key_id"] = admitted.key_id if admitted is not None else None  # for the access log
        scope["route"] = self.route  # as routing would have set it
        if _accepts_gzip(scope):  # compressed once per snapshot, as the routed endpoint does
            body: bytes = live.serving.gzipped_profile(firm_id)
            headers = [_GZIP, _VARY]
        else:
            body, headers = profile, [_VARY]
        headers += [(b"content-length", str(len(body)).encode()), _JSON]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True
