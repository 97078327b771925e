"""Service health and metadata: liveness, the methodology in force."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service import queries
from service.deps import CursorDep, SnapshotDep
from service.models import Health, MethodologyDocument

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health, summary="Liveness, with the data snapshot served")
def healthz(cursor: CursorDep, snapshot: SnapshotDep) -> Health:
    return Health(status="ok", snapshot=snapshot, **queries.counts(cursor))


@router.get("/v1/methodology", response_model=MethodologyDocument, summary="The scoring methodology and its version")
def methodology(request: Request, snapshot: SnapshotDep) -> MethodologyDocument:
    document = request.app.state.methodology.as_dict()
    return MethodologyDocument(**document, in_force_for_snapshot=document["version"] == snapshot.methodology_version)
