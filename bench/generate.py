"""Synthetic USAspending `Contracts_PrimeTransactions` files for the ingest benchmark and the crash test.

Writes the exact 297-column bulk-download header (datasets/sources/usaspending/columns.yml) and rows with
realistic values in the columns the loader reads: unique transaction keys in USAspending's own formats, award
keys `CONT_AWD_<piid>_<sub-tier>_<parent piid>_<parent agency>`, modifications, ISO action dates, obligations
with cents (some negative: de-obligations), DHS sub-tier codes, 12-character UEIs, fictional vendor names
("Northwind Fictional 0001234 LLC"), PSC and NAICS codes with their descriptions. Other columns are constant
or blank. Every value is a deterministic function of the row number, so a file is reproducible.

DuckDB computes each row from `range(n)` as one string, the whole CSV line (its CSV writer spends most of its
time per column, and most of the 297 are blank); the lines stream out in Arrow batches of 100,000 whose
string buffers are written to the file as they are. About 300,000 rows (340 MB) a second on two cores, in
bounded memory (a few hundred MB) whatever the row count. A file appears under its name only once complete.

    python -m bench.generate --rows 10000000 --out var/bench/Contracts_PrimeTransactions_10M.csv [--gzip]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from gzip import open as gzip_open
from pathlib import Path
from typing import IO, cast

import duckdb

from datasets.sources.usaspending.load import COLUMN_LISTS
from datasets.sql import literal

HEADER: tuple[str, ...] = tuple(str(c) for c in COLUMN_LISTS["Contracts_PrimeTransactions"])

# DHS sub-tiers (USAspending agency codes), their names, and a contracting office prefix for PIIDs.
AGENCIES = (
    ("7012", "U.S. IMMIGRATION AND CUSTOMS ENFORCEMENT", "70CDCR"),
    ("7014", "U.S. CUSTOMS AND BORDER PROTECTION", "70B04C"),
    ("7003", "U.S. COAST GUARD", "70Z023"),
    ("7022", "FEDERAL EMERGENCY MANAGEMENT AGENCY", "70FA30"),
    ("7001", "OFFICE OF PROCUREMENT OPERATIONS", "70RSAT"),
    ("7008", "TRANSPORTATION SECURITY ADMINISTRATION", "70T040"),
    ("7013", "U.S. SECRET SERVICE", "70US09"),
    ("7015", "FEDERAL LAW ENFORCEMENT TRAINING CENTER", "70LGLY"),
)
PSC = (
    ("2355", "COMBAT, ASSAULT, AND TACTICAL VEHICLES, WHEELED"),
    ("S206", "HOUSEKEEPING- GUARD"),
    ("8440", "OUTERWEAR, MEN'S"),
    ("7510", "OFFICE SUPPLIES"),
    ("D307", "IT AND TELECOM- IT STRATEGY AND ARCHITECTURE"),
    ("R408", "SUPPORT- PROFESSIONAL: PROGRAM MANAGEMENT/SUPPORT"),
    ("Y1FF", "CONSTRUCTION OF DETENTION FACILITIES"),
    ("V221", "PASSENGER AIR CHARTER SERVICE"),
    ("1005", "GUNS, THROUGH 30MM"),
    ("6665", "HAZARD-DETECTING INSTRUMENTS AND APPARATUS"),
    ("R499", "SUPPORT- PROFESSIONAL: OTHER"),
    ("J023", "MAINT/REPAIR/REBUILD OF EQUIPMENT- GROUND EFFECT VEHICLES, MOTOR VEHICLES, TRAILERS, AND CYCLES"),
)
NAICS = (
    ("336992", "MILITARY ARMORED VEHICLE, TANK, AND TANK COMPONENT MANUFACTURING"),
    ("561612", "SECURITY GUARDS AND PATROL SERVICES"),
    ("541512", "COMPUTER SYSTEMS DESIGN SERVICES"),
    ("481211", "NONSCHEDULED CHARTERED PASSENGER AIR TRANSPORTATION"),
    ("236220", "COMMERCIAL AND INSTITUTIONAL BUILDING CONSTRUCTION"),
    ("541611", "ADMINISTRATIVE MANAGEMENT AND GENERAL MANAGEMENT CONSULTING SERVICES"),
    ("332994", "SMALL ARMS, ORDNANCE, AND ORDNANCE ACCESSORIES MANUFACTURING"),
    ("334511", "SEARCH, DETECTION, NAVIGATION, GUIDANCE, AERONAUTICAL, AND NAUTICAL SYSTEM AND INSTRUMENT MFG"),
)
SUFFIXES = ("LLC", "INC.", "CORPORATION", "LTD.", "L.P.", "HOLDINGS INC.")
STATES = ("VA", "TX", "CA", "MD", "FL", "AZ", "NY", "ON")
MODS_PER_AWARD = 4


def _select(rows: int, first_row: int = 0) -> str:
    """The SELECT producing `rows` rows with one column, `line`: the CSV line of the 297 columns."""
    vendors = max(1_000, rows // 40)
    per_award = MODS_PER_AWARD
    # Layer 1, per-row numbers derived from the row number; layer 2, the strings several columns share.
    numbers = f"""
        SELECT
            i // {per_award} AS award,
            i % {per_award} AS modn,
            CAST(hash(i // {per_award}, 'vendor') % {vendors} AS BIGINT) AS vendor,
            CAST(hash(i // {per_award}, 'agency') % {len(AGENCIES)} AS INTEGER) AS ag,
            CAST(hash(i // {per_award}, 'psc') % {len(PSC)} AS INTEGER) AS psc,
            CAST(hash(i // {per_award}, 'naics') % {len(NAICS)} AS INTEGER) AS naics,
            CAST(hash(i, 'state') % {len(STATES)} AS INTEGER) AS state,
            hash(i // {per_award}, 'idv') % 10 < 3 AS under_idv,
            DATE '2015-10-01' + CAST(hash(i // {per_award}, 'date') % 3600 AS INTEGER) AS award_day,
            CAST(60 * (i % {per_award}) + hash(i, 'day') % 60 AS INTEGER) AS days_after,
            CAST(hash(i, 'amount') % 250000000 AS BIGINT) AS cents,
            hash(i, 'sign') % 100 < 7 AS negative,
            hash(i // {per_award}, 'country') % 100 < 5 AS canadian
        FROM range({first_row}, {first_row + rows}) t(i)
    """

    def pick(choices: Sequence[str], index: str) -> str:
        return f"([{', '.join(literal(c) for c in choices)}])[1 + {index}]"

    def padded(number: str, width: int) -> str:
        return f"lpad(CAST({number} AS VARCHAR), {width}, '0')"

    shared = f"""
        SELECT *,
            {pick([a[0] for a in AGENCIES], "ag")} AS agency_code,
            {pick([a[1] for a in AGENCIES], "ag")} AS agency_name,
            {pick([a[2] for a in AGENCIES], "ag")} || strftime(award_day, '%y')
                || CASE WHEN under_idv THEN 'F' ELSE 'C' END || {padded("award % 100000000", 8)} AS piid,
            CASE WHEN under_idv THEN '47QSWA' || CAST(18 + award % 8 AS VARCHAR) || 'D'
                || {padded("award % 9973", 4)} END AS parent_piid,
            CASE WHEN under_idv THEN '4732' END AS parent_agency,
            CASE WHEN modn = 0 THEN '0' ELSE 'P' || {padded("modn", 5)} END AS modification,
            'Northwind Fictional ' || {padded("vendor", 7)} || ' ' || {pick(SUFFIXES, f"vendor % {len(SUFFIXES)}")}
                AS vendor_name,
            'NWF' || {padded("vendor", 9)} AS uei,
            award_day + days_after AS day
        FROM ({numbers}) n
    """
    award_key = (
        "concat_ws('_', 'CONT_AWD', piid, agency_code, coalesce(parent_piid, '-NONE-'), "
        "coalesce(parent_agency, '-NONE-'))"
    )
    values: dict[str, str] = {
        "contract_transaction_unique_key": (
            "concat_ws('_', agency_code, coalesce(parent_agency, '-NONE-'), piid, modification, "
            "coalesce(parent_piid, '-NONE-'), '0')"
        ),
        "contract_award_unique_key": award_key,
        "award_id_piid": "piid",
        "modification_number": "modification",
        "transaction_number": "'0'",
        "parent_award_agency_id": "parent_agency",
        "parent_award_agency_name": "CASE WHEN under_idv THEN 'GENERAL SERVICES ADMINISTRATION' END",
        "parent_award_id_piid": "parent_piid",
        "federal_action_obligation": (
            f"CASE WHEN negative THEN '-' ELSE '' END || CAST(cents // 100 AS VARCHAR) || '.' "
            f"|| {padded('cents % 100', 2)}"
        ),
        "action_date": "strftime(day, '%Y-%m-%d')",
        "action_date_fiscal_year": "CAST(year(day + INTERVAL 92 DAY) AS VARCHAR)",
        "awarding_agency_code": "'070'",
        "awarding_agency_name": "'DEPARTMENT OF HOMELAND SECURITY'",
        "awarding_sub_agency_code": "agency_code",
        "awarding_sub_agency_name": "agency_name",
        "funding_agency_code": "'070'",
        "funding_agency_name": "'DEPARTMENT OF HOMELAND SECURITY'",
        "funding_sub_agency_code": "agency_code",
        "funding_sub_agency_name": "agency_name",
        "recipient_uei": "uei",
        "recipient_name": "vendor_name",
        "recipient_name_raw": "vendor_name",
        "recipient_parent_uei": "uei",
        "recipient_parent_name": "vendor_name",
        "recipient_parent_name_raw": "vendor_name",
        "recipient_country_code": "CASE WHEN canadian THEN 'CAN' ELSE 'USA' END",
        "recipient_country_name": "CASE WHEN canadian THEN 'CANADA' ELSE 'UNITED STATES' END",
        "recipient_city_name": "CASE WHEN canadian THEN 'OTTAWA' ELSE 'ARLINGTON' END",
        "recipient_state_code": f"CASE WHEN canadian THEN NULL ELSE {pick(STATES, 'state')} END",
        "primary_place_of_performance_country_code": "'USA'",
        "primary_place_of_performance_country_name": "'UNITED STATES'",
        "award_or_idv_flag": "'AWARD'",
        "award_type_code": "CASE WHEN under_idv THEN 'C' ELSE 'D' END",
        "award_type": "CASE WHEN under_idv THEN 'DELIVERY ORDER' ELSE 'DEFINITIVE CONTRACT' END",
        "transaction_description": (
            "'\"FICTIONAL REQUIREMENT ' || CAST(award % 997 AS VARCHAR) || ', ORDER ' || CAST(modn AS VARCHAR) || '\"'"
        ),
        "prime_award_base_transaction_description": "'FICTIONAL REQUIREMENT ' || CAST(award % 997 AS VARCHAR)",
        "action_type_code": "CASE WHEN modn = 0 THEN NULL ELSE 'B' END",
        "action_type": "CASE WHEN modn = 0 THEN NULL ELSE 'SUPPLEMENTAL AGREEMENT FOR WORK WITHIN SCOPE' END",
        "number_of_actions": "'1'",
        "product_or_service_code": pick([p[0] for p in PSC], "psc"),
        "product_or_service_code_description": pick([_csv_quoted(p[1]) for p in PSC], "psc"),
        "naics_code": pick([n[0] for n in NAICS], "naics"),
        "naics_description": pick([_csv_quoted(n[1]) for n in NAICS], "naics"),
        "domestic_or_foreign_entity_code": "CASE WHEN canadian THEN 'C' ELSE 'A' END",
        "domestic_or_foreign_entity": (
            "CASE WHEN canadian THEN 'FOREIGN-OWNED AND LOCATED' ELSE 'U.S. OWNED BUSINESS' END"
        ),
        "foreign_owned": "CASE WHEN canadian THEN 't' ELSE 'f' END",
        "usaspending_permalink": f"'https://www.usaspending.gov/award/' || {award_key} || '/'",
        "last_modified_date": "strftime(day + 3, '%Y-%m-%d') || ' 00:00:00'",
    }
    unknown = set(values) - set(HEADER)
    assert not unknown, f"not in the header: {unknown}"
    # One VARCHAR per row holding the whole CSV line (newline included): DuckDB's CSV writer spends most of
    # its time per column, and most of the 297 columns are blank.
    parts: list[str] = []
    pending = ""  # literal text (commas) waiting to be emitted
    for index, column in enumerate(HEADER):
        if index:
            pending += ","
        if column in values:
            if pending:
                parts.append(literal(pending))
                pending = ""
            parts.append(f"CAST({values[column]} AS VARCHAR)")
    parts.append(literal(pending + "\n"))
    return f"SELECT concat({', '.join(parts)}) AS line FROM ({shared}) s"


def _csv_quoted(value: str) -> str:
    """A constant as a CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write_lines(con: duckdb.DuckDBPyConnection, query: str, handle: IO[bytes]) -> int:
    """Stream the query's one-column result (complete lines) into `handle`; returns the rows written."""
    rows = 0
    for batch in con.sql(query).to_arrow_reader(100_000):
        column = batch.column(0)
        count = len(column)
        if count == 0:
            continue
        # A string array holds its values back to back in one buffer: exactly the bytes of the lines.
        _validity, offsets_buffer, data = column.buffers()
        offsets = memoryview(offsets_buffer).cast("q" if str(column.type) == "large_string" else "i")
        start, end = offsets[column.offset], offsets[column.offset + count]
        handle.write(memoryview(data)[start:end])
        rows += count
    return rows


def generate(rows: int, out: Path, *, first_row: int = 0, gzip: bool = False, memory_limit: str = "1GB") -> Path:
    """Write `rows` transactions to `out` (gzip-compressed when asked) and return the path written.

    Rows are numbered from `first_row`: files with disjoint row ranges hold disjoint transactions."""
    if rows < 0 or first_row < 0:
        raise ValueError("rows and first_row must be >= 0")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = {literal(memory_limit)}")
        with cast(IO[bytes], gzip_open(partial, "wb", compresslevel=1)) if gzip else partial.open("wb") as handle:
            handle.write((",".join(HEADER) + "\n").encode("utf-8"))
            written = _write_lines(con, _select(rows, first_row), handle)
    finally:
        con.close()
    if written != rows:
        raise RuntimeError(f"wrote {written:,} rows instead of {rows:,}")
    partial.replace(out)  # a complete file or none: an interrupted run never leaves a short file under `out`
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of transactions to write")
    parser.add_argument("--out", type=Path, required=True, help="file to write (.csv, or .csv.gz with --gzip)")
    parser.add_argument("--first-row", type=int, default=0, help="number of the first row (default 0)")
    parser.add_argument("--gzip", action="store_true", help="gzip-compress the file")
    args = parser.parse_args()
    started = time.perf_counter()
    path = generate(args.rows, args.out, first_row=args.first_row, gzip=args.gzip)
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    print(f"wrote {args.rows:,} rows to {path} ({size / 1e6:,.1f} MB) in {seconds:.1f} s")


if __name__ == "__main__":
    main()
