"""What changed at each refresh: GET /v1/changes as JSON or as an Atom feed a reader can follow."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Header, Query, Request, Response

from service import exports
from service.deps import ACCESS_DENIALS, CursorDep, ServingDep, SettingsDep, access, problem_doc
from service.models import Change, ChangeList
from service.queries import changes as queries

router = APIRouter(tags=["changes"], dependencies=[access("read")], responses=ACCESS_DENIALS)
ATOM = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"


def _atom(request: Request, changes: list[Change]) -> bytes:
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
        element.text = text
        return element

    base = str(request.base_url).rstrip("/")
    add(feed, "id", f"{base}/v1/changes")
    add(feed, "title", "exposure-screen: changes in ICE and DHS exposure of Canadian firms")
    updated = changes[-1].detected_at if changes else datetime(1970, 1, 1)
    add(feed, "updated", updated.isoformat())
    add(feed, "link", rel="self", href=str(request.url))
    for change in reversed(changes):  # a feed is newest first
        entry = add(feed, "entry")
        add(entry, "id", f"{base}/v1/changes#{change.change_id}")
        add(entry, "title", change.summary)
        add(entry, "updated", change.detected_at.isoformat())
        add(entry, "link", href=f"{base}/v1/firms/{change.firm_id}")
        add(entry, "category", term=change.kind)
        add(entry, "content", change.model_dump_json(), type="application/json")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


@router.get(
    "/v1/changes",
    response_model=ChangeList,
    responses={
        200: {"description": "The changes (JSON), or an Atom feed when asked", "content": {ATOM: {}}},
        422: problem_doc("A parameter is invalid"),
    },
    summary="What refreshes changed: scores, tiers and verdicts moved, awards and evidence new to a firm",
)
def list_changes(
    request: Request,
    cursor: CursorDep,
    serving: ServingDep,
    settings: SettingsDep,
    since: Annotated[
        datetime | None, Query(description="only changes detected after this (ISO 8601; UTC unless it says)")
    ] = None,
    firm_id: Annotated[str | None, Query(max_length=200, description="only this firm's changes")] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=10_000, description="changes per answer (capped by the server)")
    ] = None,
    format: Annotated[Literal["json", "atom"] | None, Query(description="atom: an Atom feed")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    size = min(limit or settings.page_size_max, settings.page_size_max)
    found = queries.changes_since(cursor, since, firm_id.lower() if firm_id else None, size)
    if exports.negotiate(format, accept, {ATOM: "atom"}) == "atom":
        return Response(_atom(request, found), media_type=ATOM, headers={"Vary": "Accept"})
    body = ChangeList(
        data=found,
        count=len(found),
        next_since=found[-1].detected_at if len(found) == size else None,
        snapshot=serving.snapshot,
    )
    return Response(body.model_dump_json(), media_type="application/json", headers={"Vary": "Accept"})
