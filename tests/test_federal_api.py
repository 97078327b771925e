"""GET /v1/federal-contracts, the profile's `ottawa_contracts`, the federal review list and `exposure
federal-contracts`, on the bundled store with small Government of Canada files ingested and scored."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from datasets.sources.goc_contracts.load import PUBLISHED_COLUMNS
from service.cli import main
from tests.conftest import build_store, ingest_and_score, serve, write_csv

AS_OF = "2026-11-22"
TOTALS = [
    ["CGI", "2020-2021", "52113009.51", "49687040.95"],
    ["CGI", "2021-2022", "61575183.24", "57490987.08"],
    ["CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS", "2021-2022", "1000.10", ""],
    ["ROYAL BANK OF CANADA", "2021-2022", "250000.00", ""],  # rbc: no ICE/DHS exposure
    ["ROSHELL", "2021-2022", "99.99", ""],  # a look-alike of Roshel: a near miss, not attributed
    ["TELUS COMMUNICATIONS", "2021-2022", "8604387.72", ""],  # no registry firm
]
DATASET = "https://open.canada.ca/data/en/dataset/d8f85d91-7dec-4fd1-8055-483b77225d8b"


def _contract(reference: str, vendor: str, value: str, department: str, title: str) -> list[str]:
    row = {
        "reference_number": reference,
        "vendor_name": vendor,
        "contract_date": "2021-06-30",
        "contract_value": value,
        "reporting_period": "2021-2022-Q1",
        "owner_org": department,
        "owner_org_title": title,
    }
    return [row.get(c, "") for c in PUBLISHED_COLUMNS]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("federal")
    path = build_store(folder / "exposure.duckdb", AS_OF)
    totals = write_csv(
        folder / "summary_by_fiscal_year_by_vendor.csv",
        ["d_vendor_name", "d_fiscal_year", "total", "total_constant_2019_dollars"],
        TOTALS,
    )
    spellings = write_csv(  # GoC-Spending's vendor normalisation: the spellings each total's vendor groups
        folder / "vendor_normalization_data.csv",
        ["parent_company", "company_name"],
        [
            ["CGI", "CGI GROUP"],
            ["CGI", "CONSEILLERS EN GESTION ET INFORMATIQUE CGI"],
            ["CGI", "CGI PAYROLL SERVICES CENTRE"],  # a spelling the registry puts on no firm: shown, unconfirmed
            ["TELUS", "TELUS COMMUNICATIONS"],
        ],
    )
    contracts = write_csv(
        folder / "contracts.csv",
        PUBLISHED_COLUMNS,
        [
            _contract(
                "C-2021-2022-Q1-00001",
                "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS INC.",
                "125000.00",
                "rcmp-grc",
                '=HYPERLINK("http://example.invalid")',
            ),  # an owner_org_title a spreadsheet would run
            _contract("C-2021-2022-Q1-00002", "TELUS COMMUNICATIONS", "10.00", "ssc-spc", "Shared Services Canada"),
        ],
    )
    return ingest_and_score(path, [totals, spellings, contracts], AS_OF)


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with serve(db) as test_client:
        yield test_client


def test_only_exposed_firms_are_listed_with_canadian_dollars_apart(client: TestClient) -> None:
    body = client.get("/v1/federal-contracts").json()
    assert set(body) == {"data", "count", "snapshot"} and body["snapshot"]["as_of"] == AS_OF
    rows = body["data"]
    assert body["count"] == len(rows) == 4
    assert {r["firm_id"] for r in rows} == {"cgi"}  # RBC holds a federal total but has no ICE/DHS exposure
    totals = [r for r in rows if r["record"] == "vendor_total"]
    assert [(r["fiscal_year"], r["vendor_name"], r["value_cad"]) for r in totals] == [
        ("2020-2021", "CGI", 52113009.51),
        ("2021-2022", "CGI", 61575183.24),
        ("2021-2022", "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS", 1000.10),
    ]
    for row in totals:
        assert row["department"] is None and row["source_url"] == "https://github.com/GoC-Spending/contracts-data"
        assert row["dataset_url"] == DATASET and row["source_file"] == "summary_by_fiscal_year_by_vendor.csv"
        assert row["matched_by"] == "alias:name" and row["score"] > 0 and row["dhs_obligated_usd"] > 0
    assert totals[0]["source_line"] == 2 and totals[0]["value_constant_2019_cad"] == 49687040.95
    [contract] = [r for r in rows if r["record"] == "contract"]
    assert (contract["department"], contract["value_cad"], contract["record_key"]) == (
        "rcmp-grc",
        125000.0,
        "rcmp-grc-C-2021-2022-Q1-00001",
    )
    assert contract["source_url"] == DATASET and contract["record_date"] == "2021-06-30"
    # No field mixes the currencies: the U.S. dollars are the firm's, named *_usd; the Canadian, *_cad.
    assert {k for k in contract if "usd" in k or "cad" in k} == {
        "dhs_obligated_usd",
        "ice_obligated_usd",
        "value_cad",
        "value_constant_2019_cad",
    }


def test_filters_by_firm_fiscal_year_and_record(client: TestClient) -> None:
    def keys(**params: Any) -> list[str]:
        return [r["record_key"] for r in client.get("/v1/federal-contracts", params=params).json()["data"]]

    assert keys(fiscal_year="2020-2021") == ["CGI|2020-2021"]
    assert keys(firm_id="CGI", record="contract") == ["rcmp-grc-C-2021-2022-Q1-00001"]
    assert keys(firm_id="rbc") == []  # not exposed
    assert keys(fiscal_year=["2020-2021", "2021-2022"], record="vendor_total", limit=1) == ["CGI|2020-2021"]
    assert keys(fiscal_year="2021-2022", offset=3) == []
    bad = client.get("/v1/federal-contracts", params={"fiscal_year": "2021-23"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "fiscal_year" in bad.json()["detail"]
    assert client.get("/v1/federal-contracts", params={"record": "grant"}).status_code == 422


def test_csv_by_format_or_accept_with_formulas_neutralised(client: TestClient) -> None:
    by_format = client.get("/v1/federal-contracts", params={"format": "csv", "record": "contract"})
    by_accept = client.get("/v1/federal-contracts", params={"record": "contract"}, headers={"Accept": "text/csv"})
    for response in (by_format, by_accept):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.headers["vary"] == "Accept"
    assert by_format.text == by_accept.text
    [row] = list(csv.DictReader(io.StringIO(by_format.text)))
    assert row["department_name"] == '\'=HYPERLINK("http://example.invalid")'
    assert (row["firm_id"], row["value_cad"], row["department"]) == ("cgi", "125000", "rcmp-grc")


def test_the_profile_lists_ottawa_contracts_whatever_the_score(client: TestClient) -> None:
    cgi = client.get("/v1/firms/cgi").json()["ottawa_contracts"]
    assert [(c["fiscal_year"], c["vendor_name"], c["total_cad"]) for c in cgi] == [
        ("2020-2021", "CGI", 52113009.51),
        ("2021-2022", "CGI", 61575183.24),
        ("2021-2022", "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS", 1000.10),
    ]
    assert cgi[0]["source_url"] == "https://github.com/GoC-Spending/contracts-data" and cgi[0]["dataset_url"] == DATASET
    rbc = client.get("/v1/firms/rbc").json()["ottawa_contracts"]
    assert [(c["vendor_name"], c["total_cad"]) for c in rbc] == [("ROYAL BANK OF CANADA", 250000.0)]
    assert client.get("/v1/firms/roshel").json()["ottawa_contracts"] == []


def test_near_misses_are_listed_apart_from_the_us_review_queue(client: TestClient) -> None:
    body = client.get("/v1/federal-contracts/candidates").json()
    assert [(c["vendor_name"], c["total_cad"], c["suggested_firm_id"]) for c in body["data"]] == [
        ("ROSHELL", 99.99, "roshel")
    ]
    assert body["data"][0]["reasons"][0].startswith("goc_vendor_near_miss: resembles ROSHEL")
    us_queue = client.get("/v1/candidates", params={"limit": 1000}).json()["data"]
    assert "ROSHELL" not in {c["recipient_name"] for c in us_queue}


def test_it_needs_the_read_access_the_firm_list_needs(db: Path) -> None:
    with serve(db, anonymous_scopes="") as closed:
        for path in ("/v1/firms", "/v1/federal-contracts", "/v1/federal-contracts/candidates"):
            assert closed.get(path).status_code == 401, path


def test_the_command_prints_the_exposed_firms_with_their_cad_totals(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(db), "federal-contracts"]) == 0
    out = capsys.readouterr().out
    assert f"as of {AS_OF}: 1 " in out
    assert "cgi (CGI Inc.)" in out and "Government of Canada CAD 113,689,192.85 in 3 vendor-years" in out
    assert "2021-2022  CAD      61,575,183.24  'CGI'" in out
    assert "rbc" not in out and "ROYAL BANK" not in out
    assert main(["--db", str(db), "federal-contracts", "--fiscal-year", "2020-2021"]) == 0
    assert "CAD 52,113,009.51 in 1 vendor-years" in capsys.readouterr().out


def test_the_firm_page_and_the_vendor_check_show_ottawas_contracts_in_cad(client: TestClient) -> None:
    from tests.test_pages import check, page

    for words in (page(client.get("/firms/cgi")).words, check(client, name="CGI Inc.")[1].words):
        assert "Government of Canada contracts" in words
        assert "2021-2022 CA$61,575,183 CGI" in words and "never added to the U.S. dollars" in words
        assert "registry does not confirm as this company: CGI PAYROLL SERVICES CENTRE" in words
    assert "61\u202f575\u202f183\u00a0$\u00a0CA" in page(client.get("/firms/cgi?lang=fr")).words
    assert "Government of Canada contracts" not in page(client.get("/firms/roshel")).words
