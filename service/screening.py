"""Screening: match each item to a scored firm (identifiers first, then the exact normalised name), apply
the caller's policy, and give a verdict with its reason. Runs entirely on the in-memory snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.exposure import score_from_weighted
from scoring.matching import NameCandidate
from scoring.methodology import Methodology
from scoring.normalize import normalize_names
from service.errors import ApiError
from service.identifiers import validate
from service.models import CandidateInfo, MatchInfo, ScreenItem, ScreenPolicy, ScreenResult
from service.snapshot import TIER_ORDER, ServingSnapshot

# Identifier schemes in the order they are tried; an identifier beats a name.
ITEM_SCHEMES = ("uei", "lei", "isin", "bn", "cage", "ticker")
IDENTIFIER_CONFIDENCE = 1.0
DEFAULT_POLICY = ScreenPolicy(max_tier="high")  # exclude severe exposure; flag the rest


@dataclass(frozen=True)
class Candidate:
    firm_id: str  # the registry firm matched
    method: str
    confidence: float
    matched_on: str


def _identifier_candidates(serving: ServingSnapshot, item: ScreenItem, index: int) -> list[Candidate]:
    found = []
    for scheme in ITEM_SCHEMES:
        raw = getattr(item, scheme)
        if raw is None or not raw.strip():
            continue
        value = validate(scheme, raw, f"items[{index}].{scheme}")
        if scheme == "ticker":
            exchange = (item.exchange or "").strip().upper()
            firm = serving.identifiers.get(("ticker", f"{value}|{exchange}")) if exchange else None
            firm = firm or (None if exchange else serving.identifiers.get(("ticker_any", value)))
            shown = f"{exchange}:{value}" if exchange else value
        else:
            firm = serving.identifiers.get((scheme, value))
            shown = value
        if firm:
            found.append(Candidate(firm, f"identifier:{scheme}", IDENTIFIER_CONFIDENCE, shown))
    return found


@dataclass(frozen=True)
class ItemMatch:
    best: Candidate | None
    features: dict[str, float | bool | str]
    near_misses: tuple[NameCandidate, ...]


def match_items(serving: ServingSnapshot, items: list[ScreenItem]) -> list[ItemMatch]:
    """Each item's match, in order: an analyst's override, then identifiers, then the name (exact or a sure
    fuzzy match); weaker name resemblances come back as near misses, never as a match."""
    keys = normalize_names([item.name or "" for item in items])
    results: list[ItemMatch] = []
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        found = _identifier_candidates(serving, item, index)
        firms = {c.firm_id for c in found}
        if len(firms) > 1:
            raise ApiError(
                422,
                f"items[{index}]: its identifiers name different firms ({', '.join(sorted(firms))}); "
                "send one firm per item",
            )
        if found:
            results.append(ItemMatch(found[0], {"identifier": found[0].method.split(":")[-1]}, ()))
            continue
        if key and key in serving.name_overrides:
            override = Candidate(serving.name_overrides[key], "override", 1.0, key)
            results.append(ItemMatch(override, {"reason": "an analyst's decision"}, ()))
            continue
        name_match = serving.matcher.match_normalized(item.name or "", key)
        near = tuple(c for c in name_match.candidates if (key, c.firm_id) not in serving.refused)
        if name_match.firm_id is None or (key, name_match.firm_id) in serving.refused:
            results.append(ItemMatch(None, {}, tuple(c for c in near if c.firm_id != name_match.firm_id)))
            continue
        method = name_match.method or "alias"
        best = Candidate(name_match.firm_id, method, name_match.confidence, key or "")
        results.append(ItemMatch(best, dict(name_match.features), ()))
    return results


def _exposure(serving: ServingSnapshot, firm_id: str, agencies: list[str] | None, m: Methodology) -> float:
    entry = serving.firms[firm_id]
    if not agencies:
        return entry.summary.score
    weighted = sum(entry.by_agency.get(code, 0.0) for code in agencies)
    return score_from_weighted(weighted, m)


def _tier_of(score: float, m: Methodology) -> str:
    tier = "none"
    for name in ("low", "moderate", "high", "severe"):
        if score >= m.tiers[name]:
            tier = name
    return tier


def resolve_policy_agencies(serving: ServingSnapshot, policy: ScreenPolicy) -> list[str] | None:
    if not policy.agencies:
        return None
    codes = []
    for index, text in enumerate(policy.agencies):
        code = serving.resolve_agency(text)
        if code is None:
            raise ApiError(422, f"policy.agencies[{index}]: unknown agency {text!r}; use a code such as 7012 or ICE")
        codes.append(code)
    return codes


def verdict(score: float, tier: str, policy: ScreenPolicy, scope: str) -> tuple[str, str]:
    limit_tier = policy.max_tier
    if policy.max_score is not None and score > policy.max_score:
        return "exclude", f"score {score:.2f}{scope} is above the policy's max_score {policy.max_score:g}"
    if limit_tier is not None and TIER_ORDER.index(tier) > TIER_ORDER.index(limit_tier):
        return "exclude", f"tier {tier}{scope} is above the policy's max_tier {limit_tier}"
    if score > 0:
        return "flag", f"exposure within policy: score {score:.2f}, tier {tier}{scope}"
    return "pass", f"no exposure found{scope}"


def screen(
    serving: ServingSnapshot, items: list[ScreenItem], policy: ScreenPolicy, methodology: Methodology
) -> list[ScreenResult]:
    agencies = resolve_policy_agencies(serving, policy)
    scope = f" (agencies {', '.join(agencies)})" if agencies else ""
    results = []
    for item, matched in zip(items, match_items(serving, items), strict=True):
        candidate = matched.best
        parent = serving.parents.get(candidate.firm_id) if candidate else None
        if candidate is None or parent is None:
            reason = (
                "no firm in the registry matched"
                if candidate is None
                else (f"matched {candidate.firm_id}, which rolls up to no scored Canadian firm")
            )
            near = [
                CandidateInfo(
                    firm_id=serving.parents.get(c.firm_id, c.firm_id),
                    name=serving.firms[serving.parents[c.firm_id]].name if c.firm_id in serving.parents else None,
                    confidence=c.confidence,
                    resembles=c.alias,
                    features=c.features,
                )
                for c in matched.near_misses
            ]
            if near:
                reason += f"; {len(near)} near miss{'es' if len(near) > 1 else ''} listed for review"
            results.append(
                ScreenResult(
                    ref=item.ref,
                    match=None,
                    candidates=near,
                    score=None,
                    tier=None,
                    verdict="pass",
                    reason=f"{reason}; no known exposure",
                )
            )
            continue
        entry = serving.firms[parent]
        score = _exposure(serving, parent, agencies, methodology)
        tier = _tier_of(score, methodology) if agencies else entry.summary.tier
        decision, reason = verdict(score, tier, policy, scope)
        method = candidate.method if parent == candidate.firm_id else f"{candidate.method}+parent"
        results.append(
            ScreenResult(
                ref=item.ref,
                match=MatchInfo(
                    firm_id=parent,
                    name=entry.name,
                    method=method,
                    confidence=candidate.confidence,
                    features=matched.features,
                    matched_on=candidate.matched_on,
                    via_firm_id=None if parent == candidate.firm_id else candidate.firm_id,
                ),
                score=score,
                tier=tier,  # type: ignore[arg-type]
                verdict=decision,  # type: ignore[arg-type]
                reason=reason,
            )
        )
    return results
