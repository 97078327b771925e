"""For operators holding an admin key: the API keys and their use this month."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.deps import ACCESS_DENIALS, StateDep, access
from service.models import Problem

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[access("admin")], responses=ACCESS_DENIALS)


class KeyUsage(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    rate_per_minute: int
    monthly_quota: int
    requests_this_month: int
    created_at: str
    revoked_at: str | None = Field(description="null while the key is live")


class KeyList(BaseModel):
    data: list[KeyUsage]
    count: int


FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "Needs the admin scope", "content": {"application/problem+json": {}}}
}


@router.get("/keys", response_model=KeyList, responses=FORBIDDEN, summary="API keys (never their secrets) and usage")
def list_keys(state: StateDep) -> KeyList:
    rows = [
        KeyUsage(
            key_id=key.key_id,
            name=key.name,
            scopes=sorted(key.scopes),
            rate_per_minute=key.rate_per_minute,
            monthly_quota=key.monthly_quota,
            requests_this_month=used,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )
        for key, used in state.api_keys()
    ]
    return KeyList(data=rows, count=len(rows))
