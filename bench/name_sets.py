"""The sets the name matcher is measured on (described in `scoring.evaluation`), and each measurement taken on
them: the tests assert the targets, the matching benchmark prints the figures."""

from __future__ import annotations

from pathlib import Path

from scoring.evaluation import (
    Metrics,
    evaluate_audited_sample,
    evaluate_labelled,
    evaluate_leave_one_out,
    read_audit,
    read_labelled,
    read_vendor_normalization,
    read_vendor_normalization_lines,
)
from scoring.matching import NameMatcher

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "fixtures" / "name_eval_usaspending.csv"
AUDIT = REPO / "tests" / "fixtures" / "goc_vendor_audit.csv"
# Public, but not bundled: the GoC measurements are taken only where ../shared provides the file.
GOC = REPO.parent / "shared" / "data" / "real" / "goc_contracts_vendor_normalization.csv"


def labelled_usaspending_names(matcher: NameMatcher, parent_of: dict[str, str], name: str) -> Metrics:
    """The matcher on real USAspending names labelled with their Canadian parent or none."""
    return evaluate_labelled(matcher, parent_of, read_labelled(LABELLED), name)


def audited_goc_spellings(name: str) -> tuple[Metrics, int]:
    """The hand-audited sample of the GoC vendor file, and how many of its rows were left unclear."""
    return evaluate_audited_sample(read_vendor_normalization_lines(GOC), read_audit(AUDIT), name)


def goc_own_grouping(name: str) -> Metrics:
    """The whole GoC vendor file, leave-one-out, against its own grouping."""
    return evaluate_leave_one_out(read_vendor_normalization(GOC), name)
