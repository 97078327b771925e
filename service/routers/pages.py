"""The pages people read, in English or French: the vendor check (`/`), each check's permanent record
(`/checks/{record_id}`), the scored firms (`/firms`) and one firm's profile (`/firms/{firm_id}`).

Every page is built from what the API serves (the screening, the prebuilt profiles, the list query) and needs
what the firms API needs: scope `read`, or an operator who lets anonymous callers read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from scoring.methodology import TIER_NAMES, Methodology
from service import pagination
from service.deps import CursorDep, MethodologyDep, ReadKeyDep, ServingDep, SettingsDep, StateDep, access
from service.errors import ApiError
from service.models import ScreenItem, ScreenPolicy
from service.pages import records
from service.pages.i18n import Messages, choose_language
from service.pages.present import coverage_statement, policy_statement, recognition, verdict_explanation
from service.pages.render import render
from service.queries import firms as firm_queries
from service.queries import meta

# The pages show what GET /v1/firms serves, so they ask exactly what it asks. Access is checked by path in the
# middleware, which guards /v1 only; here the same AccessControl is asked about the firms API's own path.
RECORD_ID = re.compile(r"[0-9a-f]{32}")
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
FORM_FIELDS = ("name", "bn", "uei", "max_tier")
FIELD_LIMITS = {"name": 500, "bn": 40, "uei": 40, "max_tier": 20}


def category_labels(methodology: Methodology) -> dict[str, str]:
    return {key: category.label for key, category in methodology.categories.items()}


async def page_messages(
    request: Request,
    methodology: MethodologyDep,
    lang: Annotated[str | None, Query(max_length=10, description="en or fr")] = None,
    accept_language: Annotated[str | None, Header(max_length=1000)] = None,
) -> Messages:
    language = choose_language(lang, accept_language)
    request.state.page_language = language
    return Messages(language, category_labels(methodology))


MessagesDep = Annotated[Messages, Depends(page_messages)]
# The orders a person picks from on the list page (the API takes every field both ways).
PAGE_SORTS = ("-score", "score", "name", "-obligated", "-ice", "-cbp")

# The pages read what GET /v1/firms serves, so they need what it needs: scope read (or anonymous read).
router = APIRouter(include_in_schema=False, dependencies=[access("read")])


@dataclass(frozen=True)
class CheckForm:
    """The form as typed, to show it again beside an error."""

    name: str = ""
    bn: str = ""
    uei: str = ""
    max_tier: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.bn or self.uei)


def _error_page(request: Request, t: Messages, status: int, message: str) -> HTMLResponse:
    title = t(f"error.{status}") if t.has(f"error.{status}") else t("error.other")  # e.g. a 503
    return render(request, "error.html", t, status_code=status, title=title, message=message)


def _form_page(request: Request, t: Messages, form: CheckForm, errors: list[str], status: int = 200) -> HTMLResponse:
    return render(request, "check_form.html", t, status_code=status, form=form, errors=errors, tiers=TIER_NAMES)


@router.get("/", response_class=HTMLResponse, name="check_form")
def check_form(
    request: Request,
    t: MessagesDep,
    name: Annotated[str, Query(max_length=500)] = "",
    bn: Annotated[str, Query(max_length=40)] = "",
    uei: Annotated[str, Query(max_length=40)] = "",
    max_tier: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The search form; its fields can be filled from the address (a firm's page links here with its name)."""
    return _form_page(request, t, CheckForm(name=name, bn=bn, uei=uei, max_tier=max_tier), [])


async def _form_fields(request: Request) -> CheckForm:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM_MEDIA_TYPE:
        raise ApiError(415, f"send the vendor check as {FORM_MEDIA_TYPE}, not {media or 'no content type'}")
    fields = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    # Each field once, trimmed and cut to its limit: longer values cannot come from the form's own inputs.
    values = {k: (fields.get(k) or [""])[0].strip()[: FIELD_LIMITS[k]] for k in FORM_FIELDS}
    return CheckForm(**values)


@router.post("/checks", name="make_check")
async def make_check(
    request: Request,
    t: MessagesDep,
    serving: ServingDep,
    methodology: MethodologyDep,
    store: StateDep,
    cursor: CursorDep,
    key: ReadKeyDep,
) -> Response:
    """Run the check, keep it, and send the browser to its permanent record (POST, then redirect, then GET)."""
    form = await _form_fields(request)
    if form.is_empty:
        return _form_page(request, t, form, [t("form.error_empty")], 422)
    if form.max_tier and form.max_tier not in TIER_NAMES:
        detail = f"unknown tier {form.max_tier!r}; one of {', '.join(TIER_NAMES)}"
        return _form_page(request, t, form, [t("form.error_field", field=t("form.policy"), detail=detail)], 422)
    try:
        item = ScreenItem(name=form.name or None, bn=form.bn or None, uei=form.uei or None)
    except ValidationError as exc:
        return _form_page(request, t, form, [str(e["msg"]) for e in exc.errors()], 422)
    policy = ScreenPolicy.model_validate({"max_tier": form.max_tier}) if form.max_tier else None
    agencies = await run_in_threadpool(meta.agencies, cursor, serving.snapshot)
    record = await run_in_threadpool(records.run_check, serving, methodology, agencies, item, policy)
    result = record.data[0]
    if result.error is not None:
        field = result.error.field.rsplit(".", 1)[-1]
        label = t(f"form.{field}") if t.has(f"form.{field}") else field
        return _form_page(request, t, form, [t("form.error_field", field=label, detail=result.error.detail)], 422)
    await run_in_threadpool(records.save, store, record, key.key_id if key is not None else None)
    request.app.state.metrics.screened_items.inc(1)
    address = request.url_for("check_record", record_id=record.screening_id).include_query_params(lang=t.language)
    return RedirectResponse(f"{address.path}?{address.query}", status_code=303)


@router.get("/checks/{record_id}", response_class=HTMLResponse, name="check_record")
def check_record(
    request: Request,
    t: MessagesDep,
    store: StateDep,
    methodology: MethodologyDep,
    record_id: Annotated[str, Path(max_length=64)],
) -> HTMLResponse:
    """A check as it was answered, from the store: printable, and the same whatever snapshot is served now."""
    record = records.load(store, record_id) if RECORD_ID.fullmatch(record_id) else None
    if record is None:
        return _error_page(request, t, 404, t("error.record", record_id=record_id))
    details = record.vendor_check
    # The labels the check was made with come first: a later methodology may rename a category.
    t = Messages(t.language, {**category_labels(methodology), **details.category_labels})
    result = record.data[0]
    firm_name = details.firm.get("name") if details.firm else (result.match.name if result.match else None)
    coverage_names = [details.agencies[c].name for c in details.coverage_agencies if c in details.agencies]
    return render(
        request,
        "check.html",
        t,
        record=record,
        result=result,
        details=details,
        firm_name=firm_name,
        agencies=details.agencies,
        explanation=verdict_explanation(result, t),
        policy=policy_statement(record.policy, details.policy_is_default, t, methodology),
        recognised=recognition(result.match, t, details.names) if result.match else [],
        coverage=coverage_statement(result.coverage, firm_name, t, coverage_names),
        permalink=str(request.url_for("check_record", record_id=record.screening_id)),
        profile_exists=bool(result.match and result.match.firm_id and result.match.firm_id in _profiles(request)),
    )


def _profiles(request: Request) -> dict[str, bytes]:
    live = getattr(request.state, "live", None)
    return live.serving.profiles if live is not None else {}


@router.get("/firms", response_class=HTMLResponse, name="firm_list")
def firm_list(
    request: Request,
    t: MessagesDep,
    serving: ServingDep,
    settings: SettingsDep,
    cursor: CursorDep,
    q: Annotated[str, Query(max_length=200)] = "",
    tier: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[str, Query(max_length=20)] = firm_queries.DEFAULT_SORT,
    page: Annotated[str, Query(alias="cursor", max_length=500)] = "",
) -> HTMLResponse:
    """The scored firms, as GET /v1/firms lists them, a page at a time."""
    if tier and tier not in TIER_NAMES:
        return _error_page(request, t, 422, f"tier: unknown tier {tier!r}; one of {', '.join(TIER_NAMES)}")
    if sort not in PAGE_SORTS:
        return _error_page(request, t, 422, f"sort: unknown order {sort!r}; one of {', '.join(PAGE_SORTS)}")
    filters = firm_queries.FirmFilters(
        q=q.strip() or None, tier=(tier,) if tier else (), sort=sort, limit=settings.page_size_default
    )
    # The same signed cursors as GET /v1/firms: bound to this snapshot, sort and filters.
    scope = pagination.ListScope.of(serving.snapshot_id, filters.sort, filters.selection())
    key = pagination.signing_key(settings)
    try:
        if page:
            filters = replace(filters, after=pagination.decode(page, scope, key))
        listed = firm_queries.list_firms(cursor, serving.snapshot, filters)
    except ApiError as exc:
        return _error_page(request, t, exc.status, exc.detail)
    firms, count = listed.firms, listed.total
    next_cursor = None if listed.continue_after is None else pagination.encode(scope, listed.continue_after, key)
    next_url = None
    if next_cursor is not None:
        following = request.url.include_query_params(cursor=next_cursor, lang=t.language)
        next_url = f"{following.path}?{following.query}"
    export = request.url.replace(path="/v1/firms", query="").include_query_params(
        format="csv", sort=sort, **{k: v for k, v in (("q", q.strip()), ("tier", tier)) if v}
    )
    return render(
        request,
        "firms.html",
        t,
        firms=firms,
        count=count,
        q=q,
        tier=tier,
        sort=sort,
        sorts=list(PAGE_SORTS),
        tiers=TIER_NAMES,
        paged=bool(page),
        next_url=next_url,
        export_url=f"{export.path}?{export.query}",
    )


@router.get("/firms/{firm_id}", response_class=HTMLResponse, name="firm_page")
def firm_page(
    request: Request,
    t: MessagesDep,
    serving: ServingDep,
    cursor: CursorDep,
    firm_id: Annotated[str, Path(max_length=200)],
) -> HTMLResponse:
    """One firm's profile, as GET /v1/firms/{firm_id} serves it, in words and tables."""
    profile = serving.profile_models.get(firm_id)
    if profile is None:
        return _error_page(request, t, 404, t("error.firm", firm_id=firm_id))
    agencies = records.agency_labels(meta.agencies(cursor, serving.snapshot))
    names = {f: entry.name or f for f, entry in serving.firms.items()}
    names |= {s.firm_id: s.name for s in profile.subsidiaries if s.name}
    return render(request, "firm.html", t, profile=profile, agencies=agencies, names=names, firm_id=firm_id)
