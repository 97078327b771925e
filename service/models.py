"""The API's pydantic schemas, with examples. Internal results are converted into these at the edge."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from scoring.methodology import Methodology, Tier

T = TypeVar("T")


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# The store keeps UTC timestamps without a zone; the API says so (RFC 3339 needs the offset).
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class Problem(BaseModel):
    """An error, as application/problem+json."""

    type: str = Field(examples=["https://httpstatuses.io/404"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no firm with id 'acme'"])
    instance: str = Field(examples=["/v1/firms/acme"])


class Snapshot(BaseModel):
    """Which data a response was computed from."""

    as_of: date | None = Field(description="the as-of date of the scores served", examples=["2026-11-22"])
    methodology_version: str | None = Field(examples=["2026.11.1"])
    scored_at: UtcDatetime | None = None


class Breakdown(BaseModel):
    key: str | None = Field(description="agency code, category or subsidiary firm id", examples=["7012"])
    dollars: float = Field(description="the firm's share of obligated U.S. dollars", examples=[7234926.2])
    weighted: float = Field(description="sum of weighted contributions", examples=[6120000.0])
    links: int = Field(examples=[2])


class FirmSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "firm_id": "roshel",
                    "name": "Roshel",
                    "country_code": "CAN",
                    "province": "ON",
                    "in_registry": True,
                    "score": 63.1,
                    "tier": "high",
                    "obligated_total": 7234926.2,
                    "ice_total": 7234926.2,
                    "cbp_total": 0.0,
                    "other_dhs_total": 0.0,
                    "direct_total": 7234926.2,
                    "indirect_total": 0.0,
                    "weighted_total": 5920000.0,
                    "link_count": 2,
                    "award_count": 1,
                    "evidence_count": 0,
                    "top_awards": [
                        {
                            "award_key": "CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732",
                            "agency_code": "7012",
                            "dollars": 7234926.2,
                            "url": "https://www.usaspending.gov/award/CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732/",
                        }
                    ],
                }
            ]
        }
    )

    firm_id: str
    name: str | None
    country_code: str | None = None
    province: str | None = None
    in_registry: bool
    score: float = Field(ge=0, le=100)
    tier: str = Field(examples=["high"])
    obligated_total: float
    ice_total: float
    cbp_total: float
    other_dhs_total: float
    direct_total: float
    indirect_total: float
    weighted_total: float
    link_count: int
    award_count: int
    evidence_count: int
    top_awards: list[AwardRef] = Field(default_factory=list, description="the firm's largest awards, up to three")


class AwardRef(BaseModel):
    award_key: str
    agency_code: str | None
    dollars: float
    url: str


class FirmList(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(description="firms matching the filters (all pages)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    snapshot: Snapshot


class Identifier(BaseModel):
    scheme: str = Field(examples=["uei"])
    value: str = Field(examples=["L997DB4PEJL8"])
    exchange: str | None = None
    source_url: str


class Alias(BaseModel):
    alias: str
    language: str | None
    alias_kind: str | None
    source_url: str


class Subsidiary(BaseModel):
    firm_id: str
    name: str | None
    country_code: str | None
    parent_firm_id: str
    relation: str
    share: float | None
    source_url: str


class Contribution(BaseModel):
    link_id: str
    link_kind: str = Field(examples=["transaction"])
    source_key: str = Field(description="USAspending award key, subaward key or evidence id")
    award_key: str | None
    url: str | None = Field(description="USAspending permalink or document URL")
    via_firm_id: str = Field(description="the registry firm (often a U.S. subsidiary) the record matched")
    ownership_path: list[str] | None
    matched_by: str | None = Field(examples=["alias:name"])
    matched_value: str | None
    match_confidence: float | None = Field(description="1.0 for identifiers and overrides; lower for names")
    recipient_name: str | None
    agency_code: str | None
    category: str
    category_source: str
    link_date: date | None
    is_direct: bool
    amount: float
    share_amount: float
    weighted_amount: float
    category_severity: float
    agency_weight: float
    recency_weight: float
    evidence_confidence: float
    ownership_share: float
    channel_weight: float
    contribution: float
    description: str | None


class Evidence(BaseModel):
    evidence_id: str
    firm_id: str
    agency_code: str | None
    kind: str
    category: str | None
    status: str
    channel: str
    channel_party: str | None
    channel_share: float | None
    amount: float | None
    currency: str | None
    event_date: date | None
    summary: str
    publisher: str
    published_date: date | None
    url: str
    confidence: str
    company_response: str | None
    award_key: str | None


class OverrideInfo(BaseModel):
    """An analyst's decision about which vendor records are this firm."""

    override_id: int
    scheme: str = Field(examples=["name"])
    value: str = Field(description="the vendor name or UEI as the analyst gave it")
    decision: str = Field(examples=["is", "is_not"])
    decided_by: str
    decided_at: UtcDatetime
    reason: str


class OttawaContract(BaseModel):
    """One fiscal year of Government of Canada contracts with the firm, under one vendor spelling: GoC-Spending's
    total (amendments counted once), in Canadian dollars. Never added to the U.S. dollar figures."""

    fiscal_year: str = Field(description="April 1 to March 31", examples=["2021-2022"])
    total_cad: float = Field(description="Canadian dollars", examples=[61575183.24])
    total_constant_2019_cad: float | None = Field(description="the same in constant 2019 Canadian dollars")
    vendor_name: str = Field(description="the vendor spelling in the file that matched", examples=["CGI"])
    via_firm_id: str = Field(description="the registry firm the spelling matched")
    matched_by: str = Field(examples=["alias:name"])
    source_file: str | None
    source_line: int | None
    source_url: str | None = Field(description="who published the file (the GoC-Spending repository)")
    dataset_url: str = Field(description="the open.canada.ca dataset the records come from")


class FirmProfile(BaseModel):
    firm: dict[str, Any] = Field(description="the registry entry (or a discovered Canadian recipient)")
    score: FirmSummary | None
    revenue: dict[str, Any] | None = Field(default=None, description="revenue share and ESG band, where known")
    by_agency: list[Breakdown]
    by_category: list[Breakdown]
    by_subsidiary: list[Breakdown]
    identifiers: list[Identifier]
    aliases: list[Alias]
    subsidiaries: list[Subsidiary]
    contributions: list[Contribution]
    contributions_total: int = Field(description="all contributions of the firm; `contributions` holds the top ones")
    evidence: list[Evidence]
    overrides: list[OverrideInfo] = Field(default_factory=list, description="analysts' match decisions")
    ottawa_contracts: list[OttawaContract] = Field(
        default_factory=list, description="Government of Canada contracts by fiscal year, in CAD (GoC-Spending totals)"
    )
    snapshot: Snapshot


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    snapshot: Snapshot
    firms: int
    sources: int


FirmSummary.model_rebuild()


class MethodologyDocument(Methodology):
    """The methodology in force (its one model), and whether the served scores were computed with it."""

    in_force_for_snapshot: bool = Field(description="whether the scores served were computed with this version")


Verdict = Literal["exclude", "flag", "pass", "review", "not_covered", "error"]


class ScreenItem(BaseModel):
    """One holding or vendor to screen: any of the identifiers, and the caller's own reference."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"ref": "holding-001", "isin": "CA8849037095"},
                {"ref": "v-17", "name": "Roshel"},
                {"ref": "h-3", "ticker": "TRI", "exchange": "TSX"},
            ]
        },
    )

    ref: str | None = Field(default=None, max_length=200, description="returned as sent, to join results back")
    name: str | None = Field(default=None, max_length=500)
    isin: str | None = Field(default=None, max_length=40)
    cusip: str | None = Field(default=None, max_length=20)
    lei: str | None = Field(default=None, max_length=40)
    ticker: str | None = Field(
        default=None, max_length=30, description="GIB.A, GIB-A, GIB/A, GIB.A.TO or GIB/A CN", examples=["GIB.A"]
    )
    exchange: str | None = Field(
        default=None, max_length=20, description="TSX (XTSE, TSE), TSXV (XTSX), CSE (XCNQ), NEO; or NYSE, NASDAQ"
    )
    bn: str | None = Field(default=None, max_length=40, description="Canadian Business Number")
    uei: str | None = Field(default=None, max_length=40, description="SAM Unique Entity ID")
    cage: str | None = Field(default=None, max_length=20)


class ScreenPolicy(BaseModel):
    """The caller's policy: exclude above a score or tier; flag any other exposure."""

    model_config = ConfigDict(extra="forbid")

    max_score: float | None = Field(default=None, ge=0, le=100, description="exclude firms scoring above this")
    max_tier: Tier | None = Field(default=None, description="exclude firms in a tier above this")
    agencies: list[str] | None = Field(
        default=None, max_length=50, description="only exposure to these agencies counts (codes or ICE, CBP, ...)"
    )


class ScreenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [{"ref": "h-1", "name": "Roshel"}, {"ref": "h-2", "ticker": "TRI", "exchange": "TSX"}],
                    "policy": {"max_tier": "moderate", "agencies": ["ICE"]},
                }
            ]
        },
    )

    items: list[ScreenItem] = Field(json_schema_extra={"maxItems": 10_000}, description="up to 10,000 items")
    policy: ScreenPolicy | None = None


class MatchInfo(BaseModel):
    firm_id: str | None = Field(description="the scored firm (a Canadian parent); null for a universe issuer alone")
    issuer_id: str | None = Field(default=None, description="the listed issuer, when the match is one")
    name: str | None
    decided_by: str = Field(default="name", description="the field that decided: lei, isin, cusip, ticker, ... name")
    method: str = Field(
        description="identifier:<scheme>, alias, fuzzy or override; +parent when a subsidiary rolled up",
        examples=["alias"],
    )
    confidence: float = Field(ge=0, le=1)
    features: dict[str, float | bool | str] = Field(default_factory=dict, description="what matched, and how well")
    matched_on: str = Field(description="the value that matched", examples=["ROSHEL"])
    via_firm_id: str | None = Field(default=None, description="the registry firm matched, when it rolls up to a parent")


class CandidateInfo(BaseModel):
    firm_id: str
    name: str | None
    confidence: float = Field(ge=0, le=1)
    resembles: str = Field(description="the registry name it resembles (normalised)")
    features: dict[str, float | bool | str]


class Coverage(BaseModel):
    """What a verdict rests on: which issuer or firm was checked, with what, against which records."""

    issuer_id: str | None = None
    firm_id: str | None = None
    checked: str = Field(description="in words: what was checked against the loaded records")
    subsidiaries_checked: int = 0
    aliases_checked: int = 0
    records_from: date | None = Field(default=None, description="the earliest action date in the loaded records")
    records_to: date | None = None
    agencies: list[str] = Field(default_factory=list, description="the agencies the loaded records come from")
    snapshot_id: str
    as_of: date | None = None


class ItemError(BaseModel):
    field: str = Field(description="the item's field at fault, e.g. items[3].isin")
    detail: str


class ScreenResult(BaseModel):
    ref: str | None
    match: MatchInfo | None
    candidates: list[CandidateInfo] = Field(
        default_factory=list, description="near misses, below the match threshold: for a human to check"
    )
    score: float | None
    tier: Tier | None
    verdict: Verdict = Field(
        description="exclude or flag: exposure under the policy; pass: known and checked, nothing found; review: "
        "an analyst must decide; not_covered: nothing in the universe matched; error: the item could not be read"
    )
    reason: str
    tried: list[str] = Field(default_factory=list, description="each field tried, and what it found")
    coverage: Coverage | None = None
    error: ItemError | None = None


class ScreeningResponse(BaseModel):
    screening_id: str
    created_at: datetime
    snapshot: Snapshot
    snapshot_id: str
    policy: ScreenPolicy
    count: int
    data: list[ScreenResult]


class VendorCheck(BaseModel):
    query: dict[str, str]
    result: ScreenResult
    evidence: list[Evidence] = Field(description="the three strongest pieces of evidence")
    top_contributions: list[Contribution] = Field(description="the three largest contract links")
    snapshot: Snapshot


class HistoryPoint(BaseModel):
    as_of: date
    methodology_version: str
    score: float
    tier: str
    obligated_total: float
    ice_total: float
    cbp_total: float
    weighted_total: float
    scored_at: UtcDatetime


class FirmHistory(BaseModel):
    firm_id: str
    data: list[HistoryPoint]
    count: int
    snapshot: Snapshot


class Agency(BaseModel):
    agency_code: str = Field(examples=["7012"])
    name: str
    abbreviation: str | None
    level: str
    parent_code: str | None
    active: bool
    firms_exposed: int = Field(description="scored firms with links to this agency")
    dollars: float = Field(description="the scored firms' share of obligations from this agency")


class Source(BaseModel):
    source_id: int
    kind: str
    file_name: str
    sha256: str
    publisher: str | None
    licence: str | None
    source_url: str | None
    loaded_at: UtcDatetime
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_duplicate: int
    rows_quarantined: int


class ReviewCandidate(BaseModel):
    """An unattributed vendor that may be Canadian-owned: for an analyst to confirm or reject. Not scored."""

    rank: int
    recipient_name: str
    recipient_uei: str | None
    amount: float = Field(description="U.S. dollars obligated to this vendor name in the loaded records")
    records: int
    first_date: date | None
    last_date: date | None
    agencies: list[str]
    reasons: list[str] = Field(description="near_miss, issuer_name or foreign_owned, each with its detail")
    suggested_firm_id: str | None
    suggested_issuer_id: str | None
    award_keys: list[str] = Field(description="up to five USAspending award keys, for tracing")


class ListOf(BaseModel, Generic[T]):
    data: list[T]
    count: int
    snapshot: Snapshot


class ContributionPage(BaseModel):
    """A firm's contributions, largest first, a page at a time (the profile shows only the largest)."""

    firm_id: str
    data: list[Contribution]
    count: int = Field(description="every contribution of the firm in this snapshot, on all pages")
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")
    snapshot: Snapshot


class Ready(BaseModel):
    status: str
    snapshot_id: str
    snapshot: Snapshot


class FederalContract(BaseModel):
    """A Government of Canada record (a vendor's total for a fiscal year, or one contract row) whose vendor is
    an ICE/DHS-exposed firm. Values are Canadian dollars (`*_cad`), never added to the U.S. dollars (`*_usd`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "firm_id": "cgi",
                    "firm_name": "CGI Inc.",
                    "score": 46.25,
                    "tier": "moderate",
                    "dhs_obligated_usd": 1541757.15,
                    "ice_obligated_usd": 1541757.15,
                    "record": "vendor_total",
                    "record_key": "CGI|2021-2022",
                    "fiscal_year": "2021-2022",
                    "record_date": "2022-03-31",
                    "department": None,
                    "department_name": None,
                    "value_cad": 61575183.24,
                    "value_constant_2019_cad": 57490987.08,
                    "vendor_name": "CGI",
                    "via_firm_id": "cgi",
                    "ownership_share": 1.0,
                    "matched_by": "alias:name",
                    "matched_value": "CGI",
                    "match_confidence": 0.97,
                    "source_file": "goc_contracts_totals_by_vendor_fiscal_year.csv",
                    "source_line": 1733,
                    "source_publisher": "GoC-Spending project",
                    "source_url": "https://github.com/GoC-Spending/contracts-data",
                    "dataset_url": "https://open.canada.ca/data/en/dataset/d8f85d91-7dec-4fd1-8055-483b77225d8b",
                }
            ]
        }
    )

    firm_id: str = Field(description="the Canadian parent, as in GET /v1/firms")
    firm_name: str | None
    score: float = Field(ge=0, le=100, description="the firm's ICE/DHS exposure score")
    tier: str
    dhs_obligated_usd: float = Field(description="the firm's share of DHS obligations, U.S. dollars")
    ice_obligated_usd: float = Field(description="of which ICE, U.S. dollars")
    record: Literal["vendor_total", "contract"] = Field(
        description="vendor_total: GoC-Spending's total for the vendor and year (amendments counted once); contract: "
        "one row of the Proactive Disclosure (an amendment repeats the contract's value: do not add contract rows)"
    )
    record_key: str = Field(description="vendor|fiscal year, or owner_org-reference_number")
    fiscal_year: str = Field(examples=["2021-2022"])
    record_date: date | None = Field(description="the contract date; the fiscal year's last day for a total")
    department: str | None = Field(description="owner_org, where the file gives it (contracts)", examples=["ssc-spc"])
    department_name: str | None = Field(description="owner_org_title")
    value_cad: float = Field(description="Canadian dollars: the total, or the contract_value")
    value_constant_2019_cad: float | None = Field(description="the total in constant 2019 Canadian dollars")
    vendor_name: str = Field(description="the vendor spelling in the file that matched")
    via_firm_id: str = Field(description="the registry firm the spelling matched (rolled up to firm_id)")
    ownership_share: float | None
    matched_by: str = Field(examples=["alias:name", "fuzzy:name", "override:is"])
    matched_value: str | None
    match_confidence: float | None
    source_file: str | None
    source_line: int | None
    source_publisher: str | None
    source_url: str | None = Field(description="the file's publisher: open.canada.ca, or the GoC-Spending repository")
    dataset_url: str = Field(description="the open.canada.ca dataset every record comes from")


class FederalVendorCandidate(BaseModel):
    """A Government of Canada vendor name that resembles a registry firm but was not put on it. Not attributed
    until an analyst confirms it with `exposure overrides add --name`."""

    rank: int
    vendor_name: str
    total_cad: float = Field(description="the name's vendor totals, Canadian dollars")
    records: int
    fiscal_years: list[str]
    reasons: list[str] = Field(description="goc_vendor_near_miss, with the registry name it resembles")
    suggested_firm_id: str | None
