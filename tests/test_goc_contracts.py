"""The Government of Canada contracts loaders on small fixtures: the published header and GoC-Spending's
processed one, the vendor totals, quarantine reasons, unknown columns; and the real files in ../shared."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from datasets.catalogue import KINDS, expected_rows
from datasets.db import scalar
from datasets.ingest import ingest_paths
from datasets.sources.goc_contracts.load import PROCESSED_COLUMNS, PUBLISHED_COLUMNS
from tests.conftest import REAL, SHARED, csv_row, load_rows, write_csv
from tests.conftest import load_one as load

REFERENCE_HEADER = SHARED / "data" / "reference" / "goc_contracts_columns.txt"
SAMPLES = [REAL / "goc_contracts_sample_2022-04-12.csv", REAL / "goc_contracts_sample_2022-04-13.csv"]
TOTALS = REAL / "goc_contracts_totals_by_vendor_fiscal_year.csv"
TOTALS_HEADER = ["d_vendor_name", "d_fiscal_year", "total", "total_constant_2019_dollars"]
SPELLINGS = REAL / "goc_contracts_vendor_normalization.csv"
# The processed form as GoC-Spending writes it: its own columns first, the older aboriginal_* spellings.
PROCESSED_HEADER = [
    "d_reference_number",
    "vendor_name",
    "d_start_date",
    "d_end_date",
    "contract_value",
    "original_value",
    "amendment_value",
    *[c for c in PUBLISHED_COLUMNS if c not in ("vendor_name", "contract_value", "original_value", "amendment_value")],
    "d_reporting_period",
    "d_reporting_year",
]
PROCESSED_HEADER = [
    {
        "indigenous_business": "aboriginal_business",
        "indigenous_business_excluding_psib": "aboriginal_business_incidental",
    }.get(c, c)
    for c in PROCESSED_HEADER
]


def published_row(**values: str) -> list[str]:
    row = {
        "reference_number": "C-2021-2022-Q3-00516",
        "procurement_id": "P000018886",
        "vendor_name": "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS INC.",
        "contract_date": "2021-12-31",
        "description_en": "Management consulting",
        "contract_period_start": "2021-12-31",
        "delivery_date": "2023-03-31",
        "contract_value": "13975163.31",
        "original_value": "13975163.31",
        "amendment_value": "0.00",
        "country_of_vendor": "CA",
        "instrument_type": "C",
        "reporting_period": "2021-2022-Q3",
        "owner_org": "ssc-spc",
        "owner_org_title": "Shared Services Canada | Services partagés Canada",
        **values,
    }
    return csv_row(PUBLISHED_COLUMNS, row)


def processed_row(**values: str) -> list[str]:
    row = {c: "NA" for c in PROCESSED_HEADER}
    row.update(
        {
            "d_reference_number": "ssc-spc-C-2020-2021-Q4-00008",
            "reference_number": "C-2020-2021-Q4-00008",
            "vendor_name": "NORTHERNTEL,LIMITED",
            "d_start_date": "2013-04-01",
            "d_end_date": "2022-03-31",
            "contract_date": "2013-04-01",
            "contract_value": "3784831.2600000002",
            "original_value": "3219275.8699999996",
            "amendment_value": "113565.57",
            "reporting_period": "2020-2021-Q4",
            "owner_org": "ssc-spc",
            "owner_org_title": "Shared Services Canada | Services partagés Canada",
            "d_reporting_period": "2020-2021-Q4",
            "d_reporting_year": "2020-2021",
            **values,
        }
    )
    return [row[c] for c in PROCESSED_HEADER]


def contract(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any]:
    result = con.execute("SELECT * FROM goc_contracts WHERE contract_key = ?", [key])
    names = [d[0] for d in result.description]
    row = result.fetchone()
    assert row is not None, f"{key} not loaded"
    return dict(zip(names, row, strict=True))


def quarantined(con: duckdb.DuckDBPyConnection, source_id: int | None) -> dict[int, str]:
    rows = con.execute("SELECT line, reason FROM quarantine WHERE source_id = ? ORDER BY line", [source_id])
    return {int(line): str(reason) for line, reason in rows.fetchall()}


def test_the_published_header_is_the_reference_list() -> None:
    if not REFERENCE_HEADER.exists():
        pytest.skip(f"{REFERENCE_HEADER} not found (CI provides ../shared/data/reference)")
    assert list(PUBLISHED_COLUMNS) == REFERENCE_HEADER.read_text(encoding="utf-8").split()


def test_the_published_form_loads_with_its_department_and_fiscal_year(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "contracts.csv",
        PUBLISHED_COLUMNS,
        [
            published_row(),
            # An old row without a reporting period takes its contract date's fiscal year (April to March).
            published_row(reference_number="C-2012-2013-Q4-00281", contract_date="2013-01-28", reporting_period=""),
            # The same reference number in another department is another contract.
            published_row(owner_org="rcmp-grc", owner_org_title="Royal Canadian Mounted Police"),
        ],
    )
    report = load(con, path)
    assert report.kind == "goc_contracts"
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 3, 0)
    assert report.unknown_columns == []
    first = contract(con, "ssc-spc-C-2021-2022-Q3-00516")
    assert first["contract_value"] == Decimal("13975163.31") and first["amendment_value"] == Decimal("0.00")
    assert (first["owner_org"], first["fiscal_year"], first["source_line"]) == ("ssc-spc", "2021-2022", 2)
    assert first["owner_org_title"] == "Shared Services Canada | Services partagés Canada"
    assert first["vendor_name"] == "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS INC."
    assert contract(con, "ssc-spc-C-2012-2013-Q4-00281")["fiscal_year"] == "2012-2013"
    assert contract(con, "rcmp-grc-C-2021-2022-Q3-00516")["owner_org_title"] == "Royal Canadian Mounted Police"
    source = con.execute("SELECT kind, source_url, licence FROM sources").fetchone()
    assert source is not None and source[0] == "goc_contracts"
    assert source[1] == "https://open.canada.ca/data/en/dataset/d8f85d91-7dec-4fd1-8055-483b77225d8b"
    assert "Open Government Licence" in source[2]
    # Loading the same file again changes nothing.
    again = load(con, path)
    assert again.already_loaded and int(scalar(con, "SELECT count(*) FROM goc_contracts")) == 3


def test_the_processed_form_reads_na_as_empty_and_float_noise_as_the_cent(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    report = load_rows(
        con,
        tmp_path / "2022-04-12-sample-contracts.csv",
        PROCESSED_HEADER,
        [
            processed_row(),
            processed_row(
                d_reference_number="ssc-spc-C-2012-2013-Q3-00028",
                reference_number="C-2012-2013-Q3-00028",
                vendor_name="Zentra Computer Technologies Inc.",
                contract_date="2012-12-13",
                contract_value="1969888",
                original_value="NA",
                amendment_value="NA",
                reporting_period="NA",
                d_reporting_period="2012-2013-Q3",
                d_reporting_year="2012-2013",
            ),
        ],
    )
    assert report.kind == "goc_contracts_processed"
    assert (report.rows_inserted, report.rows_quarantined, report.unknown_columns) == (2, 0, [])
    noisy = contract(con, "ssc-spc-C-2020-2021-Q4-00008")
    assert noisy["contract_value"] == Decimal("3784831.26")
    assert noisy["original_value"] == Decimal("3219275.87")
    assert noisy["fiscal_year"] == "2020-2021" and noisy["source_kind"] == "goc_contracts_processed"
    old = contract(con, "ssc-spc-C-2012-2013-Q3-00028")
    assert old["original_value"] is None and old["reporting_period"] is None and old["buyer_name"] is None
    assert old["contract_value"] == Decimal("1969888.00") and old["fiscal_year"] == "2012-2013"
    source = con.execute("SELECT publisher, source_url FROM sources").fetchone()
    assert source is not None and "GoC-Spending" in source[0]
    assert source[1] == "https://github.com/GoC-Spending/contracts-data"


def test_a_bad_amount_is_quarantined_with_its_reason(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        published_row(reference_number="C-1"),
        published_row(reference_number="C-2", contract_value="1,234.56"),  # a thousands separator
        published_row(reference_number="C-3", contract_value="12.345"),  # a fraction of a cent, not noise
        published_row(reference_number="C-4", contract_value=""),
        published_row(reference_number="C-5", amendment_value="1.234,56"),  # a decimal comma
        published_row(reference_number="C-6", contract_date="31/12/2021"),
        published_row(reference_number="", owner_org="ssc-spc"),
        published_row(reference_number="C-8", vendor_name=" "),
    ]
    report = load_rows(con, tmp_path / "contracts.csv", PUBLISHED_COLUMNS, rows)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (8, 1, 7)
    reasons = quarantined(con, report.source_id)
    assert reasons[3].startswith("unparseable amount in contract_value: '1,234.56' is not a plain decimal number")
    assert reasons[4] == "unparseable amount in contract_value: '12.345' has a fraction of a cent"
    assert reasons[5] == "missing contract_value"
    assert reasons[6].startswith("unparseable amount in amendment_value: '1.234,56'")
    assert reasons[7] == "unparseable date in contract_date (expected YYYY-MM-DD): 31/12/2021"
    assert reasons[8] == "missing key: owner_org, reference_number"
    assert reasons[9] == "missing vendor_name"
    assert int(scalar(con, "SELECT count(*) FROM goc_contracts")) == 1


def test_unknown_columns_are_reported_and_the_rest_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = [*PUBLISHED_COLUMNS, "vendor_province_2027"]
    path = write_csv(tmp_path / "contracts.csv", header, [[*published_row(), "ON"]])
    report = load(con, path)
    assert report.kind == "goc_contracts" and report.rows_inserted == 1
    assert report.unknown_columns == ["vendor_province_2027"]
    stored = scalar(con, "SELECT unknown_columns FROM sources WHERE source_id = ?", [report.source_id])
    assert stored == ["vendor_province_2027"]


def test_the_vendor_totals_load_with_their_checks(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        ["CGI", "2021-2022", "61575183.24", "57490987.08"],
        ["CGI", "2020-2021", "52113009.51", ""],
        ["CGI", "2021-2022", "61575183.24", "57490987.08"],  # the same row again: a duplicate
        ["CGI", "2021-2022", "1.00", ""],  # the same key with another total: a conflict
        ["OPENTEXT", "2021-22", "31213514.68", ""],
        ["OPENTEXT", "2021-2022", "31,213,514.68", ""],
        ["", "2021-2022", "10.00", ""],
    ]
    report = load_rows(con, tmp_path / "summary_by_fiscal_year_by_vendor.csv", TOTALS_HEADER, rows)
    assert report.kind == "goc_vendor_totals"
    assert (report.rows_read, report.rows_inserted, report.rows_duplicate, report.rows_quarantined) == (7, 2, 1, 4)
    reasons = quarantined(con, report.source_id)
    assert reasons[5].startswith("conflicting duplicate of key CGI|2021-2022 (first seen at line 2)")
    assert reasons[6] == "d_fiscal_year must be a fiscal year such as 2021-2022, got: 2021-22"
    assert reasons[7].startswith("unparseable amount in total: '31,213,514.68'")
    assert reasons[8] == "missing d_vendor_name"
    stored = con.execute(
        "SELECT vendor_name, fiscal_year, total_cad, total_constant_2019_cad, source_line FROM goc_vendor_totals "
        "ORDER BY fiscal_year"
    ).fetchall()
    assert stored == [
        ("CGI", "2020-2021", Decimal("52113009.51"), None, 3),
        ("CGI", "2021-2022", Decimal("61575183.24"), Decimal("57490987.08"), 2),
    ]


def test_the_vendor_spellings_load_as_groups(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        ["OPENTEXT", "MICRO FOCUS"],
        ["OPENTEXT", "OPEN TEXT"],
        ["OPENTEXT", "MICRO FOCUS"],  # the same pair again: a duplicate
        ["", "ATTACHMATE"],
        ["CGI", ""],
    ]
    report = load_rows(con, tmp_path / "vendor_normalization_data.csv", ["parent_company", "company_name"], rows)
    assert report.kind == "goc_vendor_spellings"
    assert (report.rows_read, report.rows_inserted, report.rows_duplicate, report.rows_quarantined) == (5, 2, 1, 2)
    assert quarantined(con, report.source_id) == {5: "missing parent_company", 6: "missing company_name"}
    stored = con.execute("SELECT group_name, spelling, source_line FROM goc_vendor_spellings ORDER BY 2").fetchall()
    assert stored == [("OPENTEXT", "MICRO FOCUS", 2), ("OPENTEXT", "OPEN TEXT", 3)]


@pytest.fixture
def real_goc_files() -> list[Path]:
    files = [*SAMPLES, TOTALS, SPELLINGS]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"real GoC contracts files not found under {REAL} (CI provides ../shared/data/real): {missing}")
    return files


def test_the_real_goc_files_load_whole(con: duckdb.DuckDBPyConnection, real_goc_files: list[Path]) -> None:
    reports = ingest_paths(con, real_goc_files, KINDS)
    assert [r.kind for r in reports] == [
        "goc_contracts_processed",
        "goc_contracts_processed",
        "goc_vendor_totals",
        "goc_vendor_spellings",
    ]
    for report in reports:
        assert report.balanced and report.rows_quarantined == 0 and report.unknown_columns == [], report
        assert report.rows_read == expected_rows(report.file_name), report
    # The second sample repeats most of the first: the same rows are duplicates, the corrected ones updates.
    second = reports[1]
    assert (second.rows_inserted, second.rows_updated, second.rows_duplicate) == (3, 4, 15)
    assert int(scalar(con, "SELECT count(*) FROM goc_contracts")) == 23
    assert scalar(con, "SELECT contract_value FROM goc_contracts WHERE contract_key = 'ssc-spc-700315160'") == Decimal(
        "256903154.30"
    )
    assert int(scalar(con, "SELECT count(*) FROM goc_vendor_totals")) == 9130
    total = scalar(
        con, "SELECT total_cad FROM goc_vendor_totals WHERE vendor_name = 'CGI' AND fiscal_year = '2021-2022'"
    )
    assert total == Decimal("61575183.24")
    assert int(scalar(con, "SELECT count(*) FROM goc_vendor_spellings")) == 7038
    groups = con.execute("SELECT spelling FROM goc_vendor_spellings WHERE group_name = 'OPENTEXT'").fetchall()
    assert ("MICRO FOCUS",) in groups and ("OPEN TEXT",) in groups


def test_a_file_with_the_exact_published_header_is_recognised(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, real_goc_files: list[Path]
) -> None:
    """The published file's header, exactly as the reference lists it, with a real row of the samples
    re-cast into it (the d_* columns dropped, NA written as empty)."""
    if not REFERENCE_HEADER.exists():
        pytest.skip(f"{REFERENCE_HEADER} not found")
    import csv

    header = REFERENCE_HEADER.read_text(encoding="utf-8").split()
    with real_goc_files[0].open(encoding="utf-8", newline="") as handle:
        sample = next(csv.DictReader(handle))
    renamed = {
        "indigenous_business": "aboriginal_business",
        "indigenous_business_excluding_psib": "aboriginal_business_incidental",
    }
    row = [("" if sample[renamed.get(c, c)] == "NA" else sample[renamed.get(c, c)]) for c in header]
    report = load_rows(con, tmp_path / "contracts.csv", header, [row])
    assert (report.kind, report.rows_inserted, report.unknown_columns) == ("goc_contracts", 1, [])
    stored = contract(con, f"{sample['owner_org']}-{sample['reference_number']}")
    assert stored["contract_key"] == sample["d_reference_number"]
    assert stored["contract_value"] == Decimal(sample["contract_value"]).quantize(Decimal("0.01"))
    assert set(PROCESSED_COLUMNS) <= set(sample)
