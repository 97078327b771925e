"""Screening for pension funds (a batch of holdings under a policy) and procurement offices (one vendor)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from service.deps import ACCESS_DENIALS, MethodologyDep, ScreenKeyDep, ServingDep, SettingsDep, StateDep, access
from service.errors import ApiError
from service.evidence import strongest_evidence
from service.models import Contribution, Evidence, Problem, ScreeningResponse, ScreenItem, ScreenRequest, VendorCheck
from service.screening import DEFAULT_POLICY, screen

router = APIRouter(tags=["screening"])


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


def require_json(content_type: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
    """Runs before the body is parsed, so a form or text body gets a 415, not a 422."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(415, f"send the screening as application/json, not {media or 'no content type'}")


@router.post(
    "/v1/screen",
    response_model=ScreeningResponse,
    responses={
        **ACCESS_DENIALS,
        413: _problem("More items than allowed"),
        415: _problem("Body is not JSON"),
        422: _problem("An item or the policy is invalid (the detail names it)"),
        503: _problem("No data snapshot"),
    },
    summary="Screen up to 10,000 holdings or vendors under a policy; the screening is kept for replay",
    dependencies=[Depends(require_json)],
)
def screen_items(
    request: Request,
    key: ScreenKeyDep,
    body: ScreenRequest,
    serving: ServingDep,
    methodology: MethodologyDep,
    store: StateDep,
    settings: SettingsDep,
) -> Response:
    if len(body.items) > settings.screen_max_items:
        raise ApiError(413, f"items: {len(body.items):,} sent; at most {settings.screen_max_items:,} per screening")
    policy = body.policy or DEFAULT_POLICY
    results = screen(serving, body.items, policy, methodology)
    response = ScreeningResponse(
        screening_id=uuid.uuid4().hex,
        created_at=datetime.now(UTC),
        snapshot=serving.snapshot,
        snapshot_id=serving.snapshot_id,
        policy=policy,
        count=len(results),
        data=results,
    )
    payload = response.model_dump_json().encode()
    store.save_screening(
        response.screening_id,
        serving.snapshot_id,
        serving.snapshot.methodology_version,
        len(results),
        key.key_id if key is not None else None,
        payload,
    )
    request.app.state.metrics.screened_items.inc(len(results))
    return Response(payload, media_type="application/json", status_code=200)


@router.get(
    "/v1/screenings/{screening_id}",
    response_model=ScreeningResponse,
    responses={**ACCESS_DENIALS, 404: _problem("No such screening")},
    dependencies=[access("screen")],
    summary="A past screening, exactly as it was answered, with the snapshot and methodology it used",
)
def get_screening(
    store: StateDep,
    screening_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{32}$")],
) -> Response:
    found = store.screening(screening_id)
    if found is None:
        raise ApiError(404, f"no screening with id {screening_id!r}")
    return Response(found[0], media_type="application/json")


@router.get(
    "/v1/vendor-check",
    response_model=VendorCheck,
    responses={
        **ACCESS_DENIALS,
        422: _problem("No vendor given, or an invalid identifier"),
        503: _problem("No data snapshot"),
    },
    dependencies=[access("read")],
    summary="One vendor for a procurement office: the match, the verdict and the three strongest evidence items",
)
def vendor_check(
    serving: ServingDep,
    methodology: MethodologyDep,
    name: Annotated[str | None, Query(max_length=500, examples=["Roshel"])] = None,
    bn: Annotated[str | None, Query(max_length=40, description="Canadian Business Number")] = None,
    uei: Annotated[str | None, Query(max_length=40, description="SAM Unique Entity ID")] = None,
) -> VendorCheck:
    if not any(v and v.strip() for v in (name, bn, uei)):
        raise ApiError(422, "name: give at least one of name, bn or uei")
    item = ScreenItem(name=name, bn=bn, uei=uei)
    result = screen(serving, [item], DEFAULT_POLICY, methodology)[0]
    if result.error is not None:
        raise ApiError(422, result.error.detail)
    evidence: list[Evidence] = []
    contributions: list[Contribution] = []
    if result.match is not None and result.match.firm_id in serving.profile_models:
        # Served from the profile built when the snapshot opened: no query on this path.
        evidence, contributions = strongest_evidence(serving.profile_models[result.match.firm_id], 3)
    query = {k: v for k, v in (("name", name), ("bn", bn), ("uei", uei)) if v}
    return VendorCheck(
        query=query, result=result, evidence=evidence, top_contributions=contributions, snapshot=serving.snapshot
    )
