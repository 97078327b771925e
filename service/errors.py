"""Errors as application/problem+json (RFC 9457): one body builder, one handler registry.

Lower layers raise their own errors carrying a status (datasets.errors.DataError, ApiError below and its
subclasses such as service.access.AccessDenied); routers raise HTTPException; everything becomes a problem
document here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from datasets.errors import DataError
from service.observability import REQUEST_ID_HEADER

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("exposure.errors")

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class ApiError(Exception):
    """An error of the service layer (queries, snapshot, access) that knows its HTTP status, and any headers
    the caller needs with it (Retry-After, WWW-Authenticate)."""

    def __init__(
        self, status: int, detail: str, title: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or TITLES.get(status, "Error")
        self.headers = dict(headers or {})


def problem_body(status: int, detail: str, instance: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    """The one place a problem document is built."""
    return {
        "type": f"https://httpstatuses.io/{status}",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def problem(status: int, detail: str, request: Request, title: str | None = None, **extra: Any) -> JSONResponse:
    body = problem_body(status, detail, str(request.url.path), title, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    if location and location[0] != "body":  # a repeated parameter's position says nothing to the caller
        parts = [p for p in parts if not p.isdigit()]
    return ".".join(parts) or "request"


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_name(e.get("loc", ())),
            "in": str(e.get("loc", ("",))[0]),
            "message": e.get("msg", ""),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem(422, detail, request, errors=errors)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response = problem(exc.status_code, detail, request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _status_error_handler(request: Request, exc: Exception) -> JSONResponse:
    status = int(getattr(exc, "status", 500))
    title = getattr(exc, "title", None)
    response = problem(status, str(exc), request, title=title)
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    response = problem(500, "the server failed to answer this request; the error was logged", request)
    # Starlette answers a crash outside every middleware, so the request id is added here, not on the way out.
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(ApiError, _status_error_handler)
    app.add_exception_handler(DataError, _status_error_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
