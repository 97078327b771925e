"""Swagger UI (`/docs`) and ReDoc (`/redoc`) from files this server serves itself, so the API description
works with no network. The files come from the fastapi-offline package (Swagger UI: Apache-2.0, SmartBear;
ReDoc: MIT, Redocly); the app mounts them at ASSETS_URL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs/assets"
FAVICON = "/static/favicon.svg"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# The viewers' own pages carry inline scripts; everything else they load must come from here. This also
# stops ReDoc's footer logo, which it would fetch from its maker's site.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)

# What each viewer loads from here, by the option of FastAPI's page builder that takes it.
SWAGGER_UI_PATHS = {
    "swagger_js_url": f"{ASSETS_URL}/swagger-ui-bundle.js",
    "swagger_css_url": f"{ASSETS_URL}/swagger-ui.css",
    "swagger_favicon_url": FAVICON,
    "oauth2_redirect_url": OAUTH2_REDIRECT,
}
REDOC_PATHS = {"redoc_js_url": f"{ASSETS_URL}/redoc.standalone.js", "redoc_favicon_url": FAVICON}

router = APIRouter(include_in_schema=False)


def _viewer(
    request: Request, render: Callable[..., HTMLResponse], name: str, paths: dict[str, str], **options: Any
) -> HTMLResponse:
    """A viewer's page from `render` (FastAPI's page builders), under our policy; `paths` are addresses on
    this server, so they take the request's root path (behind a proxy that mounts the app below /)."""
    root = request.scope.get("root_path", "")
    page = render(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - {name}",
        **{option: f"{root}{path}" for option, path in paths.items()},
        **options,
    )
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    # No online validator badge: it would send the contract's address to swagger.io.
    parameters = {**(request.app.swagger_ui_parameters or {}), "validatorUrl": None}
    return _viewer(request, get_swagger_ui_html, "Swagger UI", SWAGGER_UI_PATHS, swagger_ui_parameters=parameters)


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _viewer(request, get_redoc_html, "ReDoc", REDOC_PATHS, with_google_fonts=False)
