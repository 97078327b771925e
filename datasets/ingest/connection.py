"""The connection settings a load relies on, forced for the load and restored afterwards."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from datasets.sql import literal

# A load caps DuckDB's memory at this (never raising a lower limit); its staging spills to disk beyond it.
LOAD_MEMORY_LIMIT = os.environ.get("EXPOSURE_LOAD_MEMORY_LIMIT", "2GB")

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def size_bytes(size: str) -> float | None:
    """'18.8 GiB', '2GB', '512 MB' in bytes; None when it does not read as a size."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", size)
    if match is None or match.group(2).lower() not in _UNITS:
        return None
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


@contextmanager
def load_settings(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """What a load needs of the connection, restored afterwards: rows kept in file order (line numbers
    come from it), and memory capped at LOAD_MEMORY_LIMIT so that a large file spills its staging to
    DuckDB's temporary directory instead of growing the process (10M rows stay near 2 GB)."""
    saved = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'preserve_insertion_order')"
        ).fetchall()
    )
    wanted = {"preserve_insertion_order": "true"}
    cap, current = size_bytes(LOAD_MEMORY_LIMIT), size_bytes(str(saved.get("memory_limit", "")))
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
