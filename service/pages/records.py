"""A vendor check made from the page, kept as a permanent record.

A record is a one-item screening (ScreeningResponse) stored in the service's screening store, so it gets a
screening id and `GET /v1/screenings/{id}` returns it too; it adds what the page showed (the profile's exposure,
evidence and agency names at that moment), so `/checks/{id}` replays the check as it was answered even after the
snapshot has been refreshed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from scoring.methodology import Methodology
from service.evidence import strongest_evidence
from service.models import (
    Agency,
    Breakdown,
    Contribution,
    Evidence,
    ExportControlEntry,
    FirmSummary,
    OttawaContract,
    ScreeningResponse,
    ScreenItem,
    ScreenPolicy,
)
from service.screening import DEFAULT_POLICY, screen
from service.snapshot import ServingSnapshot
from service.state import ServiceState

STRONGEST = 3  # evidence items and contract records a check shows, as GET /v1/vendor-check does


class AgencyLabel(BaseModel):
    agency_code: str
    name: str
    abbreviation: str | None


class CheckDetails(BaseModel):
    """What the vendor-check page showed besides the screening result."""

    query: dict[str, str] = Field(description="the fields as typed: name, bn, uei")
    policy_is_default: bool = Field(description="true when the buyer chose no policy and the default applied")
    names: dict[str, str] = Field(description="firm id -> name, for the firms the record mentions")
    firm: dict[str, Any] | None = Field(description="the registry entry of the matched firm")
    summary: FirmSummary | None
    by_agency: list[Breakdown]
    by_category: list[Breakdown]
    category_labels: dict[str, str] = Field(description="the methodology's labels of the categories shown")
    evidence: list[Evidence]
    contributions: list[Contribution]
    agencies: dict[str, AgencyLabel] = Field(description="every agency code the record names, with its name")
    coverage_agencies: list[str] = Field(description="codes of the agencies the loaded records come from")
    # Defaults: a record saved before these were shown still loads.
    export_controls: list[ExportControlEntry] = Field(
        default_factory=list, description="the Export Control List items the firm's goods suggest"
    )
    ottawa_contracts: list[OttawaContract] = Field(
        default_factory=list, description="the firm's Government of Canada contracts by fiscal year, CAD"
    )


class CheckRecord(ScreeningResponse):
    """A one-item screening, plus the page's details."""

    vendor_check: CheckDetails


def agency_labels(agencies: list[Agency]) -> dict[str, AgencyLabel]:
    return {
        a.agency_code: AgencyLabel(agency_code=a.agency_code, name=a.name, abbreviation=a.abbreviation)
        for a in agencies
    }


def run_check(
    serving: ServingSnapshot,
    methodology: Methodology,
    agencies: list[Agency],
    item: ScreenItem,
    policy: ScreenPolicy | None,
) -> CheckRecord:
    """Screen one vendor as GET /v1/vendor-check does, and gather what a person needs to read the answer."""
    applied = policy or DEFAULT_POLICY
    result = screen(serving, [item], applied, methodology)[0]
    profile = None
    if result.match is not None and result.match.firm_id is not None:
        profile = serving.profile_models.get(result.match.firm_id)
    evidence: list[Evidence] = []
    contributions: list[Contribution] = []
    if profile is not None:
        evidence, contributions = strongest_evidence(profile, STRONGEST)
    labels = agency_labels(agencies)
    coverage_agencies = [
        code
        for code in (serving.resolve_agency(a) for a in (result.coverage.agencies if result.coverage else []))
        if code is not None
    ]
    by_agency = profile.by_agency if profile else []
    by_category = profile.by_category if profile else []
    named = {b.key for b in by_agency} | {e.agency_code for e in evidence} | {c.agency_code for c in contributions}
    named |= set(coverage_agencies)
    firms = {c.firm_id for c in result.candidates}
    if result.match is not None:
        firms |= {f for f in (result.match.firm_id, result.match.via_firm_id) if f}
    names = {f: serving.firms[f].name or f for f in firms if f in serving.firms}
    names |= {c.firm_id: c.name for c in result.candidates if c.name}
    categories = {b.key for b in by_category} | {c.category for c in contributions} | {e.category for e in evidence}
    query = {k: v.strip() for k, v in (("name", item.name), ("bn", item.bn), ("uei", item.uei)) if v and v.strip()}
    return CheckRecord(
        screening_id=uuid.uuid4().hex,
        created_at=datetime.now(UTC),
        snapshot=serving.snapshot,
        snapshot_id=serving.snapshot_id,
        policy=applied,
        count=1,
        data=[result],
        vendor_check=CheckDetails(
            query=query,
            policy_is_default=policy is None,
            names=names,
            firm=profile.firm if profile else None,
            summary=profile.score if profile else None,
            by_agency=by_agency,
            by_category=by_category,
            category_labels={
                c: methodology.categories[c].label for c in categories if c and c in methodology.categories
            },
            evidence=evidence,
            contributions=contributions,
            agencies={code: labels[code] for code in named if code and code in labels},
            coverage_agencies=coverage_agencies,
            export_controls=profile.export_controls if profile else [],
            ottawa_contracts=profile.ottawa_contracts if profile else [],
        ),
    )


def save(store: ServiceState, record: CheckRecord, key_id: str | None) -> None:
    store.save_screening(
        record.screening_id,
        record.snapshot_id,
        record.snapshot.methodology_version,
        record.count,
        key_id,
        record.model_dump_json().encode(),
    )


def load(store: ServiceState, record_id: str) -> CheckRecord | None:
    """The record as it was saved; None when there is none, or the screening was a batch sent to the API."""
    found = store.screening(record_id)
    if found is None:
        return None
    try:
        return CheckRecord.model_validate_json(found[0])
    except ValidationError:
        return None
