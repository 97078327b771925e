"""The methodology in force: weights, half-life, score scale, tiers and category tables, loaded from the
versioned files in scoring/methodology/ (never from code).

One pydantic model is the methodology: scoring reads its fields, its validators are the consistency checks,
and its serialised form (rule tables counted, not listed) is what `GET /v1/methodology` shows.
"""

from __future__ import annotations

import csv
import functools
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_serializer, model_validator

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

    category: str
    label: str
    severity: Weight
    description: str = ""


class Methodology(BaseModel):
    """The methodology in force: every weight, the score formula, the tiers and the categories."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    version: str = Field(examples=["2026.12.2"])
    published: str
    summary: str
    half_life_days: float = Field(gt=0, serialization_alias="recency_half_life_days")
    agency_weights: dict[str, Weight]
    default_agency_weight: Weight
    link_weights: dict[str, Weight]
    evidence_confidence: dict[str, Weight]
    evidence_status: dict[str, Weight]
    evidence_channel: dict[str, Weight]
    evidence_nominal_usd: float = Field(ge=0)
    default_shares: dict[str, Weight] = Field(serialization_alias="ownership_default_shares")
    score_unit_usd: float = Field(gt=0, exclude=True)
    score_points_per_decade: float = Field(gt=0, exclude=True)
    tiers: dict[str, float]
    revenue_bands: dict[str, float]
    categories: dict[str, Category]
    # The long rule tables are counted in the document (rule_counts), not listed.
    psc_rules: dict[str, str] = Field(default_factory=dict, exclude=True)
    naics_rules: dict[str, str] = Field(default_factory=dict, exclude=True)
    description_rules: dict[tuple[str, str], str] = Field(default_factory=dict, exclude=True)
    # (regex, category) tried in order on a record's own description, before any product code.
    keyword_rules: tuple[tuple[str, str], ...] = Field(default=(), exclude=True)

    @property
    def fallback_category(self) -> str:
        return FALLBACK_CATEGORY

    @computed_field  # type: ignore[prop-decorator]
    @property
    def formula(self) -> str:
        return FORMULA

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> dict[str, Any]:
        return {
            "formula": "min(100, points_per_decade × log10(1 + weighted_usd / unit_usd))",
            "unit_usd": self.score_unit_usd,
            "points_per_decade": self.score_points_per_decade,
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rule_counts(self) -> dict[str, int]:
        return {
            "psc": len(self.psc_rules),
            "naics": len(self.naics_rules),
            "description": len(self.description_rules),
            "keyword": len(self.keyword_rules),
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
            }
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'methodology'}: {e['msg']}" for e in exc.errors())
        raise MethodologyError(f"methodology {raw.get('version', '?')} in {directory}: {problems}") from exc
    except KeyError as exc:
        raise MethodologyError(f"methodology.toml in {directory} lacks {exc}") from exc
