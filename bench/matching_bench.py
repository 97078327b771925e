"""Matching: precision and recall on the two labelled sets, and the time to match 10,000 names against the
registry (baseline: the same 10,000 names looked up exactly, normalised, in a dict)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from datasets.catalogue import BUNDLED_DATA
from scoring.evaluation import (
    evaluate_labelled,
    evaluate_leave_one_out,
    read_labelled,
    read_vendor_normalization,
    registry_from_csv,
)
from scoring.matching import NameMatcher
from scoring.normalize import normalize_names

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "fixtures" / "name_eval_usaspending.csv"
GOC = REPO.parent / "shared" / "data" / "real" / "goc_contracts_vendor_normalization.csv"


def run() -> dict[str, float]:
    pairs, parent_of = registry_from_csv(BUNDLED_DATA)
    matcher = NameMatcher(pairs)
    rows = read_labelled(LABELLED)
    first = evaluate_labelled(matcher, parent_of, rows, "USAspending names (labelled, with look-alikes)")
    print("  " + first.summary())
    result = {"usaspending_precision": first.precision, "usaspending_recall": first.recall}
    if GOC.exists():
        second = evaluate_leave_one_out(read_vendor_normalization(GOC), "GoC vendor spellings (leave-one-out)")
        print("  " + second.summary())
        result |= {"goc_precision": second.precision, "goc_recall": second.recall}
    else:
        print(f"  GoC vendor spellings: skipped ({GOC} not found)")

    rng = random.Random(7)
    names = [name for name, _ in rows]
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
    verdicts = [
        ("precision >= 0.99 on both sets", min(first.precision, result.get("goc_precision", 1.0)) >= 0.99),
        ("recall >= 0.95 on both sets", min(first.recall, result.get("goc_recall", 1.0)) >= 0.95),
        ("no name without a Canadian parent attributed to one", first.foreign_to_canadian == 0),
        ("10,000 names in <= 1 s", elapsed <= 1.0),
    ]
    for label, ok in verdicts:
        print(f"    {'PASS' if ok else 'MISS'}  {label}")
    return result | {"seconds_10k": elapsed}
