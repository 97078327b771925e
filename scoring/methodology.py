"""The methodology in force: weights, half-life, score scale, tiers and category tables, loaded from the
versioned files in scoring/methodology/ (never from code)."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

METHODOLOGY_DIR = Path(__file__).with_name("methodology")


class MethodologyError(ValueError):
    """The methodology files are inconsistent (a weight out of range, an unknown category)."""

    status = 500


@dataclass(frozen=True)
class Category:
    category: str
    label: str
    severity: float
    description: str


@dataclass(frozen=True)
class Methodology:
    version: str
    published: str
    summary: str
    half_life_days: float
    agency_weights: dict[str, float]
    default_agency_weight: float
    link_weights: dict[str, float]
    evidence_confidence: dict[str, float]
    evidence_status: dict[str, float]
    evidence_channel: dict[str, float]
    evidence_nominal_usd: float
    default_shares: dict[str, float]
    score_unit_usd: float
    score_points_per_decade: float
    tiers: dict[str, float]
    revenue_bands: dict[str, float]
    categories: dict[str, Category] = field(default_factory=dict)
    psc_rules: dict[str, str] = field(default_factory=dict)
    naics_rules: dict[str, str] = field(default_factory=dict)
    description_rules: dict[tuple[str, str], str] = field(default_factory=dict)
    # (regex, category) tried in order on a record's own description, before any product code.
    keyword_rules: tuple[tuple[str, str], ...] = ()

    @property
    def fallback_category(self) -> str:
        return "other"

    def as_dict(self) -> dict[str, Any]:
        """What `GET /v1/methodology` shows: everything but the long rule tables, which are counted."""
        return {
            "version": self.version,
            "published": self.published,
            "summary": self.summary.strip(),
            "formula": "amount × category_severity × agency_weight × recency_weight × evidence_confidence"
            " × ownership_share × channel_weight",
            "recency_half_life_days": self.half_life_days,
            "agency_weights": self.agency_weights,
            "default_agency_weight": self.default_agency_weight,
            "link_weights": self.link_weights,
            "evidence_confidence": self.evidence_confidence,
            "evidence_status": self.evidence_status,
            "evidence_channel": self.evidence_channel,
            "evidence_nominal_usd": self.evidence_nominal_usd,
            "ownership_default_shares": self.default_shares,
            "score": {
                "formula": "min(100, points_per_decade × log10(1 + weighted_usd / unit_usd))",
                "unit_usd": self.score_unit_usd,
                "points_per_decade": self.score_points_per_decade,
            },
            "tiers": self.tiers,
            "revenue_bands": self.revenue_bands,
            "categories": [
                {
                    "category": c.category,
                    "label": c.label,
                    "severity": c.severity,
                    "description": c.description,
                }
                for c in sorted(self.categories.values(), key=lambda c: -c.severity)
            ],
            "rule_counts": {
                "psc": len(self.psc_rules),
                "naics": len(self.naics_rules),
                "description": len(self.description_rules),
                "keyword": len(self.keyword_rules),
            },
        }


def _floats(table: dict[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in table.items()}


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_methodology(directory: Path = METHODOLOGY_DIR) -> Methodology:
    raw = tomllib.loads((directory / "methodology.toml").read_text(encoding="utf-8"))
    categories = {
        row["category"]: Category(row["category"], row["label"], float(row["severity"]), row.get("description", ""))
        for row in _read_csv(directory / "categories.csv")
    }
    if "other" not in categories:
        categories["other"] = Category("other", "Other", 0.3, "Not otherwise classified")
    psc = {r["psc_prefix"].strip().upper(): r["category"] for r in _read_csv(directory / "psc_rules.csv")}
    naics = {r["naics_prefix"].strip(): r["category"] for r in _read_csv(directory / "naics_rules.csv")}
    described = {
        (r["scheme"].strip().lower(), " ".join(r["description"].upper().split())): r["category"]
        for r in _read_csv(directory / "description_rules.csv")
    }
    keywords = tuple((r["pattern"], r["category"]) for r in _read_csv(directory / "keyword_rules.csv"))
    methodology = Methodology(
        version=str(raw["version"]),
        published=str(raw["published"]),
        summary=str(raw.get("summary", "")),
        half_life_days=float(raw["recency"]["half_life_days"]),
        agency_weights=_floats(raw["agency"]["weights"]),
        default_agency_weight=float(raw["agency"]["default_weight"]),
        link_weights=_floats(raw["links"]),
        evidence_confidence=_floats(raw["evidence"]["confidence"]),
        evidence_status=_floats(raw["evidence"]["status"]),
        evidence_channel=_floats(raw["evidence"]["channel"]),
        evidence_nominal_usd=float(raw["evidence"]["nominal_amount_usd"]),
        default_shares=_floats(raw["ownership"]["default_share"]),
        score_unit_usd=float(raw["score"]["unit_usd"]),
        score_points_per_decade=float(raw["score"]["points_per_decade"]),
        tiers=_floats(raw["tiers"]),
        revenue_bands=_floats(raw["revenue_bands"]),
        categories=categories,
        psc_rules=psc,
        naics_rules=naics,
        description_rules=described,
        keyword_rules=keywords,
    )
    validate(methodology)
    return methodology


def validate(m: Methodology) -> None:
    weights = {
        **{f"agency {k}": v for k, v in m.agency_weights.items()},
        **{f"category {c.category}": c.severity for c in m.categories.values()},
        **{f"confidence {k}": v for k, v in m.evidence_confidence.items()},
        **{f"status {k}": v for k, v in m.evidence_status.items()},
        **{f"channel {k}": v for k, v in m.evidence_channel.items()},
        **{f"share {k}": v for k, v in m.default_shares.items()},
    }
    for name, value in weights.items():
        if not 0 <= value <= 1:
            raise MethodologyError(f"methodology {m.version}: {name} weight {value} is outside [0, 1]")
    ruled = (*m.psc_rules.values(), *m.naics_rules.values(), *m.description_rules.values())
    unknown = {*ruled, *(c for _pattern, c in m.keyword_rules)} - set(m.categories)
    if unknown:
        raise MethodologyError(f"methodology {m.version}: rules name unknown categories {sorted(unknown)}")
    if m.half_life_days <= 0 or m.score_points_per_decade <= 0 or m.score_unit_usd <= 0:
        raise MethodologyError(f"methodology {m.version}: half-life and score scale must be positive")
    ordered = [m.tiers[t] for t in ("low", "moderate", "high", "severe")]
    if ordered != sorted(ordered):
        raise MethodologyError(f"methodology {m.version}: tier thresholds must increase: {m.tiers}")
