"""Screening: identify each item (every field it carries, strongest first), apply the caller's policy, and
give one verdict with its reason and what it rests on. Runs entirely on the in-memory snapshot.

    exclude / flag   exposure under the policy
    pass             a known firm or issuer, checked against the loaded records, nothing found
    review           a near miss, fields that name different firms, or records an analyst must confirm
    not_covered      nothing in the universe or the registry matched (what was tried is listed)
    error            the item could not be read (an invalid identifier, or no usable field)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from scoring.exposure import score_from_weighted
from scoring.matching import NameCandidate
from scoring.methodology import Methodology, Tier
from scoring.normalize import normalize_names
from scoring.resolve import ANY_FIRM
from service.errors import ApiError
from service.identifiers import validate
from service.models import (
    CandidateInfo,
    Coverage,
    ItemError,
    MatchInfo,
    ScreenItem,
    ScreenPolicy,
    ScreenResult,
    Verdict,
)
from service.snapshot import TIER_ORDER, ServingSnapshot
from service.universe import parse_ticker

# Identifier fields, strongest first: the first that identifies decides, the others must agree.
ITEM_SCHEMES = ("lei", "isin", "cusip", "uei", "bn", "cage", "ticker")
IDENTIFIER_CONFIDENCE = 1.0
# Below this similarity to the decided firm's names, a sent name is checked for naming another firm.
NAME_AGREEMENT = 80
DEFAULT_POLICY = ScreenPolicy(max_tier="high")  # exclude severe exposure; flag the rest


@dataclass(frozen=True)
class Identity:
    """Who an item is: a scored firm, a universe issuer the registry does not hold, or a registry firm that
    rolls up to no scored Canadian parent."""

    kind: str  # firm | issuer | unscored
    key: str
    issuer_id: str | None = None


@dataclass(frozen=True)
class Hit:
    decided_by: str  # the item's field
    shown: str
    identity: Identity
    method: str
    confidence: float
    via_firm_id: str | None = None
    features: dict[str, float | bool | str] = field(default_factory=dict)


class ItemProblem(Exception):
    def __init__(self, where: str, detail: str) -> None:
        super().__init__(detail)
        self.where = where
        self.detail = detail


def _firm_identity(serving: ServingSnapshot, firm_id: str) -> tuple[Identity, str | None]:
    parent = serving.parents.get(firm_id)
    issuer = _issuer_of_firm(serving, parent or firm_id)
    if parent is None:
        return Identity("unscored", firm_id, issuer), None
    return Identity("firm", parent, issuer), None if parent == firm_id else firm_id


def _issuer_of_firm(serving: ServingSnapshot, firm_id: str) -> str | None:
    return firm_id if firm_id in serving.universe.issuers else None


def _issuer_identity(serving: ServingSnapshot, issuer_id: str) -> tuple[Identity, str | None]:
    issuer = serving.universe.issuers[issuer_id]
    if issuer.firm_id:
        identity, via = _firm_identity(serving, issuer.firm_id)
        return Identity(identity.kind, identity.key, issuer_id), via
    return Identity("issuer", issuer_id, issuer_id), None


def _identifier_hits(
    serving: ServingSnapshot, item: ScreenItem, index: int, tried: list[str]
) -> tuple[list[Hit], list[Identity]]:
    """Every identifier the item carries, looked up in the registry and the universe. Invalid ones raise."""
    hits: list[Hit] = []
    ambiguous: list[Identity] = []
    for scheme in ITEM_SCHEMES:
        raw = getattr(item, scheme)
        if raw is None or not raw.strip():
            continue
        where = f"items[{index}].{scheme}"
        if scheme == "ticker":
            parsed = parse_ticker(raw, item.exchange)
            try:
                value = validate("ticker", parsed.ticker, where)
            except ApiError as exc:
                raise ItemProblem(where, exc.detail) from exc
            exchange = parsed.exchange or parsed.foreign_exchange
            shown = f"{exchange}:{value}" if exchange else value
            found = _registry_ticker(serving, value, exchange)
            issuers = sorted(serving.universe.ticker(parsed))
        else:
            try:
                value = validate(scheme, raw, where)
            except ApiError as exc:
                raise ItemProblem(where, exc.detail) from exc
            shown = value
            found = serving.identifiers.get((scheme, value))
            universe_id = serving.universe.by_identifier.get((scheme, value))
            issuers = [universe_id] if universe_id else []
        if found:
            identity, via = _firm_identity(serving, found)
            hits.append(Hit(scheme, shown, identity, f"identifier:{scheme}", IDENTIFIER_CONFIDENCE, via))
            tried.append(f"{scheme} {shown}: registry firm {found}")
        elif len(issuers) == 1:
            identity, via = _issuer_identity(serving, issuers[0])
            hits.append(Hit(scheme, shown, identity, f"identifier:{scheme}", IDENTIFIER_CONFIDENCE, via))
            tried.append(f"{scheme} {shown}: issuer {issuers[0]}")
        elif issuers:
            ambiguous.extend(_issuer_identity(serving, i)[0] for i in issuers)
            tried.append(
                f"{scheme} {shown}: listed by {len(issuers)} issuers ({', '.join(issuers)}); send the exchange"
            )
        else:
            tried.append(f"{scheme} {shown}: not in the registry or the issuer universe")
    return hits, ambiguous


def _registry_ticker(serving: ServingSnapshot, ticker: str, exchange: str | None) -> str | None:
    if exchange:
        return serving.identifiers.get(("ticker", f"{ticker}|{exchange}"))
    return serving.identifiers.get(("ticker_any", ticker))


@dataclass
class NameResult:
    hit: Hit | None = None
    near: list[CandidateInfo] = field(default_factory=list)
    ambiguous: list[Identity] = field(default_factory=list)


NAME_CACHE_SIZE = 100_000


def _name_hit(serving: ServingSnapshot, name: str, key: str | None) -> NameResult:
    """The name's match, remembered per snapshot: a snapshot never changes, and portfolios repeat names."""
    cache: dict[str | None, NameResult] = serving.name_results
    found = cache.get(key)
    if found is None:
        found = _match_name(serving, name, key)
        if len(cache) < NAME_CACHE_SIZE:
            cache[key] = found
    return found


def _match_name(serving: ServingSnapshot, name: str, key: str | None) -> NameResult:
    """The name in the registry (an analyst's override, then the matcher), then in the issuer universe."""
    out = NameResult()
    if not key:
        return out
    if key in serving.name_overrides:
        identity, via = _firm_identity(serving, serving.name_overrides[key])
        out.hit = Hit("name", key, identity, "override", 1.0, via, {"reason": "an analyst's decision"})
        return out
    if (key, ANY_FIRM) in serving.refused:  # an analyst found it is no registry firm and no Canadian issuer
        return out
    registry = serving.matcher.match_normalized(name, key)
    # A look-alike spelling of a short name ("ROSHELL" for "ROSHEL") is a near miss for an analyst, never a match.
    if (
        registry.firm_id is not None
        and not registry.features.get("look_alike")
        and (key, registry.firm_id) not in serving.refused
    ):
        identity, via = _firm_identity(serving, registry.firm_id)
        out.hit = Hit("name", key, identity, registry.method or "alias", registry.confidence, via, registry.features)
        return out
    universe = serving.universe
    exact = sorted(universe.by_name.get(key, set()))
    refused = {firm for name, firm in serving.refused if name == key}
    exact = [i for i in exact if (universe.issuers[i].firm_id or i) not in refused]
    if len(exact) == 1:
        identity, via = _issuer_identity(serving, exact[0])
        out.hit = Hit("name", key, identity, "alias", 0.97, via, {"reason": "an issuer's name, after normalisation"})
        return out
    if exact:
        out.ambiguous = [_issuer_identity(serving, i)[0] for i in exact]
        return out
    near_registry = [c for c in registry.candidates if (key, c.firm_id) not in serving.refused]
    listed = universe.matcher.match_normalized(name, key)
    if listed.firm_id is not None and not listed.features.get("look_alike") and listed.firm_id not in refused:
        identity, via = _issuer_identity(serving, listed.firm_id)
        out.hit = Hit("name", key, identity, "fuzzy", listed.confidence, via, listed.features)
        return out
    out.near = [_registry_candidate(serving, c) for c in near_registry] + [
        _issuer_candidate(serving, c) for c in listed.candidates
    ]
    return out


def _registry_candidate(serving: ServingSnapshot, c: NameCandidate) -> CandidateInfo:
    parent = serving.parents.get(c.firm_id, c.firm_id)
    entry = serving.firms.get(parent)
    return CandidateInfo(
        firm_id=parent,
        name=entry.name if entry else None,
        confidence=c.confidence,
        resembles=c.alias,
        features=c.features,
    )


def _issuer_candidate(serving: ServingSnapshot, c: NameCandidate) -> CandidateInfo:
    issuer = serving.universe.issuers[c.firm_id]
    return CandidateInfo(
        firm_id=issuer.issuer_id, name=issuer.name, confidence=c.confidence, resembles=c.alias, features=c.features
    )


def _names_of(serving: ServingSnapshot, identity: Identity) -> list[str]:
    names = []
    if identity.issuer_id:
        names.append(serving.universe.issuers[identity.issuer_id].name)
    entry = serving.firms.get(identity.key)
    if entry and entry.name:
        names.append(entry.name)
    return names


def _agrees(serving: ServingSnapshot, identity: Identity, key: str) -> bool:
    """The sent name resembles the decided firm's or issuer's own name (normalised when the snapshot opened)."""
    keys = serving.universe.name_keys
    names = [keys.get(identity.issuer_id or ""), keys.get(identity.key), keys.get(f"firm:{identity.key}")]
    return any(fuzz.token_set_ratio(key, n) >= NAME_AGREEMENT for n in names if n)


def _describe(serving: ServingSnapshot, identity: Identity) -> str:
    names = _names_of(serving, identity)
    return f"{identity.key} ({names[0]})" if names else identity.key


@dataclass(frozen=True)
class Decision:
    """An item's identification: the hit that decided, or why none could."""

    hit: Hit | None
    review: str | None = None
    near: tuple[CandidateInfo, ...] = ()


def identify(serving: ServingSnapshot, item: ScreenItem, index: int, key: str | None, tried: list[str]) -> Decision:
    hits, ambiguous = _identifier_hits(serving, item, index, tried)
    distinct = {h.identity.key: h for h in hits}
    if len(distinct) > 1:
        named = "; ".join(f"{h.decided_by} {h.shown} is {_describe(serving, h.identity)}" for h in distinct.values())
        return Decision(None, f"the item's identifiers name different firms: {named}")
    has_name = bool(item.name and item.name.strip())
    if hits:
        decided = hits[0]
        if has_name and key and not _agrees(serving, decided.identity, key):
            other = _name_hit(serving, item.name or "", key).hit
            if other is not None and other.identity.key != decided.identity.key:
                tried.append(f"name {item.name!r}: {_describe(serving, other.identity)}")
                return Decision(
                    None,
                    f"{decided.decided_by} {decided.shown} is {_describe(serving, decided.identity)} but the name "
                    f"{item.name!r} is {_describe(serving, other.identity)}",
                )
        return Decision(decided)
    if not has_name:
        if ambiguous:
            return Decision(None, "the ticker is listed by several issuers: " + ", ".join(a.key for a in ambiguous))
        return Decision(None)
    found = _name_hit(serving, item.name or "", key)
    if found.hit is not None:
        tried.append(f"name {item.name!r}: {_describe(serving, found.hit.identity)} ({found.hit.method})")
        return Decision(found.hit)
    both = ambiguous + found.ambiguous
    if both:
        tried.append(f"name {item.name!r}: shared by several issuers")
        return Decision(None, "several issuers answer to this item: " + ", ".join(sorted({a.key for a in both})))
    tried.append(f"name {item.name!r}: " + (f"{len(found.near)} near misses" if found.near else "no firm or issuer"))
    if found.near:
        return Decision(None, "no sure match; near misses listed for an analyst", tuple(found.near))
    return Decision(None)


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
    return "pass", f"known and checked: no exposure found in the loaded records{scope}"


# What each research status (COVERAGE.md, issue #11) adds to a coverage statement.
SUBSIDIARY_RESEARCH = {
    "subsidiaries_added": "its U.S. subsidiaries were researched and those found are on file",
    "checked_no_us_subsidiary_found": "its U.S. subsidiaries were researched and none was found",
    "left_out_no_primary_source": (
        "a U.S. subsidiary of it is known but not on file (no primary source names and dates it), so its records "
        "are not checked"
    ),
    "searched_not_settled": "its U.S. subsidiaries were searched for, without a result either way",
    "not_researched": "its U.S. subsidiaries have not been researched",
}


def _coverage(serving: ServingSnapshot, identity: Identity | None) -> Coverage:
    span = serving.universe.span

    def statement(checked: str, **found: str | int | None) -> Coverage:
        return Coverage.model_validate(
            {
                "checked": checked,
                "records_from": span.first,
                "records_to": span.last,
                "agencies": list(span.agencies),
                "snapshot_id": serving.snapshot_id,
                "as_of": serving.snapshot.as_of,
                **found,
            }
        )

    if identity is None:
        return statement("nothing: no firm or issuer was identified")
    listed = serving.universe.issuers.get(identity.issuer_id) if identity.issuer_id else None
    research = listed.subsidiary_research if listed else None
    researched = f"; {SUBSIDIARY_RESEARCH[research]}" if research else ""
    if identity.kind == "issuer":
        issuer = serving.universe.issuers[identity.key]
        checked = (
            f"issuer {issuer.name} ({issuer.primary_exchange}:{issuer.primary_ticker}): its name against "
            f"{span.vendor_names:,} vendor names in the loaded records; no subsidiaries are on file for it{researched}"
        )
        return statement(checked, issuer_id=identity.key, aliases_checked=1, subsidiary_research=research)
    family = [identity.key, *serving.subsidiaries_of(identity.key)]
    aliases = sum(serving.aliases_of.get(f, 0) for f in family)
    checked = (
        f"firm {identity.key}, its {len(family) - 1} known subsidiaries and {aliases} names and aliases, "
        f"with their identifiers, against the loaded records{researched}"
    )
    return statement(
        checked,
        issuer_id=identity.issuer_id,
        firm_id=identity.key if identity.kind == "firm" else None,
        subsidiaries_checked=len(family) - 1,
        aliases_checked=aliases,
        subsidiary_research=research,
    )


def _match_info(serving: ServingSnapshot, hit: Hit) -> MatchInfo:
    identity = hit.identity
    names = _names_of(serving, identity)
    method = hit.method if hit.via_firm_id is None else f"{hit.method}+parent"
    return MatchInfo(
        firm_id=identity.key if identity.kind != "issuer" else None,
        issuer_id=identity.issuer_id,
        name=names[-1] if names else identity.key,
        decided_by=hit.decided_by,
        method=method,
        confidence=hit.confidence,
        features=hit.features,
        matched_on=hit.shown,
        via_firm_id=hit.via_firm_id,
    )


def _answer(
    item: ScreenItem,
    verdict: Verdict,
    reason: str,
    *,
    match: MatchInfo | None = None,
    score: float | None = None,
    tier: Tier | None = None,
    candidates: Sequence[CandidateInfo] = (),
    tried: Sequence[str] = (),
    coverage: Coverage | None = None,
    error: ItemError | None = None,
) -> ScreenResult:
    return ScreenResult(
        ref=item.ref,
        match=match,
        candidates=list(candidates),
        score=score,
        tier=tier,
        verdict=verdict,
        reason=reason,
        tried=list(tried),
        coverage=coverage,
        error=error,
    )


def screen_one(
    serving: ServingSnapshot,
    item: ScreenItem,
    index: int,
    key: str | None,
    policy: ScreenPolicy,
    agencies: list[str] | None,
    methodology: Methodology,
) -> ScreenResult:
    scope = f" (agencies {', '.join(agencies)})" if agencies else ""
    tried: list[str] = []
    if not any((getattr(item, s) or "").strip() for s in (*ITEM_SCHEMES, "name")):
        problem = ItemError(field=f"items[{index}]", detail="no usable field: send a name or an identifier")
        return _answer(item, "error", problem.detail, error=problem)
    try:
        decision = identify(serving, item, index, key, tried)
    except ItemProblem as problem:
        return _answer(item, "error", problem.detail, error=ItemError(field=problem.where, detail=problem.detail))
    hit = decision.hit
    if hit is None:
        nothing = _coverage(serving, None)
        if decision.review:
            return _answer(item, "review", decision.review, candidates=decision.near, tried=tried, coverage=nothing)
        reason = "not covered: no firm in the registry or issuer in the universe matched (" + "; ".join(tried) + ")"
        return _answer(item, "not_covered", reason, tried=tried, coverage=nothing)
    identity = hit.identity
    match = _match_info(serving, hit)
    coverage = _coverage(serving, identity)
    if identity.kind == "unscored":
        reason = (
            f"matched registry firm {identity.key}, which rolls up to no scored Canadian firm: an analyst must decide"
        )
        return _answer(item, "review", reason, match=match, tried=tried, coverage=coverage)
    if identity.kind == "issuer":
        seen = serving.universe.in_records.get(identity.key)
        if seen is not None:
            reason = (
                f"unconfirmed: {seen.records:,} loaded records name a vendor {', '.join(seen.names[:3])}, the "
                "issuer's name; nothing ties them to this issuer yet, so an analyst must confirm or reject"
            )
            return _answer(item, "review", reason, match=match, tried=tried, coverage=coverage)
        queued = serving.universe.queued.get(identity.key)
        if queued is not None:
            reason = (
                f"unconfirmed: the review queue offers {queued.records:,} loaded records of "
                f"{', '.join(queued.names[:3])} as possibly its subsidiary (GET /v1/candidates gives the queue's "
                "reasons); nothing ties them to this issuer yet, so an analyst must confirm or reject"
            )
            return _answer(item, "review", reason, match=match, tried=tried, coverage=coverage)
        reason = f"known issuer, checked: its name appears in none of the loaded records{scope}"
        return _answer(item, "pass", reason, match=match, score=0.0, tier="none", tried=tried, coverage=coverage)
    entry = serving.firms[identity.key]
    score = _exposure(serving, identity.key, agencies, methodology)
    tier = _tier_of(score, methodology) if agencies else entry.summary.tier
    decided, reason = verdict(score, tier, policy, scope)
    return _answer(
        item,
        decided,  # type: ignore[arg-type]
        reason,
        match=match,
        score=score,
        tier=tier,  # type: ignore[arg-type]
        tried=tried,
        coverage=coverage,
    )


def screen(
    serving: ServingSnapshot, items: list[ScreenItem], policy: ScreenPolicy, methodology: Methodology
) -> list[ScreenResult]:
    agencies = resolve_policy_agencies(serving, policy)
    keys = normalize_names([item.name or "" for item in items])
    return [
        screen_one(serving, item, index, key, policy, agencies, methodology)
        for index, (item, key) in enumerate(zip(items, keys, strict=True))
    ]
