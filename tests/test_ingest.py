"""The loaders on small fixtures: each format, each quarantine reason, atomicity, idempotency, archives."""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest

import datasets.ingest.load as ingest_load
from datasets.catalogue import BUNDLED_FILES, KINDS
from datasets.db import first_row, scalar
from datasets.errors import LoadError, UnknownFormatError
from datasets.ingest import CsvInput, csv_inputs, ingest_paths, load_file
from datasets.ingest.inputs import has_bare_carriage_return
from datasets.sources.usaspending.load import COLUMN_LISTS, SEARCH_EXPORT
from datasets.store import load_bundled, table_counts
from tests.conftest import csv_row, load_rows, write_csv
from tests.conftest import load_one as load

TX_HEADER: list[str] = list(COLUMN_LISTS["Contracts_PrimeTransactions"])
AWARD_HEADER: list[str] = list(COLUMN_LISTS["Contracts_PrimeAwardSummaries"])
SUB_HEADER: list[str] = list(COLUMN_LISTS["Contracts_Subawards"])
SEARCH_HEADER: list[str] = list(SEARCH_EXPORT.known_columns)
ROSHEL_AWARD = "CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732"
# A row of the 2018-era download, column by column in the file's order.
SENDUM_2018 = {
    "award_id_piid": "HSCEMD16P00001",
    "modification_number": "0",
    "transaction_number": "0",
    "parent_award_agency_id": "",
    "parent_award_id": "",
    "federal_action_obligation": "56923.7",
    "action_date": "13/07/2016",
    "awarding_sub_agency_code": "7012",
    "recipient_duns": "20123456",
    "recipient_name": "SENDUM WIRELESS CORPORATION",
    "recipient_country_code": "CAN",
    "foreign_owned_and_located": "t",
}


def tx_row(**values: Any) -> list[str]:
    defaults = {
        "contract_transaction_unique_key": "7012_4732_70CMSW26FR0000002_0_47QSWA22D001R_0",
        "contract_award_unique_key": ROSHEL_AWARD,
        "award_id_piid": "70CMSW26FR0000002",
        "modification_number": "0",
        "transaction_number": "0",
        "federal_action_obligation": "7234926.20",
        "action_date": "2025-11-28",
        "awarding_agency_code": "070",
        "awarding_sub_agency_code": "7012",
        "recipient_name": "ROSHEL LLC",
        "recipient_uei": "abcdefghijk1",
        "recipient_country_code": "USA",
        "product_or_service_code": "2355",
        "naics_code": "336992",
    }
    defaults.update({k: str(v) for k, v in values.items()})
    return csv_row(TX_HEADER, defaults)


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return {int(line): str(reason) for line, reason in con.execute("SELECT line, reason FROM quarantine").fetchall()}


def test_prime_transactions_with_the_exact_297_column_header(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    assert len(TX_HEADER) == 297
    path = write_csv(
        tmp_path / "Contracts_PrimeTransactions_2026.csv",
        TX_HEADER,
        [
            tx_row(),
            tx_row(
                contract_transaction_unique_key="7012_4732_70CMSW26FR0000002_P00001_47QSWA22D001R_0",
                modification_number="P00001",
                federal_action_obligation="-1000.50",
                action_date="2025-12-15",
            ),
        ],
    )
    report = load(con, path)
    assert report.kind == "usaspending_prime_transactions"
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (2, 2, 0)
    assert report.unknown_columns == []
    total = scalar(
        con,
        "SELECT sum(federal_action_obligation) FROM transactions WHERE contract_award_unique_key = ?",
        [ROSHEL_AWARD],
    )
    assert str(total) == "7233925.70"
    row = first_row(
        con,
        "SELECT action_date, recipient_uei, awarding_sub_agency_code FROM transactions "
        "WHERE modification_number = 'P00001'",
    )
    assert row is not None and str(row[0]) == "2025-12-15" and row[1] == "ABCDEFGHIJK1" and row[2] == "7012"
    source = first_row(con, "SELECT kind, rows_read, rows_inserted, publisher FROM sources")
    assert source is not None and source[:3] == ("usaspending_prime_transactions", 2, 2)
    assert "USAspending" in source[3]


def test_unknown_columns_are_reported_not_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = [*TX_HEADER, "brand_new_column"]
    path = write_csv(tmp_path / "tx.csv", header, [[*tx_row(), "x"]])
    report = load(con, path)
    assert report.unknown_columns == ["brand_new_column"]
    assert report.rows_inserted == 1


def test_refused_header_names_the_closest_kind_and_what_it_lacks(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    header = [c for c in TX_HEADER if c not in ("contract_transaction_unique_key", "federal_action_obligation")]
    header = [c for c in header if c not in ("award_id_piid", "transaction_number", "modification_number")]
    path = write_csv(tmp_path / "odd.csv", header, [["" for _ in header]])
    with pytest.raises(UnknownFormatError) as refused:
        load(con, path)
    message = str(refused.value)
    assert "usaspending_prime_transactions" in message
    assert "contract_transaction_unique_key" in message and "federal_action_obligation" in message
    assert table_counts(con)["sources"] == 0


def test_not_csv_at_all_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("just a line of prose\nand another\n", encoding="utf-8")
    with pytest.raises(LoadError, match="header"):
        load(con, path)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LoadError, match="empty"):
        load(con, empty)


def test_each_quarantine_reason_with_its_line(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    good = [
        "ICE",
        "P1",
        "ROSHEL LLC",
        "100.00",
        "2025-11-28",
        "0",
        "",
        "",
        "",
        "CONT_AWD_P1_7012_-NONE-_-NONE-",
    ]
    lines = [
        ",".join(SEARCH_HEADER),
        ",".join(good),  # line 2: loads
        ",".join([*good[:4], "28/13/2025", *good[5:]]).replace("P1", "P2"),  # 3: bad date
        ",".join([*good[:3], "12 dollars", *good[4:]]).replace("P1", "P3"),  # 4: bad amount
        ",".join([*good[:9], ""]),  # 5: missing key
        ",".join(good[:5]),  # 6: too few columns
        ",".join([*good, "extra"]),  # 7: too many columns
        ",".join([*good[:9], "AWARD-42"]),  # 8: malformed award key
        ",".join([*good[:3], "999.00", *good[4:]]),  # 9: same key as line 2, other amount
        ",".join(good),  # 10: exact duplicate of line 2
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # 11: bytes that are not UTF-8
    data += ",".join(good).replace("ROSHEL LLC", "MONTR\xc9AL INC").replace("P1", "P9").encode("latin-1") + b"\n"
    path.write_bytes(data)
    report = load(con, path)
    assert report.balanced
    assert (report.rows_read, report.rows_inserted, report.rows_duplicate, report.rows_quarantined) == (
        10,
        1,
        1,
        8,
    )
    reasons = quarantine_reasons(con)
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9, 11}
    assert "unparseable date in action_date" in reasons[3]
    assert "unparseable amount in federal_action_obligation" in reasons[4]
    assert "missing key Generated Award ID" in reasons[5]
    assert "missing columns" in reasons[6]
    assert "too many columns" in reasons[7]
    assert "malformed Generated Award ID" in reasons[8]
    assert "conflicting duplicate" in reasons[9] and "line 2" in reasons[9]
    assert "invalid encoding" in reasons[11]
    raw = scalar(con, "SELECT raw_row FROM quarantine WHERE line = 3")
    assert json.loads(raw)["action_date"] == "28/13/2025"


def test_a_failure_mid_load_leaves_the_database_as_it_was(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_csv(tmp_path / "first.csv", TX_HEADER, [tx_row()])
    load(con, first)
    before = table_counts(con)
    rows_before = con.execute("SELECT * FROM transactions ORDER BY transaction_key").fetchall()

    second = write_csv(
        tmp_path / "second.csv",
        TX_HEADER,
        [
            tx_row(federal_action_obligation="1.00"),  # an update of the stored row
            tx_row(contract_transaction_unique_key="k2", action_date="bad"),  # a quarantined row
            tx_row(contract_transaction_unique_key="k3"),  # a new row
        ],
    )

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk pulled out mid-load")

    monkeypatch.setattr(ingest_load, "record_source", crash)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        load(con, second)
    assert table_counts(con) == before
    assert con.execute("SELECT * FROM transactions ORDER BY transaction_key").fetchall() == rows_before

    monkeypatch.undo()
    report = load(con, second)  # and the same file loads cleanly afterwards
    assert (report.rows_inserted, report.rows_updated, report.rows_quarantined) == (1, 1, 1)


def test_loading_twice_changes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "tx.csv", TX_HEADER, [tx_row(), tx_row(contract_transaction_unique_key="k2")])
    load(con, path)
    before = table_counts(con)
    again = load(con, path)
    assert again.already_loaded and again.rows_duplicate == 2 and again.rows_inserted == 0
    assert table_counts(con) == before
    # The same rows in another file (other bytes) are counted as duplicates, row by row.
    reordered = write_csv(
        tmp_path / "tx_reordered.csv", TX_HEADER, [tx_row(contract_transaction_unique_key="k2"), tx_row()]
    )
    report = load(con, reordered)
    assert not report.already_loaded
    assert (report.rows_read, report.rows_duplicate, report.rows_inserted) == (2, 2, 0)
    assert table_counts(con)["transactions"] == before["transactions"]


def test_zip_and_gzip_load_without_unpacking(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "Contracts_PrimeTransactions_1.csv", TX_HEADER, [tx_row()])
    gz = tmp_path / "Contracts_PrimeTransactions_2.csv.gz"
    with plain.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    archive = tmp_path / "FY2026_070_Contracts_Full.zip"
    second = write_csv(tmp_path / "part2.csv", TX_HEADER, [tx_row(contract_transaction_unique_key="k-zip")])
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(second, "FY2026_070_Contracts_Full_1.csv")
    assert load(con, gz).rows_inserted == 1
    assert load(con, archive).rows_inserted == 1
    names = [r[0] for r in con.execute("SELECT file_name FROM sources ORDER BY source_id").fetchall()]
    assert names == [
        "Contracts_PrimeTransactions_2.csv.gz",
        "FY2026_070_Contracts_Full.zip:FY2026_070_Contracts_Full_1.csv",
    ]


def test_award_summaries_read_spreadsheet_dates(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    values = {
        "contract_award_unique_key": "CONT_AWD_70CDCR18P00000017_7012_-NONE-_-NONE-",
        "award_id_piid": "70CDCR18P00000017",
        "total_obligated_amount": "7391976",
        "award_base_action_date": "12/22/17",
        "award_latest_action_date": "5/10/23",
        "awarding_sub_agency_code": "7012",
        "recipient_name": "WEST PUBLISHING CORPORATION",
        "recipient_duns": "148508286",
    }
    path = write_csv(
        tmp_path / "Contracts_PrimeAwardSummaries.csv",
        AWARD_HEADER,
        [[values.get(c, "") for c in AWARD_HEADER]],
    )
    report = load(con, path)
    assert report.kind == "usaspending_award_summaries" and report.rows_inserted == 1
    row = first_row(con, "SELECT award_base_action_date, award_latest_action_date, total_obligated_amount FROM awards")
    assert row is not None and (str(row[0]), str(row[1]), str(row[2])) == (
        "2017-12-22",
        "2023-05-10",
        "7391976.00",
    )


@pytest.mark.parametrize("generation", ["fsrs", "sam"])
def test_subawards_load_under_both_report_column_names(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, generation: str
) -> None:
    header = [c.replace("subaward_sam_report", f"subaward_{generation}_report") for c in SUB_HEADER]
    values = {
        "prime_award_unique_key": "CONT_AWD_X_7012_-NONE-_-NONE-",
        f"subaward_{generation}_report_id": "12345",
        "subaward_number": "SUB-1",
        "subaward_amount": "9205427.00",
        "subaward_action_date": "2021-06-01",
        "subawardee_name": "THOMSON REUTERS SPECIAL SERVICES LLC",
        "prime_award_awarding_sub_agency_code": "7012",
    }
    path = write_csv(tmp_path / "Contracts_Subawards.csv", header, [[values.get(c, "") for c in header]])
    report = load(con, path)
    assert report.kind == "usaspending_subawards" and report.rows_inserted == 1 and report.unknown_columns == []
    assert scalar(con, "SELECT subaward_key FROM subawards") == "12345|SUB-1"


def test_search_export_takes_the_agency_from_the_award_key(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "CBP_ICE_FY2026_Contract_Obligations.csv",
        SEARCH_HEADER,
        [
            [
                "ICE",
                "70CMSW26FR0000002",
                "ROSHEL LLC",
                "7234926.2",
                "2025-11-28",
                "0",
                "PASSENGER MOTOR VEHICLES",
                "",
                "ARMORED VEHICLES",
                ROSHEL_AWARD,
            ],
        ],
    )
    load(con, path)
    row = first_row(
        con,
        "SELECT awarding_sub_agency_code, parent_award_id_piid, parent_award_agency_id, "
        "transaction_key FROM transactions",
    )
    assert row == ("7012", "47QSWA22D001R", "4732", f"{ROSHEL_AWARD}|0|2025-11-28")


def test_2018_download_reads_day_first_dates_and_builds_usaspending_keys(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "fy16.csv", list(SENDUM_2018), [list(SENDUM_2018.values())])
    report = load(con, path)
    assert report.kind == "usaspending_transactions_2018"
    row = first_row(
        con,
        "SELECT transaction_key, contract_award_unique_key, action_date, recipient_duns FROM transactions",
    )
    assert row is not None
    assert row[0] == "7012_-NONE-_HSCEMD16P00001_0_-NONE-_0"
    assert row[1] == "CONT_AWD_HSCEMD16P00001_7012_-NONE-_-NONE-"
    assert str(row[2]) == "2016-07-13" and row[3] == "020123456"


def test_a_changed_row_updates_and_is_counted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_rows(con, tmp_path / "a.csv", TX_HEADER, [tx_row()])
    report = load_rows(con, tmp_path / "b.csv", TX_HEADER, [tx_row(federal_action_obligation="1.00")])
    assert (report.rows_updated, report.rows_inserted) == (1, 0)
    assert str(scalar(con, "SELECT federal_action_obligation FROM transactions")) == "1.00"


def test_missing_file_and_folder_are_clear_errors(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"), csv_inputs(tmp_path / "nope.csv"):
        pass
    with pytest.raises(LoadError, match="folder"), csv_inputs(tmp_path):
        pass


def test_duplicate_header_names_are_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [*SEARCH_HEADER, "Agency"], [])
    with pytest.raises(LoadError, match="duplicate column names"):
        load_file(con, CsvInput(path, path.name), KINDS)


def test_ingest_paths_loads_every_csv_in_order_and_tells_its_progress(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    plain = write_csv(tmp_path / "a.csv", TX_HEADER, [tx_row(contract_transaction_unique_key="k-a")])
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for key in ("b", "c"):
            member = write_csv(tmp_path / f"{key}.csv", TX_HEADER, [tx_row(contract_transaction_unique_key=f"k-{key}")])
            zf.write(member, member.name)
    steps: list[tuple[str, str]] = []
    done: list[Path] = []

    reports = ingest_paths(
        con, [plain, archive], KINDS, on_step=lambda name, step: steps.append((name, step)), on_file=done.append
    )
    names = ["a.csv", "two.zip:b.csv", "two.zip:c.csv"]
    assert [(r.file_name, r.rows_inserted) for r in reports] == [(name, 1) for name in names]
    assert done == [plain, archive]
    assert [step for name, step in steps if name == "a.csv"] == [
        "opening",
        "reading",
        "validating",
        "quarantining",
        "writing",
        "recording",
    ]
    assert steps.index(("two.zip", "opening")) < steps.index((names[1], "reading")) < steps.index((names[2], "reading"))


def test_a_refused_path_stops_ingest_paths_unless_refusals_are_collected(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "first.csv", TX_HEADER, [tx_row(contract_transaction_unique_key="k-first")])
    refused = tmp_path / "prose.csv"
    refused.write_text("just a line of prose\n", encoding="utf-8")
    last = write_csv(tmp_path / "last.csv", TX_HEADER, [tx_row(contract_transaction_unique_key="k-last")])

    with pytest.raises(LoadError, match=r"prose\.csv"):
        ingest_paths(con, [first, refused, last], KINDS)
    assert scalar(con, "SELECT list(transaction_key) FROM transactions") == ["k-first"]  # kept; the rest not tried

    told: list[tuple[Path, str]] = []
    reports = ingest_paths(
        con, [first, refused, last], KINDS, on_refused=lambda path, exc: told.append((path, str(exc)))
    )
    assert [(r.file_name, r.already_loaded) for r in reports] == [("first.csv", True), ("last.csv", False)]
    assert [path for path, _message in told] == [refused] and "header" in told[0][1]


def test_ingest_paths_with_a_kind_does_not_guess_another(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "tx.csv", TX_HEADER, [tx_row()])
    with pytest.raises(UnknownFormatError, match="usaspending_award_summaries"):
        ingest_paths(con, [path], KINDS, kind="usaspending_award_summaries")
    assert table_counts(con)["sources"] == 0


def test_bundled_files_are_recorded_under_their_place_in_the_repository(con: duckdb.DuckDBPyConnection) -> None:
    reports = load_bundled(con)
    assert [(r.file_name, r.kind) for r in reports] == [(f"datasets/data/{f}", k.name) for f, k in BUNDLED_FILES]
    assert all(r.rows_inserted > 0 and r.rows_quarantined == 0 for r in reports)


def test_an_award_potential_value_in_another_format_is_quarantined(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    values = {
        "contract_award_unique_key": "CONT_AWD_70CDCR18P00000017_7012_-NONE-_-NONE-",
        "award_id_piid": "70CDCR18P00000017",
        "total_obligated_amount": "7391976",
        "potential_total_value_of_award": "7.391.976,00",
        "award_base_action_date": "2017-12-22",
        "awarding_sub_agency_code": "7012",
        "recipient_name": "WEST PUBLISHING CORPORATION",
    }
    path = write_csv(
        tmp_path / "Contracts_PrimeAwardSummaries.csv", AWARD_HEADER, [[values.get(c, "") for c in AWARD_HEADER]]
    )
    report = load(con, path)
    assert (report.rows_inserted, report.rows_quarantined) == (0, 1)
    assert quarantine_reasons(con)[2].startswith(
        "unparseable amount in potential_total_value_of_award: '7.391.976,00' is not a plain decimal number"
    )


@pytest.mark.parametrize(
    ("at_the_boundary", "bare"),
    [(b"\r\n", False), (b"\rx", True), (b"\r", True)],
    ids=["CRLF split across two reads", "bare CR ending a read", "bare CR ending the file"],
)
def test_a_carriage_return_at_a_read_boundary_is_bare_only_without_its_lf(
    tmp_path: Path, at_the_boundary: bytes, bare: bool
) -> None:
    """The file is scanned in reads of a mebibyte: a CRLF cut between two of them is still a line end."""
    head = b"a,b\r\n" + b"1,x\r\n" * ((1 << 20) // 5 - 10)
    head += b"2," + b"y" * ((1 << 20) - len(head) - 3)
    path = tmp_path / "boundary.csv"
    path.write_bytes(head + at_the_boundary + (b"3,z\r\n" if at_the_boundary != b"\r" else b""))
    assert path.read_bytes()[(1 << 20) - 1 : (1 << 20)] == b"\r"
    assert has_bare_carriage_return(path) is bare
