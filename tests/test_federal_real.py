"""On the real public files: the USAspending extracts and GoC-Spending's federal totals, ingested and scored;
the firms with both ICE/DHS exposure and Government of Canada contracts, as the API serves them and the
command prints them, with Canadian-dollar totals equal to the file's own sums for the spellings matched."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.cli import main
from tests.conftest import REAL, build_store, ingest_and_score, real_usaspending_files, serve

AS_OF = "2026-11-22"
TOTALS = REAL / "goc_contracts_totals_by_vendor_fiscal_year.csv"
SPELLINGS = REAL / "goc_contracts_vendor_normalization.csv"
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = [*real_usaspending_files(), TOTALS, SPELLINGS]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"real files not found under {REAL} (CI provides ../shared/data/real): {missing[:2]}")
    path = build_store(tmp_path_factory.mktemp("federal-real") / "exposure.duckdb", scored=False)
    return ingest_and_score(path, files, AS_OF)


@pytest.fixture(scope="module")
def served(db: Path) -> Iterator[TestClient]:
    with serve(db) as client:
        yield client


def file_totals() -> dict[str, dict[str, Decimal]]:
    """The totals file read on its own: vendor spelling -> fiscal year -> CAD."""
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    with TOTALS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found[row["d_vendor_name"]][row["d_fiscal_year"]] = Decimal(row["total"])
    return found


def records(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    body = client.get("/v1/federal-contracts", params={"limit": 10_000, **params}).json()
    assert body["count"] == len(body["data"])
    return list(body["data"])


def test_exposed_firms_with_federal_contracts_are_served_with_the_files_sums(served: TestClient) -> None:
    rows = records(served, record="vendor_total")
    by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_firm[row["firm_id"]].append(row)
    # The firms the USAspending files show exposed (tests/test_real_files.py) that Ottawa also contracts with.
    assert {"gardaworld", "thomson-reuters", "cgi", "stantec", "wsp"} <= set(by_firm)
    in_file = file_totals()
    for firm_id, firm_rows in by_firm.items():
        profile = served.get(f"/v1/firms/{firm_id}").json()
        assert profile["score"]["score"] > 0, firm_id  # exposed in the served snapshot
        spellings = {r["vendor_name"] for r in firm_rows}
        assert spellings <= set(in_file), spellings
        expected = sum((total for name in spellings for total in in_file[name].values()), Decimal(0))
        served_total = sum((Decimal(str(r["value_cad"])) for r in firm_rows), Decimal(0))
        assert served_total.quantize(CENT) == expected, firm_id
        for row in firm_rows:  # each record is its file's line, value for value
            assert Decimal(str(row["value_cad"])).quantize(CENT) == in_file[row["vendor_name"]][row["fiscal_year"]]
            assert row["source_file"] == TOTALS.name and row["source_line"] >= 2
        # The profile lists the same totals.
        listed = sum((Decimal(str(c["total_cad"])) for c in profile["ottawa_contracts"]), Decimal(0))
        assert listed.quantize(CENT) == expected
    # Figures SOURCES.md quotes for 2021-22.
    cgi = {r["fiscal_year"]: r["value_cad"] for r in by_firm["cgi"] if r["vendor_name"] == "CGI"}
    assert cgi["2021-2022"] == 61_575_183.24
    assert {r["vendor_name"] for r in by_firm["gardaworld"]} == {"GARDA SECURITY GROUP"}
    # What GoC-Spending groups under CGI that the registry does not confirm is shown with each total.
    assert all("CONSEILLERS EN GESTION ET INFORMATIQUE" in r["unverified_spellings"] for r in by_firm["cgi"])
    assert all("CGI GROUP" not in r["unverified_spellings"] for r in by_firm["cgi"])  # an alias: confirmed
    csv_export = served.get("/v1/federal-contracts", params={"format": "csv", "firm_id": "cgi"})
    assert csv_export.status_code == 200 and "CONSEILLERS EN GESTION ET INFORMATIQUE" in csv_export.text


def test_a_total_grouping_a_business_the_firm_did_not_yet_own_is_held_back(served: TestClient) -> None:
    """GoC-Spending groups MICRO FOCUS spellings under OPENTEXT, and every fiscal year of its totals predates
    OpenText's purchase of Micro Focus (2023-01-31): none is OpenText's, all are in the review list, with why."""
    assert not records(served, firm_id="opentext")
    assert not served.get("/v1/firms/opentext").json()["ottawa_contracts"]
    queue = {c["vendor_name"]: c for c in served.get("/v1/federal-contracts/candidates").json()["data"]}
    held = queue["OPENTEXT"]
    in_file = file_totals()["OPENTEXT"]
    assert Decimal(str(held["total_cad"])).quantize(CENT) == sum(in_file.values(), Decimal(0))
    assert held["fiscal_years"] == sorted(in_file) and held["suggested_firm_id"] == "opentext"
    [reason] = held["reasons"]
    assert reason.startswith("goc_group_member_not_owned: GoC-Spending groups MICRO FOCUS") and "2021-2022" in reason


def test_no_firm_is_served_on_a_guess(served: TestClient) -> None:
    rows = records(served)
    assert rows and all(r["matched_by"] in ("alias:name", "fuzzy:name", "override:is") for r in rows)
    # The near misses of the file are listed for review, not served.
    queue = served.get("/v1/federal-contracts/candidates").json()["data"]
    reviewed = ("goc_vendor_near_miss", "goc_group_member_not_owned", "goc_owned_part_of_fiscal_year")
    assert queue and all(c["reasons"][0].startswith(reviewed) for c in queue)
    assert not {c["vendor_name"] for c in queue} & {r["vendor_name"] for r in rows}


def test_the_command_prints_the_same_firms_and_totals(
    db: Path, served: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = records(served, record="vendor_total")
    assert main(["--db", str(db), "federal-contracts"]) == 0
    out = capsys.readouterr().out
    in_file = file_totals()
    firms = sorted({r["firm_id"] for r in rows})
    assert f"as of {AS_OF}: {len(firms)} " in out
    for firm_id in firms:
        spellings = {r["vendor_name"] for r in rows if r["firm_id"] == firm_id}
        expected = sum((t for name in spellings for t in in_file[name].values()), Decimal(0))
        assert f"{firm_id} (" in out and f"Government of Canada CAD {expected:,.2f} in " in out, firm_id
    # What was matched but held back is said, so that OpenText's absence is not read as no contracts.
    held = sum(file_totals()["OPENTEXT"].values(), Decimal(0))
    assert (
        "Held back for review" in out and f"'OPENTEXT' (opentext): CAD {held:,.2f}; goc_group_member_not_owned" in out
    )
