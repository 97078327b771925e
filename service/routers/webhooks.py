"""Webhooks: a key registers URLs that hear of every refresh's changes, signed; it sees and removes its own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from service.access import AccessDenied
from service.deps import ACCESS_DENIALS, ReadKeyDep, StateDep, linked, problem_doc
from service.errors import ApiError
from service.models import DeliveryInfo, DeliveryList, WebhookCreated, WebhookInfo, WebhookList, WebhookRequest
from service.state import ApiKey

router = APIRouter(prefix="/v1/webhooks", tags=["changes"], responses=ACCESS_DENIALS)  # each route takes the key
WEBHOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem_doc("No such webhook for this key"),
    422: problem_doc("The webhook id is not 16 hex digits"),
}
WebhookId = Annotated[str, Path(max_length=32, pattern=r"^[0-9a-f]{16}$")]


def _webhook_links(webhook_id: str) -> dict[str, Any]:
    """The webhook `webhook_id` (a runtime expression) names: its deliveries, and stopping it."""
    return {
        "deliveries": linked(
            "Its delivery attempts", "get", "/v1/webhooks/{webhook_id}/deliveries", webhook_id=webhook_id
        ),
        "remove": linked("Stop it", "delete", "/v1/webhooks/{webhook_id}", webhook_id=webhook_id),
    }


def _owner(key: ApiKey | None) -> ApiKey:
    if key is None:
        raise AccessDenied(401, "webhooks belong to an API key: send 'Authorization: Bearer <key>'")
    return key


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    responses={
        201: {"links": _webhook_links("$response.body#/webhook_id")},
        400: problem_doc("The body is not readable as JSON (not UTF-8, for one)"),
        422: problem_doc("The URL is not http(s)"),
    },
    summary="Register a URL to be told each refresh's changes, signed with the secret returned (once)",
)
async def add_webhook(body: WebhookRequest, key: ReadKeyDep, store: StateDep) -> WebhookCreated:
    hook = await run_in_threadpool(store.add_webhook, _owner(key).key_id, body.url)
    return WebhookCreated(
        webhook_id=hook.webhook_id, url=hook.url, created_at=datetime.fromisoformat(hook.created_at), secret=hook.secret
    )


@router.get(
    "",
    response_model=WebhookList,
    responses={200: {"links": _webhook_links("$response.body#/data/0/webhook_id")}},
    summary="The caller's webhooks",
)
def list_webhooks(key: ReadKeyDep, store: StateDep) -> WebhookList:
    hooks = store.webhooks(_owner(key).key_id)
    data = [
        WebhookInfo(webhook_id=h.webhook_id, url=h.url, created_at=datetime.fromisoformat(h.created_at)) for h in hooks
    ]
    return WebhookList(data=data, count=len(data))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    responses=WEBHOOK_ERRORS,
    summary="Stop a webhook",
)
def remove_webhook(webhook_id: WebhookId, key: ReadKeyDep, store: StateDep) -> Response:
    if not store.remove_webhook(_owner(key).key_id, webhook_id):
        raise ApiError(404, f"no webhook {webhook_id!r} for this key")
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    responses=WEBHOOK_ERRORS,
    summary="Every delivery attempt to a webhook, newest first",
)
def webhook_deliveries(webhook_id: WebhookId, key: ReadKeyDep, store: StateDep) -> DeliveryList:
    if webhook_id not in {h.webhook_id for h in store.webhooks(_owner(key).key_id)}:
        raise ApiError(404, f"no webhook {webhook_id!r} for this key")
    data = [
        DeliveryInfo(**{**vars(d), "attempted_at": datetime.fromisoformat(d.attempted_at)})
        for d in store.deliveries(webhook_id)
    ]
    return DeliveryList(data=data, count=len(data))
