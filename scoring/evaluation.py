"""Measuring the name matcher on labelled sets: precision, recall, and the mistakes behind them.

Two sets: real USAspending recipient and parent names, each labelled with its Canadian parent or none
(look-alike traps included); and Canadian federal vendor spellings grouped by firm (English and French
forms, typos), scored leave-one-out: each spelling must find its firm among the others.

The federal file groups more than spellings under a "parent": dealerships under the carmaker, resellers under
the brand they resell, joint ventures, firms bought under another name. A seeded random sample of it was
audited by hand, blind to the matcher, row by row: a `variant` is the same firm written differently and must be
attributed to its group; a `related` entity must not be attributed by name. The whole file is also scored
with its own labels, for comparison.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from scoring.matching import NameMatcher
from scoring.normalize import normalize_names
from scoring.rollup import ultimate_canadian_parents


@dataclass
class Metrics:
    name: str
    true_positive: int = 0
    false_positive: int = 0  # attributed to the wrong firm, or attributed when the label is none
    false_negative: int = 0  # a labelled firm left unattributed
    true_negative: int = 0
    foreign_to_canadian: int = 0  # labelled none, attributed to a firm anyway
    mistakes: list[tuple[str, str, str]] = field(default_factory=list)  # (name, expected, got)
    negatives_attributed_label: str = "names with no Canadian parent attributed to one"

    @property
    def precision(self) -> float:
        attributed = self.true_positive + self.false_positive
        return self.true_positive / attributed if attributed else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0

    def record(self, name: str, expected: str | None, got: str | None) -> None:
        if got is None and expected is None:
            self.true_negative += 1
        elif got is None:
            self.false_negative += 1
            self.mistakes.append((name, expected or "", ""))
        elif got == expected:
            self.true_positive += 1
        else:
            self.false_positive += 1
            self.foreign_to_canadian += expected is None
            self.mistakes.append((name, expected or "", got))

    def summary(self) -> str:
        return (
            f"{self.name}: precision {self.precision:.4f}, recall {self.recall:.4f} "
            f"(tp {self.true_positive}, fp {self.false_positive}, fn {self.false_negative}, tn {self.true_negative}); "
            f"{self.negatives_attributed_label}: {self.foreign_to_canadian}"
        )


def registry_from_csv(data_dir: Path) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The bundled registry's (firm, name) pairs and each firm's Canadian parent."""
    firms = pl.read_csv(data_dir / "firms.csv", infer_schema=False)
    aliases = pl.read_csv(data_dir / "firm_aliases.csv", infer_schema=False)
    ownership = pl.read_csv(data_dir / "ownership.csv", infer_schema=False).with_columns(
        pl.col("share").cast(pl.Float64)
    )
    pairs = [(r["firm_id"], r["alias"]) for r in aliases.iter_rows(named=True)]
    pairs += [(r["firm_id"], r["name"]) for r in firms.iter_rows(named=True)]
    rolled = ultimate_canadian_parents(
        firms.select("firm_id", "country_code", "listing_status").lazy(), ownership.lazy(), {"joint_venture": 0.5}
    ).collect()
    # A firm credited to several Canadian firms (a listed subsidiary and its parent) names the nearest one.
    nearest_last = rolled.sort(pl.col("path").list.len(), descending=True)
    parent_of = {r["firm_id"]: r["parent_id"] for r in nearest_last.iter_rows(named=True)}
    return pairs, parent_of


def evaluate_labelled(
    matcher: NameMatcher, parent_of: dict[str, str], rows: Iterable[tuple[str, str | None]], name: str
) -> Metrics:
    labelled = list(rows)
    metrics = Metrics(name)
    for (query, expected), match in zip(labelled, matcher.match_many([q for q, _ in labelled]), strict=True):
        got = parent_of.get(match.firm_id) if match.firm_id else None
        metrics.record(query, expected or None, got)
    return metrics


def read_labelled(path: Path) -> list[tuple[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["name"], row["expected_parent"] or None) for row in csv.DictReader(handle)]


class LeaveOneOut:
    """A registry of (firm, spelling) pairs plus each firm's own name, where any one spelling can be matched
    with itself hidden (unless another row spells it the same way)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        firms = {firm for firm, _ in pairs}
        registry = [*pairs, *((firm, firm) for firm in firms)]
        self._keys = normalize_names([spelling for _, spelling in registry])
        self._occurrences = Counter(self._keys)
        self._matcher = NameMatcher(registry)

    def match(self, index: int) -> str | None:
        """The firm the index-th spelling is attributed to, with that spelling hidden."""
        key = self._keys[index]
        hide = key if key is not None and self._occurrences[key] == 1 else None
        return self._matcher.match_normalized(self.pairs[index][1], key, exclude=hide).firm_id


def evaluate_leave_one_out(pairs: list[tuple[str, str]], name: str) -> Metrics:
    """pairs: (firm, spelling). Each spelling is matched with itself hidden from the registry."""
    registry = LeaveOneOut(pairs)
    metrics = Metrics(name)
    for index, (firm, spelling) in enumerate(pairs):
        metrics.record(spelling, firm, registry.match(index))
    return metrics


def read_vendor_normalization(path: Path) -> list[tuple[str, str]]:
    return list(read_vendor_normalization_lines(path).values())


@dataclass(frozen=True)
class AuditedSpelling:
    line: int  # the line in the vendor-normalisation file (header is line 1)
    company_name: str
    relation: str  # variant | related | unclear
    note: str


def read_audit(path: Path) -> list[AuditedSpelling]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            AuditedSpelling(int(row["line"]), row["company_name"], row["relation"], row["note"])
            for row in csv.DictReader(handle)
        ]


def read_vendor_normalization_lines(path: Path) -> dict[int, tuple[str, str]]:
    """Each (parent, spelling) by its line in the file (the header is line 1; no field spans lines), so audit
    labels can point at rows without copying the file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return {line: (row["parent_company"], row["company_name"]) for line, row in enumerate(rows, start=2)}


def evaluate_audited_sample(
    by_line: dict[int, tuple[str, str]], audit: list[AuditedSpelling], name: str
) -> tuple[Metrics, int]:
    """Leave-one-out against the whole file, scored on the audited rows only: variants must find their group,
    related entities must find nothing. Returns the metrics and the number of rows left out as unclear."""
    for item in audit:
        if by_line.get(item.line, ("", ""))[1] != item.company_name:
            raise ValueError(f"line {item.line} of the vendor file is not {item.company_name!r}: the file has changed")
    registry = LeaveOneOut(list(by_line.values()))
    index_of_line = {line: index for index, line in enumerate(by_line)}
    metrics = Metrics(name, negatives_attributed_label="related entities attributed by name")
    unclear = 0
    for item in audit:
        if item.relation not in ("variant", "related"):
            unclear += 1
            continue
        firm, spelling = by_line[item.line]
        metrics.record(spelling, firm if item.relation == "variant" else None, registry.match(index_of_line[item.line]))
    return metrics, unclear


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval for a proportion measured on a sample."""
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))
