"""Screening for pension funds (a batch of holdings under a policy) and procurement offices (one vendor)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from scoring.methodology import Methodology, Tier
from service import exports
from service.access import AccessDenied
from service.deps import (
    ACCESS_DENIALS,
    QUERY_UNAVAILABLE,
    MethodologyDep,
    ScreenKeyDep,
    ServingDep,
    SettingsDep,
    StateDep,
    access,
    csv_alternative,
    linked,
    problem_doc,
)
from service.errors import ApiError
from service.evidence import strongest_evidence
from service.holdings import read_holdings, screening_csv
from service.identifiers import INPUT_PATTERNS, described
from service.models import (
    Contribution,
    Evidence,
    ScreeningList,
    ScreeningListed,
    ScreeningResponse,
    ScreenItem,
    ScreenPolicy,
    ScreenRequest,
    VendorCheck,
)
from service.pages.i18n import Messages
from service.pages.present import policy_statement
from service.screening import DEFAULT_POLICY, screen
from service.snapshot import ServingSnapshot
from service.state import ApiKey, ServiceState

router = APIRouter(tags=["screening"])
IGNORED_COLUMNS_HEADER = "X-Exposure-Ignored-Columns"  # a holdings file's columns the screening did not use
CSV_MEDIA_TYPES = ("text/csv", "application/csv")
# The JSON body's schema, inline (the body is parsed by hand, to take CSV too); the models it names (ScreenItem,
# ScreenPolicy) are in the contract's components through the responses.
SCREEN_REQUEST_SCHEMA = {
    k: v
    for k, v in ScreenRequest.model_json_schema(ref_template="#/components/schemas/{model}").items()
    if k != "$defs"
}


def _policy_from_query(
    max_score: float | None, max_tier: str | None, agencies: list[str] | None
) -> ScreenPolicy | None:
    if max_score is None and max_tier is None and not agencies:
        return None
    try:
        return ScreenPolicy.model_validate({"max_score": max_score, "max_tier": max_tier, "agencies": agencies})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ApiError(422, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc


async def _read_request(request: Request, max_items: int) -> tuple[list[ScreenItem], ScreenPolicy | None, list[str]]:
    """The items (and the policy, in JSON) from a JSON body, a CSV body or a multipart upload of a CSV."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            body = ScreenRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            unreadable = [e for e in exc.errors() if e["type"] == "json_invalid"]
            if unreadable:  # not JSON at all: a malformed request, not an invalid screening
                raise ApiError(400, f"body: not valid JSON ({unreadable[0]['msg']})") from exc
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
        if len(body.items) > max_items:
            raise ApiError(413, f"items: {len(body.items):,} sent; at most {max_items:,} per screening")
        return body.items, body.policy, []
    if media in CSV_MEDIA_TYPES:
        holdings = read_holdings(await request.body(), max_items)
        return holdings.items, None, holdings.ignored_columns
    if media == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "file: a multipart screening sends the holdings CSV as the part named 'file'")
        holdings = read_holdings(await upload.read(), max_items)
        return holdings.items, None, holdings.ignored_columns
    raise ApiError(
        415,
        "send the screening as application/json, text/csv or a multipart/form-data upload, "
        f"not {media or 'no content type'}",
    )


def _screening_link(screening_id: str, description: str) -> dict[str, Any]:
    return linked(description, "get", "/v1/screenings/{screening_id}", screening_id=screening_id)


@router.post(
    "/v1/screen",
    response_model=ScreeningResponse,
    responses={
        **ACCESS_DENIALS,
        200: {
            **csv_alternative("The screening (JSON), or as CSV when asked"),
            "links": {"screening": _screening_link("$response.body#/screening_id", "This screening, as kept")},
        },
        400: problem_doc("The body claims to be JSON but is not"),
        413: problem_doc("More items than allowed, or a body over the size limit"),
        415: problem_doc("Body is neither JSON, CSV nor a multipart upload"),
        422: problem_doc("An item, a line of the file or the policy is invalid (the detail names it)"),
        503: problem_doc("No data snapshot"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": SCREEN_REQUEST_SCHEMA},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "ref,name,isin,ticker,exchange\nh-1,Roshel,,,\nh-2,,,TRI,TSX\n",
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
    summary="Screen up to 10,000 holdings or vendors under a policy; the screening is kept for replay",
    description="Send JSON (`{items, policy}`), or a holdings CSV (columns `ref,name,isin,cusip,lei,ticker,exchange,"
    "bn,uei,cage`, any subset) as `text/csv` or as the `file` part of a multipart upload, with the policy in the "
    "query (`max_score`, `max_tier`, `agency`). `Accept: text/csv` or `format=csv` answers in CSV.",
)
async def screen_items(
    request: Request,
    key: ScreenKeyDep,
    serving: ServingDep,
    methodology: MethodologyDep,
    store: StateDep,
    settings: SettingsDep,
    max_score: Annotated[float | None, Query(ge=0, le=100, description="CSV uploads: exclude above this score")] = None,
    max_tier: Annotated[Tier | None, Query(description="CSV uploads: exclude above this tier")] = None,
    agency: Annotated[list[str] | None, Query(max_length=50, description="CSV uploads: agencies that count")] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="csv: answer in CSV")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    items, policy, ignored = await _read_request(request, settings.screen_max_items)
    policy = policy or _policy_from_query(max_score, max_tier, agency) or DEFAULT_POLICY
    response = await run_in_threadpool(_screen_and_keep, serving, methodology, store, items, policy, key)
    request.app.state.metrics.screened_items.inc(len(items))
    headers = {"Vary": "Accept"}
    if ignored:  # said, not silent: a column the caller thought counted did not
        headers[IGNORED_COLUMNS_HEADER] = ", ".join(ignored)
    if exports.negotiate(format, accept, exports.CSV_ONLY) == "csv":
        body = await run_in_threadpool(screening_csv, response, items)
        return Response(body, media_type=exports.MEDIA_TYPES["csv"], headers=headers)
    return Response(response.model_dump_json().encode(), media_type="application/json", headers=headers)


def _screen_and_keep(
    serving: ServingSnapshot,
    methodology: Methodology,
    store: ServiceState,
    items: list[ScreenItem],
    policy: ScreenPolicy,
    key: ApiKey | None,
) -> ScreeningResponse:
    results = screen(serving, items, policy, methodology)
    for item, result in zip(items, results, strict=True):
        result.input = item  # the replay returns what was sent beside what was answered
    response = ScreeningResponse(
        screening_id=uuid.uuid4().hex,
        created_at=datetime.now(UTC),
        snapshot=serving.snapshot,
        snapshot_id=serving.snapshot_id,
        policy=policy,
        count=len(results),
        data=results,
    )
    store.save_screening(
        response.screening_id,
        serving.snapshot_id,
        serving.snapshot.methodology_version,
        len(results),
        key.key_id if key is not None else None,
        response.model_dump_json().encode(),
    )
    return response


def _visible_to(owner: str | None, key: ApiKey | None) -> bool:
    """A screening made with a key is that key's (and admin's); one made without a key, whoever holds its id."""
    return owner is None or (key is not None and (key.key_id == owner or "admin" in key.scopes))


@router.get(
    "/v1/screenings",
    response_model=ScreeningList,
    responses={
        **ACCESS_DENIALS,
        200: {"links": {"screening": _screening_link("$response.body#/data/0/screening_id", "The newest screening")}},
        422: problem_doc("A parameter is invalid"),
    },
    summary="The caller's own screenings, newest first (an admin key sees every one)",
)
def list_screenings(
    key: ScreenKeyDep,
    store: StateDep,
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="page size (capped by the server)")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="screenings to skip")] = 0,
) -> ScreeningList:
    if key is None:
        raise AccessDenied(
            401, "listing screenings needs the API key that made them: send 'Authorization: Bearer <key>'"
        )
    size = min(limit or settings.page_size_default, settings.page_size_max)
    rows, total = store.screenings(None if "admin" in key.scopes else key.key_id, size, offset)
    following = offset + len(rows)
    return ScreeningList(
        data=[ScreeningListed(**{k: v for k, v in vars(r).items() if k != "key_id"}) for r in rows],
        count=total,
        offset=offset,
        next_offset=following if following < total else None,
    )


@router.get(
    "/v1/screenings/{screening_id}",
    response_model=ScreeningResponse,
    responses={
        **ACCESS_DENIALS,
        200: csv_alternative("The screening as answered (JSON), or as CSV when asked"),
        404: problem_doc("No such screening, or not the caller's"),
        422: problem_doc("The id is not 32 hex digits, or the format is not json or csv"),
    },
    summary="A past screening, exactly as it was answered: each input with its answer, the snapshot and methodology",
)
def get_screening(
    key: ScreenKeyDep,
    store: StateDep,
    screening_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{32}$")],
    format: Annotated[Literal["json", "csv"] | None, Query(description="csv: answer in CSV")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    found = store.screening(screening_id)
    if found is None or not _visible_to(found[1], key):  # another key's screening is not there for this one
        raise ApiError(404, f"no screening with id {screening_id!r} for this key")
    if exports.negotiate(format, accept, exports.CSV_ONLY) == "csv":
        response = ScreeningResponse.model_validate_json(found[0])
        body = screening_csv(response, [r.input for r in response.data])
        return Response(body, media_type=exports.MEDIA_TYPES["csv"], headers={"Vary": "Accept"})
    return Response(found[0], media_type="application/json", headers={"Vary": "Accept"})


def _identifier_query(scheme: str, what: str) -> Any:
    """An identifier query parameter: its format as the schema's pattern, since one not in it is refused with
    422 (the server's own check, which also tests the check digit, gives the message)."""
    return Query(
        max_length=40, description=described(scheme, what), json_schema_extra={"pattern": INPUT_PATTERNS[scheme]}
    )


@router.get(
    "/v1/vendor-check",
    response_model=VendorCheck,
    responses={**ACCESS_DENIALS, **QUERY_UNAVAILABLE, 422: problem_doc("No vendor given, or an invalid identifier")},
    dependencies=[access("read")],
    summary="One vendor for a procurement office: the match, the verdict and the three strongest evidence items",
)
def vendor_check(
    serving: ServingDep,
    methodology: MethodologyDep,
    name: Annotated[str | None, Query(max_length=500, examples=["Roshel"])] = None,
    bn: Annotated[str | None, _identifier_query("bn", "Canadian Business Number")] = None,
    uei: Annotated[str | None, _identifier_query("uei", "SAM Unique Entity ID")] = None,
    max_score: Annotated[float | None, Query(ge=0, le=100, description="exclude above this score")] = None,
    max_tier: Annotated[Tier | None, Query(description="exclude above this tier (default: high)")] = None,
    agency: Annotated[list[str] | None, Query(max_length=50, description="only exposure to these agencies")] = None,
) -> VendorCheck:
    if not any(v and v.strip() for v in (name, bn, uei)):
        raise ApiError(422, "name: give at least one of name, bn or uei")
    item = ScreenItem(name=name, bn=bn, uei=uei)
    chosen = _policy_from_query(max_score, max_tier, agency)
    policy = chosen or DEFAULT_POLICY
    result = screen(serving, [item], policy, methodology)[0]
    if result.error is not None:
        raise ApiError(422, result.error.detail)
    evidence: list[Evidence] = []
    contributions: list[Contribution] = []
    if result.match is not None and result.match.firm_id in serving.profile_models:
        # Served from the profile built when the snapshot opened: no query on this path.
        evidence, contributions = strongest_evidence(serving.profile_models[result.match.firm_id], 3)
    query = {k: v for k, v in (("name", name), ("bn", bn), ("uei", uei)) if v}
    return VendorCheck(
        query=query,
        policy=policy,
        policy_is_default=chosen is None,
        policy_statement=policy_statement(policy, chosen is None, Messages("en", {}), methodology),
        result=result,
        evidence=evidence,
        top_contributions=contributions,
        snapshot=serving.snapshot,
    )
