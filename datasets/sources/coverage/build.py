"""Write `datasets/data/issuer_research.csv` from the issuer tables of `datasets/data/COVERAGE.md`: one row per
issuer with the research status of its U.S. subsidiaries, the table that holds it and the CURATION_NOTES sections
behind it. COVERAGE.md is where curators write; run this after editing it:

    python -m datasets.sources.coverage.build

Deterministic (rows sorted by issuer_id), so `tests/test_coverage.py` can check the file is current."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"
COVERAGE = DATA / "COVERAGE.md"
OUTPUT = DATA / "issuer_research.csv"
COLUMNS = ("issuer_id", "research_status", "coverage_table", "curation_notes")
STATUSES = (
    "subsidiaries_added",
    "checked_no_us_subsidiary_found",
    "left_out_no_primary_source",
    "searched_not_settled",
    "not_researched",
)
NONE = "—"


def markdown_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """Each markdown table with the `## ` heading above it: its rows of cells, header first, the |---| line dropped."""
    tables: list[tuple[str, list[list[str]]]] = []
    heading, current = "", []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= {"-"} for cell in cells):
                current.append(cells)
            continue
        if current:
            tables.append((heading, current))
            current = []
        if line.startswith("## "):
            heading = line[3:].strip()
    return tables


def research_rows(text: str) -> list[dict[str, str]]:
    """One row per issuer of COVERAGE.md's issuer tables (those whose header opens with `issuer`)."""
    rows: list[dict[str, str]] = []
    for heading, table in markdown_tables(text):
        if not table[0][0].startswith("issuer"):
            continue
        for cells in table[1:]:
            issuer_id, status, notes = cells[1], cells[3].strip("`"), cells[-1]
            if issuer_id == NONE:
                continue
            rows.append(
                {
                    "issuer_id": issuer_id,
                    "research_status": status,
                    "coverage_table": heading,
                    "curation_notes": "" if notes == NONE else notes,
                }
            )
    return sorted(rows, key=lambda row: row["issuer_id"])


def render(text: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(research_rows(text))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    del argv
    OUTPUT.write_text(render(COVERAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(DATA.parent.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
