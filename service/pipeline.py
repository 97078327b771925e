"""The pipeline: ingest files into the store, score it, publish it as the served snapshot; `refresh` joins the
three. This is the one place that does; the command line parses arguments and prints what these return, and
tests call these functions.

Publishing never writes into the file servers have open: a refresh copies the served database, ingests and
scores the copy, then renames a symlink over the published path in one atomic step. Servers notice and
switch; a refresh killed at any point leaves the served database as it was. Refreshes of one database take
turns (an exclusive lock beside it), so two at once cannot each publish a copy that lacks the other's rows.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from datasets import changes
from datasets.catalogue import KINDS
from datasets.errors import DataError, StoreLockedError, StoreMissingError
from datasets.ingest import LoadReport, ingest_paths
from datasets.store import Connection, connect, load_bundled, table_counts
from service.webhooks import RetryPolicy

if TYPE_CHECKING:  # scoring pulls in Polars, which `ingest` and `serve` do not need at start-up
    from scoring import ScoreResult


StepCallback = Callable[[str], None]
T = TypeVar("T")
SNAPSHOTS_KEPT = 3  # the newest published snapshot files stay for servers still finishing requests on them
WEBHOOK_RETRIES = RetryPolicy()
STAGING_SUFFIX = ".staging"  # a snapshot being built; renamed to .duckdb when it is published


class PipelineError(DataError, status=409):
    """A pipeline step that cannot go on (nothing was published)."""


@dataclass(frozen=True)
class InitOutcome:
    reports: list[LoadReport]
    counts: dict[str, int]


@dataclass(frozen=True)
class IngestOutcome:
    reports: list[LoadReport]
    refused: list[str]  # one line per file that could not be loaded: nothing from it was kept

    def total(self, field: str) -> int:
        return sum(int(getattr(r, field)) for r in self.reports)


@dataclass(frozen=True)
class ScoreOutcome:
    result: ScoreResult
    as_of: date
    methodology_version: str


@dataclass(frozen=True)
class RefreshOutcome:
    ingested: IngestOutcome | None
    scored: ScoreOutcome
    snapshot: Path  # the file now published
    changes: int = 0  # entries this refresh added to the change log
    delivered: dict[str, bool] = field(default_factory=dict)  # webhook id -> whether it took the changes


def _quiet(_step: str) -> None:
    return None


def init(db: Path, on_step: StepCallback = _quiet) -> InitOutcome:
    """Create the database (if absent) and load the bundled default data."""
    con = connect(db)
    try:
        reports = load_bundled(con, on_step=lambda step: on_step(f"bundled: {step}"))
        return InitOutcome(reports, table_counts(con))
    finally:
        con.close()


def ingest(db: Path, paths: Sequence[Path], kind: str | None = None, on_step: StepCallback = _quiet) -> IngestOutcome:
    """Load each file (each member of a zip) in its own transaction; a refused file is reported, not raised."""
    refused: list[str] = []
    con = connect(db)
    try:
        reports = ingest_paths(
            con,
            paths,
            KINDS,
            kind=kind,
            on_step=lambda name, step: on_step(f"{name}: {step}"),
            on_refused=lambda _path, exc: refused.append(str(exc)),
        )
    finally:
        con.close()
    return IngestOutcome(reports, refused)


def score(db: Path, as_of: date | None = None, *, serve: bool = False) -> ScoreOutcome:
    """Score every Canadian firm as of a date (default today) and store the result beside earlier ones.
    Servers show the newest date; `serve` makes them show this one even if it is older (a backfill is not)."""
    from datasets.frames import read_frames, write_result
    from scoring import load_methodology
    from scoring import score as compute

    as_of = as_of or date.today()
    methodology = load_methodology()
    con = connect(db)
    try:
        result = compute(read_frames(con), methodology, as_of)
        write_result(con, result, as_of, methodology.version, serve=serve)
    finally:
        con.close()
    return ScoreOutcome(result, as_of, methodology.version)


def refresh(
    db: Path,
    paths: Sequence[Path] = (),
    as_of: date | None = None,
    on_step: StepCallback = _quiet,
    *,
    serve: bool = False,
    edit: Callable[[Path], None] | None = None,
    notify: Path | None = None,
    webhook_policy: RetryPolicy = WEBHOOK_RETRIES,
) -> RefreshOutcome:
    """Ingest `paths` into a copy of the served database (and apply `edit` to the copy: an analyst's override,
    say), rescore it, and publish it; servers switch to it. What changed goes to the change log, and, with
    `notify` (the service's state file), to every registered webhook once published."""
    if not db.exists():
        raise StoreMissingError(f"database {db} does not exist; run `exposure --db {db} init` first")
    with _refresh_lock(db, on_step):
        _remove_unpublished(db)  # what killed refreshes left: nothing else is building while we hold the lock
        staging = _copy_of_served(db)
        try:
            ingested = None
            if edit is not None:
                edit(staging)
            if paths:
                ingested = ingest(staging, paths, on_step=on_step)
                if ingested.refused:
                    raise PipelineError(
                        f"{len(ingested.refused)} of {len(paths)} files could not be loaded, so nothing was "
                        f"published: {ingested.refused[0]}"
                    )
            before = _with_store(staging, changes.baseline)
            on_step("scoring")
            scored = score(staging, as_of, serve=serve)
            changed = _with_store(staging, lambda con: changes.record(con, before))
            published = publish(db, staging)
        except BaseException:
            staging.unlink(missing_ok=True)
            Path(f"{staging}.wal").unlink(missing_ok=True)
            raise
    delivered: dict[str, bool] = {}
    if notify is not None and changed.changes:
        from service.state import ServiceState
        from service.webhooks import deliver

        on_step(f"telling webhooks of {len(changed.changes)} changes")
        state = ServiceState(notify)
        try:
            delivered = deliver(state, changed.refresh_id, changed.changes, webhook_policy)
        finally:
            state.close()
    return RefreshOutcome(ingested, scored, published, len(changed.changes), delivered)


def change(
    db: Path, edit: Callable[[Connection], T], as_of: date | None = None, on_step: StepCallback = _quiet
) -> tuple[T, RefreshOutcome | None]:
    """Apply an analyst's change (an override added or withdrawn) to the store. When a server holds the file,
    the change goes through a refresh instead: made in the next snapshot, rescored and published, so analysts
    can work while the service serves. The refresh's outcome says whether that happened."""
    try:
        con = connect(db)
    except StoreLockedError:
        made: list[T] = []

        def in_the_next_snapshot(staging: Path) -> None:
            staged = connect(staging)
            try:
                made.append(edit(staged))
            finally:
                staged.close()

        on_step("the database is being served: making the change in the next snapshot")
        outcome = refresh(db, as_of=as_of, on_step=on_step, edit=in_the_next_snapshot)
        return made[0], outcome
    try:
        return edit(con), None
    finally:
        con.close()


def publish(db: Path, staging: Path) -> Path:
    """Point the published path at the staged snapshot in one atomic step, then let old snapshot files go."""
    served = db.resolve()
    snapshot = staging.with_suffix(".duckdb")
    _fsync(staging)
    os.replace(staging, snapshot)  # now a published snapshot, not a leftover
    if Path(f"{staging}.wal").exists():
        os.replace(Path(f"{staging}.wal"), Path(f"{snapshot}.wal"))
    link = db.with_name(db.name + ".publishing")
    link.unlink(missing_ok=True)
    link.symlink_to(snapshot.resolve())
    os.replace(link, db)  # atomic: readers see the old snapshot or the new one, never a mix
    _fsync(db.parent)
    _prune_snapshots(snapshot.parent, keep={snapshot.resolve(), served})
    return snapshot


@contextmanager
def _refresh_lock(db: Path, on_step: StepCallback) -> Iterator[None]:
    """One refresh of a database at a time; the lock goes with the process, so a killed refresh frees it."""
    lock_path = db.with_name(db.name + ".refresh.lock")
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_step("waiting for another refresh of this database to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _with_store(db: Path, work: Callable[[Connection], T]) -> T:
    with connect(db) as con:  # closed on leaving
        return work(con)


def _copy_of_served(db: Path) -> Path:
    snapshots = db.with_name(db.name + ".snapshots")
    snapshots.mkdir(exist_ok=True)
    staging = snapshots / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}{STAGING_SUFFIX}"
    shutil.copy2(db.resolve(), staging)
    wal = Path(f"{db}.wal")
    if wal.exists():  # an unfinished write on the served path travels with it
        shutil.copy2(wal, Path(f"{staging}.wal"))
    return staging


def _remove_unpublished(db: Path) -> None:
    for leftover in db.with_name(db.name + ".snapshots").glob(f"*{STAGING_SUFFIX}*"):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _prune_snapshots(folder: Path, keep: set[Path], retain: int = SNAPSHOTS_KEPT) -> None:
    """Old snapshot files (and a killed refresh's leftovers) go; the newest few stay for servers still on them."""
    files = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in files[retain:]:
        if stale.resolve() not in keep:
            stale.unlink(missing_ok=True)
            Path(f"{stale}.wal").unlink(missing_ok=True)
