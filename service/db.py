"""The service's one door to DuckDB: opening a snapshot read-only, and a cursor whose every query runs under
the server's time limit. No other module of the service imports duckdb; they type against the aliases here.

The time limit works as datasette's does: a timer interrupts the running query (DuckDB's `interrupt()` on
the cursor running it), and the interruption becomes a 503 problem naming the limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias

import duckdb
import pyarrow as pa

from datasets.store import check_current, connect
from service.errors import ApiError

Connection: TypeAlias = duckdb.DuckDBPyConnection
Params: TypeAlias = Sequence[Any]
log = logging.getLogger("exposure.db")


class QueryTimeoutError(ApiError):
    """A query stopped at the time limit: the server is fine, this question was too costly for it now."""

    def __init__(self, limit_seconds: float) -> None:
        super().__init__(
            503,
            f"the query was stopped at the server's time limit of {limit_seconds:g} s "
            "(EXPOSURE_QUERY_TIMEOUT_SECONDS); narrow the filters, or try again when the server is less busy",
            title="Query time limit reached",
        )
        self.limit_seconds = limit_seconds


class QueryFailedError(ApiError):
    """DuckDB refused a query: our bug, logged with its SQL; the caller gets a problem, not a dropped connection."""

    def __init__(self) -> None:
        super().__init__(500, "the database could not answer this request; the error was logged")


def open_read_only(path: Path) -> Connection:
    """A snapshot file, read-only (a missing file is datasets' StoreMissingError, a 503; one built by an earlier
    version, lacking tables, its StoreOutdatedError)."""
    con = connect(path, read_only=True)
    try:
        check_current(con, path)
    except BaseException:
        con.close()
        raise
    return con


class _Deadline:
    """Interrupts a cursor when the block it guards outlives the time left, and never once the block has ended."""

    def __init__(self, cursor: Connection, seconds_left: float, limit_seconds: float) -> None:
        self._cursor = cursor
        self.limit_seconds = limit_seconds  # the configured limit, which the error names
        self._armed = True
        self.fired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds_left, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                self.fired = True
                self._cursor.interrupt()

    def disarm(self) -> None:
        # Under the lock: a timer firing right now cannot reach the cursor's next query.
        with self._lock:
            self._armed = False
        self._timer.cancel()


class Cursor:
    """One DuckDB cursor on an open snapshot (its own connection, so requests never share a result), with
    every query under `timeout_seconds`; None means no limit, for building a snapshot when it opens."""

    def __init__(self, con: Connection, timeout_seconds: float | None = None) -> None:
        self._cursor = con.cursor()
        self.timeout_seconds = timeout_seconds
        self._closed = False

    def close(self) -> None:
        if not self._closed:  # an export closes it at the end of its stream and again when the response ends
            self._closed = True
            self._cursor.close()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _guarded(self, sql: str, spent_seconds: float = 0.0) -> Iterator[None]:
        """The block under what is left of the time limit, with DuckDB's errors turned into the service's."""
        limit = self.timeout_seconds
        deadline = None if limit is None else _Deadline(self._cursor, limit - spent_seconds, limit)
        try:
            yield
        except Exception as exc:
            # An interrupted stream surfaces as an Arrow OSError, not as duckdb's own exception: ask the timer.
            if deadline is not None and (deadline.fired or isinstance(exc, duckdb.InterruptException)):
                raise QueryTimeoutError(deadline.limit_seconds) from exc
            if isinstance(exc, duckdb.Error | pa.ArrowException):
                log.exception("query failed: %s", " ".join(sql.split())[:500])
                raise QueryFailedError() from exc
            raise
        finally:
            if deadline is not None:
                deadline.disarm()

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Every row, as a dict by column name."""
        with self._guarded(sql):
            result = self._cursor.execute(sql, list(params))
            names = [d[0] for d in result.description or []]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row, as a tuple."""
        with self._guarded(sql):
            return self._cursor.execute(sql, list(params)).fetchall()

    def batches(self, sql: str, params: Params = (), batch_rows: int = 10_000) -> Batches:
        """The result as Arrow record batches, never whole in memory. The query starts here, so an error or a
        sort that runs out of time is raised before the first batch. The limit covers the time spent computing
        batches, all of them together; the time a slow client takes to read them is not the query's. The cursor
        runs nothing else until the last batch is read."""
        started = time.perf_counter()
        with self._guarded(sql):
            reader = self._cursor.sql(sql, params=list(params)).to_arrow_reader(batch_rows)
        return Batches(reader, self, sql, time.perf_counter() - started)


class Batches:
    """Record batches of one query, each computed under what is left of the cursor's time limit."""

    def __init__(self, reader: pa.RecordBatchReader, cursor: Cursor, sql: str, spent_seconds: float) -> None:
        self.schema: pa.Schema = reader.schema
        self._reader = reader
        self._cursor = cursor
        self._sql = sql
        self._spent_seconds = spent_seconds

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while True:
            limit = self._cursor.timeout_seconds
            if limit is not None and self._spent_seconds >= limit:  # a timer of no time left might never fire
                raise QueryTimeoutError(limit)
            started = time.perf_counter()
            with self._cursor._guarded(self._sql, self._spent_seconds):
                try:
                    batch = self._reader.read_next_batch()
                except StopIteration:
                    return
            self._spent_seconds += time.perf_counter() - started
            yield batch
