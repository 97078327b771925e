"""Service health and metadata: liveness, readiness, the methodology in force, agencies and sources."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service.deps import ACCESS_DENIALS, QUERY_UNAVAILABLE, CursorDep, MethodologyDep, ServingDep, access, problem_doc
from service.errors import ApiError
from service.models import Agency, Health, ListOf, MethodologyDocument, Ready, Source
from service.queries import meta as queries

router = APIRouter(tags=["meta"])
UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: problem_doc("Not ready")}
# The route options of a /v1 listing read from the database: read access, and the answers it may give.
READ_QUERY: dict[str, Any] = {"dependencies": [access("read")], "responses": {**QUERY_UNAVAILABLE, **ACCESS_DENIALS}}


@router.get(
    "/healthz", response_model=Health, responses=QUERY_UNAVAILABLE, summary="Liveness, with the data snapshot served"
)
def healthz(cursor: CursorDep, serving: ServingDep) -> Health:
    return Health(status="ok", snapshot=serving.snapshot, **queries.counts(cursor))


@router.get("/readyz", response_model=Ready, responses=UNAVAILABLE, summary="Ready to serve: a scored snapshot is open")
def readyz(request: Request) -> Ready:
    live = getattr(request.state, "live", None)
    serving = live.serving if live is not None else None
    if serving is None or serving.snapshot.as_of is None:
        raise ApiError(503, "no scored snapshot is open; run `exposure score` and restart")
    return Ready(status="ready", snapshot_id=serving.snapshot_id, snapshot=serving.snapshot)


@router.get(
    "/v1/methodology",
    response_model=MethodologyDocument,
    summary="The scoring methodology and its version",
    dependencies=[access("read")],
    responses=ACCESS_DENIALS,
)
def methodology(methodology: MethodologyDep, serving: ServingDep) -> MethodologyDocument:
    # Checked when loaded; built without re-validating its rule tables on every request.
    return MethodologyDocument.model_construct(
        **dict(methodology), in_force_for_snapshot=methodology.version == serving.snapshot.methodology_version
    )


@router.get(
    "/v1/agencies",
    response_model=ListOf[Agency],
    summary="The DHS agencies, with the exposure scored to each",
    **READ_QUERY,
)
def agencies(cursor: CursorDep, serving: ServingDep) -> ListOf[Agency]:
    rows = queries.agencies(cursor, serving.snapshot)
    return ListOf[Agency](data=rows, count=len(rows), snapshot=serving.snapshot)


@router.get(
    "/v1/sources",
    response_model=ListOf[Source],
    summary="Every file loaded: publisher, licence, counts",
    **READ_QUERY,
)
def sources(cursor: CursorDep, serving: ServingDep) -> ListOf[Source]:
    rows = queries.sources(cursor)
    return ListOf[Source](data=rows, count=len(rows), snapshot=serving.snapshot)
