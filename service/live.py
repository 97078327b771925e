"""The snapshot being served, and switching to a new one without downtime.

`exposure refresh` publishes a new database file by renaming it over the served one. Each server process
notices (the file's identity changed), opens the new file read-only, builds its in-memory snapshot, and then
swaps one reference. A request takes the current snapshot once, when it starts, and uses it to the end, so
no response mixes two; the old snapshot closes when its last request finishes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from service.db import Connection, Cursor, open_read_only
from service.snapshot import ServingSnapshot, load_snapshot

log = logging.getLogger("exposure.snapshot")


def file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


@dataclass
class Live:
    """One opened snapshot: the read-only connection and what was built from it."""

    con: Connection
    serving: ServingSnapshot
    identity: tuple[int, int, int] | None
    _users: int = 0
    _retired: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cursor(self, timeout_seconds: float | None) -> Cursor:
        """A cursor of its own for one request (or one export), every query under the time limit."""
        return Cursor(self.con, timeout_seconds)

    def acquire(self) -> None:
        with self._lock:
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            done = self._retired and self._users == 0
        if done:
            self._close()

    def retire(self) -> None:
        with self._lock:
            self._retired = True
            done = self._users == 0
        if done:
            self._close()

    def _close(self) -> None:
        log.info("closing snapshot %s", self.serving.snapshot_id)
        self.con.close()


def open_live(db: Path, top_contributions: int) -> Live:
    identity = file_identity(db)
    # The real file, not the published path: DuckDB shares one instance per path within a process, so the
    # new snapshot must be opened under its own name.
    con = open_read_only(db.resolve())
    try:
        serving = load_snapshot(con, top_contributions)
    except BaseException:
        con.close()
        raise
    return Live(con=con, serving=serving, identity=identity)


def settle_heap() -> None:
    """Put what is alive now (mostly the snapshot just opened) out of the cycle collector's sight. Its full
    collections then take microseconds instead of the ~50 ms of walking every object of a snapshot, a pause
    that every request in flight waited out (it was the firm profile's p99). Unfrozen and collected first, so
    the cycles of a snapshot no longer served are freed; what refcounting frees is never held back."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class LiveHolder:
    """Holds the current Live and replaces it when the database file is replaced. A server process settles
    its heap after each open (`settle_heap`); tests, which build many apps in one process, do not."""

    def __init__(self, db: Path, top_contributions: int, *, settle: bool = False) -> None:
        self.db = db
        self.top_contributions = top_contributions
        self.settle = settle
        self.current = open_live(db, top_contributions)
        self.switches = 0
        if settle:
            settle_heap()

    def changed(self) -> bool:
        identity = file_identity(self.db)
        return identity is not None and identity != self.current.identity

    def switch(self) -> bool:
        """Open the new file and swap; on failure keep serving the old one."""
        if not self.changed():
            return False
        try:
            fresh = open_live(self.db, self.top_contributions)
        except Exception:
            log.exception(
                "could not open the new snapshot %s; still serving %s", self.db, self.current.serving.snapshot_id
            )
            return False
        old, self.current = self.current, fresh
        self.switches += 1
        log.info("now serving snapshot %s (was %s)", fresh.serving.snapshot_id, old.serving.snapshot_id)
        old.retire()
        if self.settle:
            settle_heap()
        return True

    async def watch(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            if self.changed():
                await asyncio.to_thread(self.switch)

    def close(self) -> None:
        self.current.retire()
