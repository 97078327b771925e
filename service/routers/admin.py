"""For operators holding an admin key: the API keys and their use this month."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.deps import ACCESS_DENIALS, StateDep, access
from service.models import Problem

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[access("admin")], responses=ACCESS_DENIALS)


class KeyUsage(BaseModel):
    key_id: str = Field(description="the key's id, as in its token es_<key_id>_<secret>")
    name: str = Field(description="who or what the key was issued to")
    scopes: list[str] = Field(description="read (the data), screen (screenings) and admin (everything)")
    rate_per_minute: int = Field(description="requests allowed per minute")
    monthly_quota: int = Field(description="requests allowed per calendar month (UTC)")
    requests_this_month: int = Field(description="requests made this calendar month (UTC)")
    created_at: str = Field(description="when the key was issued, ISO 8601 date-time in UTC")
    revoked_at: str | None = Field(
        description="null while the key is live, else when it was revoked (ISO 8601 date-time in UTC)"
    )


class KeyList(BaseModel):
    data: list[KeyUsage] = Field(description="every key, oldest first; never a secret")
    count: int = Field(description="keys listed")


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
