"""Shared load machinery: recognise a file by its header, read it set-wise with DuckDB, quarantine what
cannot be loaded, upsert the rest on natural keys, and record the source, all in one transaction.

Accounting per file: rows_read = inserted + updated + duplicate + quarantined, always.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, cast

import duckdb
import yaml

from datasets.db import first_row, scalar
from datasets.errors import LoadError, UnknownFormatError
from datasets.sql import ident, literal

StepCallback = Callable[[str], None]

# A load caps DuckDB's memory at this (never raising a lower limit); its staging spills to disk beyond it.
LOAD_MEMORY_LIMIT = os.environ.get("EXPOSURE_LOAD_MEMORY_LIMIT", "2GB")
# The longest CSV line the reader accepts (a longer one is quarantined as malformed, not loaded).
MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SourceMeta:
    """What a source folder's source.yml declares: who publishes it, where, under which licence."""

    name: str
    title: str
    publisher: str
    url: str
    licence: str
    expected_rows: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> SourceMeta:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            name=str(raw["name"]),
            title=str(raw["title"]),
            publisher=str(raw["publisher"]),
            url=str(raw["url"]),
            licence=str(raw["licence"]),
            expected_rows={str(k): int(v) for k, v in (raw.get("expected_rows") or {}).items()},
        )


@dataclass(frozen=True)
class Kind:
    """One file format: how to recognise it and how its raw VARCHAR columns become a table's rows.

    `required` lists the header columns the format must have; each entry is a tuple of accepted spellings
    (the first is the canonical name the SQL uses). `fields` maps target columns to SQL over the canonical
    raw columns; `checks` quarantine a row when their condition holds, with the first failing reason.
    """

    name: str
    description: str
    table: str
    key: str
    required: tuple[tuple[str, ...], ...]
    fields: tuple[tuple[str, str], ...]
    checks: tuple[tuple[str, str], ...]
    meta: SourceMeta
    known_columns: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    source_kind_column: bool = True
    # Set-wise work that derives other tables from this one, run in the same transaction as the load.
    after_load: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None

    @property
    def required_names(self) -> list[str]:
        return [names[0] for names in self.required]

    def missing_from(self, header: Sequence[str]) -> list[str]:
        present = set(header)
        return [names[0] for names in self.required if not present.intersection(names)]

    def canonical_header(self, header: Sequence[str]) -> list[str]:
        """The header with accepted alternative spellings renamed to their canonical name."""
        alternatives = {alt: names[0] for names in self.required for alt in names[1:]}
        renames = dict(self.renames)
        canonical = (alternatives.get(column, column) for column in header)
        return [renames.get(column, column) for column in canonical]

    def unknown_columns(self, header: Sequence[str]) -> list[str]:
        if not self.known_columns:
            return []
        known = (
            set(self.known_columns)
            | {alt for names in self.required for alt in names}
            | {raw for raw, _canonical in self.renames}
        )
        return [column for column in header if column not in known]


@dataclass
class LoadReport:
    file_name: str
    kind: str
    source_id: int | None
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False

    @property
    def balanced(self) -> bool:
        accounted = self.rows_inserted + self.rows_updated + self.rows_duplicate + self.rows_quarantined
        return self.rows_read == accounted


# ---------------------------------------------------------------------------------------------------
# Opening files: plain CSV, .csv.gz, and .zip archives of CSVs.


@dataclass(frozen=True)
class CsvInput:
    """One CSV stream to load: a path DuckDB can read directly, and the name to report."""

    path: Path
    display_name: str


@contextmanager
def csv_inputs(path: Path) -> Iterator[list[CsvInput]]:
    """Yield the CSVs inside `path`; zip members are extracted to a temporary folder by streaming copy."""
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    if path.is_dir():
        raise LoadError(f"{path} is a folder; pass the files in it (e.g. {path}/*.csv)")
    if path.suffix.lower() != ".zip":
        yield [CsvInput(path, path.name)]
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise LoadError(f"{path}: not a readable zip archive ({exc})") from exc
    with archive, tempfile.TemporaryDirectory(prefix="exposure-zip-") as tmp:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")]
        if not members:
            raise LoadError(f"{path}: the archive holds no .csv file")
        inputs = []
        for index, member in enumerate(members):
            target = Path(tmp) / f"{index:04d}_{Path(member.filename).name}"
            with archive.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
            inputs.append(CsvInput(target, f"{path.name}:{member.filename}"))
        yield inputs


def _open_bytes(path: Path) -> IO[bytes]:
    # The caller closes the returned stream.
    return cast(IO[bytes], gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb"))


def _open_text(path: Path) -> IO[str]:
    # The caller closes the returned wrapper, which closes this stream.
    return io.TextIOWrapper(_open_bytes(path), encoding="utf-8-sig", errors="replace", newline="")


# Delimiters other than the comma that exports use, with the name to show.
_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _other_delimiter(fields: Sequence[str]) -> str | None:
    """The delimiter that splits the header more than commas do, if one does."""
    if not fields:
        return None
    commas = len(fields) - 1
    counts = {d: sum(f.count(d) for f in fields) for d in _OTHER_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > commas else None


def read_header(path: Path) -> list[str]:
    """The header row, checked: a comma-separated, UTF-8 CSV with at least two distinct column names."""
    try:
        with _open_bytes(path) as raw:
            start = raw.read(4)
        if start.startswith(_UTF16_BOMS):
            raise LoadError(f"{path.name}: the file is UTF-16 encoded; expected UTF-8 (re-export it as CSV UTF-8)")
        with _open_text(path) as handle:
            try:
                row = next(csv.reader(handle))
            except StopIteration:
                raise LoadError(f"{path.name}: the file is empty (no header row)") from None
            except csv.Error as exc:
                raise LoadError(f"{path.name}: the header row is not valid CSV ({exc})") from exc
    except (OSError, EOFError) as exc:  # unreadable, or a .gz that is not gzip
        raise LoadError(f"{path.name}: the file cannot be read ({exc})") from exc
    header = [column.strip() for column in row]
    delimiter = _other_delimiter(header)
    if delimiter is not None:
        shown = _OTHER_DELIMITERS[delimiter]
        parts = sum(f.count(delimiter) for f in header) + 1
        raise LoadError(
            f"{path.name}: expected a comma-separated file; this one looks {shown}-separated "
            f"(its header splits into {parts} columns on {shown}); re-export it with commas"
        )
    if len(header) <= 1:
        raise LoadError(
            f"{path.name}: the header has {len(header)} column; expected a comma-separated CSV (got {row[0][:80]!r}...)"
            if header
            else f"{path.name}: the header row is blank"
        )
    seen: set[str] = set()
    duplicated = [c for c in header if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if duplicated:
        raise LoadError(f"{path.name}: duplicate column names in the header: {', '.join(sorted(set(duplicated)))}")
    return header


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Recognising a kind.


def detect_kind(header: Sequence[str], kinds: Sequence[Kind], file_name: str) -> Kind:
    """The kind whose required columns are all present (the most specific one if several are);
    otherwise refuse the file, naming the closest kind and what it lacks."""
    matching = [kind for kind in kinds if not kind.missing_from(header)]
    if matching:
        return max(matching, key=lambda kind: len(kind.required))

    def closeness(kind: Kind) -> float:
        return 1 - len(kind.missing_from(header)) / len(kind.required)

    closest = max(kinds, key=closeness)
    missing = closest.missing_from(header)
    shown = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
    raise UnknownFormatError(
        f"{file_name}: header matches no known kind; the closest is {closest.name} "
        f"({closest.description}), which also needs: {shown}"
    )


# ---------------------------------------------------------------------------------------------------
# Loading.


def load_file(
    con: duckdb.DuckDBPyConnection,
    source: CsvInput,
    kinds: Sequence[Kind],
    *,
    on_step: StepCallback | None = None,
    only_kind: str | None = None,
) -> LoadReport:
    """Load one CSV in a single transaction; on any error the database is left exactly as it was."""
    step = on_step or (lambda _name: None)
    header = read_header(source.path)
    candidates = [k for k in kinds if k.name == only_kind] if only_kind else list(kinds)
    kind = detect_kind(header, candidates, source.display_name)
    digest = sha256_of(source.path)

    previous = first_row(
        con, "SELECT source_id, rows_read FROM sources WHERE sha256 = ? AND kind = ?", [digest, kind.name]
    )
    if previous is not None:
        source_id, rows_read = int(previous[0]), int(previous[1])
        return LoadReport(
            source.display_name,
            kind.name,
            source_id,
            rows_read=rows_read,
            rows_duplicate=rows_read,
            already_loaded=True,
        )

    with _load_settings(con):
        con.execute("BEGIN TRANSACTION")
        try:
            report = _load_in_transaction(con, source, kind, header, digest, step)
            con.execute("COMMIT")
        except duckdb.IOException as exc:  # e.g. a .gz cut short: the file fails part-way through
            con.execute("ROLLBACK")
            raise LoadError(f"{source.display_name}: I/O error while loading, nothing kept ({exc})") from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            _drop_staging(con)
    return report


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _size_bytes(size: str) -> float | None:
    """'18.8 GiB', '2GB', '512 MB' in bytes; None when it does not read as a size."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", size)
    if match is None or match.group(2).lower() not in _UNITS:
        return None
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


@contextmanager
def _load_settings(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """What a load needs of the connection, restored afterwards: rows kept in file order (line numbers
    come from it), and memory capped at LOAD_MEMORY_LIMIT so that a large file spills its staging to
    DuckDB's temporary directory instead of growing the process (10M rows stay near 2 GB)."""
    saved = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'preserve_insertion_order')"
        ).fetchall()
    )
    wanted = {"preserve_insertion_order": "true"}
    cap, current = _size_bytes(LOAD_MEMORY_LIMIT), _size_bytes(str(saved.get("memory_limit", "")))
    if cap is not None and (current is None or current > cap):
        wanted["memory_limit"] = LOAD_MEMORY_LIMIT
    changed = {name: value for name, value in wanted.items() if str(saved.get(name)).lower() != value.lower()}
    for name, value in changed.items():
        con.execute(f"SET {name} = {literal(value)}")
    try:
        yield
    finally:
        for name in changed:
            if name == "memory_limit":
                con.execute(_restore_memory_limit(str(saved[name])))
            else:
                con.execute(f"SET {name} = {literal(str(saved[name]))}")


def _restore_memory_limit(shown: str) -> str:
    """The statement that puts memory_limit back to what DuckDB showed before the load.

    DuckDB shows the limit truncated to one decimal ('18.8 GiB'); setting that back would lower the limit a
    little on every load. The default (what a fresh connection shows) is restored exactly by RESET; any
    other value by setting half a unit more than shown, which DuckDB shows as the same value again."""
    fresh = duckdb.connect()
    try:
        default = str(fresh.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    finally:
        fresh.close()
    if shown == default:
        return "RESET memory_limit"
    match = re.fullmatch(r"\s*([0-9]+\.[0-9])\s*([a-zA-Z]+)\s*", shown)
    value = f"{float(match.group(1)) + 0.05:.2f} {match.group(2)}" if match else shown
    return f"SET memory_limit = {literal(value)}"


# Staging objects, all temporary (they live in the loading connection only) and dropped after each load.
_STAGING_VIEWS = ("_stage_first", "_stage_lined")
_STAGING_TABLES = (
    "_stage_typed",
    "_stage_rejects",
    "_stage_reject_scans",
    "_stage_steps",
    "_stage_dups",
    "_stage_repeats",
)
# The whole raw row as a struct, kept beside the parsed columns so a quarantined row can be stored as JSON.
_RAW = "_exposure_raw"


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for view in _STAGING_VIEWS:
        con.execute(f"DROP VIEW IF EXISTS temp.{view}")
    for table in _STAGING_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _csv_scan(path: Path, columns: Sequence[str], *, store_rejects: bool) -> str:
    """read_csv over `path` with every column VARCHAR; rows that do not parse are skipped (and, with
    `store_rejects`, recorded in _stage_rejects). Both passes over a file use the same options, so they
    skip the same rows."""
    column_spec = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns) + "}"
    rejects = (
        ", store_rejects = true, rejects_table = '_stage_rejects', rejects_scan = '_stage_reject_scans'"
        if store_rejects
        else ""
    )
    return f"""read_csv({literal(str(path))},
            header = true, auto_detect = false, columns = {column_spec},
            delim = ',', quote = '"', escape = '"', encoding = 'utf-8',
            ignore_errors = true, max_line_size = {MAX_LINE_BYTES}{rejects})"""


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    source: CsvInput,
    kind: Kind,
    header: list[str],
    digest: str,
    step: StepCallback,
) -> LoadReport:
    """The load, set-wise, in as few passes over the rows as the accounting allows:

    1. one read of the file computes each row's typed fields, its hash and its quarantine reason (the raw row
       is kept as JSON only for the rows that have a reason);
    2. each row's file line is its position, shifted by the malformed lines the reader skipped before it;
    3. keys repeated within the file are found by grouping the (few) rows whose key hash repeats;
    4. rows go to the table with a plain INSERT; only keys already stored take the slower replace path.
    """
    columns = kind.canonical_header(header)
    report = LoadReport(source.display_name, kind.name, None, unknown_columns=kind.unknown_columns(header))
    source_id = _next_source_id(con)
    report.source_id = source_id
    key = ident(kind.key)
    names = [name for name, _expr in kind.fields]

    step("reading")
    _drop_staging(con)
    # Optional columns the kind's SQL may use but this file lacks (older downloads) read as blank.
    absent = [c for c in kind.canonical_header(kind.known_columns) if c not in set(columns)]
    padding = "".join(f", CAST(NULL AS VARCHAR) AS {ident(c)}" for c in dict.fromkeys(absent))
    scan = _csv_scan(source.path, columns, store_rejects=True)
    typed = ", ".join(f"{expr} AS {ident(name)}" for name, expr in kind.fields)
    reason = "CASE " + " ".join(f"WHEN {cond} THEN {why}" for cond, why in kind.checks) + " END"
    # The hash of the typed values, as every earlier version computed it (stored rows keep theirs).
    row_hash = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({ident(n)} AS VARCHAR), '')" for n in names) + "))"
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_typed AS
        SELECT {", ".join(ident(n) for n in names)}, {row_hash} AS row_hash, _reason,
               CASE WHEN _reason IS NOT NULL THEN CAST(to_json({_RAW}) AS VARCHAR) END AS _raw_json
        FROM (
            SELECT {typed}, {reason} AS _reason, {_RAW}
            FROM (SELECT {_RAW}, {_RAW}.* {padding} FROM {scan} {_RAW}) raw
        ) checked
        """
    )
    # File line of each parsed row: rows are stored in file order (consecutive rowids from the first one,
    # which inside a transaction is not 0), and every malformed line the reader skipped shifts the rows
    # after it by one.
    base = int(scalar(con, "SELECT coalesce(min(rowid), 0) FROM _stage_typed"))
    rejected = int(scalar(con, "SELECT count(DISTINCT line) FROM _stage_rejects"))
    if rejected == 0:
        con.execute(
            f"CREATE TEMP VIEW _stage_lined AS SELECT rowid - {base} AS _row, rowid - {base} + 2 AS _line, * "
            "FROM _stage_typed"
        )
    else:
        con.execute(
            """
            CREATE TEMP TABLE _stage_steps AS
            WITH rejected AS (SELECT DISTINCT line FROM _stage_rejects),
            shifts AS (
                SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS parsed_before,
                       row_number() OVER (ORDER BY line) AS rejected_so_far
                FROM rejected
            )
            SELECT parsed_before, max(rejected_so_far) AS rejected_so_far FROM shifts GROUP BY 1
            """
        )
        con.execute(
            f"""
            CREATE TEMP VIEW _stage_lined AS
            SELECT t.rowid - {base} AS _row, t.rowid - {base} + 2 + coalesce(s.rejected_so_far, 0) AS _line, t.*
            FROM _stage_typed t ASOF LEFT JOIN _stage_steps s ON t.rowid - {base} >= s.parsed_before
            """
        )

    step("validating")
    # Keys seen more than once among the valid rows: group the rows whose key hash repeats (a fixed-width
    # aggregate over every row), then the keys themselves among those few.
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_dups AS
        WITH valid AS (
            SELECT rowid - {base} AS _row, {key} AS _key, row_hash FROM _stage_typed WHERE _reason IS NULL
        ),
        repeated AS (SELECT hash(_key) AS _h FROM valid GROUP BY 1 HAVING count(*) > 1)
        SELECT _key, min(_row) AS _first_row, arg_min(row_hash, _row) AS _first_hash
        FROM valid WHERE hash(_key) IN (SELECT _h FROM repeated)
        GROUP BY _key HAVING count(*) > 1
        """
    )
    repeats = int(scalar(con, "SELECT count(*) FROM _stage_dups")) > 0
    if repeats:
        # Each later row of a repeated key: an exact duplicate of the first, or a conflicting one.
        con.execute(
            f"""
            CREATE TEMP TABLE _stage_repeats AS
            SELECT l._row, l._line, d._key, l.row_hash = d._first_hash AS _same, f._line AS _first_line
            FROM _stage_lined l
            JOIN _stage_dups d ON l.{key} IS NOT DISTINCT FROM d._key AND l._row > d._first_row
            JOIN _stage_lined f ON f._row = d._first_row
            WHERE l._reason IS NULL
            """
        )
        con.execute(
            "CREATE TEMP VIEW _stage_first AS SELECT * FROM _stage_lined "
            "WHERE _reason IS NULL AND _row NOT IN (SELECT _row FROM _stage_repeats)"
        )
    else:
        con.execute("CREATE TEMP VIEW _stage_first AS SELECT * FROM _stage_lined WHERE _reason IS NULL")

    step("quarantining")
    con.execute(
        """
        INSERT INTO quarantine (source_id, line, raw_row, reason)
        SELECT ?, line, csv_line,
               'malformed CSV row (' || lower(CAST(error_type AS VARCHAR)) || '): ' || error_message
        FROM (SELECT DISTINCT ON (line) * FROM _stage_rejects ORDER BY line)
        """,
        [source_id],
    )
    con.execute(
        "INSERT INTO quarantine (source_id, line, raw_row, reason) "
        "SELECT ?, _line, _raw_json, _reason FROM _stage_lined WHERE _reason IS NOT NULL",
        [source_id],
    )
    if repeats:
        _quarantine_conflicts(con, source, kind, columns, padding, source_id)

    step("writing")
    counts = first_row(
        con,
        f"""
        SELECT
            (SELECT count(*) FROM _stage_typed),
            (SELECT count(*) FROM _stage_typed WHERE _reason IS NOT NULL),
            {"(SELECT count(*) FILTER (WHERE _same) FROM _stage_repeats)" if repeats else "0"},
            {"(SELECT count(*) FILTER (WHERE NOT _same) FROM _stage_repeats)" if repeats else "0"},
            (SELECT count(*) FROM _stage_first)
        """,
    )
    assert counts is not None
    parsed, invalid, dup_in_file, conflicting, first = (int(c) for c in counts)

    target_columns = [*names, "row_hash", "source_id", "source_line"]
    selected = [*(f"s.{ident(n)}" for n in names), "s.row_hash", str(source_id), "s._line"]
    if kind.source_kind_column:
        target_columns.append("source_kind")
        selected.append(literal(kind.name))
    into = f"{kind.table} ({', '.join(ident(c) for c in target_columns)})"
    dup_in_store = updated = 0
    if scalar(con, f"SELECT EXISTS (SELECT 1 FROM {kind.table})"):
        stored = first_row(
            con,
            f"""
            SELECT count(*) FILTER (WHERE t.row_hash = s.row_hash), count(*) FILTER (WHERE t.row_hash <> s.row_hash)
            FROM _stage_first s JOIN {kind.table} t ON t.{key} = s.{key}
            """,
        )
        assert stored is not None
        dup_in_store, changed = int(stored[0]), int(stored[1])
        if changed:
            updated = _count(
                con,
                f"""
                INSERT OR REPLACE INTO {into}
                SELECT {", ".join(selected)}
                FROM _stage_first s JOIN {kind.table} t ON t.{key} = s.{key}
                WHERE t.row_hash <> s.row_hash
                """,
            )
            if updated != changed:
                raise LoadError(f"{source.display_name}: replaced {updated} stored rows, expected {changed}")
        new_rows = f"WHERE NOT EXISTS (SELECT 1 FROM {kind.table} t WHERE t.{key} = s.{key})"
    else:
        new_rows = ""
    inserted = _count(con, f"INSERT INTO {into} SELECT {', '.join(selected)} FROM _stage_first s {new_rows}")

    report.rows_read = parsed + rejected
    report.rows_inserted = inserted
    report.rows_updated = updated
    report.rows_duplicate = dup_in_file + dup_in_store
    report.rows_quarantined = rejected + invalid + conflicting
    if not report.balanced or inserted + updated + dup_in_store != first:
        # a bug here must never pass silently: roll back instead
        raise LoadError(f"{source.display_name}: row accounting does not add up ({report})")

    if kind.after_load is not None:
        step("deriving")
        kind.after_load(con, source_id)
    step("recording")
    _record_source(con, report, kind, source, digest)
    return report


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """Run an INSERT and return the number of rows it wrote."""
    return int(scalar(con, sql) or 0)


def _quarantine_conflicts(
    con: duckdb.DuckDBPyConnection,
    source: CsvInput,
    kind: Kind,
    columns: Sequence[str],
    padding: str,
    source_id: int,
) -> None:
    """Quarantine the rows that repeat a key with other values, each with its raw row as JSON.

    Only the rows with a reason kept their raw row in the first pass; these few are read again: a second
    scan numbers the rows in file order (skipping the same malformed lines) and keeps the wanted ones. Their
    key is checked against the first pass; should it ever differ, the parsed row is stored instead."""
    key_expr = dict(kind.fields)[kind.key]
    scan = _csv_scan(source.path, columns, store_rejects=False)
    con.execute(
        f"""
        INSERT INTO quarantine (source_id, line, raw_row, reason)
        SELECT ?, r._line,
               CASE WHEN x._key IS NOT DISTINCT FROM r._key THEN x._raw_json ELSE CAST(to_json(l) AS VARCHAR) END,
               'conflicting duplicate of key ' || r._key || ' (first seen at line ' || r._first_line || ')'
        FROM _stage_repeats r
        JOIN _stage_lined l ON l._row = r._row
        LEFT JOIN (
            SELECT _k, _key, CAST(to_json({_RAW}) AS VARCHAR) AS _raw_json
            FROM (
                SELECT row_number() OVER () - 1 AS _k, {key_expr} AS _key, {_RAW}
                FROM (SELECT {_RAW}, {_RAW}.* {padding} FROM {scan} {_RAW}) raw
            ) numbered
            WHERE _k IN (SELECT _row FROM _stage_repeats WHERE NOT _same)
        ) x ON x._k = r._row
        WHERE NOT r._same
        ORDER BY r._line
        """,
        [source_id],
    )


def _next_source_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT nextval('source_id_seq')"))


def _record_source(
    con: duckdb.DuckDBPyConnection, report: LoadReport, kind: Kind, source: CsvInput, digest: str
) -> None:
    con.execute(
        """
        INSERT INTO sources (source_id, kind, file_name, sha256, publisher, licence, source_url, loaded_at,
            rows_read, rows_inserted, rows_updated, rows_duplicate, rows_quarantined, unknown_columns)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            report.source_id,
            kind.name,
            source.display_name,
            digest,
            kind.meta.publisher,
            kind.meta.licence,
            kind.meta.url,
            datetime.now(UTC).replace(tzinfo=None),
            report.rows_read,
            report.rows_inserted,
            report.rows_updated,
            report.rows_duplicate,
            report.rows_quarantined,
            report.unknown_columns,
        ],
    )
