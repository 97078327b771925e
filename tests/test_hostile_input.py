"""Hostile input: files cut short, in the wrong encoding, with a huge field, with no rows or nothing at all,
with the wrong delimiter or a duplicated header. Each one is either refused with a clear error and the
database left exactly as it was, or loaded with the rows that cannot be read quarantined, each with its line
and reason; never half-loaded.

Decision on encoding: a file is read as UTF-8. A Latin-1 (or other non-UTF-8) file is not re-decoded by
guess: each row holding a byte sequence that is not UTF-8 is quarantined with the reason "invalid encoding",
and the rest of the file loads. The quarantine keeps the line, so the rows can be re-exported and reloaded.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from pathlib import Path
from typing import IO

import duckdb
import pytest

from datasets.catalogue import KINDS
from datasets.db import scalar
from datasets.errors import LoadError
from datasets.ingest import CsvInput, LoadReport, csv_inputs, load_file
from datasets.ingest.inputs import MAX_COMPRESSION_RATIO, SMALL_MEMBER_BYTES
from datasets.store import table_counts
from service.cli import main
from tests.conftest import load_one as load
from tests.test_ingest import TX_HEADER, tx_row


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    """`rows` written to `path` as a UTF-8 CSV file."""
    path.write_text(csv_text(rows, delimiter), encoding="utf-8")
    return path


def row(key: str, **values: str) -> list[str]:
    return tx_row(contract_transaction_unique_key=key, **values)


def seed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> dict[str, int]:
    """A store holding one earlier file, so that 'unchanged' means something; returns its table counts."""
    path = write_rows(tmp_path / "earlier.csv", [TX_HEADER, row("earlier-1"), row("earlier-2")])
    assert load(con, path).rows_inserted == 2
    return table_counts(con)


def assert_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path, path: Path, match: str) -> LoadError:
    """Over a seeded store, loading `path` is refused with `match` and leaves every table as it was."""
    before = seed(con, tmp_path)
    with pytest.raises(LoadError, match=match) as refused:
        load(con, path)
    assert table_counts(con) == before
    return refused.value


def assert_whole(con: duckdb.DuckDBPyConnection, report: LoadReport, before: dict[str, int]) -> None:
    """The load is all there: balanced, recorded, every quarantined row stored, every inserted row stored."""
    assert report.balanced and not report.already_loaded
    after = table_counts(con)
    assert after["sources"] == before["sources"] + 1
    assert after["transactions"] == before["transactions"] + report.rows_inserted
    stored = scalar(con, "SELECT count(*) FROM quarantine WHERE source_id = ?", [report.source_id])
    assert stored == report.rows_quarantined
    recorded = con.execute(
        "SELECT rows_read, rows_inserted, rows_updated, rows_duplicate, rows_quarantined FROM sources "
        "WHERE source_id = ?",
        [report.source_id],
    ).fetchall()
    assert recorded == [
        (
            report.rows_read,
            report.rows_inserted,
            report.rows_updated,
            report.rows_duplicate,
            report.rows_quarantined,
        )
    ]


def reasons(con: duckdb.DuckDBPyConnection, report: LoadReport) -> dict[int, str]:
    rows = con.execute("SELECT line, reason FROM quarantine WHERE source_id = ?", [report.source_id]).fetchall()
    return {int(line): str(reason) for line, reason in rows}


# ---------------------------------------------------------------------------------------------------
# Cut short.


@pytest.mark.parametrize(
    ("in_quotes", "expected"),
    [(False, "missing columns"), (True, "unterminated quote")],
    ids=["cut in an unquoted field", "cut inside a quoted field"],
)
def test_a_file_cut_mid_row_loads_the_whole_rows_and_quarantines_the_cut_one(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, in_quotes: bool, expected: str
) -> None:
    before = seed(con, tmp_path)
    last = csv_text([row("k3", transaction_description="ARMORED, WHEELED")])
    cut = last.index("ARMORED") + 3 if in_quotes else last.index("CONT_AWD") + 9
    text = csv_text([TX_HEADER, row("k1"), row("k2")]) + last[:cut]
    assert not text.endswith("\n")
    path = tmp_path / "Contracts_PrimeTransactions_cut.csv"
    path.write_text(text, encoding="utf-8")

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 2, 1)
    assert_whole(con, report, before)
    why = reasons(con, report)
    assert set(why) == {4} and "malformed CSV row" in why[4] and expected in why[4]


def test_a_gzip_cut_short_is_refused_and_nothing_is_kept(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [row(f"k{i}", transaction_description=f"ORDER {i}") for i in range(3000)]
    whole = gzip.compress(csv_text([TX_HEADER, *rows]).encode("utf-8"))
    path = tmp_path / "Contracts_PrimeTransactions_cut.csv.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    error = assert_refused(con, tmp_path, path, "I/O error while loading, nothing kept")
    assert "GZIP" in str(error).upper()
    assert scalar(con, "SELECT count(*) FROM sources WHERE file_name = ?", [path.name]) == 0


# A file that is not what its name or header says: each refused, leaving the store as it was.
UNREADABLE = [
    pytest.param(
        "Contracts_PrimeTransactions.csv.gz",
        csv_text([TX_HEADER, row("k1")]).encode("utf-8"),
        "cannot be read",
        id="a gz name on a file that is not gzip",
    ),
    pytest.param(
        "Contracts_PrimeTransactions_utf16.csv",
        csv_text([TX_HEADER, row("k1")]).encode("utf-16"),
        "UTF-16 encoded; expected UTF-8",
        id="utf-16, named as such",
    ),
    pytest.param(
        "Contracts_PrimeTransactions_dup.csv",
        csv_text([[*TX_HEADER, "recipient_name"], [*row("k1"), "OTHER NAME"]]).encode("utf-8"),
        "duplicate column names in the header: recipient_name",
        id="duplicate header names",
    ),
]


@pytest.mark.parametrize(("name", "content", "match"), UNREADABLE)
def test_a_file_not_what_it_claims_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert_refused(con, tmp_path, path, match)


# ---------------------------------------------------------------------------------------------------
# Encoding.


def test_latin1_rows_are_quarantined_as_invalid_encoding_and_the_rest_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    before = seed(con, tmp_path)
    text = csv_text(
        [
            TX_HEADER,
            row("k1", recipient_name="OTTAWA DEFENCE INC"),
            row("k2", recipient_name="Montréal Sécurité Inc"),  # é is the single byte 0xE9 in Latin-1
            row("k3", recipient_name="QUEBEC ARMOUR LTD"),
            row("k4", transaction_description="gilets pare-balles, commande n° 4, livrée"),
        ]
    )
    path = tmp_path / "Contracts_PrimeTransactions_latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    assert b"\xe9" in path.read_bytes()

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (4, 2, 2)
    assert_whole(con, report, before)
    why = reasons(con, report)
    assert set(why) == {3, 5}
    assert all("invalid encoding" in reason and "not utf-8" in reason for reason in why.values())
    raw = scalar(con, "SELECT raw_row FROM quarantine WHERE source_id = ? AND line = 3", [report.source_id])
    assert "k2" in raw  # the quarantined line itself, to re-export
    loaded = {r[0] for r in con.execute("SELECT transaction_key FROM transactions").fetchall()}
    assert {"k1", "k3"} <= loaded and not {"k2", "k4"} & loaded


# ---------------------------------------------------------------------------------------------------
# Size.


def test_a_ten_megabyte_field_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    before = seed(con, tmp_path)
    huge = "ARMORED VEHICLE " * (10 * 1024 * 1024 // 16)
    path = write_rows(
        tmp_path / "Contracts_PrimeTransactions_wide.csv",
        [TX_HEADER, row("k1"), row("k-huge", transaction_description=huge), row("k3")],
    )
    assert path.stat().st_size > 10 * 1024 * 1024

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 3, 0)
    assert_whole(con, report, before)
    stored = scalar(con, "SELECT length(transaction_description) FROM transactions WHERE transaction_key = 'k-huge'")
    assert stored == len(huge.strip())


def test_a_line_over_the_limit_is_quarantined_with_its_reason(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    before = seed(con, tmp_path)
    huge = "X" * (20 * 1024 * 1024)
    path = write_rows(
        tmp_path / "Contracts_PrimeTransactions_wider.csv",
        [TX_HEADER, row("k1"), row("k-huge", transaction_description=huge), row("k3")],
    )

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 2, 1)
    assert_whole(con, report, before)
    why = reasons(con, report)
    assert set(why) == {3} and "line size over maximum" in why[3]
    assert scalar(con, "SELECT source_line FROM transactions WHERE transaction_key = 'k3'") == 4


# ---------------------------------------------------------------------------------------------------
# Nothing in it.


@pytest.mark.parametrize("final_newline", [True, False])
def test_a_header_only_file_loads_zero_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, final_newline: bool
) -> None:
    before = seed(con, tmp_path)
    path = tmp_path / "Contracts_PrimeTransactions_empty.csv"
    text = csv_text([TX_HEADER])
    path.write_text(text if final_newline else text.rstrip("\n"), encoding="utf-8")

    report = load(con, path)
    assert report.kind == "usaspending_prime_transactions"
    counts = (report.rows_read, report.rows_inserted, report.rows_updated, report.rows_duplicate)
    assert (*counts, report.rows_quarantined) == (0, 0, 0, 0, 0)
    assert_whole(con, report, before)
    assert table_counts(con) == {**before, "sources": before["sources"] + 1}


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"\n\n", "the header row is blank"),
    ],
    ids=["zero bytes", "only a byte-order mark", "only blank lines"],
)
def test_an_empty_file_is_a_clear_error(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, content: bytes, match: str
) -> None:
    path = tmp_path / "Contracts_PrimeTransactions_nothing.csv"
    path.write_bytes(content)
    assert_refused(con, tmp_path, path, match)


# ---------------------------------------------------------------------------------------------------
# Shape of the header.


@pytest.mark.parametrize(("delimiter", "shown"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_file_with_another_delimiter_is_refused_naming_it(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, delimiter: str, shown: str
) -> None:
    path = write_rows(
        tmp_path / "Contracts_PrimeTransactions_semicolons.csv", [TX_HEADER, row("k1"), row("k2")], delimiter=delimiter
    )
    error = assert_refused(con, tmp_path, path, f"expected a comma-separated file; this one looks {shown}-separated")
    assert "297 columns" in str(error)


def test_the_cli_names_the_delimiter_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rows(tmp_path / "Contracts_PrimeTransactions_semicolons.csv", [TX_HEADER, row("k1")], delimiter=";")
    assert main(["--db", str(tmp_path / "x.duckdb"), "ingest", str(path)]) == 1
    err = capsys.readouterr().err
    assert "this one looks ';'-separated" in err and "matches no known kind" not in err


# ---------------------------------------------------------------------------------------------------
# Rows that contradict each other, after malformed lines (line numbers must survive both).


def test_a_conflicting_duplicate_after_malformed_lines_keeps_its_line_and_raw_row(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    before = seed(con, tmp_path)
    path = write_rows(
        tmp_path / "Contracts_PrimeTransactions_conflicts.csv",
        [
            TX_HEADER,
            row("k1"),  # line 2: loads
            row("k2")[:5],  # 3: too few columns
            row("k2"),  # 4: loads
            row("k1"),  # 5: exact duplicate of line 2
            [*row("k3"), "extra"],  # 6: too many columns
            row("k1", federal_action_obligation="1.00"),  # 7: same key as line 2, other amount
            row("k4"),  # 8: loads
        ],
    )

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_duplicate, report.rows_quarantined) == (7, 3, 1, 3)
    assert_whole(con, report, before)
    why = reasons(con, report)
    assert set(why) == {3, 6, 7}
    assert why[7] == "conflicting duplicate of key k1 (first seen at line 2)"
    raw = json.loads(scalar(con, "SELECT raw_row FROM quarantine WHERE source_id = ? AND line = 7", [report.source_id]))
    assert raw["contract_transaction_unique_key"] == "k1" and raw["federal_action_obligation"] == "1.00"
    assert len(raw) == len(TX_HEADER)
    lines = dict(
        con.execute(
            "SELECT transaction_key, source_line FROM transactions WHERE source_id = ?", [report.source_id]
        ).fetchall()
    )
    assert lines == {"k1": 2, "k2": 4, "k4": 8}


def test_refusals_leave_no_source_behind(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """load_file straight on a CsvInput (the API's path) refuses the same way."""
    seed(con, tmp_path)
    path = write_rows(tmp_path / "Contracts_PrimeTransactions_semicolons.csv", [TX_HEADER, row("k1")], delimiter=";")
    before = table_counts(con)
    with pytest.raises(LoadError):
        load_file(con, CsvInput(path, path.name), KINDS)
    assert table_counts(con) == before


def current_memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(scalar(con, "SELECT current_setting('memory_limit')"))


def test_the_connection_settings_a_load_relies_on_are_forced_and_restored(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Line numbers come from file order, and a load caps memory: a connection set otherwise still loads
    right, and gets its own settings back, load after load."""
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET memory_limit = '10GB'")
    shown = current_memory_limit(con)
    path = write_rows(
        tmp_path / "Contracts_PrimeTransactions_order.csv",
        [TX_HEADER, row("k1"), row("k2")[:3], *(row(f"k{i}") for i in range(3, 2000))],
    )
    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (1999, 1998, 1)
    misplaced = con.execute(
        "SELECT count(*) FROM transactions WHERE source_line <> CAST(substr(transaction_key, 2) AS INT) + 1"
    )
    assert misplaced.fetchall() == [(0,)]
    assert scalar(con, "SELECT current_setting('preserve_insertion_order')") is False

    for index in range(3):  # the limit does not creep down load after load
        assert current_memory_limit(con) == shown
        again = write_rows(tmp_path / f"again_{index}.csv", [TX_HEADER, row(f"again-{index}")])
        load(con, again)
    assert current_memory_limit(con) == shown

    con.execute("RESET memory_limit")
    default = current_memory_limit(con)
    load(con, write_again(tmp_path))
    assert current_memory_limit(con) == default


def write_again(tmp_path: Path) -> Path:
    return write_rows(tmp_path / "after_reset.csv", [TX_HEADER, row("after-reset")])


# ---------------------------------------------------------------------------------------------------
# Archives that would expand too far (zip bombs), or whose headers lie.

MEMBER = "Contracts_PrimeTransactions_1.csv"


def zip_of(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def repeated_rows(size: int) -> bytes:
    """A bulk file of one row repeated to `size` bytes: it deflates far more than real exports do."""
    line = csv_text([row("same")]).encode()
    return csv_text([TX_HEADER]).encode() + line * (size // len(line))


def varied_rows(count: int) -> bytes:
    """A bulk file of distinct rows: it deflates about 30 times, like a real export of many blank columns."""
    rows = [row(f"k{n}", transaction_description=f"ORDER {n * 7919 % 1000003}") for n in range(count)]
    return csv_text([TX_HEADER, *rows]).encode()


def forbid_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, fail the test as soon as anything is read out of an archive."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an archive member was opened for extraction")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_a_zip_bomb_is_refused_before_anything_is_extracted(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zip_of(tmp_path / "FY2026_070_Contracts_Full.zip", {MEMBER: repeated_rows(8 << 20)})
    (member,) = zipfile.ZipFile(path).infolist()
    assert member.file_size / member.compress_size > MAX_COMPRESSION_RATIO
    forbid_extraction(monkeypatch)

    error = assert_refused(con, tmp_path, path, re.escape(f"member {MEMBER} expands from {member.compress_size:,} to"))
    assert f"{member.file_size:,} bytes" in str(error)
    assert f"the limit is {MAX_COMPRESSION_RATIO:,.0f} times" in str(error)


def test_the_compression_ratio_limit_is_a_parameter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = zip_of(tmp_path / "export.zip", {MEMBER: varied_rows(6000)})
    (member,) = zipfile.ZipFile(path).infolist()
    assert member.file_size > SMALL_MEMBER_BYTES and 20 < member.file_size / member.compress_size < 100
    forbid_extraction(monkeypatch)
    with (
        pytest.raises(LoadError, match=rf"member {re.escape(MEMBER)} expands .* the limit is 20 times"),
        csv_inputs(path, max_compression_ratio=20),
    ):
        pass


def test_a_realistic_archive_within_the_limits_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = zip_of(tmp_path / "export.zip", {MEMBER: varied_rows(6000)})
    report = load(con, path)
    assert (report.rows_read, report.rows_inserted) == (6000, 6000)


def test_members_that_expand_beyond_the_size_limit_are_refused_naming_the_one_that_crosses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = varied_rows(40), varied_rows(50)
    path = zip_of(tmp_path / "two.zip", {"part_1.csv": first, "part_2.csv": second}, zipfile.ZIP_STORED)
    limit = len(first) + len(second) - 1
    forbid_extraction(monkeypatch)
    with pytest.raises(LoadError) as refused, csv_inputs(path, max_unzipped_bytes=limit):
        pass
    message = str(refused.value)
    assert f"member part_2.csv ({len(second):,} bytes unzipped)" in message
    assert f"to {len(first) + len(second):,} bytes unzipped; the limit is {limit:,} bytes" in message


def test_a_member_expanding_past_the_limit_while_streaming_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers can lie: the bytes that actually come out are counted against what the archive's size allows."""
    path = zip_of(tmp_path / "small.zip", {MEMBER: varied_rows(3)})
    flood = SMALL_MEMBER_BYTES * 3  # a small archive may expand to SMALL_MEMBER_BYTES, whatever its headers say

    def open_flooding(_archive: zipfile.ZipFile, *_args: object, **_kwargs: object) -> IO[bytes]:
        return io.BytesIO(b"0" * flood)

    monkeypatch.setattr(zipfile.ZipFile, "open", open_flooding)
    with (
        pytest.raises(LoadError, match=re.escape(f"member {MEMBER} expanded past the archive's limit while unzipping")),
        csv_inputs(path),
    ):
        pass


def test_a_member_whose_header_understates_its_size_is_refused_as_corrupt(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = zip_of(tmp_path / "lying.zip", {MEMBER: varied_rows(200)})
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")  # the member's central directory entry; its unzipped size at +24
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).infolist()[0].file_size == 1000

    assert_refused(con, tmp_path, path, rf"member {re.escape(MEMBER)} is corrupt or unreadable .*CRC")


# ---------------------------------------------------------------------------------------------------
# Amounts in another format than the file's.


def test_an_amount_in_another_format_is_quarantined_never_rounded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """USAspending writes plain decimals ('1234.56'). A decimal comma was once stored as 1.23."""
    before = seed(con, tmp_path)
    path = tmp_path / "Contracts_PrimeTransactions_amounts.csv"
    amounts = {"plain": "1234.56", "decimal-comma": "1.234,56", "thousands": "1,234.56", "three-decimals": "12.345"}
    path.write_text(
        csv_text([TX_HEADER, *(row(key, federal_action_obligation=amount) for key, amount in amounts.items())])
    )

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (4, 1, 3)
    assert_whole(con, report, before)
    assert str(scalar(con, "SELECT federal_action_obligation FROM transactions WHERE transaction_key = 'plain'")) == (
        "1234.56"
    )
    why = reasons(con, report)
    assert set(why) == {3, 4, 5}
    for line, amount in ((3, "1.234,56"), (4, "1,234.56"), (5, "12.345")):
        assert why[line].startswith(
            f"unparseable amount in federal_action_obligation: '{amount}' is not a plain decimal number"
        )


# ---------------------------------------------------------------------------------------------------
# Carriage returns. A bare one (no LF after it) in a file whose lines end in LF or CRLF is data inside quotes
# and a malformed row outside them; a file whose lines end in CR alone reads as such.

LAST = TX_HEADER[-1]
BARE_CR = [
    pytest.param(b",ACME,", b",AC\rME,", id="inside an unquoted field"),
    pytest.param(b",ACME,", b",\rACME,", id="opening an unquoted field"),  # once read as two rows
    pytest.param(b",LAST\n", b",\rLAST\n", id="opening the last field"),  # once loaded cut short
]


def cr_rows(line_end: str = "\n") -> bytes:
    """Rows k1, k2, k3; k2's recipient name is ACME and its last field LAST, each alone in its field."""
    rows = [TX_HEADER, row("k1"), row("k2", recipient_name="ACME", **{LAST: "LAST"}), row("k3")]
    return csv_text(rows).replace("\n", line_end).encode("utf-8")


@pytest.mark.parametrize(("written", "with_cr"), BARE_CR)
@pytest.mark.parametrize("form", ["LF", "CRLF", "LF gzipped"])
def test_a_bare_carriage_return_in_an_unquoted_field_quarantines_that_row_and_the_rest_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, written: bytes, with_cr: bytes, form: str
) -> None:
    before = seed(con, tmp_path)
    line_end = "\r\n" if form == "CRLF" else "\n"
    text = cr_rows(line_end).replace(written.replace(b"\n", line_end.encode()), with_cr.replace(b"\n", b""), 1)
    text = text.replace(b",\rLAST", b",\rLAST" + line_end.encode()) if b"LAST" in with_cr else text
    assert text.count(b"\r") == text.count(b"\r\n") + 1
    path = tmp_path / "Contracts_PrimeTransactions_cr.csv"
    if form == "LF gzipped":
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(text))
    else:
        path.write_bytes(text)

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 2, 1)
    assert_whole(con, report, before)
    [(line, raw, why)] = con.execute(
        "SELECT line, raw_row, reason FROM quarantine WHERE source_id = ?", [report.source_id]
    ).fetchall()
    assert line == 3 and "bare carriage return inside an unquoted field" in why
    assert raw.encode("utf-8") == text.split(line_end.encode())[2]  # the row as written, its carriage return kept
    keys = con.execute("SELECT transaction_key FROM transactions WHERE source_id = ? ORDER BY 1", [report.source_id])
    assert keys.fetchall() == [("k1",), ("k3",)]


def test_a_bare_carriage_return_in_a_row_short_of_a_field_is_quarantined_not_loaded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Cut at the carriage return, a row one field short has the fields of a whole row."""
    before = seed(con, tmp_path)
    text = cr_rows().replace(b",LAST\n", b"\n").replace(b",ACME,", b",AC\rME,")
    path = tmp_path / "Contracts_PrimeTransactions_short_cr.csv"
    path.write_bytes(text)

    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 2, 1)
    assert_whole(con, report, before)
    why = reasons(con, report)
    assert set(why) == {3} and why[3].startswith("bare carriage return inside an unquoted field")
    raw = json.loads(str(scalar(con, "SELECT raw_row FROM quarantine WHERE source_id = ?", [report.source_id])))
    assert {"AC", "\rME"} <= set(raw.values())  # cut there, the carriage return given back


@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("quoted", [b'"\rACME"', b'"AC\rME"', b'"ACME\r"'], ids=["opening", "inside", "closing"])
@pytest.mark.parametrize("unquoted_elsewhere", [False, True], ids=["alone", "beside an unquoted one"])
def test_a_bare_carriage_return_inside_quotes_is_data_in_one_row(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, line_end: str, quoted: bytes, unquoted_elsewhere: bool
) -> None:
    text = cr_rows(line_end).replace(b",ACME,", b"," + quoted + b",")
    if unquoted_elsewhere:  # then the file is read through the marked copy
        text = text.replace(b"\nk3,", b"\nk\r3,")
    path = tmp_path / "Contracts_PrimeTransactions_quoted_cr.csv"
    path.write_bytes(text)
    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (
        3,
        3 - unquoted_elsewhere,
        unquoted_elsewhere,
    )
    stored = scalar(con, "SELECT recipient_name FROM transactions WHERE transaction_key = 'k2'")
    assert str(stored).encode("utf-8") == quoted.strip(b'"')
    assert set(reasons(con, report)) == ({4} if unquoted_elsewhere else set())


def test_a_file_whose_lines_end_in_a_carriage_return_loads_as_such(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "Contracts_PrimeTransactions_cr_lines.csv"
    path.write_bytes(cr_rows("\r"))
    report = load(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (3, 3, 0)


def test_lines_ending_both_in_lf_and_in_crlf_are_a_clear_refusal(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = cr_rows().replace(b"\nk3,", b"\r\nk3,")  # k2's line ends in CRLF, the others in LF
    path = tmp_path / "Contracts_PrimeTransactions_mixed.csv"
    path.write_bytes(text)
    assert_refused(con, tmp_path, path, "lines ending in CRLF in a file whose lines end in LF")
