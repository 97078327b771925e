"""Matching: precision and recall on the two labelled sets, and the time to match 10,000 names against the
registry (baseline: the same 10,000 names looked up exactly, normalised, in a dict)."""

from __future__ import annotations

import random
import time

from bench.name_sets import GOC, LABELLED, audited_goc_spellings, goc_own_grouping, labelled_usaspending_names
from datasets.catalogue import BUNDLED_DATA
from scoring.evaluation import read_labelled, read_vendor_normalization, registry_from_csv, wilson_interval
from scoring.matching import NameMatcher
from scoring.normalize import normalize_names


def run() -> dict[str, float]:
    pairs, parent_of = registry_from_csv(BUNDLED_DATA)
    matcher = NameMatcher(pairs)
    first = labelled_usaspending_names(matcher, parent_of, "USAspending names (labelled, with look-alikes)")
    print("  " + first.summary())
    result = {"usaspending_precision": first.precision, "usaspending_recall": first.recall}
    if GOC.exists():
        second, unclear = audited_goc_spellings("GoC vendor spellings, audited sample")
        print("  " + second.summary())
        attributed = second.true_positive + second.false_positive
        expected = second.true_positive + second.false_negative
        p_low, p_high = wilson_interval(second.true_positive, attributed)
        r_low, r_high = wilson_interval(second.true_positive, expected)
        print(
            f"    95% intervals: precision {p_low:.3f}-{p_high:.3f}, recall {r_low:.3f}-{r_high:.3f}; "
            f"unclear rows left out: {unclear}"
        )
        for spelling, expected_firm, got in second.mistakes:
            print(f"    mistake: {spelling!r} expected {expected_firm or 'none'!r}, got {got or 'none'!r}")
        whole = goc_own_grouping("GoC vendor file, its own grouping")
        print("  " + whole.summary() + "  (for comparison: counts dealerships, resellers and JVs as misses)")
        result |= {
            "goc_precision": second.precision,
            "goc_recall": second.recall,
            "goc_related_attributed": second.foreign_to_canadian,
        }
    else:
        print(f"  GoC vendor spellings: skipped ({GOC} not found)")

    rng = random.Random(7)
    names = [name for name, _ in read_labelled(LABELLED)]
    queries = [rng.choice(names) for _ in range(10_000)]
    start = time.perf_counter()
    exact = dict.fromkeys(k for k in normalize_names([n for _, n in pairs]) if k)
    hits = sum(1 for key in normalize_names(queries) if key in exact)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    matched = sum(1 for m in matcher.match_many(queries) if m.firm_id)
    elapsed = time.perf_counter() - start
    print(
        f"  10,000 names: matcher {elapsed:.3f} s ({matched:,} attributed); exact dict lookup {baseline:.3f} s "
        f"({hits:,} hits); ratio {elapsed / baseline:.1f}x"
    )
    large = 0.0
    if GOC.exists():  # a registry of 7,000 names: the matcher's blocking, not the registry's size, sets the pace
        spellings = read_vendor_normalization(GOC)
        big = NameMatcher([*spellings, *((firm, firm) for firm, _ in spellings)])
        typos = [_typo(rng, spelling) for _, spelling in (rng.choice(spellings) for _ in range(10_000))]
        start = time.perf_counter()
        matched = sum(1 for m in big.match_many(typos) if m.firm_id)
        large = time.perf_counter() - start
        print(f"  10,000 misspelt names vs the 7,000-name GoC registry: {large:.3f} s ({matched:,} attributed)")
    verdicts = [
        ("precision >= 0.99 on both sets", min(first.precision, result.get("goc_precision", 1.0)) >= 0.99),
        ("recall >= 0.95 on both sets", min(first.recall, result.get("goc_recall", 1.0)) >= 0.95),
        ("no name without a Canadian parent attributed to one", first.foreign_to_canadian == 0),
        ("10,000 names in <= 1 s against the bundled registry", elapsed <= 1.0),
    ]
    for label, ok in verdicts:
        print(f"    {'PASS' if ok else 'MISS'}  {label}")
    return result | {"seconds_10k": elapsed}


def _typo(rng: random.Random, name: str) -> str:
    """One letter swapped with its neighbour, as clerks do."""
    if len(name) < 4:
        return name
    i = rng.randrange(len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
