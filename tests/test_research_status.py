"""A screening says how far the identified issuer's U.S. subsidiaries were researched (COVERAGE.md, issue #11), so
a `pass` for an issuer whose subsidiaries nobody looked up cannot read like one for an issuer checked in full; and
the research-status file loads like every bundled file, refusing a status it does not know."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from datasets.sources.coverage.build import OUTPUT, STATUSES
from tests.conftest import REPO, build_store, load_rows, screen, serve

DATA = REPO / "datasets" / "data"


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _isin_per_status() -> dict[str, tuple[str, str]]:
    """For each research status, one issuer that has it and an ISIN that identifies it: (issuer_id, isin)."""
    isins = {row["issuer_id"]: row["isin"] for row in _csv(DATA / "issuers.csv") if row["isin"]}
    researched = {row["issuer_id"]: row["research_status"] for row in _csv(OUTPUT)}
    found: dict[str, tuple[str, str]] = {}
    for issuer_id, status in sorted(researched.items()):
        if issuer_id in isins:
            found.setdefault(status, (issuer_id, isins[issuer_id]))
    unlisted = sorted(set(isins) - set(researched))
    found["no row"] = (unlisted[0], isins[unlisted[0]])
    return found


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with serve(build_store(tmp_path_factory.mktemp("research") / "exposure.duckdb"), "read,screen") as test_client:
        yield test_client


def test_each_status_on_file_is_reported_with_the_screening_of_its_issuer(client: TestClient) -> None:
    examples = _isin_per_status()
    assert set(STATUSES) - {"not_researched"} <= set(examples), "the bundled data should hold every status"
    results = screen(client, [{"ref": key, "isin": isin} for key, (_issuer, isin) in examples.items()])
    for result in results:
        issuer_id, _isin = examples[result["ref"]]
        coverage = result["coverage"]
        assert result["match"]["issuer_id"] == issuer_id and coverage["issuer_id"] == issuer_id
        # An issuer COVERAGE.md has no row for was never researched.
        expected = "not_researched" if result["ref"] == "no row" else result["ref"]
        assert coverage["subsidiary_research"] == expected, result
    by_ref = {result["ref"]: result["coverage"]["checked"] for result in results}
    assert by_ref["no row"].endswith("its U.S. subsidiaries have not been researched")
    assert "known but not on file" in by_ref["left_out_no_primary_source"]
    assert "none was found" in by_ref["checked_no_us_subsidiary_found"]


def test_a_firm_that_is_no_listed_issuer_has_no_research_status(client: TestClient) -> None:
    # Roshel is privately held: its subsidiaries are the registry's, and no COVERAGE.md row applies.
    (roshel,) = screen(client, [{"name": "Roshel Inc."}])
    assert roshel["match"]["firm_id"] == "roshel" and roshel["match"]["issuer_id"] is None
    assert roshel["coverage"]["subsidiary_research"] is None
    assert "researched" not in roshel["coverage"]["checked"]


def test_a_research_row_with_an_unknown_status_or_issuer_is_quarantined(tmp_path: Path) -> None:
    db = build_store(tmp_path / "exposure.duckdb", scored=False)
    con = duckdb.connect(str(db))
    try:
        before = con.execute("SELECT count(*) FROM issuer_research").fetchone()
        header = ("issuer_id", "research_status", "coverage_table", "curation_notes")
        rows = [
            ("tsx-l", "probably_fine", "S&P/TSX 60 constituents", ""),
            ("tsx-nowhere", "not_researched", "S&P/TSX 60 constituents", ""),
        ]
        report = load_rows(con, tmp_path / "issuer_research.csv", header, rows)
        assert report.rows_quarantined == 2 and report.rows_inserted == report.rows_updated == 0
        reasons = " | ".join(con.execute("SELECT string_agg(reason, ' | ') FROM quarantine").fetchone() or ())
        assert "research_status must be one of" in reasons and "unknown issuer in issuer_id: tsx-nowhere" in reasons
        assert con.execute("SELECT count(*) FROM issuer_research").fetchone() == before
    finally:
        con.close()


def test_a_listed_firms_profile_carries_its_issuers_research_status(client: TestClient) -> None:
    researched = {row["issuer_id"]: row["research_status"] for row in _csv(OUTPUT)}
    listed = {row["firm_id"]: row["issuer_id"] for row in _csv(DATA / "issuers.csv") if row["firm_id"]}
    assert len(listed) > 50
    for firm_id, issuer_id in sorted(listed.items()):
        response = client.get(f"/v1/firms/{firm_id}")
        assert response.status_code == 200, (firm_id, response.text)
        assert response.json()["subsidiary_research"] == researched.get(issuer_id, "not_researched"), firm_id
    roshel = client.get("/v1/firms/roshel").json()
    assert roshel["subsidiary_research"] is None


def test_a_firm_page_says_how_far_its_us_subsidiaries_were_researched(client: TestClient) -> None:
    researched = {row["issuer_id"]: row["research_status"] for row in _csv(OUTPUT)}
    status = researched.get("cgi", "not_researched")
    english = client.get("/firms/cgi?lang=en").text
    assert f'data-status="{status}"' in english and "U.S. subsidiaries researched" in english
    assert "Recherche des filiales américaines" in client.get("/firms/cgi?lang=fr").text
    # A private firm has no listed issuer, so no research line.
    assert 'id="subsidiary-research"' not in client.get("/firms/roshel").text


def test_a_vendor_check_of_a_listed_issuer_says_how_far_its_subsidiaries_were_researched(client: TestClient) -> None:
    researched = {row["issuer_id"]: row["research_status"] for row in _csv(OUTPUT)}
    issuer_id, _isin = _isin_per_status()["left_out_no_primary_source"]
    name = next(row["name"] for row in _csv(DATA / "issuers.csv") if row["issuer_id"] == issuer_id)
    answer = client.post("/checks?lang=en", data={"name": name}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    record = client.get(answer.headers["location"]).text
    assert researched[issuer_id] == "left_out_no_primary_source"
    assert '<p id="subsidiary-research">A U.S. subsidiary is known but not on file' in record
