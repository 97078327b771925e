"""Service health and metadata."""

from __future__ import annotations

from fastapi import APIRouter

from service import queries
from service.deps import CursorDep, SnapshotDep
from service.models import Health

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health, summary="Liveness, with the data snapshot served")
def healthz(cursor: CursorDep, snapshot: SnapshotDep) -> Health:
    return Health(status="ok", snapshot=snapshot, **queries.counts(cursor))
