"""Plain-language statements for people, built from the API's own models: the policy in words, what a verdict
means, how the company was recognised and what the check did and did not cover. Wording lives in the catalogue;
this module only chooses which words and fills them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scoring.methodology import TIER_NAMES, Methodology
from service.models import Coverage, MatchInfo, ScreenPolicy, ScreenResult
from service.pages.i18n import Messages


def tier_floors(methodology: Methodology) -> dict[str, float]:
    """The weighted U.S. dollars at which each tier starts: the score formula solved for the dollars."""
    unit, points = methodology.score_unit_usd, methodology.score_points_per_decade
    return {tier: unit * (10 ** (methodology.tiers[tier] / points) - 1) for tier in TIER_NAMES[1:]}


def policy_statement(policy: ScreenPolicy, is_default: bool, t: Messages, methodology: Methodology) -> str:
    """The policy a verdict was given under, as a buyer would say it (never the field names of the API)."""
    limit = policy.max_tier or "severe"
    if not is_default and limit == "none":
        return t("policy.chosen.none")
    if not is_default and limit == "severe":
        return t("policy.chosen.severe")
    excluded_from = TIER_NAMES[TIER_NAMES.index(limit) + 1]
    amount = t.money_round(tier_floors(methodology)[excluded_from])
    key = "policy.default" if is_default else "policy.chosen"
    return t(key, amount=amount, tier=t(f"tier.{excluded_from}"))


def review_cause(result: ScreenResult) -> str:
    """Which kind of review this is, read from the result's shape (the reason itself is for analysts)."""
    if result.candidates:
        return "review.near"
    if result.match is None:
        return "review.conflict"
    if result.match.firm_id is None:
        return "review.unconfirmed"
    return "review.unscored"


def verdict_explanation(result: ScreenResult, t: Messages) -> list[str]:
    """What the verdict means, sentence by sentence."""
    lines = [t(f"verdict.{result.verdict}.explain")] if t.has(f"verdict.{result.verdict}.explain") else []
    if result.verdict == "review":
        lines.append(t(review_cause(result)))
    if result.tier is not None and result.score is not None and result.verdict in ("exclude", "flag"):
        lines.append(t("verdict.exposure", tier=t(f"tier.{result.tier}"), score=t.number(result.score, 2)))
    return lines


def recognition(match: MatchInfo, t: Messages, names: Mapping[str, str]) -> list[str]:
    """How the company was recognised: by which field, how, how sure; and through which subsidiary."""
    scheme = match.decided_by
    if scheme == "name":
        method = match.method.removesuffix("+parent")
        how = t(f"how.{method}") if t.has(f"how.{method}") else t("how.other")
        lines = [t("firm.recognised.name", value=match.matched_on, how=how, confidence=t.percent(match.confidence))]
    else:
        lines = [t("firm.recognised.identifier", scheme=t.maybe("scheme", scheme), value=match.matched_on)]
    if match.via_firm_id and match.firm_id:
        via = names.get(match.via_firm_id, match.via_firm_id)
        parent = names.get(match.firm_id, match.name or match.firm_id)
        lines.append(t("firm.via", via=via, parent=parent))
    return lines


@dataclass(frozen=True)
class CoverageStatement:
    checked: str
    records: str | None
    not_checked: list[str]
    research: str | None = None  # how far the listed issuer's U.S. subsidiaries were researched


def coverage_statement(
    coverage: Coverage | None, name: str | None, t: Messages, agency_names: list[str]
) -> CoverageStatement:
    """What the verdict rests on, and the gaps a reader must know of before relying on a pass."""
    if coverage is None or (coverage.firm_id is None and coverage.issuer_id is None):
        checked = t("coverage.nothing")
    elif coverage.firm_id is None:
        checked = t("coverage.issuer", name=name or coverage.issuer_id)
    else:
        checked = t(
            "coverage.firm",
            name=name or coverage.firm_id,
            subsidiaries=coverage.subsidiaries_checked,
            aliases=coverage.aliases_checked,
        )
    records = None
    last = "—"
    if coverage is not None and coverage.records_from and coverage.records_to:
        last = coverage.records_to.isoformat()
        records = t(
            "coverage.records",
            first=coverage.records_from.isoformat(),
            last=last,
            agencies=", ".join(agency_names) or t("agency.unknown"),
        )
    gaps = [
        t("coverage.gap.later", last=last),
        t("coverage.gap.names"),
        t("coverage.gap.indirect"),
        t("coverage.gap.buyers"),
    ]
    research = None
    if coverage is not None and coverage.subsidiary_research is not None:
        research = t(f"research.{coverage.subsidiary_research}")
    return CoverageStatement(checked, records, gaps, research)
