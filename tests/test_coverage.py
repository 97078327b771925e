"""`datasets/data/COVERAGE.md` (issue #11: which issuers have their U.S. subsidiaries curated) agrees with the
registry: its firm and issuer ids exist, the subsidiaries it lists are exactly the ownership rows under each firm,
with their dates, every listed Canadian parent in `ownership.csv` has a row, and the counts at the top add up."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from datasets.sources.coverage.build import NONE, OUTPUT, STATUSES, markdown_tables, render
from scoring.sectors import DHS_INDUSTRIES
from tests.conftest import REPO

DATA = REPO / "datasets" / "data"
COVERAGE = DATA / "COVERAGE.md"
# `child_firm_id (valid_from)` or `child_firm_id (valid_from to valid_to)`; `—` for an empty valid_from
SUBSIDIARY = re.compile(r"([a-z0-9-]+) \((—|\d{4}-\d{2}-\d{2})(?: to (\d{4}-\d{2}-\d{2}))?\)")


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _tables(path: Path) -> list[list[list[str]]]:
    return [table for _heading, table in markdown_tables(path.read_text(encoding="utf-8"))]


def _issuer_tables() -> list[list[dict[str, str]]]:
    keys = ("issuer", "issuer_id", "firm_id", "status", "subsidiaries", "remarks", "notes")
    found = [table for table in _tables(COVERAGE) if table[0][0].startswith("issuer")]
    assert len(found) == 5, (
        "COVERAGE.md should hold the S&P/TSX 60, DHS-sector, DHS-sector TSX, DHS-sector TSXV/CSE/Cboe and other tables"
    )
    for table in found:
        assert all(len(row) == len(keys) for row in table), f"a row has the wrong number of cells: {table[0]}"
    return [[dict(zip(keys, [*row[:3], row[3].strip("`"), *row[4:]], strict=True)) for row in t[1:]] for t in found]


def _rows() -> list[dict[str, str]]:
    return [row for table in _issuer_tables() for row in table]


def _children() -> dict[str, list[dict[str, str]]]:
    children: dict[str, list[dict[str, str]]] = {}
    for edge in _csv("ownership.csv"):
        children.setdefault(edge["parent_firm_id"], []).append(edge)
    return children


def _descendants(firm_id: str) -> dict[str, tuple[str, str]]:
    """Every firm below `firm_id` in ownership.csv, directly or through intermediate rows, with the dates of its own
    row, as COVERAGE.md writes them."""
    children = _children()
    found: dict[str, tuple[str, str]] = {}
    todo = [firm_id]
    while todo:
        for edge in children.get(todo.pop(), []):
            found[edge["child_firm_id"]] = (edge["valid_from"] or NONE, edge["valid_to"])
            todo.append(edge["child_firm_id"])
    return found


def _listed(cell: str) -> dict[str, tuple[str, str]]:
    if cell == NONE:
        return {}
    listed: dict[str, tuple[str, str]] = {}
    for item in cell.split("; "):
        match = SUBSIDIARY.fullmatch(item)
        assert match, f"subsidiary not written as `child_firm_id (valid_from)`: {item!r}"
        listed[match[1]] = (match[2], match[3] or "")
    return listed


def test_statuses_are_from_the_allowed_set_and_each_issuer_has_one_row() -> None:
    rows = _rows()
    assert {row["status"] for row in rows} <= set(STATUSES)
    names = Counter(row["issuer"] for row in rows)
    ids = Counter(row["issuer_id"] for row in rows if row["issuer_id"] != NONE)
    assert [name for name, n in names.items() if n > 1] == []
    assert [issuer for issuer, n in ids.items() if n > 1] == []


def test_status_counts_at_the_top_match_the_rows() -> None:
    counts = _tables(COVERAGE)[0]
    assert counts[0] == [
        "status",
        "S&P/TSX 60",
        "DHS-sector",
        "DHS-sector TSX",
        "DHS-sector TSXV, CSE, Cboe",
        "other",
        "all",
    ]
    tables = _issuer_tables()
    expected = [[f"`{status}`"] + [str(sum(r["status"] == status for r in t)) for t in tables] for status in STATUSES]
    expected.append(["rows"] + [str(len(t)) for t in tables])
    for line in expected:
        line.append(str(sum(int(n) for n in line[1:])))
    assert counts[1:] == expected


def test_issuer_and_firm_ids_exist_and_agree_with_the_universe() -> None:
    firms = {firm["firm_id"] for firm in _csv("firms.csv")}
    issuers = {issuer["issuer_id"]: issuer["firm_id"] or NONE for issuer in _csv("issuers.csv")}
    for row in _rows():
        assert row["firm_id"] == NONE or row["firm_id"] in firms, row["issuer"]
        if row["issuer_id"] != NONE:
            assert row["issuer_id"] in issuers, row["issuer"]
            assert issuers[row["issuer_id"]] == row["firm_id"], f"{row['issuer']}: issuers.csv links another firm"


def test_listed_subsidiaries_have_an_ownership_path_with_the_same_dates() -> None:
    for row in _rows():
        listed = _listed(row["subsidiaries"])
        assert bool(listed) == (row["status"] == "subsidiaries_added"), f"{row['issuer']}: status and list disagree"
        below = _descendants(row["firm_id"])
        for child, dates in listed.items():
            assert child in below, f"{row['issuer']}: {child} has no ownership path to {row['firm_id']}"
            assert dates == below[child], f"{row['issuer']}: {child} is dated {below[child]} in ownership.csv"


def test_every_ownership_row_under_a_listed_firm_is_in_the_table() -> None:
    for row in _rows():
        if row["status"] == "subsidiaries_added":
            missing = set(_descendants(row["firm_id"])) - set(_listed(row["subsidiaries"]))
            assert missing == set(), f"{row['issuer']}: add {sorted(missing)} to COVERAGE.md"


def test_every_tsx_listed_canadian_parent_in_ownership_has_a_row() -> None:
    firms = {firm["firm_id"]: firm for firm in _csv("firms.csv")}
    on_tsx = {i["firm_id"] for i in _csv("firm_identifiers.csv") if i["scheme"] == "ticker" and i["exchange"] == "TSX"}
    parents = {edge["parent_firm_id"] for edge in _csv("ownership.csv")}
    canadian_public = {
        firm_id
        for firm_id in parents & on_tsx
        if firms[firm_id]["country_code"] == "CAN" and firms[firm_id]["listing_status"] == "public"
    }
    assert canadian_public - {row["firm_id"] for row in _rows()} == set()


def test_every_listed_issuer_of_a_dhs_sector_has_a_row() -> None:
    in_table = {row["issuer_id"] for row in _rows()}
    missing = [
        issuer["issuer_id"]
        for issuer in _csv("issuers.csv")
        if issuer["industry"] in DHS_INDUSTRIES and issuer["status"] == "listed"
    ]
    assert sorted(set(missing) - in_table) == []


def test_every_pointer_to_curation_notes_is_defined() -> None:
    text = COVERAGE.read_text(encoding="utf-8")
    defined = set(re.findall(r"`([a-z0-9-]+)` =\s+\*", text))
    used = {key.strip() for row in _rows() for key in row["notes"].split(";")} - {NONE}
    assert sorted(used - defined) == []


def test_the_research_status_file_the_store_loads_is_written_from_this_table() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == render(COVERAGE.read_text(encoding="utf-8")), (
        "datasets/data/issuer_research.csv is stale: run `python -m datasets.sources.coverage.build`"
    )
    written = {row["issuer_id"]: row["research_status"] for row in _csv(OUTPUT.name)}
    assert written == {row["issuer_id"]: row["status"] for row in _rows()}
