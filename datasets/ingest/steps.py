"""The steps of one file's load, each a named function over set-wise SQL, run in this order inside one
transaction by `datasets.ingest.load.load_file`:

1. stage_rows: one read of the file types each row's fields, hashes them, and gives the reason of the first
   check it fails (its raw row kept as JSON only then); lines the CSV reader cannot parse are set aside, a
   bare carriage return in an unquoted field among them (read through a marked copy, see inputs.BARE_CR_MARK);
2. number_lines: each row's line in the file: its position, shifted by the unparseable lines before it;
3. find_repeats: keys repeated within the file, each later row an exact duplicate or a conflicting one;
4. quarantine_rows: unparseable lines, rows failing a check and conflicting duplicates, each with its reason;
5. write_rows: new keys inserted, changed ones replaced, unchanged ones counted as duplicates;
6. record_source: the file, its digest and its accounting, in `sources`.

Staging lives in temporary tables and views of the loading connection, dropped after every load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from datasets.db import first_row, scalar
from datasets.errors import LoadError
from datasets.ingest.inputs import BARE_CR_MARK, CsvInput
from datasets.ingest.kinds import Kind
from datasets.ingest.report import LoadReport
from datasets.sql import ident, literal

# The longest CSV line the reader accepts (a longer one is quarantined as malformed, not loaded).
MAX_LINE_BYTES = 16 * 1024 * 1024

_STAGING_VIEWS = ("_stage_first", "_stage_lined")
_STAGING_TABLES = (
    "_stage_typed",
    "_stage_rejects",
    "_stage_reject_scans",
    "_stage_steps",
    "_stage_dups",
    "_stage_repeats",
)
# Why a row whose unquoted field held a bare carriage return is quarantined (see FileLoad.raw_rows).
BARE_CR_REASON = (
    "bare carriage return inside an unquoted field of a file whose lines end in LF; quote that field or remove "
    "the carriage return"
)
_LONE_MARK = BARE_CR_MARK[-1]
_BARE_CR_FLAG = "_exposure_bare_cr"
# The whole raw row as a struct, kept beside the parsed columns so a quarantined row can be stored as JSON.
_RAW = "_exposure_raw"


@dataclass(frozen=True)
class FileLoad:
    """One CSV under load: what every step reads."""

    source: CsvInput
    kind: Kind
    header: tuple[str, ...]
    digest: str
    source_id: int
    # `source` is a copy whose bare carriage returns are marked (inputs.bare_carriage_returns_marked)
    bare_cr_marked: bool = False

    @property
    def columns(self) -> list[str]:
        """The header, alternative spellings renamed to the names the kind's SQL uses."""
        return self.kind.canonical_header(self.header)

    @property
    def field_names(self) -> list[str]:
        return [name for name, _expr in self.kind.fields]

    def raw_rows(self, *, store_rejects: bool) -> str:
        """The file as rows of VARCHAR columns plus the whole raw row as one struct column.

        Optional columns the kind's SQL may use but this file lacks (older downloads) read as blank. Every
        pass over a file uses the same reader options, so every pass skips the same malformed lines; with
        `store_rejects` those lines are recorded in _stage_rejects."""
        present = set(self.columns)
        absent = [c for c in self.kind.canonical_header(self.kind.known_columns) if c not in present]
        padding = "".join(f", CAST(NULL AS VARCHAR) AS {ident(c)}" for c in dict.fromkeys(absent))
        column_spec = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in self.columns) + "}"
        rejects = (
            ", store_rejects = true, rejects_table = '_stage_rejects', rejects_scan = '_stage_reject_scans'"
            if store_rejects
            else ""
        )
        scan = f"""read_csv({literal(str(self.source.path))},
            header = true, auto_detect = false, columns = {column_spec},
            delim = ',', quote = '"', escape = '"', encoding = 'utf-8',
            ignore_errors = true, max_line_size = {MAX_LINE_BYTES}{rejects})"""
        if not self.bare_cr_marked:
            return f"(SELECT {_RAW}, {_RAW}.* {padding} FROM {scan} {_RAW}) raw"
        # A whole mark is a carriage return inside quotes: data, given back. Half a mark (its comma read as a
        # field break) is one in an unquoted field whose cut parts still make up a full row: flagged in
        # _BARE_CR_FLAG and given back too, so that the raw row kept is the row as written.
        mark = literal(f"{BARE_CR_MARK[0]}?{_LONE_MARK}")
        restored = ", ".join(f"{ident(c)} := regexp_replace({ident(c)}, {mark}, chr(13), 'g')" for c in self.columns)
        # half a mark starts a field; a whole one never does (its comma comes first)
        fields = "concat_ws(chr(10), " + ", ".join(ident(c) for c in self.columns) + ")"
        half_mark = f"contains(chr(10) || {fields}, chr(10) || {literal(_LONE_MARK)})"
        return (
            f"(SELECT {_RAW}, {_RAW}.* {padding}, {_BARE_CR_FLAG} FROM ("
            f"SELECT struct_pack({restored}) AS {_RAW}, {half_mark} AS {_BARE_CR_FLAG} FROM {scan}) marked) raw"
        )

    def checks(self) -> list[tuple[str, str]]:
        """The kind's checks, after the one for a bare carriage return when the file is read marked."""
        own = list(self.kind.checks)
        return [(_BARE_CR_FLAG, literal(BARE_CR_REASON)), *own] if self.bare_cr_marked else own


@dataclass(frozen=True)
class Staged:
    """What stage_rows found: rows parsed (of which failing a check), lines unparseable, the first rowid."""

    rows_parsed: int
    rows_failing_checks: int
    lines_malformed: int
    first_rowid: int


@dataclass(frozen=True)
class Repeats:
    """Later rows of keys seen earlier in the same file."""

    duplicates: int  # the same values as the key's first row
    conflicts: int  # other values: quarantined

    @property
    def found(self) -> bool:
        return self.duplicates + self.conflicts > 0


@dataclass(frozen=True)
class Written:
    """What write_rows did with the first row of each key that passed its checks."""

    offered: int
    inserted: int
    updated: int
    unchanged: int  # stored already with the same values: duplicates


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for view in _STAGING_VIEWS:
        con.execute(f"DROP VIEW IF EXISTS temp.{view}")
    for table in _STAGING_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def stage_rows(con: duckdb.DuckDBPyConnection, load: FileLoad) -> Staged:
    """Read the file once into _stage_typed: typed fields, row hash, quarantine reason, raw JSON if one."""
    kind = load.kind
    names = load.field_names
    typed = ", ".join(f"{expr} AS {ident(name)}" for name, expr in kind.fields)
    reason = "CASE " + " ".join(f"WHEN {cond} THEN {why}" for cond, why in load.checks()) + " END"
    # The hash of the typed values, as every earlier version computed it (stored rows keep theirs).
    row_hash = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({ident(n)} AS VARCHAR), '')" for n in names) + "))"
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_typed AS
        SELECT {", ".join(ident(n) for n in names)}, {row_hash} AS row_hash, _reason,
               CASE WHEN _reason IS NOT NULL THEN CAST(to_json({_RAW}) AS VARCHAR) END AS _raw_json
        FROM (
            SELECT {typed}, {reason} AS _reason, {_RAW}
            FROM {load.raw_rows(store_rejects=True)}
        ) checked
        """
    )
    counts = first_row(
        con,
        """
        SELECT count(*), count(*) FILTER (WHERE _reason IS NOT NULL), coalesce(min(rowid), 0),
               (SELECT count(DISTINCT line) FROM _stage_rejects)
        FROM _stage_typed
        """,
    )
    assert counts is not None
    parsed, failing, first_rowid, malformed = (int(c) for c in counts)
    return Staged(parsed, failing, malformed, first_rowid)


def number_lines(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """_stage_lined: each parsed row with its position (_row) and its line in the file (_line).

    Rows are stored in file order, with consecutive rowids from the first one (which inside a transaction is
    not 0); every malformed line the reader skipped shifts the rows after it by one."""
    base = staged.first_rowid
    if staged.lines_malformed == 0:
        con.execute(
            f"CREATE TEMP VIEW _stage_lined AS SELECT rowid - {base} AS _row, rowid - {base} + 2 AS _line, * "
            "FROM _stage_typed"
        )
        return
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


def find_repeats(con: duckdb.DuckDBPyConnection, load: FileLoad, staged: Staged) -> Repeats:
    """_stage_first: the first row of each key among the rows passing their checks; the later rows of a
    repeated key go to _stage_repeats, each marked the same as the first (_same) or conflicting."""
    key = ident(load.kind.key)
    # Group the rows whose key hash repeats (a fixed-width aggregate over every row), then the keys
    # themselves among those few.
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_dups AS
        WITH valid AS (
            SELECT rowid - {staged.first_rowid} AS _row, {key} AS _key, row_hash
            FROM _stage_typed WHERE _reason IS NULL
        ),
        repeated AS (SELECT hash(_key) AS _h FROM valid GROUP BY 1 HAVING count(*) > 1)
        SELECT _key, min(_row) AS _first_row, arg_min(row_hash, _row) AS _first_hash
        FROM valid WHERE hash(_key) IN (SELECT _h FROM repeated)
        GROUP BY _key HAVING count(*) > 1
        """
    )
    if int(scalar(con, "SELECT count(*) FROM _stage_dups")) == 0:
        con.execute("CREATE TEMP VIEW _stage_first AS SELECT * FROM _stage_lined WHERE _reason IS NULL")
        return Repeats(duplicates=0, conflicts=0)
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
    counts = first_row(
        con, "SELECT count(*) FILTER (WHERE _same), count(*) FILTER (WHERE NOT _same) FROM _stage_repeats"
    )
    assert counts is not None
    return Repeats(duplicates=int(counts[0]), conflicts=int(counts[1]))


def quarantine_rows(con: duckdb.DuckDBPyConnection, load: FileLoad, repeats: Repeats) -> int:
    """Store every row that cannot be loaded in `quarantine` with its line and reason; returns how many.

    The reader's copy of a malformed line in a CRLF file starts with the LF of the line before: dropped."""
    stored = _count(
        con,
        f"""
        INSERT INTO quarantine (source_id, line, raw_row, reason)
        SELECT {load.source_id}, line, replace(ltrim(csv_line, chr(10)), {literal(BARE_CR_MARK)}, chr(13)),
               CASE WHEN CAST(error_type AS VARCHAR) = 'TOO MANY COLUMNS' AND contains(csv_line, {literal(_LONE_MARK)})
                    THEN {literal("malformed CSV row (" + BARE_CR_REASON + ")")}
                    ELSE 'malformed CSV row (' || lower(CAST(error_type AS VARCHAR)) || '): ' || error_message END
        FROM (SELECT DISTINCT ON (line) * FROM _stage_rejects ORDER BY line)
        """,
    )
    stored += _count(
        con,
        "INSERT INTO quarantine (source_id, line, raw_row, reason) "
        f"SELECT {load.source_id}, _line, _raw_json, _reason FROM _stage_lined WHERE _reason IS NOT NULL",
    )
    if repeats.conflicts:
        stored += _quarantine_conflicts(con, load)
    return stored


def _quarantine_conflicts(con: duckdb.DuckDBPyConnection, load: FileLoad) -> int:
    """Quarantine the rows that repeat a key with other values, each with its raw row as JSON.

    Only the rows with a reason kept their raw row in the first pass; these few are read again: a second
    scan numbers the rows in file order (skipping the same malformed lines) and keeps the wanted ones. Their
    key is checked against the first pass; should it ever differ, the parsed row is stored instead."""
    key_expr = dict(load.kind.fields)[load.kind.key]
    return _count(
        con,
        f"""
        INSERT INTO quarantine (source_id, line, raw_row, reason)
        SELECT {load.source_id}, r._line,
               CASE WHEN x._key IS NOT DISTINCT FROM r._key THEN x._raw_json ELSE CAST(to_json(l) AS VARCHAR) END,
               'conflicting duplicate of key ' || r._key || ' (first seen at line ' || r._first_line || ')'
        FROM _stage_repeats r
        JOIN _stage_lined l ON l._row = r._row
        LEFT JOIN (
            SELECT _k, _key, CAST(to_json({_RAW}) AS VARCHAR) AS _raw_json
            FROM (
                SELECT row_number() OVER () - 1 AS _k, {key_expr} AS _key, {_RAW}
                FROM {load.raw_rows(store_rejects=False)}
            ) numbered
            WHERE _k IN (SELECT _row FROM _stage_repeats WHERE NOT _same)
        ) x ON x._k = r._row
        WHERE NOT r._same
        ORDER BY r._line
        """,
    )


def write_rows(con: duckdb.DuckDBPyConnection, load: FileLoad) -> Written:
    """Write _stage_first to the kind's table: a plain INSERT of new keys; only keys already stored with
    other values take the slower replace path."""
    kind, key = load.kind, ident(load.kind.key)
    names = load.field_names
    target_columns = [*names, "row_hash", "source_id", "source_line"]
    selected = [*(f"s.{ident(n)}" for n in names), "s.row_hash", str(load.source_id), "s._line"]
    if kind.source_kind_column:
        target_columns.append("source_kind")
        selected.append(literal(kind.name))
    into = f"{kind.table} ({', '.join(ident(c) for c in target_columns)})"
    offered = int(scalar(con, "SELECT count(*) FROM _stage_first"))
    unchanged = updated = 0
    new_rows = ""
    if scalar(con, f"SELECT EXISTS (SELECT 1 FROM {kind.table})"):
        stored = first_row(
            con,
            f"""
            SELECT count(*) FILTER (WHERE t.row_hash = s.row_hash), count(*) FILTER (WHERE t.row_hash <> s.row_hash)
            FROM _stage_first s JOIN {kind.table} t ON t.{key} = s.{key}
            """,
        )
        assert stored is not None
        unchanged, changed = int(stored[0]), int(stored[1])
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
                raise LoadError(f"{load.source.display_name}: replaced {updated} stored rows, expected {changed}")
        new_rows = f"WHERE NOT EXISTS (SELECT 1 FROM {kind.table} t WHERE t.{key} = s.{key})"
    inserted = _count(con, f"INSERT INTO {into} SELECT {', '.join(selected)} FROM _stage_first s {new_rows}")
    return Written(offered=offered, inserted=inserted, updated=updated, unchanged=unchanged)


def record_source(con: duckdb.DuckDBPyConnection, load: FileLoad, report: LoadReport) -> None:
    """The file in `sources`: its name, digest, publisher, licence and accounting."""
    meta = load.kind.meta
    con.execute(
        """
        INSERT INTO sources (source_id, kind, file_name, sha256, publisher, licence, source_url, loaded_at,
            rows_read, rows_inserted, rows_updated, rows_duplicate, rows_quarantined, unknown_columns)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            load.source_id,
            load.kind.name,
            load.source.display_name,
            load.digest,
            meta.publisher,
            meta.licence,
            meta.url,
            datetime.now(UTC).replace(tzinfo=None),
            report.rows_read,
            report.rows_inserted,
            report.rows_updated,
            report.rows_duplicate,
            report.rows_quarantined,
            report.unknown_columns,
        ],
    )


def next_source_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT nextval('source_id_seq')"))


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """Run an INSERT and return the number of rows it wrote."""
    return int(scalar(con, sql) or 0)
