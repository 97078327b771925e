"""Shared load machinery: recognise a file by its header, read it set-wise with DuckDB, quarantine what
cannot be loaded, upsert the rest on natural keys, and record the source, all in one transaction.

Accounting per file: rows_read = inserted + updated + duplicate + quarantined, always.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
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


def _open_text(path: Path) -> IO[str]:
    # The caller closes the returned wrapper, which closes this stream.
    raw = cast(IO[bytes], gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb"))  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def read_header(path: Path) -> list[str]:
    with _open_text(path) as handle:
        try:
            row = next(csv.reader(handle))
        except StopIteration:
            raise LoadError(f"{path.name}: the file is empty (no header row)") from None
        except csv.Error as exc:
            raise LoadError(f"{path.name}: the header row is not valid CSV ({exc})") from exc
    header = [column.strip() for column in row]
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

    con.execute("BEGIN TRANSACTION")
    try:
        report = _load_in_transaction(con, source, kind, header, digest, step)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _drop_staging(con)
    return report


_STAGING = (
    "_stage_raw",
    "_stage_rejects",
    "_stage_reject_scans",
    "_stage_lined",
    "_stage_typed",
    "_stage_ranked",
)


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for table in _STAGING:
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    source: CsvInput,
    kind: Kind,
    header: list[str],
    digest: str,
    step: StepCallback,
) -> LoadReport:
    columns = kind.canonical_header(header)
    report = LoadReport(source.display_name, kind.name, None, unknown_columns=kind.unknown_columns(header))
    source_id = _next_source_id(con)
    report.source_id = source_id

    step("reading")
    _drop_staging(con)
    column_spec = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns) + "}"
    # Optional columns the kind's SQL may use but this file lacks (older downloads) read as blank.
    absent = [c for c in kind.canonical_header(kind.known_columns) if c not in set(columns)]
    padding = "".join(f", CAST(NULL AS VARCHAR) AS {ident(c)}" for c in dict.fromkeys(absent))
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_raw AS
        SELECT * FROM read_csv({literal(str(source.path))},
            header = true, auto_detect = false, columns = {column_spec},
            delim = ',', quote = '"', escape = '"', encoding = 'utf-8',
            ignore_errors = true, store_rejects = true,
            rejects_table = '_stage_rejects', rejects_scan = '_stage_reject_scans',
            max_line_size = 16777216)
        """
    )
    # File line of each parsed row: rows are in file order; rejected lines shift the later ones.
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_lined AS
        WITH rejected AS (SELECT DISTINCT line FROM _stage_rejects),
        shifts AS (
            SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS parsed_before,
                   row_number() OVER (ORDER BY line) AS rejected_so_far
            FROM rejected
        ),
        steps AS (SELECT parsed_before, max(rejected_so_far) AS rejected_so_far FROM shifts GROUP BY 1),
        raw AS (SELECT rowid - min(rowid) OVER () AS _k, * FROM _stage_raw)
        SELECT raw.* EXCLUDE (_k), raw._k + 2 + coalesce(steps.rejected_so_far, 0) AS _line {padding}
        FROM raw ASOF LEFT JOIN steps ON raw._k >= steps.parsed_before
        """
    )

    step("validating")
    typed = ", ".join(f"{expr} AS {ident(name)}" for name, expr in kind.fields)
    reason = "CASE " + " ".join(f"WHEN {cond} THEN {why}" for cond, why in kind.checks) + " END"
    row_hash = (
        "md5(concat_ws(chr(31), "
        + ", ".join(f"coalesce(CAST({expr} AS VARCHAR), '')" for _name, expr in kind.fields)
        + "))"
    )
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_typed AS
        SELECT _line, {typed}, {row_hash} AS row_hash, {reason} AS _reason,
               CASE WHEN {reason} IS NOT NULL THEN CAST(to_json(r) AS VARCHAR) END AS _raw_json
        FROM (SELECT * FROM _stage_lined) r
        """
    )
    key = ident(kind.key)
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_ranked AS
        SELECT *,
            row_number() OVER (PARTITION BY {key} ORDER BY _line) AS _rank,
            first_value(row_hash) OVER (PARTITION BY {key} ORDER BY _line) AS _first_hash,
            first_value(_line) OVER (PARTITION BY {key} ORDER BY _line) AS _first_line
        FROM _stage_typed WHERE _reason IS NULL
        """
    )

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
        "SELECT ?, _line, _raw_json, _reason FROM _stage_typed WHERE _reason IS NOT NULL",
        [source_id],
    )
    con.execute(
        f"""
        INSERT INTO quarantine (source_id, line, raw_row, reason)
        SELECT ?, r._line, CAST(to_json(l) AS VARCHAR),
               'conflicting duplicate of key ' || r.{key} || ' (first seen at line ' || r._first_line || ')'
        FROM _stage_ranked r JOIN _stage_lined l ON l._line = r._line
        WHERE r._rank > 1 AND r.row_hash <> r._first_hash
        """,
        [source_id],
    )

    step("writing")
    counts = first_row(
        con,
        f"""
        SELECT
            (SELECT count(*) FROM _stage_lined) + (SELECT count(DISTINCT line) FROM _stage_rejects),
            (SELECT count(DISTINCT line) FROM _stage_rejects)
              + (SELECT count(*) FROM _stage_typed WHERE _reason IS NOT NULL)
              + (SELECT count(*) FROM _stage_ranked WHERE _rank > 1 AND row_hash <> _first_hash),
            (SELECT count(*) FROM _stage_ranked WHERE _rank > 1 AND row_hash = _first_hash),
            count(*) FILTER (WHERE t.row_hash IS NULL),
            count(*) FILTER (WHERE t.row_hash IS NOT NULL AND t.row_hash = s.row_hash),
            count(*) FILTER (WHERE t.row_hash IS NOT NULL AND t.row_hash <> s.row_hash)
        FROM _stage_ranked s LEFT JOIN {kind.table} t ON t.{key} = s.{key}
        WHERE s._rank = 1
        """,
    )
    assert counts is not None
    read, quarantined, dup_in_file, inserted, dup_in_store, updated = (int(c) for c in counts)

    names = [name for name, _expr in kind.fields]
    target_columns = [*names, "row_hash", "source_id", "source_line"]
    selected = [*(f"s.{ident(n)}" for n in names), "s.row_hash", str(source_id), "s._line"]
    if kind.source_kind_column:
        target_columns.append("source_kind")
        selected.append(literal(kind.name))
    con.execute(
        f"""
        INSERT OR REPLACE INTO {kind.table} ({", ".join(ident(c) for c in target_columns)})
        SELECT {", ".join(selected)}
        FROM _stage_ranked s LEFT JOIN {kind.table} t ON t.{key} = s.{key}
        WHERE s._rank = 1 AND (t.row_hash IS NULL OR t.row_hash <> s.row_hash)
        """
    )

    report.rows_read = read
    report.rows_inserted = inserted
    report.rows_updated = updated
    report.rows_duplicate = dup_in_file + dup_in_store
    report.rows_quarantined = quarantined
    if not report.balanced:  # a bug here must never pass silently: roll back instead
        raise LoadError(f"{source.display_name}: row accounting does not add up ({report})")

    if kind.after_load is not None:
        step("deriving")
        kind.after_load(con, source_id)
    step("recording")
    _record_source(con, report, kind, source, digest)
    return report


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
