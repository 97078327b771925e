"""Analysts' overrides: stored with who, when and why; scoring and screening respect them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from datasets.errors import LoadError, NotFoundError
from datasets.overrides import add_override, list_overrides, remove_override
from datasets.sources.usaspending.load import SEARCH_EXPORT
from service.app import create_app
from service.cli import main
from service.settings import Settings
from tests.conftest import build_store, ingest_and_score, read_only, write_csv


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_store(tmp_path / "exposure.duckdb", scored=False)


def _contribution(db: Path, award_prefix: str) -> list[tuple[str, str]]:
    with read_only(db) as con:
        rows = con.execute(
            "SELECT firm_id, matched_by FROM contributions WHERE award_key LIKE ? AND link_kind <> 'evidence' "
            "ORDER BY firm_id",
            [award_prefix + "%"],
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


def _override(db: Path, name: str, decision: str, why: str) -> int:
    """`exposure overrides add` for a vendor name on Roshel, as an analyst."""
    command = ["overrides", "add", "--name", name, "--firm", "roshel", "--decision", decision]
    return main(["--db", str(db), *command, "--by", "analyst@fund", "--why", why])


def test_is_not_takes_a_vendor_off_a_firm_and_is_puts_it_back(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roshel_award = "CONT_AWD_70CMSW26FR0000002"
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    assert _contribution(db, roshel_award) == [("roshel", "alias:name")]

    assert _override(db, "ROSHEL LLC", "is_not", "test: entity unconfirmed") == 0
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    assert _contribution(db, roshel_award) == []

    assert _override(db, "Roshel LLC", "is", "ICE justification names Roshel LLC of Brampton") == 0
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    assert _contribution(db, roshel_award) == [("roshel", "override:is")]

    capsys.readouterr()
    assert main(["--db", str(db), "overrides", "list"]) == 0
    listing = capsys.readouterr().out
    assert "analyst@fund" in listing and "is_not" in listing and "Brampton" in listing


def test_screening_respects_overrides(db: Path) -> None:
    con = duckdb.connect(str(db))
    add_override(con, name="Maple Leaf Armour Ltd", uei=None, firm_id="roshel", decision="is", by="a", why="b")
    add_override(con, name="CGI Inc.", uei=None, firm_id="cgi", decision="is_not", by="a", why="test")
    con.close()
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as client:
        items = [{"ref": "1", "name": "MAPLE LEAF ARMOUR LIMITED"}, {"ref": "2", "name": "CGI Inc"}]
        first, second = client.post("/v1/screen", json={"items": items}).json()["data"]
    assert first["match"]["firm_id"] == "roshel" and first["match"]["method"] == "override"
    assert second["match"] is None


def test_overrides_need_a_known_firm_a_reason_and_one_target(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        with pytest.raises(NotFoundError):
            add_override(con, name="X", uei=None, firm_id="nobody", decision="is", by="a", why="b")
        with pytest.raises(LoadError, match="exactly one"):
            add_override(con, name="X", uei="L997DB4PEJL8", firm_id="roshel", decision="is", by="a", why="b")
        with pytest.raises(LoadError, match="why"):
            add_override(con, name="X", uei=None, firm_id="roshel", decision="is", by="a", why=" ")
        o = add_override(con, name=None, uei="l997db4pejl8", firm_id="roshel", decision="is", by="a", why="b")
        assert o.value == "L997DB4PEJL8" and [x.override_id for x in list_overrides(con)] == [o.override_id]
        remove_override(con, o.override_id)
        assert list_overrides(con) == []
        with pytest.raises(NotFoundError):
            remove_override(con, o.override_id)
    finally:
        con.close()


def test_the_profile_shows_the_decisions(db: Path) -> None:
    con = duckdb.connect(str(db))
    add_override(con, name="ROSHEL LLC", uei=None, firm_id="roshel", decision="is", by="analyst", why="checked")
    con.close()
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as client:
        body = client.get("/v1/firms/roshel").json()
    assert [(o["value"], o["decision"], o["decided_by"]) for o in body["overrides"]] == [
        ("ROSHEL LLC", "is", "analyst")
    ]
    assert {c["matched_by"] for c in body["contributions"] if c["link_kind"] == "award"} == {"override:is"}


def test_an_override_added_while_the_database_is_served_goes_through_a_refresh(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys
    import time

    served_file = db.resolve()
    # A server holds the file read-only, in another process, as `exposure serve` does.
    server = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}, read_only=True); time.sleep(60)"]
    )
    try:
        time.sleep(1.5)
        args = ["--db", str(db), "overrides", "add", "--name", "ROSHELL TRANSPORT LLC", "--firm", "roshel"]
        assert main([*args, "--decision", "is_not", "--by", "analyst", "--why", "a look-alike, checked"]) == 0
        out = capsys.readouterr().out
        assert "made in a refresh: published snapshot" in out
    finally:
        server.kill()
        server.wait()
    # A new snapshot was published beside the served file, which the server kept reading untouched.
    assert db.resolve() != served_file and db.resolve().parent.name == f"{db.name}.snapshots"
    con = duckdb.connect(str(db.resolve()), read_only=True)
    try:
        assert [o.raw_value for o in list_overrides(con, "roshel")] == ["ROSHELL TRANSPORT LLC"]
        assert con.execute("SELECT count(*) FROM scores").fetchone() != (0,)  # rescored with it
    finally:
        con.close()


def test_is_not_without_a_firm_says_the_vendor_is_no_registry_firm(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An analyst who finds a vendor is not Canadian-owned rules it off every firm: it attributes to none, a
    screening of the name matches nothing, and it leaves the review queue."""
    export = write_csv(
        tmp_path / "export.csv",
        SEARCH_EXPORT.required_names,
        [["CBP", "P3", "OCTAGON RADIO US INC.", "300", "2026-03-05", "0", "CONT_AWD_P3_7014_-NONE-_-NONE-"]],
    )
    ingest_and_score(db, [export], "2026-11-22")
    with read_only(db) as con:
        queued = {r[0] for r in con.execute("SELECT recipient_name FROM review_candidates").fetchall()}
    assert "OCTAGON RADIO US INC." in queued
    assert _contribution(db, "CONT_AWD_70CMSW26FR0000002") == [("roshel", "alias:name")]
    assert main(["--db", str(db), "overrides", "add", "--name", "ROSHEL LLC", "--decision", "is", "--by", "a",
                 "--why", "b"]) == 1  # fmt: skip
    assert "needs the registry firm (--firm)" in capsys.readouterr().err
    for name in ("ROSHEL LLC", "OCTAGON RADIO US INC."):
        args = ["overrides", "add", "--name", name, "--decision", "is_not", "--by", "analyst", "--why", "checked"]
        assert main(["--db", str(db), *args]) == 0
    assert "is not any registry firm" in capsys.readouterr().out
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    assert _contribution(db, "CONT_AWD_70CMSW26FR0000002") == []
    with read_only(db) as con:
        queued = {r[0] for r in con.execute("SELECT recipient_name FROM review_candidates").fetchall()}
    assert "OCTAGON RADIO US INC." not in queued
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as client:
        [ruled] = client.post("/v1/screen", json={"items": [{"ref": "1", "name": "Roshel LLC"}]}).json()["data"]
    assert ruled["match"] is None and ruled["verdict"] == "not_covered"
    assert main(["--db", str(db), "overrides", "list"]) == 0
    assert "'OCTAGON RADIO US INC.' is_not any registry firm by analyst" in capsys.readouterr().out
