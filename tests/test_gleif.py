"""GLEIF loaders: LEI-CDF entities and RR-CDF relationships with the real column names feed the registry."""

from __future__ import annotations

from pathlib import Path

import duckdb

from datasets.catalogue import KINDS
from datasets.db import scalar
from datasets.ingest import CsvInput, load_file
from datasets.sources.gleif.load import ENTITIES, RELATIONSHIPS
from datasets.store import load_bundled
from tests.conftest import write_csv

# The columns the loaders know, plus one of the many they do not (which a real golden copy carries).
LEI_HEADER = [*ENTITIES.known_columns, "Entity.EntityCategory"]
RR_HEADER = list(RELATIONSHIPS.known_columns)
# Fictional LEIs with valid ISO 17442 check digits.
PARENT, CHILD, US_SUB, GONE = (
    "5299000J2N45DDNE4Y28",
    "549300A1B2C3D4E5F682",
    "549300ZZZZZZZZZZZZ54",
    "549300QQQQQQQQQQQQ31",
)


def _load(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    report = load_file(con, CsvInput(path, path.name), KINDS)
    assert report.balanced and report.rows_quarantined == 0, report


def test_entities_and_relationships_feed_firms_identifiers_and_ownership(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_bundled(con)
    con.execute(
        "INSERT INTO firm_identifiers VALUES ('lei|' || ? || '|', 'cgi', 'lei', ?, NULL, 'https://x', 'h', NULL, NULL)",
        [PARENT, PARENT],
    )
    entities = write_csv(
        tmp_path / "lei-cdf.csv",
        LEI_HEADER,
        [
            [PARENT, "CGI INC.", "CA-QC", "CA", "CA", "ACTIVE", "ISSUED", "GENERAL"],
            [CHILD, "Conseillers en gestion CGI inc.", "CA-QC", "CA", "CA", "ACTIVE", "ISSUED", "GENERAL"],
            [US_SUB, "CGI Technologies and Solutions Inc.", "US-DE", "US", "US", "ACTIVE", "ISSUED", "GENERAL"],
            [GONE, "Retired Maple Corp", "CA", "CA", "CA", "INACTIVE", "RETIRED", "GENERAL"],
        ],
    )
    firms_before = scalar(con, "SELECT count(*) FROM firms")
    _load(con, entities)
    # Active Canadian entities join the registry; the parent already there is not duplicated.
    assert scalar(con, "SELECT count(*) FROM firms") == firms_before + 1
    assert scalar(con, "SELECT firm_id FROM firm_identifiers WHERE scheme = 'lei' AND value = ?", [CHILD]) == (
        "lei-" + CHILD.lower()
    )
    assert scalar(con, "SELECT count(*) FROM firm_identifiers WHERE value = ?", [GONE]) == 0

    relationships = write_csv(
        tmp_path / "rr-cdf.csv",
        RR_HEADER,
        [
            [CHILD, "LEI", PARENT, "LEI", "IS_DIRECTLY_CONSOLIDATED_BY", "ACTIVE", "PUBLISHED"],
            [US_SUB, "LEI", PARENT, "LEI", "IS_ULTIMATELY_CONSOLIDATED_BY", "ACTIVE", "PUBLISHED"],
            [GONE, "LEI", PARENT, "LEI", "IS_DIRECTLY_CONSOLIDATED_BY", "INACTIVE", "PUBLISHED"],
        ],
    )
    _load(con, relationships)
    edges = con.execute(
        "SELECT child_firm_id, parent_firm_id, relation, share FROM ownership "
        "WHERE parent_firm_id = 'cgi' ORDER BY child_firm_id"
    ).fetchall()
    children = {child for child, *_ in edges}
    assert "lei-" + CHILD.lower() in children and "lei-" + US_SUB.lower() in children
    gleif_edges = [e for e in edges if e[0].startswith("lei-")]
    assert all(relation == "consolidated" and share is None for _c, _p, relation, share in gleif_edges)
    us_sub = scalar(con, "SELECT country_code FROM firms WHERE firm_id = ?", ["lei-" + US_SUB.lower()])
    assert us_sub == "USA"  # two-letter GLEIF country, three-letter registry country


def test_a_bad_lei_is_quarantined(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "lei.csv", LEI_HEADER, [["NOT-AN-LEI", "X", "", "CA", "CA", "ACTIVE", "", ""]])
    report = load_file(con, CsvInput(path, path.name), KINDS)
    assert report.rows_quarantined == 1
    assert "not an LEI" in scalar(con, "SELECT reason FROM quarantine")
