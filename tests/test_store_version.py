"""A store built by an earlier version (lacking a table this version's schema defines) is refused by the server with
a message saying how to bring it up to date, and `exposure init` brings it up to date keeping what it holds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from datasets.errors import StoreOutdatedError
from datasets.store import schema_tables
from service.cli import main
from service.db import open_read_only
from tests.conftest import build_store


def _count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def test_an_outdated_store_is_refused_with_the_way_to_update_it_and_init_updates_it(tmp_path: Path) -> None:
    db = build_store(tmp_path / "exposure.duckdb")
    scores = _count(db, "SELECT count(*) FROM scores")
    con = duckdb.connect(str(db))
    # As a store built before the table existed: neither the table nor a record of its file having been loaded.
    con.execute("DROP TABLE issuer_research")
    con.execute("DELETE FROM sources WHERE kind = 'registry_issuer_research'")
    con.close()
    with pytest.raises(StoreOutdatedError) as refused:
        open_read_only(db)
    assert "lacks the table(s) issuer_research" in str(refused.value) and f"exposure --db {db} init" in str(
        refused.value
    )
    assert refused.value.status == 503
    assert main(["--db", str(db), "init"]) == 0
    open_read_only(db).close()
    assert _count(db, "SELECT count(*) FROM issuer_research") > 400  # every issuer row of COVERAGE.md
    assert _count(db, "SELECT count(*) FROM scores") == scores  # what it held is kept
    assert "issuer_research" in schema_tables()
