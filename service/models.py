"""The API's pydantic schemas, with examples. Internal results are converted into these at the edge."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from scoring.methodology import Methodology, Tier, load_methodology
from service.identifiers import INPUT_PATTERNS, described

T = TypeVar("T")


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# The store keeps UTC timestamps without a zone; the API says so (RFC 3339 needs the offset).
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class _MethodologyCategories:
    """A category name's schema: an enum of the methodology's categories (the server refuses any other with
    422), read from the methodology when the schema is built, never copied here."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["enum"] = list(load_methodology().categories)
        return schema


# A category a request names (a filter); responses keep plain strings: older scores may carry renamed ones.
CategoryName = Annotated[str, _MethodologyCategories()]


class Problem(BaseModel):
    """An error, as application/problem+json."""

    type: str = Field(description="a URI naming the kind of error", examples=["https://httpstatuses.io/404"])
    title: str = Field(description="the HTTP status in words", examples=["Not found"])
    status: int = Field(description="the HTTP status code", examples=[404])
    detail: str = Field(description="what went wrong with this request, in words", examples=["no firm with id 'acme'"])
    instance: str = Field(description="the path of the request that failed", examples=["/v1/firms/acme"])


class Snapshot(BaseModel):
    """Which data a response was computed from."""

    as_of: date | None = Field(description="the as-of date of the scores served, ISO 8601", examples=["2026-11-22"])
    methodology_version: str | None = Field(
        description="the methodology version the scores were computed with (see GET /v1/methodology); null before "
        "any scoring",
        examples=["2026.11.1"],
    )
    scored_at: UtcDatetime | None = Field(
        default=None, description="when the scores were computed, ISO 8601 date-time in UTC; null before any scoring"
    )


class Breakdown(BaseModel):
    key: str | None = Field(description="agency code, category or subsidiary firm id", examples=["7012"])
    dollars: float = Field(description="the firm's share of obligated U.S. dollars", examples=[7234926.2])
    weighted: float = Field(
        description="sum of weighted contributions, in weighted U.S. dollars (the score's input)", examples=[6120000.0]
    )
    links: int = Field(description="contract records and documents counted under this key", examples=[2])


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

    firm_id: str = Field(
        description="the firm's id in the registry (a slug, as in /v1/firms/{firm_id}); a Canadian recipient found "
        "only in the contract records has an id starting can-"
    )
    name: str | None = Field(description="the firm's name")
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-3 country code, e.g. CAN")
    province: str | None = Field(default=None, description="Canadian province or territory, two-letter code (ON, QC)")
    in_registry: bool = Field(
        description="true for a firm in the curated registry; false for a Canadian recipient found only in the "
        "contract records"
    )
    score: float = Field(ge=0, le=100, description="exposure score, 0-100 (logarithmic in weighted U.S. dollars)")
    tier: str = Field(
        description="the score's tier, lowest first: none (a score of exactly 0), low, moderate, high or severe; "
        "each tier's lowest score is in the methodology's `tiers` (GET /v1/methodology)",
        examples=["high"],
    )
    obligated_total: float = Field(
        description="U.S. dollars obligated to the firm and its subsidiaries (its ownership share of each), direct "
        "and indirect; documents add nothing here"
    )
    ice_total: float = Field(description="U.S. dollars of `obligated_total` from ICE (agency 7012)")
    cbp_total: float = Field(description="U.S. dollars of `obligated_total` from CBP (agency 7014)")
    other_dhs_total: float = Field(description="U.S. dollars of `obligated_total` from other DHS components")
    direct_total: float = Field(description="U.S. dollars of `obligated_total` from prime contracts")
    indirect_total: float = Field(description="U.S. dollars of `obligated_total` from subawards under others' primes")
    weighted_total: float = Field(
        description="sum of the contributions, in weighted U.S. dollars: the amount the score is computed from"
    )
    link_count: int = Field(description="contract records and documents that contribute to the score")
    award_count: int = Field(description="distinct USAspending awards among the contract records")
    evidence_count: int = Field(description="documents (news, filings) among the links")
    top_awards: list[AwardRef] = Field(default_factory=list, description="the firm's largest awards, up to three")


class AwardRef(BaseModel):
    award_key: str = Field(description="USAspending award key (generated unique award id)")
    agency_code: str | None = Field(description="the awarding agency's code, e.g. 7012 for ICE")
    dollars: float = Field(description="the firm's share of the award's obligations, U.S. dollars")
    url: str = Field(description="the award's USAspending permalink")


class FirmList(BaseModel, Generic[T]):
    data: list[T] = Field(description="this page of firms, in the order asked for")
    count: int = Field(description="firms matching the filters (all pages)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    snapshot: Snapshot = Field(description="the data the list was computed from")


class Identifier(BaseModel):
    scheme: str = Field(
        description="ticker, isin, lei, bn (Canadian Business Number), uei (SAM Unique Entity ID), duns, cage, "
        "sec_cik or cusip",
        examples=["uei"],
    )
    value: str = Field(description="the identifier itself", examples=["L997DB4PEJL8"])
    exchange: str | None = Field(default=None, description="the exchange a ticker is listed on (TSX, NYSE, ...)")
    source_url: str = Field(description="the document the identifier was taken from")


class Alias(BaseModel):
    alias: str = Field(description="another name the firm is known by")
    language: str | None = Field(description="ISO 639-1 language of the name: en or fr")
    alias_kind: str | None = Field(
        description="legal (registered name), trade (trading name), former (an earlier name) or vendor_record (as "
        "spelt in contract records)"
    )
    source_url: str = Field(description="the document the name was taken from")


class Subsidiary(BaseModel):
    firm_id: str = Field(description="the subsidiary's registry firm id")
    name: str | None = Field(description="the subsidiary's name")
    country_code: str | None = Field(description="ISO 3166-1 alpha-3 country code, e.g. USA")
    parent_firm_id: str = Field(description="the firm that owns it directly (this firm or another subsidiary)")
    relation: str = Field(
        description="wholly_owned, consolidated, majority, minority, joint_venture or joint_venture_8a (an SBA 8(a) "
        "joint venture)"
    )
    share: float | None = Field(
        description="fraction (0-1) of the subsidiary its direct parent owns; null when unknown, and the "
        "methodology's default share for the relation applies"
    )
    source_url: str = Field(description="the document the ownership was taken from")


class Contribution(BaseModel):
    link_id: str = Field(
        description="the record's id: transaction:, award:, subaward: or evidence: followed by its source key"
    )
    link_kind: str = Field(
        description="transaction (a prime contract action), award (an award's summary), subaward or evidence (a "
        "document)",
        examples=["transaction"],
    )
    source_key: str = Field(description="USAspending award key, subaward key or evidence id")
    award_key: str | None = Field(description="the USAspending award key the record belongs to, when there is one")
    url: str | None = Field(description="USAspending permalink or document URL")
    via_firm_id: str = Field(description="the registry firm (often a U.S. subsidiary) the record matched")
    ownership_path: list[str] | None = Field(
        description="firm ids from the matched firm up to this firm, the matched firm first"
    )
    matched_by: str | None = Field(
        description="the rule that attributed the record: identifier:<scheme>, alias:<name field>, fuzzy:<name "
        "field>, override:is, evidence:firm or recipient_country:CAN",
        examples=["alias:name"],
    )
    matched_value: str | None = Field(description="the value the rule matched on")
    match_confidence: float | None = Field(description="1.0 for identifiers and overrides; lower for names")
    recipient_name: str | None = Field(description="the vendor's name as the record gives it")
    agency_code: str | None = Field(description="the awarding agency's code, e.g. 7012 for ICE")
    category: str = Field(description="what was sold, one of the methodology's categories")
    category_source: str = Field(
        description="what decided the category: evidence, description_keyword, psc_code, psc_description, "
        "naics_code, naics_description, or fallback (nothing did)"
    )
    link_date: date | None = Field(description="the record's action date or the document's event date, ISO 8601")
    is_direct: bool = Field(description="true for a prime contract or a direct sale; false for a subaward or resale")
    amount: float = Field(
        description="U.S. dollars as recorded (negative for a de-obligation); for a document, its U.S. dollar figure "
        "or its award's recorded obligations, else 0"
    )
    share_amount: float = Field(description="U.S. dollars: the firm's ownership share of `amount`; 0 for documents")
    weighted_amount: float = Field(
        description="U.S. dollars the weights apply to: `amount`, or the methodology's nominal amount for a "
        "document without one"
    )
    category_severity: float = Field(description="weight 0-1: how grave what was sold is")
    agency_weight: float = Field(description="weight 0-1: the buying agency's weight")
    recency_weight: float = Field(description="weight 0-1: 0.5 ^ (the record's age in days / the half-life)")
    evidence_confidence: float = Field(
        description="weight 0-1: a document's confidence times its status weight; 1.0 for contract records"
    )
    ownership_share: float = Field(description="fraction (0-1) of the matched firm this firm owns (shares multiplied)")
    channel_weight: float = Field(
        description="weight 0-1: the link kind's (a subaward weighs less), or a document's channel weight times the "
        "firm's joint-venture share"
    )
    contribution: float = Field(
        description="weighted U.S. dollars: weighted_amount × every weight above; the firm's weighted_total is "
        "their sum"
    )
    description: str | None = Field(description="the record's own description, or the document's summary")
    ecl_item: str | None = Field(
        default=None,
        description="the Export Control List item the goods suggest (indicative, see GET /v1/export-controls), "
        "e.g. 2-6; null when none applies",
    )
    wassenaar_item: str | None = Field(default=None, description="the parallel Wassenaar Arrangement item, e.g. ML6")
    ecl_label: str | None = Field(default=None, description="what that Export Control List item covers")


class Evidence(BaseModel):
    evidence_id: str = Field(description="the document's id in the evidence file")
    firm_id: str = Field(description="the registry firm the document is about (this firm or a subsidiary)")
    agency_code: str | None = Field(description="the agency concerned, e.g. 7012 for ICE")
    kind: str = Field(
        description="contract (a sale or service contract), property (real estate sold or leased), software or export"
    )
    category: str | None = Field(description="what was sold, one of the methodology's categories")
    status: str = Field(
        description="reported, intended, active, completed or cancelled; intended and cancelled deals are shown but "
        "never scored"
    )
    channel: str = Field(description="direct, reseller (sold through another firm) or joint_venture")
    channel_party: str | None = Field(description="the reseller or joint venture the deal went through")
    channel_share: float | None = Field(description="fraction (0-1) of the joint venture the firm holds, when known")
    amount: float | None = Field(description="the amount the document gives, in `currency`")
    currency: str | None = Field(
        description="ISO 4217 currency of `amount` (USD, CAD); only U.S. dollar figures add to dollar totals"
    )
    event_date: date | None = Field(
        description="when the deal happened, ISO 8601 (a month or a year is given as its first day)"
    )
    summary: str = Field(description="what the document says, in the curators' words")
    publisher: str = Field(description="who published the document")
    published_date: date | None = Field(description="when the document was published, ISO 8601")
    url: str = Field(description="the document's URL")
    confidence: str = Field(description="how sure the document is: high, medium or low")
    company_response: str | None = Field(description="what the company said in reply, when it did")
    award_key: str | None = Field(description="the USAspending award key the document is about, when known")


class OverrideInfo(BaseModel):
    """An analyst's decision about which vendor records are this firm."""

    override_id: int = Field(description="the decision's number")
    scheme: str = Field(description="name (a vendor name) or uei (a SAM Unique Entity ID)", examples=["name"])
    value: str = Field(description="the vendor name or UEI as the analyst gave it")
    decision: str = Field(
        description="is: the vendor's records are this firm; is_not: they are not, whatever matched them",
        examples=["is", "is_not"],
    )
    decided_by: str = Field(description="the analyst who decided")
    decided_at: UtcDatetime = Field(description="when the analyst decided, ISO 8601 date-time in UTC")
    reason: str = Field(description="why, in the analyst's words")


class OttawaContract(BaseModel):
    """One fiscal year of Government of Canada contracts with the firm, under one vendor spelling: GoC-Spending's
    total (amendments counted once), in Canadian dollars. Never added to the U.S. dollar figures."""

    fiscal_year: str = Field(description="April 1 to March 31", examples=["2021-2022"])
    total_cad: float = Field(description="Canadian dollars", examples=[61575183.24])
    total_constant_2019_cad: float | None = Field(description="the same in constant 2019 Canadian dollars")
    vendor_name: str = Field(description="the vendor spelling in the file that matched", examples=["CGI"])
    via_firm_id: str = Field(description="the registry firm the spelling matched")
    matched_by: str = Field(description="how the vendor name was matched to the firm", examples=["alias:name"])
    source_file: str | None = Field(description="the file the figure was read from")
    source_line: int | None = Field(description="its line in that file")
    source_url: str | None = Field(description="who published the file (the GoC-Spending repository)")
    dataset_url: str = Field(description="the open.canada.ca dataset the records come from")
    unverified_spellings: list[str] = Field(
        default_factory=list,
        description="for a vendor total: the spellings GoC-Spending groups under the vendor name that the registry "
        "puts on no firm (shown as that project's claim, not confirmed here); spellings the registry puts on another "
        "business that year hold the total back instead (GET /v1/federal-contracts/candidates)",
    )


class ExportControlEntry(BaseModel):
    """One firm and one ECL item: the records whose goods suggest that item, rolled up to the Canadian parent."""

    firm_id: str = Field(description="the Canadian firm that supplied the goods", examples=["roshel"])
    firm_name: str | None = Field(description="its name", examples=["Roshel"])
    ecl_group: str = Field(description="1 (Dual-Use List) or 2 (Munitions List)", examples=["2"])
    ecl_item: str = Field(description="the item of A Guide to Canada's Export Control List", examples=["2-6"])
    wassenaar_item: str = Field(description="the parallel Wassenaar Arrangement item", examples=["ML6"])
    ecl_label: str = Field(
        description="what the Export Control List item covers",
        examples=["Ground vehicles and components (armoured vehicles)"],
    )
    amount: float = Field(
        description="U.S. dollars: the firm's share of the net obligations of the awards listed", examples=[7234926.2]
    )
    award_keys: list[str] = Field(
        description="USAspending award keys with positive net obligations",
        examples=[["CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732"]],
    )
    award_urls: list[str] = Field(description="the USAspending page of each award, in the same order")
    documents: list[str] = Field(description="URLs of documents (news, filings) that place the firm here")
    first_date: date | None = Field(description="the earliest record", examples=["2025-11-28"])
    last_date: date | None = Field(description="the latest record", examples=["2026-08-10"])
    agency_codes: list[str] = Field(description="USAspending codes of the agencies that bought", examples=[["7012"]])
    agencies: list[str] = Field(
        description="the agencies that bought, by name", examples=[["U.S. Immigration and Customs Enforcement"]]
    )
    via_firm_ids: list[str] = Field(description="the registry firms (often U.S. subsidiaries) the records matched")
    records: int = Field(description="transactions, awards, subawards and documents counted")
    rule_ids: list[str] = Field(description="the rules of export_control_rules.csv that placed the records")
    made_in_canada: bool | None = Field(
        description="whether cited documents report the goods as made in Canada: true or false only when every "
        "document that says where they were made agrees; null when none says (never guessed)",
        examples=[False],
    )
    reported_origins: list[str] = Field(
        description="where the documents say the goods were made (ISO 3166 alpha-3)", examples=[["USA"]]
    )
    origin_sources: list[str] = Field(description="the documents that say where the goods were made")


SubsidiaryResearch = Literal[
    "subsidiaries_added",
    "checked_no_us_subsidiary_found",
    "left_out_no_primary_source",
    "searched_not_settled",
    "not_researched",
]


class FirmProfile(BaseModel):
    firm: dict[str, Any] = Field(description="the registry entry (or a discovered Canadian recipient)")
    score: FirmSummary | None = Field(description="the firm's score and totals; null when it is not scored")
    revenue: dict[str, Any] | None = Field(
        default=None,
        description="revenue share and ESG band, where known: revenue_share is the U.S. dollars obligated in the "
        "365 days to as_of as a percent of annual revenue (5.0 means 5 %, not a fraction); revenue_band is its band "
        "among the methodology's revenue_bands; revenue_basis is actual or estimated. Null when the annual revenue "
        "is unknown or not in U.S. dollars",
    )
    by_agency: list[Breakdown] = Field(description="dollars and weighted dollars per awarding agency code")
    by_category: list[Breakdown] = Field(description="dollars and weighted dollars per category of what was sold")
    by_subsidiary: list[Breakdown] = Field(description="dollars and weighted dollars per matched registry firm")
    identifiers: list[Identifier] = Field(description="the firm's identifiers")
    aliases: list[Alias] = Field(description="the firm's other names")
    subsidiaries: list[Subsidiary] = Field(description="every firm below it in the ownership records, at any depth")
    subsidiary_research: SubsidiaryResearch | None = Field(
        default=None,
        description="for a listed firm, how far its U.S. subsidiaries were researched (datasets/data/COVERAGE.md; "
        "see the screening coverage's field of that name); null for a firm that is no listed issuer",
    )
    contributions: list[Contribution] = Field(description="the largest contributions, by absolute value")
    contributions_total: int = Field(description="all contributions of the firm; `contributions` holds the top ones")
    evidence: list[Evidence] = Field(description="documents about the firm and its subsidiaries, newest first")
    overrides: list[OverrideInfo] = Field(default_factory=list, description="analysts' match decisions")
    ottawa_contracts: list[OttawaContract] = Field(
        default_factory=list, description="Government of Canada contracts by fiscal year, in CAD (GoC-Spending totals)"
    )
    export_controls: list[ExportControlEntry] = Field(
        default_factory=list,
        description="the Export Control List items the goods the firm supplied suggest, as GET /v1/export-controls "
        "lists them, most dollars first",
    )
    snapshot: Snapshot = Field(description="the data the profile was computed from")


class Health(BaseModel):
    status: str = Field(description="ok while the service answers", examples=["ok"])
    snapshot: Snapshot = Field(description="the data served")
    firms: int = Field(description="firms in the registry")
    sources: int = Field(description="files loaded")


FirmSummary.model_rebuild()


class MethodologyDocument(Methodology):
    """The methodology in force (its one model), and whether the served scores were computed with it."""

    in_force_for_snapshot: bool = Field(description="whether the scores served were computed with this version")


Verdict = Literal["exclude", "flag", "pass", "review", "not_covered", "error"]


def _item_identifier(scheme: str, max_length: int, what: str) -> Any:
    """A screening item's identifier field: its format as `x-pattern`, not `pattern`, because an invalid one
    is that item's error in a 200 answer, never a 422 for the whole batch."""
    return Field(
        default=None,
        max_length=max_length,
        description=described(scheme, what) + "; an invalid one is this item's error, the batch still answers",
        json_schema_extra={"x-pattern": INPUT_PATTERNS[scheme]},
    )


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
    name: str | None = Field(default=None, max_length=500, description="the firm's or vendor's name")
    isin: str | None = _item_identifier("isin", 40, "ISIN (International Securities Id Number)")
    cusip: str | None = _item_identifier("cusip", 20, "CUSIP")
    lei: str | None = _item_identifier("lei", 40, "GLEIF Legal Entity Identifier")
    ticker: str | None = Field(
        default=None, max_length=30, description="GIB.A, GIB-A, GIB/A, GIB.A.TO or GIB/A CN", examples=["GIB.A"]
    )
    exchange: str | None = Field(
        default=None, max_length=20, description="TSX (XTSE, TSE), TSXV (XTSX), CSE (XCNQ), NEO; or NYSE, NASDAQ"
    )
    bn: str | None = _item_identifier("bn", 40, "Canadian Business Number")
    uei: str | None = _item_identifier("uei", 40, "SAM Unique Entity ID")
    cage: str | None = _item_identifier("cage", 20, "CAGE code (U.S. Commercial and Government Entity)")


class ScreenPolicy(BaseModel):
    """The caller's policy: exclude above a score or tier; flag any other exposure."""

    model_config = ConfigDict(extra="forbid")

    max_score: float | None = Field(
        default=None, strict=True, ge=0, le=100, description="exclude firms scoring above this"
    )
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
    policy: ScreenPolicy | None = Field(default=None, description="the policy to apply; the service's default if none")


class MatchInfo(BaseModel):
    firm_id: str | None = Field(description="the scored firm (a Canadian parent); null for a universe issuer alone")
    issuer_id: str | None = Field(default=None, description="the listed issuer, when the match is one")
    name: str | None = Field(description="the matched firm's or issuer's name")
    decided_by: str = Field(default="name", description="the field that decided: lei, isin, cusip, ticker, ... name")
    method: str = Field(
        description="identifier:<scheme>, alias, fuzzy or override; +parent when a subsidiary rolled up",
        examples=["alias"],
    )
    confidence: float = Field(ge=0, le=1, description="how sure the match is, 0-1 (1.0 for an identifier)")
    features: dict[str, float | bool | str] = Field(default_factory=dict, description="what matched, and how well")
    matched_on: str = Field(description="the value that matched", examples=["ROSHEL"])
    via_firm_id: str | None = Field(default=None, description="the registry firm matched, when it rolls up to a parent")


class CandidateInfo(BaseModel):
    firm_id: str = Field(description="the scored firm (a Canadian parent) or the listed issuer the name resembles")
    name: str | None = Field(description="that firm's or issuer's name")
    confidence: float = Field(ge=0, le=1, description="how sure the match would be, 0-1; below the threshold")
    resembles: str = Field(description="the registry name it resembles (normalised)")
    features: dict[str, float | bool | str] = Field(
        description="the name matcher's measures: char_ratio and token_set_ratio (0-100), distinctive_coverage "
        "(0-1), extra_words, reason, look_alike"
    )


class Coverage(BaseModel):
    """What a verdict rests on: which issuer or firm was checked, with what, against which records."""

    issuer_id: str | None = Field(default=None, description="the listed issuer checked, if any")
    firm_id: str | None = Field(default=None, description="the scored firm checked, if any")
    checked: str = Field(description="in words: what was checked against the loaded records")
    subsidiaries_checked: int = Field(default=0, description="the firm's known subsidiaries checked with it")
    aliases_checked: int = Field(default=0, description="names and aliases checked")
    subsidiary_research: SubsidiaryResearch | None = Field(
        default=None,
        description="how far the identified issuer's U.S. subsidiaries were researched (datasets/data/COVERAGE.md): "
        "subsidiaries_added (those found are on file and checked), checked_no_us_subsidiary_found, "
        "left_out_no_primary_source (one is known but no primary source names and dates it, so its records are not "
        "checked), searched_not_settled, not_researched; null when no listed issuer was identified",
    )
    records_from: date | None = Field(
        default=None, description="the earliest action date in the loaded records, ISO 8601"
    )
    records_to: date | None = Field(default=None, description="the latest action date in the loaded records, ISO 8601")
    agencies: list[str] = Field(
        default_factory=list, description="the agencies the loaded records come from (abbreviation, else code)"
    )
    snapshot_id: str = Field(description="the id of the data snapshot checked")
    as_of: date | None = Field(default=None, description="the snapshot's as-of date, ISO 8601")


class ItemError(BaseModel):
    field: str = Field(description="the item's field at fault, e.g. items[3].isin")
    detail: str = Field(description="what is wrong with it")


class ScreenResult(BaseModel):
    ref: str | None = Field(description="the item's `ref`, as sent")
    match: MatchInfo | None = Field(description="the firm or issuer the item was identified as; null if none")
    candidates: list[CandidateInfo] = Field(
        default_factory=list, description="near misses, below the match threshold: for a human to check"
    )
    score: float | None = Field(
        description="exposure score 0-100 (to the policy's agencies only, if it names any); null without a match"
    )
    tier: Tier | None = Field(
        description="the score's tier: none (score 0), low, moderate, high or severe; null without a match"
    )
    verdict: Verdict = Field(
        description="exclude or flag: exposure under the policy; pass: known and checked, nothing found; review: "
        "an analyst must decide; not_covered: nothing in the universe matched; error: the item could not be read"
    )
    reason: str = Field(description="the verdict's reason, in words")
    tried: list[str] = Field(default_factory=list, description="each field tried, and what it found")
    coverage: Coverage | None = Field(default=None, description="what the verdict rests on")
    error: ItemError | None = Field(default=None, description="why the item could not be read (verdict error)")
    input: ScreenItem | None = Field(default=None, description="the holding or vendor as sent")


class ScreeningResponse(BaseModel):
    screening_id: str = Field(description="the screening's id (32 hex digits), for GET /v1/screenings/{screening_id}")
    created_at: datetime = Field(description="when it was screened, ISO 8601 date-time in UTC")
    snapshot: Snapshot = Field(description="the data it was screened against")
    snapshot_id: str = Field(description="the id of that data snapshot")
    policy: ScreenPolicy = Field(description="the policy applied")
    count: int = Field(description="items screened")
    data: list[ScreenResult] = Field(description="one result per item, in the order sent")


class ScreeningListed(BaseModel):
    screening_id: str = Field(description="the screening's id (32 hex digits)")
    created_at: datetime = Field(description="when it was screened, ISO 8601 date-time in UTC")
    snapshot_id: str = Field(description="the id of the data snapshot screened against")
    methodology_version: str | None = Field(description="the methodology version of that snapshot")
    items: int = Field(description="holdings or vendors screened")


class ScreeningList(BaseModel):
    """The caller's own screenings, newest first (an admin key sees every one)."""

    data: list[ScreeningListed] = Field(description="this page of screenings, newest first")
    count: int = Field(description="every screening the caller may see, on all pages")
    offset: int = Field(description="screenings skipped before this page")
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class VendorCheck(BaseModel):
    query: dict[str, str] = Field(description="the name, bn and uei given, as sent")
    policy: ScreenPolicy = Field(description="the policy the verdict was given under")
    policy_is_default: bool = Field(description="true when the caller gave no policy and the service's default applied")
    policy_statement: str = Field(
        description="the policy in plain words, with the dollars its tier means",
        examples=["The service's default, because none was chosen: it excludes US$100 million or more weighted."],
    )
    result: ScreenResult = Field(description="the match and the verdict")
    evidence: list[Evidence] = Field(description="the three strongest pieces of evidence")
    top_contributions: list[Contribution] = Field(description="the three largest contract links")
    snapshot: Snapshot = Field(description="the data checked")


class HistoryPoint(BaseModel):
    as_of: date = Field(description="the as-of date scored, ISO 8601")
    methodology_version: str = Field(description="the methodology version it was scored with")
    score: float = Field(description="exposure score, 0-100")
    tier: str = Field(description="the score's tier: none, low, moderate, high or severe")
    obligated_total: float = Field(description="U.S. dollars obligated to the firm (its share)")
    ice_total: float = Field(description="U.S. dollars of it from ICE (agency 7012)")
    cbp_total: float = Field(description="U.S. dollars of it from CBP (agency 7014)")
    weighted_total: float = Field(description="sum of the contributions, in weighted U.S. dollars")
    scored_at: UtcDatetime = Field(description="when this run scored it, ISO 8601 date-time in UTC")


class FirmHistory(BaseModel):
    firm_id: str = Field(description="the firm's registry id")
    data: list[HistoryPoint] = Field(description="every scoring run of the firm, oldest first")
    count: int = Field(description="scoring runs listed")
    snapshot: Snapshot = Field(description="the data served now")


class Agency(BaseModel):
    agency_code: str = Field(description="USAspending agency code (070 is DHS; 70xx its sub-tiers)", examples=["7012"])
    name: str = Field(description="the agency's name")
    abbreviation: str | None = Field(description="e.g. ICE, CBP")
    level: str = Field(description="department or subtier")
    parent_code: str | None = Field(description="the department's code, for a sub-tier; null for the department")
    active: bool = Field(description="whether the code is still in use")
    firms_exposed: int = Field(description="scored firms with links to this agency")
    dollars: float = Field(description="the scored firms' share of obligations from this agency, U.S. dollars")


class Source(BaseModel):
    source_id: int = Field(description="the load's number")
    kind: str = Field(description="the kind of file, e.g. usaspending_prime_transactions, registry_firms, evidence")
    file_name: str = Field(description="the file's name")
    sha256: str = Field(description="the file's SHA-256, hex")
    publisher: str | None = Field(description="who publishes the file")
    licence: str | None = Field(description="the licence the file is published under")
    source_url: str | None = Field(description="where the file comes from")
    loaded_at: UtcDatetime = Field(description="when it was loaded, ISO 8601 date-time in UTC")
    rows_read: int = Field(description="rows read: inserted + updated + duplicate + quarantined")
    rows_inserted: int = Field(description="new rows stored")
    rows_updated: int = Field(description="stored rows the file changed")
    rows_duplicate: int = Field(description="rows already stored as they were")
    rows_quarantined: int = Field(description="rows that could not be loaded (kept, with the reason)")


class ReviewCandidate(BaseModel):
    """An unattributed vendor that may be Canadian-owned: for an analyst to confirm or reject. Not scored."""

    rank: int = Field(description="place in the queue, 1 for the most dollars")
    recipient_name: str = Field(description="the vendor's name as the records give it")
    recipient_uei: str | None = Field(description="the vendor's SAM Unique Entity ID, when the records give it")
    amount: float = Field(description="U.S. dollars obligated to this vendor name in the loaded records")
    records: int = Field(description="contract records under this vendor name")
    first_date: date | None = Field(description="the earliest record's date, ISO 8601")
    last_date: date | None = Field(description="the latest record's date, ISO 8601")
    agencies: list[str] = Field(description="the awarding agency codes in those records")
    reasons: list[str] = Field(
        description="why it is queued, strongest first, each opening with its code and giving its detail: "
        "canadian_recipient, curated_lead, near_miss, issuer_name, canadian_tax, foreign_owned, foreign_entity, "
        "us_arm_name"
    )
    suggested_firm_id: str | None = Field(description="the registry firm it may be (from a near miss)")
    suggested_issuer_id: str | None = Field(description="the listed issuer it may be (from its name)")
    award_keys: list[str] = Field(description="up to five USAspending award keys, for tracing")


class ListOf(BaseModel, Generic[T]):
    data: list[T] = Field(description="the items")
    count: int = Field(description="items in `data`, or in the whole list when it is paged")
    snapshot: Snapshot = Field(description="the data served")


class ContributionPage(BaseModel):
    """A firm's contributions, largest first, a page at a time (the profile shows only the largest)."""

    firm_id: str = Field(description="the firm's registry id")
    data: list[Contribution] = Field(description="this page of contributions, largest (absolute) first")
    count: int = Field(description="every contribution of the firm in this snapshot, on all pages")
    offset: int = Field(description="contributions skipped before this page")
    next_offset: int | None = Field(description="offset of the next page; null on the last")
    snapshot: Snapshot = Field(description="the data served")


class Ready(BaseModel):
    status: str = Field(description="ready once a scored snapshot is open")
    snapshot_id: str = Field(description="the id of the data snapshot served")
    snapshot: Snapshot = Field(description="the data served")


class Change(BaseModel):
    """One entry of the change log a refresh wrote."""

    change_id: int = Field(description="increasing with each change recorded")
    refresh_id: str = Field(description="the refresh that found it; one refresh's changes share it")
    detected_at: UtcDatetime = Field(description="when the refresh compared the results (UTC)")
    from_as_of: date | None = Field(description="as-of date of the result served before; null on the first")
    from_methodology_version: str | None = Field(description="methodology of the result served before")
    to_as_of: date = Field(description="as-of date of the result published")
    to_methodology_version: str = Field(description="methodology of the result published")
    firm_id: str = Field(description="the Canadian firm the change is about")
    kind: Literal["score", "tier", "new_award", "new_evidence"] = Field(
        description="score: the score moved (tier and verdict may have too); tier: the tier changed alone; "
        "new_award / new_evidence: a USAspending award or a document newly counted for the firm"
    )
    subject_key: str | None = Field(description="the award key or evidence id of a new_award / new_evidence")
    before: dict[str, Any] | None = Field(description="score, tier and default-policy verdict before; null if new")
    after: dict[str, Any] | None = Field(description="score, tier and verdict after, or the new award or evidence")
    summary: str = Field(description="the change in one line")


class ChangeList(BaseModel):
    data: list[Change] = Field(description="changes oldest first")
    count: int = Field(description="changes on this page")
    next_since: UtcDatetime | None = Field(description="pass as `since` to get the changes after these")
    snapshot: Snapshot = Field(description="the data snapshot served")


class WebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="where each refresh's changes are POSTed (http or https)",
        examples=["https://hooks.example.ca/exposure"],
    )


class WebhookInfo(BaseModel):
    webhook_id: str = Field(description="the webhook's id")
    url: str = Field(description="where deliveries go")
    created_at: UtcDatetime = Field(description="when it was registered (UTC)")


class WebhookCreated(WebhookInfo):
    secret: str = Field(
        description="signs every delivery: X-Exposure-Signature is sha256=HMAC-SHA256(secret, "
        "'<X-Exposure-Timestamp>.<body>'); shown this once, keep it"
    )


class WebhookList(BaseModel):
    data: list[WebhookInfo] = Field(description="the caller's live webhooks")
    count: int = Field(description="how many")


class DeliveryInfo(BaseModel):
    delivery_id: int = Field(description="increasing with each attempt")
    refresh_id: str = Field(description="the refresh whose changes were sent")
    attempt: int = Field(description="1 for the first try, then each retry")
    attempted_at: UtcDatetime = Field(description="when (UTC)")
    status_code: int | None = Field(description="the receiver's HTTP status; null when it did not answer")
    error: str | None = Field(description="what went wrong, if it did")
    delivered: bool = Field(description="true when the receiver answered 2xx")


class DeliveryList(BaseModel):
    data: list[DeliveryInfo] = Field(description="attempts, newest first")
    count: int = Field(description="how many")


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
    firm_name: str | None = Field(description="the firm's name")
    score: float = Field(ge=0, le=100, description="the firm's ICE/DHS exposure score")
    tier: str = Field(description="the score's tier: none, low, moderate, high or severe")
    dhs_obligated_usd: float = Field(description="the firm's share of DHS obligations, U.S. dollars")
    ice_obligated_usd: float = Field(description="of which ICE, U.S. dollars")
    record: Literal["vendor_total", "contract"] = Field(
        description="vendor_total: GoC-Spending's total for the vendor and year (amendments counted once); contract: "
        "one row of the Proactive Disclosure (an amendment repeats the contract's value: do not add contract rows)"
    )
    record_key: str = Field(description="vendor|fiscal year, or owner_org-reference_number")
    fiscal_year: str = Field(
        description="Government of Canada fiscal year, April 1 to March 31", examples=["2021-2022"]
    )
    record_date: date | None = Field(description="the contract date; the fiscal year's last day for a total")
    department: str | None = Field(description="owner_org, where the file gives it (contracts)", examples=["ssc-spc"])
    department_name: str | None = Field(description="owner_org_title")
    value_cad: float = Field(description="Canadian dollars: the total, or the contract_value")
    value_constant_2019_cad: float | None = Field(description="the total in constant 2019 Canadian dollars")
    vendor_name: str = Field(description="the vendor spelling in the file that matched")
    via_firm_id: str = Field(description="the registry firm the spelling matched (rolled up to firm_id)")
    ownership_share: float | None = Field(description="fraction (0-1) of the vendor the firm owns on the record's date")
    matched_by: str = Field(
        description="how the vendor name was matched", examples=["alias:name", "fuzzy:name", "override:is"]
    )
    matched_value: str | None = Field(description="the name or value the rule matched on")
    match_confidence: float | None = Field(description="how sure the match is (0-1)")
    source_file: str | None = Field(description="the file the record was read from")
    source_line: int | None = Field(description="its line in that file")
    source_publisher: str | None = Field(description="who published the file")
    source_url: str | None = Field(description="the file's publisher: open.canada.ca, or the GoC-Spending repository")
    dataset_url: str = Field(description="the open.canada.ca dataset every record comes from")
    unverified_spellings: list[str] = Field(
        default_factory=list,
        description="for a vendor total: the spellings GoC-Spending groups under the vendor name that the registry "
        "puts on no firm (shown as that project's claim, not confirmed here); spellings the registry puts on another "
        "business that year hold the total back instead (GET /v1/federal-contracts/candidates)",
    )


class FederalVendorCandidate(BaseModel):
    """A Government of Canada vendor name held back for review: one that resembles a registry firm but was not
    put on it (confirmed with `exposure overrides add --name`), or a firm's vendor total that cannot be shown to
    be the firm's alone (its spelling group holds a business the firm did not own that year, the firm changed
    hands during the year, or no spelling groups are loaded). Not attributed until resolved."""

    rank: int = Field(description="place in the list, 1 for the most Canadian dollars")
    vendor_name: str = Field(description="the Government of Canada vendor spelling")
    total_cad: float = Field(description="the name's vendor totals, Canadian dollars")
    records: int = Field(description="fiscal-year totals or contract rows under that spelling")
    fiscal_years: list[str] = Field(description="the fiscal years it appears in")
    reasons: list[str] = Field(
        description="why it is held back, each opening with its code: goc_vendor_near_miss (with the registry name "
        "it resembles), goc_group_member_not_owned (the spellings of its group the registry puts on another "
        "business that year, and the fiscal years), goc_owned_part_of_fiscal_year, goc_spelling_groups_not_loaded"
    )
    suggested_firm_id: str | None = Field(description="the registry firm it resembles, or whose total is held back")
