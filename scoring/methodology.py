"""The methodology in force: weights, half-life, score scale, tiers and category tables, loaded from the
versioned files in scoring/methodology/ (never from code).

One pydantic model is the methodology: scoring reads its fields, its validators are the consistency checks,
and its serialised form (rule tables counted, not listed) is what `GET /v1/methodology` shows.
"""

from __future__ import annotations

import csv
import functools
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)

METHODOLOGY_DIR = Path(__file__).with_name("methodology")
Tier = Literal["none", "low", "moderate", "high", "severe"]  # lowest first; "none" is a score of exactly 0
TIER_NAMES: tuple[Tier, ...] = get_args(Tier)
FALLBACK_CATEGORY = "other"
FORMULA = (
    "amount × category_severity × agency_weight × recency_weight × evidence_confidence × ownership_share"
    " × channel_weight"
)

Weight = Annotated[float, Field(ge=0, le=1)]


class MethodologyError(ValueError):
    """The methodology files are inconsistent (a weight out of range, an unknown category)."""

    status = 500


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str = Field(description="the category's id, as a contribution's `category` names it")
    label: str = Field(description="the category's name in words")
    severity: Weight = Field(
        description="weight 0-1: how grave selling this is; every contribution is multiplied by it"
    )
    description: str = Field(default="", description="what the category covers")


EclMatch = Literal["keyword", "psc_prefix", "psc_description", "naics_prefix", "naics_description", "category"]
ECL_ITEM = re.compile(r"^(2-\d{1,2}|1-\d\.[A-E]\.\d{1,2}(\.[a-z])?)$")


class ExportControlRule(BaseModel):
    """One row of export_control_rules.csv: what a record's codes or description suggest about its Export
    Control List item. A rule without an item says "no item" (a service, or a good outside the list)."""

    model_config = ConfigDict(frozen=True)

    rule_id: str = Field(min_length=1)
    match_on: EclMatch
    value: str = Field(min_length=1)  # a prefix, a category, or a regular expression over upper-case text
    ecl_group: Literal["1", "2"] | None = None
    ecl_item: str | None = None  # "2-6", "1-5.A.1.j"
    wassenaar_item: str | None = None  # "ML6", "5.A.1.j"
    label: str = Field(min_length=1)
    notes: str = ""
    source_url: str = Field(pattern=r"^https://")

    @field_validator("ecl_group", "ecl_item", "wassenaar_item", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _consistent(self) -> ExportControlRule:
        item, group, wassenaar = self.ecl_item, self.ecl_group, self.wassenaar_item
        if (item is None) != (group is None) or (item is None) != (wassenaar is None):
            raise ValueError(f"{self.rule_id}: ecl_group, ecl_item and wassenaar_item are given together or not at all")
        if item is not None:
            if not ECL_ITEM.match(item) or not item.startswith(f"{group}-"):
                raise ValueError(f"{self.rule_id}: ecl_item {item!r} is not an item of ECL group {group}")
            expected = f"ML{item[2:]}" if group == "2" else item[2:]
            if wassenaar != expected:
                raise ValueError(f"{self.rule_id}: ECL {item} parallels Wassenaar {expected}, not {wassenaar}")
        if self.match_on == "psc_prefix" and not re.fullmatch(r"[0-9A-Z]{1,4}", self.value):
            raise ValueError(f"{self.rule_id}: a PSC prefix is 1-4 upper-case letters or digits, not {self.value!r}")
        if self.match_on == "naics_prefix" and not re.fullmatch(r"[0-9]{2,6}", self.value):
            raise ValueError(f"{self.rule_id}: a NAICS prefix is 2-6 digits, not {self.value!r}")
        if self.match_on in ("keyword", "psc_description", "naics_description"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"{self.rule_id}: {self.value!r} is not a regular expression ({exc})") from exc
        return self


class Methodology(BaseModel):
    """The methodology in force: every weight, the score formula, the tiers and the categories."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    version: str = Field(
        description="the methodology's version (year.month.revision); every score names the version it was "
        "computed with",
        examples=["2026.12.2"],
    )
    published: str = Field(description="the date this version was published, ISO 8601")
    summary: str = Field(description="the methodology in a paragraph")
    half_life_days: float = Field(
        gt=0,
        serialization_alias="recency_half_life_days",
        description="days in which a record's recency weight halves: recency_weight = 0.5 ^ (age in days / this)",
    )
    agency_weights: dict[str, Weight] = Field(
        description="weight 0-1 per USAspending agency code (7012 ICE, 7014 CBP, ...)"
    )
    default_agency_weight: Weight = Field(description="weight 0-1 of an agency not in agency_weights")
    link_weights: dict[str, Weight] = Field(
        description="channel weight 0-1 per kind of contract record: transaction, award, subaward"
    )
    evidence_confidence: dict[str, Weight] = Field(
        description="weight 0-1 per document confidence: high, medium, low (contract records count 1.0)"
    )
    evidence_status: dict[str, Weight] = Field(
        description="weight 0-1 per document status: reported, intended, active, completed, cancelled (0: shown, "
        "never scored)"
    )
    evidence_channel: dict[str, Weight] = Field(
        description="channel weight 0-1 per document channel: direct, reseller, joint_venture"
    )
    evidence_nominal_usd: float = Field(
        ge=0, description="U.S. dollars a document without a U.S. dollar figure counts as"
    )
    default_shares: dict[str, Weight] = Field(
        serialization_alias="ownership_default_shares",
        description="ownership fraction 0-1 per relation (wholly_owned, majority, ...) when the registry gives no "
        "share",
    )
    score_unit_usd: float = Field(gt=0, exclude=True, description="U.S. dollars: the score's unit (see `score`)")
    score_points_per_decade: float = Field(
        gt=0, exclude=True, description="score points added by every tenfold increase in weighted exposure"
    )
    tiers: dict[str, float] = Field(
        description="each tier's lowest score, 0-100: low, moderate, high, severe (none is a score of exactly 0)"
    )
    revenue_bands: dict[str, float] = Field(
        description="ESG revenue band -> its lower bound, in percent (0-100) of annual revenue"
    )
    categories: dict[str, Category] = Field(description="the categories of what was sold, most severe first")
    # The long rule tables are counted in the document (rule_counts), not listed.
    psc_rules: dict[str, str] = Field(
        default_factory=dict, exclude=True, description="product or service code prefix -> category"
    )
    naics_rules: dict[str, str] = Field(default_factory=dict, exclude=True, description="NAICS code prefix -> category")
    description_rules: dict[tuple[str, str], str] = Field(
        default_factory=dict, exclude=True, description="(psc or naics, code description) -> category"
    )
    # (regex, category) tried in order on a record's own description, before any product code.
    keyword_rules: tuple[tuple[str, str], ...] = Field(
        default=(), exclude=True, description="(regex, category), tried in order on a record's own description"
    )
    # Codes, descriptions and categories -> Export Control List items (scoring/export_controls.py), in file order.
    export_control_rules: tuple[ExportControlRule, ...] = Field(
        default=(), exclude=True, description="code, description and category rules giving each record's ECL item"
    )

    @property
    def fallback_category(self) -> str:
        return FALLBACK_CATEGORY

    @computed_field(  # type: ignore[prop-decorator]
        description="a contribution, in weighted U.S. dollars: the record's U.S. dollar amount times every weight"
    )
    @property
    def formula(self) -> str:
        return FORMULA

    @computed_field(  # type: ignore[prop-decorator]
        description="the 0-100 score from a firm's weighted total: its formula, unit_usd (U.S. dollars) and "
        "points_per_decade (points per tenfold weighted exposure)"
    )
    @property
    def score(self) -> dict[str, Any]:
        return {
            "formula": "min(100, points_per_decade × log10(1 + weighted_usd / unit_usd))",
            "unit_usd": self.score_unit_usd,
            "points_per_decade": self.score_points_per_decade,
        }

    @computed_field(  # type: ignore[prop-decorator]
        description="the rules that decide what was sold, counted per table: psc, naics, description, keyword"
    )
    @property
    def rule_counts(self) -> dict[str, int]:
        return {
            "psc": len(self.psc_rules),
            "naics": len(self.naics_rules),
            "description": len(self.description_rules),
            "keyword": len(self.keyword_rules),
            "export_control": len(self.export_control_rules),
        }

    @field_serializer("categories")
    def _categories_most_severe_first(self, categories: dict[str, Category]) -> list[Category]:
        return sorted(categories.values(), key=lambda c: -c.severity)

    @model_validator(mode="after")
    def _consistent(self) -> Methodology:
        ruled = (*self.psc_rules.values(), *self.naics_rules.values(), *self.description_rules.values())
        unknown = {*ruled, *(c for _pattern, c in self.keyword_rules)} - set(self.categories)
        if unknown:
            raise ValueError(f"rules name unknown categories {sorted(unknown)}")
        ecl_unknown = {r.value for r in self.export_control_rules if r.match_on == "category"} - set(self.categories)
        if ecl_unknown:
            raise ValueError(f"export control rules name unknown categories {sorted(ecl_unknown)}")
        ids = [r.rule_id for r in self.export_control_rules]
        keys = [(r.match_on, r.value) for r in self.export_control_rules]
        if len(set(ids)) != len(ids) or len(set(keys)) != len(keys):
            raise ValueError("export control rules repeat a rule_id or a (match_on, value)")
        missing = set(TIER_NAMES[1:]) - set(self.tiers)
        if missing:
            raise ValueError(f"tiers {sorted(missing)} have no threshold")
        ordered = [self.tiers[t] for t in TIER_NAMES[1:]]
        if ordered != sorted(ordered):
            raise ValueError(f"tier thresholds must increase: {self.tiers}")
        return self


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def load_methodology(directory: Path = METHODOLOGY_DIR) -> Methodology:
    """Read and check the methodology files once per process (the model is frozen, so sharing it is safe)."""
    raw = tomllib.loads((directory / "methodology.toml").read_text(encoding="utf-8"))
    categories = {row["category"]: row for row in _read_csv(directory / "categories.csv")}
    categories.setdefault(
        FALLBACK_CATEGORY,
        {"category": FALLBACK_CATEGORY, "label": "Other", "severity": "0.3", "description": "Not otherwise classified"},
    )
    try:
        return Methodology.model_validate(
            {
                "version": str(raw["version"]),
                "published": str(raw["published"]),
                "summary": str(raw.get("summary", "")).strip(),
                "half_life_days": raw["recency"]["half_life_days"],
                "agency_weights": raw["agency"]["weights"],
                "default_agency_weight": raw["agency"]["default_weight"],
                "link_weights": raw["links"],
                "evidence_confidence": raw["evidence"]["confidence"],
                "evidence_status": raw["evidence"]["status"],
                "evidence_channel": raw["evidence"]["channel"],
                "evidence_nominal_usd": raw["evidence"]["nominal_amount_usd"],
                "default_shares": raw["ownership"]["default_share"],
                "score_unit_usd": raw["score"]["unit_usd"],
                "score_points_per_decade": raw["score"]["points_per_decade"],
                "tiers": raw["tiers"],
                "revenue_bands": raw["revenue_bands"],
                "categories": categories,
                "psc_rules": {
                    r["psc_prefix"].strip().upper(): r["category"] for r in _read_csv(directory / "psc_rules.csv")
                },
                "naics_rules": {
                    r["naics_prefix"].strip(): r["category"] for r in _read_csv(directory / "naics_rules.csv")
                },
                "description_rules": {
                    (r["scheme"].strip().lower(), " ".join(r["description"].upper().split())): r["category"]
                    for r in _read_csv(directory / "description_rules.csv")
                },
                "keyword_rules": tuple(
                    (r["pattern"], r["category"]) for r in _read_csv(directory / "keyword_rules.csv")
                ),
                "export_control_rules": tuple(_read_csv(directory / "export_control_rules.csv")),
            }
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'methodology'}: {e['msg']}" for e in exc.errors())
        raise MethodologyError(f"methodology {raw.get('version', '?')} in {directory}: {problems}") from exc
    except KeyError as exc:
        raise MethodologyError(f"methodology.toml in {directory} lacks {exc}") from exc
