"""Small DuckDB helpers. DuckDB wants every result fully fetched before the next statement on a connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    row = first_row(con, sql, params)
    return None if row is None else row[0]
