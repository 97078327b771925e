"""The pipeline joins ingest, score and publish: what a refresh publishes holds every file it acknowledged."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from bench.generate import generate
from datasets.errors import DataError
from service import pipeline
from tests.conftest import read_only


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("pipeline") / "exposure.duckdb"
    pipeline.init(db)
    pipeline.score(db, date(2026, 11, 22))
    return db


def _transactions(db: Path) -> int:
    with read_only(db.resolve()) as con:
        row = con.execute("SELECT count(*) FROM transactions").fetchone()
    return int(row[0]) if row else 0


def test_two_refreshes_at_once_both_land(published: Path, tmp_path: Path) -> None:
    before = _transactions(published)
    files = [generate(400, tmp_path / f"Contracts_PrimeTransactions_{n}.csv", first_row=n * 10_000) for n in (1, 2)]
    start = threading.Barrier(2)
    outcomes: list[pipeline.RefreshOutcome] = []
    failures: list[BaseException] = []

    def refresh(path: Path) -> None:
        start.wait()
        try:
            outcomes.append(pipeline.refresh(published, [path], date(2026, 11, 22)))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=refresh, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    inserted = [o.ingested.total("rows_inserted") for o in outcomes if o.ingested]
    assert inserted == [400, 400]
    assert _transactions(published) == before + 800  # neither refresh published a copy without the other's rows


def test_a_refused_file_publishes_nothing(published: Path, tmp_path: Path) -> None:
    served = published.resolve()
    bad = tmp_path / "not_a_contract_file.csv"
    bad.write_text("colour,size\nred,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="nothing was published"):
        pipeline.refresh(published, [bad], date(2026, 11, 22))
    assert published.resolve() == served
    assert not [p for p in served.parent.glob("*.duckdb") if p.stat().st_mtime > served.stat().st_mtime]


def _served_and_history(db: Path) -> tuple[date | None, list[tuple[date, str]]]:
    from service.db import Cursor, open_read_only
    from service.queries.firms import history
    from service.queries.meta import current_snapshot

    con = open_read_only(db.resolve())
    try:
        with Cursor(con) as cur:
            points = history(cur, "roshel")
            return current_snapshot(cur).as_of, [(p.as_of, p.scored_at.isoformat()) for p in points]
    finally:
        con.close()


def test_a_backfill_is_not_served_unless_asked_and_rescoring_keeps_history(tmp_path: Path) -> None:
    db = tmp_path / "exposure.duckdb"
    pipeline.init(db)
    newest, older = date(2026, 11, 22), date(2025, 6, 30)
    pipeline.score(db, newest)
    pipeline.score(db, older)  # a backfill: scored later, but of an older date
    assert _served_and_history(db)[0] == newest
    pipeline.score(db, older, serve=True)  # asked for
    assert _served_and_history(db)[0] == older
    pipeline.score(db, newest)  # the newest date scored again lifts the choice
    served, points = _served_and_history(db)
    assert served == newest
    # Every run is in the history: the newest date twice, the older date twice, none overwritten.
    assert [day for day, _ in points] == [older, older, newest, newest]
    assert len({stamp for _, stamp in points}) == 4
