"""Fuzzy name matching against the registry, explained: candidate blocking on distinctive tokens, rapidfuzz
similarity, and a decision that says which features carried it.

A name is attributed only when the evidence is strong: the same name after normalisation, a near-identical
spelling (a typo, a lost space), every distinctive word of a registry name present with nothing else but
generic words ("CGI FEDERAL SERVICES" for "CGI FEDERAL"), the registry name opening a longer name when it is
not a lone ordinary word ("STANTEC ARCHITECTURE"), or the registry name cut short ("MAPLE REINDERS"). Never
a joint venture or reseller named after a firm, nor a name that spells out two registry firms. Anything
weaker comes back as candidates, never as a match.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pycountry
from rapidfuzz import fuzz, process
from wordfreq import zipf_frequency

from scoring.normalize import normalize_names

# Words that say nothing about which firm it is: a registry name plus these is still that firm.
CORPORATE_WORDS = frozenset(
    [
        "FEDERAL",
        "GOVERNMENT",
        "GOVT",
        "PUBLIC",
        "SECTOR",
        "SERVICES",
        "SERVICE",
        "SOLUTIONS",
        "SYSTEMS",
        "GROUP",
        "HOLDINGS",
        "HOLDING",
        "ENTERPRISES",
        "ENTERPRISE",
        "TECHNOLOGIES",
        "TECHNOLOGY",
        "TECH",
        "INTERNATIONAL",
        "GLOBAL",
        "WORLDWIDE",
        "OF",
        "IN",
        "AND",
        "THE",
        "DE",
        "DU",
        "DES",
        "LA",
        "LE",
        "LES",
        "ET",
        "DIVISION",
        "DIV",
        "OFFICE",
        "BRANCH",
        "UNIT",
        "LIMIT",
        "DEPT",
        "DEPARTMENT",
        "HQ",
        "HEADQUARTERS",
    ]
)
# Places: generic when added to a registry name ("RANDSTAD CANADA"), distinctive inside one
# ("GOVERNMENT OF ALBERTA" is not "GOVERNMENT OF SASKATCHEWAN").
PLACE_WORDS = frozenset(
    [
        "USA",
        "US",
        "U",
        "S",
        "AMERICA",
        "AMERICAS",
        "NORTH",
        "CANADA",
        "CANADIAN",
        "OTTAWA",
        "TORONTO",
        "MONTREAL",
        "VANCOUVER",
        "CALGARY",
        "EDMONTON",
        "WINNIPEG",
        "QUEBEC",
        "ONTARIO",
        "ALBERTA",
        "HALIFAX",
        "VICTORIA",
        "NOVA",
        "SCOTIA",
        "NEW",
        "BRUNSWICK",
        "NEWFOUNDLAND",
        "LABRADOR",
        "MANITOBA",
        "SASKATCHEWAN",
        "BRITISH",
        "COLUMBIA",
        "PRINCE",
        "EDWARD",
        "ISLAND",
        "YUKON",
        "NUNAVUT",
        "NORTHWEST",
        "TERRITORIES",
        "REGINA",
        "SASKATOON",
        "HAMILTON",
        "KINGSTON",
        "LONDON",
        "GATINEAU",
        "UK",
        "ENGLAND",
        "BRITAIN",
        "IRELAND",
        "FRANCE",
        "GERMANY",
        "DEUTSCHLAND",
        "EUROPE",
        "NETHERLANDS",
        "BELGIUM",
        "SWITZERLAND",
        "ITALY",
        "SPAIN",
        "SWEDEN",
        "NORWAY",
        "DENMARK",
        "FINLAND",
        "AUSTRALIA",
        "ZEALAND",
        "JAPAN",
        "CHINA",
        "INDIA",
        "ASIA",
        "PACIFIC",
        "MEXICO",
        "BRASIL",
        "BRAZIL",
        "LATIN",
        "AFRICA",
        "MIDDLE",
        "EAST",
        "MENA",
    ]
)
# U.S. states and words naming a place's kind: "KANSAS CITY" in a railway's name does not make
# "CITY OF KANSAS CITY" that railway.
US_PLACE_WORDS = frozenset(
    word
    for state in pycountry.subdivisions
    if state.country_code == "US"
    for word in state.name.upper().replace(",", " ").split()
) | frozenset(["CITY", "COUNTY", "STATE", "STATES", "UNITED", "TOWN", "VILLAGE", "DISTRICT", "OF"])
GENERIC_WORDS = CORPORATE_WORDS | PLACE_WORDS | US_PLACE_WORDS
ACCEPT = 0.90  # attributed at or above
CANDIDATE = 0.75  # shown as a candidate at or above
TYPO_RATIO = 92  # whole-name character similarity that counts as the same name misspelt
TOKEN_TYPO_RATIO = 88  # two words this similar (and 5+ letters) count as the same word
MIN_TYPO_WORD = 5
ORDINARY_WORD_ZIPF = 3.0  # a word more frequent than this (about 1 per million words) is an ordinary word
# Words that make a name a joint venture or a resale: a partner's or a brand's name inside it is not that firm.
PARTY_WORDS = frozenset(["JV", "CONSORTIUM", "GROUPEMENT", "COENTREPRISE", "RESELLER", "REVENDEUR"])

FIRST_CUT = 50  # token-set similarity below which a registry name is not compared in detail
MAX_DETAILED = 25  # registry names compared in detail per query, after a fast first cut


@lru_cache(maxsize=4096)
def is_ordinary_word(word: str) -> bool:
    """An everyday English or French word or a common surname ("SHARP", "THOMSON", "TOYOTA"), as opposed to a
    coined name ("STANTEC", "HOOTSUITE"): alone, it cannot say which firm a longer name belongs to."""
    lower = word.lower()
    return max(zipf_frequency(lower, "en"), zipf_frequency(lower, "fr")) >= ORDINARY_WORD_ZIPF


@dataclass(frozen=True)
class NameCandidate:
    firm_id: str
    alias: str  # the registry name (normalised) it resembles
    confidence: float
    features: dict[str, float | bool | str]


@dataclass(frozen=True)
class NameMatch:
    query: str
    normalized: str | None
    firm_id: str | None  # set only when attributed
    method: str | None  # alias | fuzzy
    confidence: float
    features: dict[str, float | bool | str] = field(default_factory=dict)
    candidates: tuple[NameCandidate, ...] = ()


class NameMatcher:
    """Built once from (firm_id, name) pairs; matches thousands of names per second."""

    def __init__(self, names: Iterable[tuple[str, str]], exact_only: Iterable[str] = ()) -> None:
        """`exact_only`: firms whose names are also other businesses' ("FORTIS CONSTRUCTION" is not Fortis Inc.):
        only an exact name attributes to them; a longer or respelt name is offered as a candidate, never taken."""
        self.exact_only = frozenset(exact_only)
        pairs = [(firm_id, name) for firm_id, name in names if name]
        keys = normalize_names([name for _firm, name in pairs])
        claims: dict[str, set[str]] = defaultdict(set)
        for (firm_id, _name), key in zip(pairs, keys, strict=True):
            if key:
                claims[key].add(firm_id)
        # A name two firms share identifies neither.
        self.aliases: dict[str, str] = {key: next(iter(f)) for key, f in claims.items() if len(f) == 1}
        self.ambiguous: frozenset[str] = frozenset(key for key, f in claims.items() if len(f) > 1)
        self._tokens: dict[str, tuple[str, ...]] = {key: tuple(key.split()) for key in self.aliases}
        frequency: dict[str, int] = defaultdict(int)
        for tokens in self._tokens.values():
            for token in set(tokens):
                frequency[token] += 1
        total = max(1, len(self._tokens))
        self._idf = {token: math.log(1 + total / count) for token, count in frequency.items()}
        self._by_token: dict[str, set[str]] = defaultdict(set)
        self._by_prefix: dict[str, set[str]] = defaultdict(set)
        for key, tokens in self._tokens.items():
            for token in tokens:
                if token not in CORPORATE_WORDS:
                    self._by_token[token].add(key)
            if tokens:
                self._by_prefix[tokens[0][:4]].add(key)
        self._long_words: dict[int, list[str]] = defaultdict(list)  # by length: near spellings have near lengths
        for token in frequency:
            if len(token) >= MIN_TYPO_WORD:
                self._long_words[len(token)].append(token)
        self._equivalents: dict[str, frozenset[str]] = {}
        # Scoring asks about the same vendor names twice (attribution, then the review queue): answer once.
        self._matched: dict[str, NameMatch] = {}

    def _block(self, tokens: Sequence[str]) -> set[str]:
        """Registry names sharing a distinctive word, or the first four letters of the first word."""
        found: set[str] = set()
        # Place words block only when the name has nothing else: "CANADA" alone would pull in half the registry.
        words = [t for t in tokens if t not in GENERIC_WORDS] or [t for t in tokens if t not in CORPORATE_WORDS]
        for token in words:
            found |= self._by_token.get(token, set())
        if tokens:
            found |= self._by_prefix.get(tokens[0][:4], set())
        return found

    def _same_words(self, word: str) -> frozenset[str]:
        """The registry words that count as this word: itself, and for longer words their near spellings."""
        found = self._equivalents.get(word)
        if found is None:
            near: list[str] = []
            if len(word) >= MIN_TYPO_WORD:
                # ratio = 2 * matches / (len a + len b) >= 0.88 needs lengths within about a quarter of each other
                spread = len(word) // 4 + 1
                pool = [
                    t for n in range(len(word) - spread, len(word) + spread + 1) for t in self._long_words.get(n, ())
                ]
                near = [
                    hit[0]
                    for hit in process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=TOKEN_TYPO_RATIO, limit=None)
                ]
            found = frozenset([word, *near])
            self._equivalents[word] = found
        return found

    def _score(
        self, query: str, q_tokens: Sequence[str], q_words: Sequence[frozenset[str]], alias: str
    ) -> NameCandidate:
        """q_words: for each query word, the registry words that count as it (typos included)."""
        a_tokens = self._tokens[alias]
        a_set = frozenset(a_tokens)
        char = fuzz.ratio(query, alias)
        token_set = fuzz.token_set_ratio(query, alias)
        # Places count as distinctive only in names made of places ("GOVERNMENT OF ALBERTA").
        distinctive = [t for t in a_tokens if t not in GENERIC_WORDS] or [
            t for t in a_tokens if t not in CORPORATE_WORDS
        ]
        present = frozenset().union(*q_words)
        covered = [t for t in distinctive if t in present]
        extra = [q for q, same in zip(q_tokens, q_words, strict=True) if not same & a_set]
        extra_generic = all(q in GENERIC_WORDS for q in extra)
        weight = sum(self._idf.get(t, 1.0) for t in distinctive) or 1.0
        coverage = sum(self._idf.get(t, 1.0) for t in covered) / weight
        # A joint venture or a reseller named after a registry firm is another party, not that firm.
        other_party = any(q in PARTY_WORDS for q in q_tokens) and not any(a in PARTY_WORDS for a in a_tokens)
        contained = bool(distinctive) and len(covered) == len(distinctive) and extra_generic and not other_party
        # Containment needs the extra words to be generic: "THOMSON" in "KATHERINE J THOMSON" is not enough,
        # and a very short registry name ("AB") only counts on its own.
        strong_containment = contained and (len(alias) >= 3 or not extra)
        opening = all(a in same for a, same in zip(a_tokens, q_words, strict=False))
        # The registry name opens the query, word for word and spelt the same, and other words qualify it:
        # "SIEMENS HEALTHCARE DIAGNOSTICS" (not "KATHERINE J THOMSON"; a lone ordinary word is checked below).
        # A look-alike spelling of the name ("ROSHELL TRANSPORT" for "ROSHEL") is another firm until shown.
        opening_exactly = len(q_tokens) > len(a_tokens) and tuple(q_tokens[: len(a_tokens)]) == tuple(a_tokens)
        # A name of three letters or fewer ("CAE") opening a longer one ("CAE HEALTHCARE", sold in 2023) is
        # too thin to say which business it is: ownership data, not the name, decides those.
        leading = bool(distinctive) and opening_exactly and not other_party and len(alias.replace(" ", "")) > 3
        # The query is the registry name cut short ("MAPLE REINDERS" for "MAPLE REINDERS CONSTRUCTORS").
        truncated = (
            len(q_tokens) < len(a_tokens)
            and opening
            and sum(q not in GENERIC_WORDS for q in q_tokens) >= 2
            and not other_party
        )
        compact = fuzz.ratio(query.replace(" ", ""), alias.replace(" ", ""))
        respelt = [t for t in distinctive if t not in q_tokens]
        # A short name with a distinctive word spelt differently ("ROSHELL" for "ROSHEL") may be another firm;
        # a typo beside two distinctive words spelt right ("THOMSON REUTER SPECIAL") is still that firm.
        look_alike = respelt and len(distinctive) - len(respelt) < 2 and compact < 100
        if char >= TYPO_RATIO or compact >= TYPO_RATIO:
            char = max(char, compact)
            confidence = 0.90 + (char - TYPO_RATIO) / (100 - TYPO_RATIO) * 0.06
            reason = "near-identical spelling"
        elif strong_containment:
            confidence = 0.92 - 0.01 * len(extra)
            reason = "every distinctive word present, only generic words added"
        elif leading and (len(a_tokens) >= 2 or not is_ordinary_word(alias)):
            confidence = 0.90 + 0.02 * len(alias) / len(query)
            reason = "registry name opens the name, qualified by other words"
        elif truncated:
            confidence = 0.90
            reason = "name cut short: the registry name's opening words, two or more of them distinctive"
        else:
            confidence = min(0.89, 0.5 * token_set / 100 + 0.4 * coverage)
            reason = "partial resemblance"
        features: dict[str, float | bool | str] = {
            "char_ratio": round(char, 1),
            "token_set_ratio": round(token_set, 1),
            "distinctive_coverage": round(coverage, 3),
            "extra_words": " ".join(extra),
            "reason": reason,
            # Set when the name matched only through a respelt distinctive word: attribution needs corroboration.
            "look_alike": bool(look_alike) and reason == "near-identical spelling",
        }
        return NameCandidate(self.aliases[alias], alias, round(confidence, 3), features)

    def _names_another_firm(self, top: NameCandidate, others: Sequence[NameCandidate]) -> bool:
        """True when the words the top match leaves over spell out another registry firm in full:
        "CARAHSOFT TECHNOLOGY ADOBE" and "DONNA CONA C O NORTHERN MICRO" name two firms, so neither is attributed."""
        extra = str(top.features.get("extra_words", "")).split()
        if not extra:
            return False
        present = frozenset().union(*(self._same_words(e) for e in extra))
        for other in others:
            distinctive = [t for t in self._tokens[other.alias] if t not in GENERIC_WORDS]
            if distinctive and all(t in present for t in distinctive):
                return True
        return False

    def match_normalized(self, query: str, key: str | None, exclude: str | None = None) -> NameMatch:
        """Match one normalised name. `exclude` hides one registry name (leave-one-out evaluation)."""
        if not key:
            return NameMatch(query, key, None, None, 0.0)
        if key in self.aliases and key != exclude:
            return NameMatch(query, key, self.aliases[key], "alias", 0.97, {"reason": "same name after normalisation"})
        if key in self.ambiguous:
            return NameMatch(query, key, None, None, 0.0, {"reason": "name shared by several registry firms"})
        tokens = key.split()
        # Sorted, so that ties at the first cut fall the same way in every run (sets iterate in hash order).
        block = sorted(alias for alias in self._block(tokens) if alias != exclude)
        # A fast first cut keeps the closest few for the detailed (slower) comparison.
        block = [
            hit[0]
            for hit in process.extract(
                key, block, scorer=fuzz.token_set_ratio, limit=MAX_DETAILED, score_cutoff=FIRST_CUT
            )
        ]
        q_words = [self._same_words(token) for token in tokens]
        scored = sorted(
            (self._score(key, tokens, q_words, alias) for alias in block), key=lambda c: (-c.confidence, c.alias)
        )
        best_by_firm: dict[str, NameCandidate] = {}
        for candidate in scored:
            best_by_firm.setdefault(candidate.firm_id, candidate)
        ranked = [c for c in best_by_firm.values() if c.confidence >= CANDIDATE][:5]
        if ranked and ranked[0].confidence >= ACCEPT:
            top = ranked[0]
            # The most specific registry name wins ("CGI FEDERAL" over "CGI" for "CGI FEDERAL SERVICES");
            # two firms equally plausible: attribute to neither.
            rivals = [c for c in ranked[1:] if c.confidence >= top.confidence]
            if not rivals and not self._names_another_firm(top, ranked[1:]) and top.firm_id not in self.exact_only:
                return NameMatch(
                    query,
                    key,
                    top.firm_id,
                    "fuzzy",
                    top.confidence,
                    {**top.features, "alias": top.alias},
                    tuple(ranked),
                )
        return NameMatch(query, key, None, None, ranked[0].confidence if ranked else 0.0, {}, tuple(ranked))

    def match_many(self, queries: Sequence[str]) -> list[NameMatch]:
        fresh = [q for q in dict.fromkeys(queries) if q not in self._matched]
        for query, key in zip(fresh, normalize_names(fresh), strict=True):
            self._matched[query] = self.match_normalized(query, key)
        return [self._matched[query] for query in queries]
