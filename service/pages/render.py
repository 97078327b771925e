"""The Jinja2 environment of the pages and the one way a page becomes an HTTP response."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from service.pages.i18n import LANGUAGES, Messages
from service.queries.firms import PERMALINK

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_URL = "/static"
# Everything a page loads comes from this server; links out (sources, USAspending) are plain anchors. No
# referrer, so a record's permanent address is not handed to the sites its evidence links to.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept-Language",
}


@functools.cache
def environment() -> Environment:
    # StrictUndefined: a misspelt name in a template fails the tests instead of printing nothing.
    env = Environment(
        loader=PackageLoader("service", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["award_url"] = PERMALINK.format
    return env


def language_links(request: Request) -> list[tuple[str, str, bool]]:
    """(language, this page's address in it, whether it is the current one) for the language switch."""
    current = request.state.page_language
    # A form answered in place (a POST) has no address of its own to reload: switch on the form's page.
    here = request.url if request.method == "GET" else request.url.replace(path="/", query="")
    links: list[tuple[str, str, bool]] = []
    for lang in LANGUAGES:
        url = here.include_query_params(lang=lang)
        links.append((lang, f"{url.path}?{url.query}", lang == current))
    return links


def render(request: Request, template: str, t: Messages, status_code: int = 200, **context: Any) -> HTMLResponse:
    live = getattr(request.state, "live", None)
    body = (
        environment()
        .get_template(template)
        .render(
            t=t,
            lang=t.language,
            static=STATIC_URL,
            languages=language_links(request),
            serving=live.serving if live is not None else None,
            **context,
        )
    )
    headers = {**PAGE_HEADERS, "Content-Language": t.language}
    return HTMLResponse(body, status_code=status_code, headers=headers)
