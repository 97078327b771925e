"""Loading one CSV: recognise its kind, skip it when this exact file is loaded already, otherwise run the load
steps in one transaction, so that a failure leaves the database exactly as it was.

Accounting per file: rows_read = inserted + updated + duplicate + quarantined, always.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb

from datasets.db import first_row
from datasets.errors import LoadError
from datasets.ingest.connection import load_settings
from datasets.ingest.header import read_header
from datasets.ingest.inputs import CsvInput, bare_carriage_returns_marked, sha256_of
from datasets.ingest.kinds import Kind, detect_kind
from datasets.ingest.report import LoadReport
from datasets.ingest.steps import (
    FileLoad,
    drop_staging,
    find_repeats,
    next_source_id,
    number_lines,
    quarantine_rows,
    record_source,
    stage_rows,
    write_rows,
)

StepCallback = Callable[[str], None]


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

    with bare_carriage_returns_marked(source) as marked, load_settings(con):
        con.execute("BEGIN TRANSACTION")
        try:
            load = FileLoad(marked or source, kind, tuple(header), digest, next_source_id(con), marked is not None)
            report = run_steps(con, load, step)
            con.execute("COMMIT")
        except duckdb.IOException as exc:  # e.g. a .gz cut short: the file fails part-way through
            con.execute("ROLLBACK")
            raise LoadError(f"{source.display_name}: I/O error while loading, nothing kept ({exc})") from exc
        except duckdb.InvalidInputException as exc:
            con.execute("ROLLBACK")
            if "state machine" not in str(exc):
                raise
            # DuckDB's reader cannot skip such a line (bare carriage returns are marked, so not one of those)
            raise LoadError(
                f"{source.display_name}: a line the CSV reader cannot parse (most often lines ending in CRLF in a "
                "file whose lines end in LF, or the other way round); nothing kept. Give every line the same "
                "ending and load the file again"
            ) from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            drop_staging(con)
    return report


def run_steps(con: duckdb.DuckDBPyConnection, load: FileLoad, step: StepCallback) -> LoadReport:
    """The load steps in order (see datasets.ingest.steps), inside the caller's transaction; raises rather
    than commit a load whose rows do not add up."""
    kind = load.kind
    drop_staging(con)
    step("reading")
    staged = stage_rows(con, load)
    number_lines(con, staged)
    step("validating")
    repeats = find_repeats(con, load, staged)
    step("quarantining")
    quarantined = quarantine_rows(con, load, repeats)
    step("writing")
    written = write_rows(con, load)

    report = LoadReport(
        load.source.display_name,
        kind.name,
        load.source_id,
        rows_read=staged.rows_parsed + staged.lines_malformed,
        rows_inserted=written.inserted,
        rows_updated=written.updated,
        rows_duplicate=repeats.duplicates + written.unchanged,
        rows_quarantined=staged.lines_malformed + staged.rows_failing_checks + repeats.conflicts,
        unknown_columns=kind.unknown_columns(load.header),
    )
    first_rows_accounted = written.inserted + written.updated + written.unchanged == written.offered
    if not report.balanced or not first_rows_accounted or quarantined != report.rows_quarantined:
        # a bug here must never pass silently: roll back instead
        raise LoadError(f"{load.source.display_name}: row accounting does not add up ({report})")

    if kind.after_load is not None:
        step("deriving")
        kind.after_load(con, load.source_id)
    step("recording")
    record_source(con, load, report)
    return report
