"""Opening the DuckDB store: create it with the schema, open it read-only for serving, load the bundled data."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from datasets.catalogue import BUNDLED_DATA, BUNDLED_FILES
from datasets.db import scalar
from datasets.errors import StoreLockedError, StoreMissingError, StoreOutdatedError
from datasets.ingest import LoadReport, StepCallback, ingest_paths

SCHEMA = Path(__file__).with_name("schema.sql")
Connection = duckdb.DuckDBPyConnection  # the store's connection type, for code that must not import DuckDB


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store; a writable open creates the file and any missing table."""
    db = Path(path)
    if read_only and not db.exists():
        raise StoreMissingError(f"database {db} does not exist; run `exposure init` first")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise StoreLockedError(
            f"database {db} is in use by another process (a running `exposure serve`?). While a server runs, "
            "load and rescore with `exposure refresh`, which builds the next snapshot beside the served one"
        ) from exc
    if not read_only:
        apply_schema(con)
    return con


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA.read_text(encoding="utf-8"))


def schema_tables() -> list[str]:
    """The tables this version's schema defines."""
    return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA.read_text(encoding="utf-8"))


def check_current(con: duckdb.DuckDBPyConnection, db: Path | str) -> None:
    """Refuse a store built by an earlier version (a read-only open cannot add the tables it lacks), saying how to
    bring it up to date without losing what it holds."""
    present = {str(row[0]) for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    missing = [table for table in schema_tables() if table not in present]
    if missing:
        raise StoreOutdatedError(
            f"database {db} was built by an earlier version and lacks the table(s) {', '.join(missing)}: run "
            f"`exposure --db {db} init` and `exposure --db {db} score` (they add what is missing and keep what it "
            "holds), or `make run`, which does so"
        )


def load_bundled(
    con: duckdb.DuckDBPyConnection, data_dir: Path = BUNDLED_DATA, on_step: StepCallback | None = None
) -> list[LoadReport]:
    """Load the bundled default data (registry, agencies, evidence, key awards), each file as its own kind."""

    def show(_file_name: str, step: str) -> None:
        if on_step is not None:
            on_step(step)

    reports: list[LoadReport] = []
    for file_name, kind in BUNDLED_FILES:  # each file as its own kind, never guessed from its header
        reports += ingest_paths(con, [data_dir / file_name], [kind], name_prefix="datasets/data/", on_step=show)
    return reports


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every table: what `init` and `ingest` print, and what the atomicity tests compare."""
    tables = [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
        ).fetchall()
    ]
    counts = {}
    for table in tables:
        counts[str(table)] = int(scalar(con, f'SELECT count(*) FROM "{table}"'))
    return counts
