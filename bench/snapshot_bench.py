"""Opening a snapshot of thousands of scored firms: what a server does before it serves a refreshed store.

The bundled store is scored, then multiplied into N copies of each firm (ids suffixed, so every firm, its
subsidiaries, aliases, identifiers, contributions and evidence are distinct rows). Baseline measured in the
same run: reading every row of the same tables into memory, with no profile built."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from service import pipeline
from service.db import open_read_only
from service.snapshot import load_snapshot

TARGET_SECONDS = 5.0
# Each table copied, and the columns that name a firm or key a row (renamed in every copy).
FIRM_COLUMNS: dict[str, tuple[str, ...]] = {
    "firms": ("firm_id",),
    "firm_aliases": ("firm_id", "alias_key"),
    "firm_identifiers": ("firm_id", "identifier_key"),
    "ownership": ("child_firm_id", "parent_firm_id", "ownership_key"),
    "evidence": ("firm_id", "evidence_id"),
    "scores": ("firm_id",),
    "contributions": ("firm_id", "via_firm_id"),
    "ownership_paths": ("firm_id", "parent_id"),
}


@dataclass(frozen=True)
class SnapshotConfig:
    firms: int = 5_000


def _multiply(db: Path, copies: int) -> int:
    con = duckdb.connect(str(db))
    try:
        for table, columns in FIRM_COLUMNS.items():
            renamed = ", ".join(f"t.{c} || '~' || copies.n AS {c}" for c in columns)
            con.execute(
                f"INSERT INTO {table} SELECT t.* REPLACE ({renamed}) FROM {table} t, range(1, ?) AS copies(n)",
                [copies],
            )
        row = con.execute("SELECT count(*) FROM scores").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _read_everything(db: Path) -> float:
    con = open_read_only(db)
    try:
        started = time.perf_counter()
        for table in FIRM_COLUMNS:
            con.execute(f"SELECT * FROM {table}").fetchall()
        return time.perf_counter() - started
    finally:
        con.close()


def _open(db: Path) -> tuple[float, int]:
    con = open_read_only(db)
    try:
        started = time.perf_counter()
        serving = load_snapshot(con)
        return time.perf_counter() - started, len(serving.profiles)
    finally:
        con.close()


def run(config: SnapshotConfig) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "exposure.duckdb"
        pipeline.init(db)
        pipeline.score(db, date(2026, 11, 22))
        con = duckdb.connect(str(db), read_only=True)
        row = con.execute("SELECT count(*) FROM scores").fetchone()
        con.close()
        per_copy = int(row[0]) if row else 1
        scored = _multiply(db, max(1, -(-config.firms // per_copy)))
        baseline = _read_everything(db)
        seconds, profiles = _open(db)
        verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
        print(
            f"snapshot of {scored:,} scored firms ({profiles:,} profiles): opened in {seconds:.2f} s "
            f"({verdict} the {TARGET_SECONDS:.0f} s target); reading its tables bare {baseline:.2f} s; "
            f"ratio {seconds / baseline:.1f}x the bare read"
        )
