"""Ingest benchmark: the project's load of a bulk `Contracts_PrimeTransactions` file (header detection,
typing, checks, quarantine, de-duplication, upsert, accounting, one transaction) against DuckDB's bare
`CREATE TABLE t AS SELECT * FROM read_csv(path, all_varchar = true, header = true)` of the same file into a
fresh database, timed in the same run.

The file is synthetic (bench/generate.py, fictional vendors) with the exact 297-column header, generated once
and cached under var/bench/. Each side runs in its own child process, from opening a fresh database file to
closing it (checkpoint included), so the peak RSS it reports (`ru_maxrss`) is that side's alone.

Targets: project rows/s >= 0.6 x the baseline's; 10M rows load with a peak RSS under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "bench"
RATIO_TARGET = 0.6
MEMORY_TARGET_BYTES = 4 * 10**9
MEMORY_TARGET_ROWS = 10_000_000


@dataclass(frozen=True)
class IngestConfig:
    rows: int = 1_000_000
    cache: Path = CACHE


def label(rows: int) -> str:
    """10000000 -> '10M', 300000 -> '300k'."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if rows >= size and rows % size == 0:
            return f"{rows // size}{unit}"
    return str(rows)


def bench_file(rows: int, cache: Path = CACHE) -> tuple[Path, float | None]:
    """The cached synthetic file of `rows` rows, generated if absent; and the seconds generation took."""
    from bench.generate import generate

    path = cache / f"Contracts_PrimeTransactions_{label(rows)}.csv"
    if path.exists():  # generate() renames a complete file into place, so an existing one is whole
        return path, None
    started = time.perf_counter()
    generate(rows, path)
    return path, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------
# The two sides, each run in a child process: `python -m bench.ingest_bench --child SIDE FILE DB`.


def _baseline(path: Path, db: Path) -> dict[str, Any]:
    import duckdb

    from datasets.sql import literal

    con = duckdb.connect(str(db))
    try:
        con.execute(
            f"CREATE TABLE t AS SELECT * FROM read_csv({literal(str(path))}, all_varchar = true, header = true)"
        )
        rows = int(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
    finally:
        con.close()
    return {"rows": rows}


def _scan(path: Path, db: Path) -> dict[str, Any]:
    """For context only: the same read_csv counted, nothing stored (the floor under both sides)."""
    import duckdb

    from datasets.sql import literal

    con = duckdb.connect()
    try:
        query = f"SELECT count(*) FROM read_csv({literal(str(path))}, all_varchar = true, header = true)"
        rows = int(con.execute(query).fetchall()[0][0])
    finally:
        con.close()
    return {"rows": rows}


def _project(path: Path, db: Path) -> dict[str, Any]:
    from datasets.catalogue import KINDS
    from datasets.ingest import CsvInput, load_file
    from datasets.store import connect

    con = connect(db)
    try:
        report = load_file(con, CsvInput(path, path.name), KINDS)
    finally:
        con.close()
    return {
        "rows": report.rows_read,
        "inserted": report.rows_inserted,
        "updated": report.rows_updated,
        "duplicate": report.rows_duplicate,
        "quarantined": report.rows_quarantined,
        "balanced": report.balanced,
    }


SIDES = {"baseline": _baseline, "project": _project, "scan": _scan}


def _child(side: str, path: Path, db: Path) -> None:
    started = time.perf_counter()
    result = SIDES[side](path, db)
    result["seconds"] = time.perf_counter() - started
    # Linux reports ru_maxrss in KiB: the high-water mark of this process's resident memory.
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


def measure(side: str, path: Path, db: Path) -> dict[str, Any]:
    """Run one side in a fresh child process and return what it measured."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    completed = subprocess.run(
        [sys.executable, "-m", "bench.ingest_bench", "--child", side, str(path), str(db)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{side} failed (exit {completed.returncode}): {completed.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _warm(path: Path) -> None:
    """Read the file once so that neither side pays for a cold page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def run(config: IngestConfig = IngestConfig()) -> dict[str, float]:
    path, generated = bench_file(config.rows, config.cache)
    size = path.stat().st_size
    how = f"generated in {generated:.1f} s" if generated is not None else "cached"
    print(f"  file: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    print(f"        {config.rows:,} rows x 297 columns, {size / 1e6:,.1f} MB ({how})")
    _warm(path)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-", dir=config.cache) as tmp:
        scan = measure("scan", path, Path(tmp) / "scan.duckdb")
        baseline = measure("baseline", path, Path(tmp) / "baseline.duckdb")
        project = measure("project", path, Path(tmp) / "project.duckdb")
    for side in (scan, baseline, project):
        if side["rows"] != config.rows:
            raise RuntimeError(f"read {side['rows']:,} rows, expected {config.rows:,}")
    if not project["balanced"]:
        raise RuntimeError(f"the load's accounting does not add up: {project}")

    def line(what: str, side: dict[str, Any]) -> str:
        rate = side["rows"] / side["seconds"]
        peak = side["peak_rss_bytes"] / 1e9
        return f"  {what:<44} {side['seconds']:8.1f} s {rate:>11,.0f} rows/s   peak RSS {peak:5.2f} GB"

    print(line("read_csv scan, nothing stored (context)", scan))
    print(line("DuckDB CREATE TABLE AS read_csv (baseline)", baseline))
    print(line("exposure load_file (project)", project))
    print(
        "  accounting: read {rows:,} = inserted {inserted:,} + updated {updated:,} + duplicate {duplicate:,}"
        " + quarantined {quarantined:,}".format(**project)
    )
    ratio = (project["rows"] / project["seconds"]) / (baseline["rows"] / baseline["seconds"])
    verdict = "meets" if ratio >= RATIO_TARGET else "MISSES"
    print(f"  ratio project / baseline (rows/s):            {ratio:8.2f}x  (target >= {RATIO_TARGET}: {verdict})")
    peak = project["peak_rss_bytes"]
    if config.rows >= MEMORY_TARGET_ROWS:
        verdict = "meets" if peak < MEMORY_TARGET_BYTES else "MISSES"
        note = f"target < {MEMORY_TARGET_BYTES / 1e9:.0f} GB at {MEMORY_TARGET_ROWS:,} rows: {verdict}"
    else:
        note = f"the target, < {MEMORY_TARGET_BYTES / 1e9:.0f} GB, applies at {MEMORY_TARGET_ROWS:,} rows (--full)"
    print(f"  peak RSS of the load:                         {peak / 1e9:8.2f} GB  ({note})")
    return {
        "rows": float(config.rows),
        "baseline_s": baseline["seconds"],
        "project_s": project["seconds"],
        "ratio": ratio,
        "project_peak_rss_bytes": float(peak),
        "baseline_peak_rss_bytes": float(baseline["peak_rss_bytes"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "FILE", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=IngestConfig.rows)
    args = parser.parse_args()
    if args.child:
        side, path, db = args.child
        _child(side, Path(path), Path(db))
        return
    run(IngestConfig(rows=args.rows))


if __name__ == "__main__":
    main()
