"""Screenings a fund can hand in: holdings sent as CSV (a body or an upload), answers in CSV, the replay with
each input beside its answer, a key's own list, and no key reading another's screening."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from datasets.sources.coverage.build import OUTPUT as RESEARCH
from service.app import create_app
from service.settings import Settings
from service.state import ServiceState
from tests.conftest import build_store, serve

HOLDINGS = (
    "ref,name,isin,ticker,exchange\nh-1,Roshel,,,\nh-2,,,TRI,TSX\nh-3,=HYPERLINK(1),,,\nh-4,Nobody We Know Ltd,,,\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    db = build_store(tmp_path_factory.mktemp("screenings") / "exposure.duckdb")
    with serve(db, anonymous_scopes="") as client:
        state: ServiceState = client.app.state.service_state  # type: ignore[attr-defined]
        tokens = {
            name: state.create_key(name, scopes, 10_000, 1_000_000)[1]
            for name, scopes in (("fund-a", ["screen"]), ("fund-b", ["screen"]), ("ops", ["admin"]))
        }
        yield client, tokens


def _as(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_csv_body_answered_in_csv(served: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = served
    response = client.post(
        "/v1/screen?max_tier=moderate",
        content=HOLDINGS,
        headers=_as(tokens["fund-a"], **{"Content-Type": "text/csv", "Accept": "text/csv"}),
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = _rows(response.text)
    assert [r["ref"] for r in rows] == ["h-1", "h-2", "h-3", "h-4"]  # in the order sent
    assert rows[0]["firm_id"] == "roshel" and rows[0]["verdict"] == "exclude"  # high is above moderate
    assert rows[1]["firm_id"] == "thomson-reuters" and rows[1]["ticker"] == "TRI"
    assert rows[2]["name"] == "'=HYPERLINK(1)"  # the caller's own cell, neutralised on the way back
    assert rows[3]["verdict"] == "not_covered"
    assert len({r["screening_id"] for r in rows}) == 1 and rows[0]["snapshot_id"]
    # How far each identified issuer's U.S. subsidiaries were researched: empty for a private firm or no match.
    researched = {r["issuer_id"]: r["research_status"] for r in _rows(RESEARCH.read_text(encoding="utf-8"))}
    assert rows[1]["subsidiary_research"] == researched["thomson-reuters"]
    assert rows[0]["subsidiary_research"] == "" and rows[3]["subsidiary_research"] == ""


def test_a_multipart_upload_answered_in_json_with_the_inputs(served: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = served
    response = client.post(
        "/v1/screen",
        files={"file": ("holdings.csv", HOLDINGS.encode(), "text/csv")},
        headers=_as(tokens["fund-a"]),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["policy"]["max_tier"] == "high"  # no policy sent: the default, stated in the answer
    assert [r["input"]["ref"] for r in body["data"]] == ["h-1", "h-2", "h-3", "h-4"]
    assert body["data"][1]["input"] == {**dict.fromkeys(body["data"][1]["input"]), "ref": "h-2", "ticker": "TRI",
                                        "exchange": "TSX"}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("colour,size\nred,2\n", 422, "none of the columns"),
        ("ref,name\nh-1\n", 422, "line 2 has 1 cells"),
        ("ref,isin\nh-1," + "X" * 60 + "\n", 422, "line 2, isin"),
        ("ref,name\n", 422, "no holdings"),
    ],
)
def test_a_bad_holdings_file_names_the_line_and_column(
    served: tuple[TestClient, dict[str, str]], body: str, status: int, detail: str
) -> None:
    client, tokens = served
    response = client.post("/v1/screen", content=body, headers=_as(tokens["fund-a"], **{"Content-Type": "text/csv"}))
    assert response.status_code == status and response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]


def test_too_many_holdings_is_413(tmp_path: Path) -> None:
    db = build_store(tmp_path / "exposure.duckdb")
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen", screen_max_items=2))) as client:
        response = client.post("/v1/screen", content=HOLDINGS, headers={"Content-Type": "text/csv"})
    assert response.status_code == 413 and "at most 2" in response.json()["detail"]


def test_a_screening_is_its_keys_alone_and_listed_for_it(served: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = served
    made = client.post("/v1/screen", json={"items": [{"ref": "x", "name": "CAE Inc."}]}, headers=_as(tokens["fund-a"]))
    screening_id = made.json()["screening_id"]
    mine = client.get(f"/v1/screenings/{screening_id}", headers=_as(tokens["fund-a"]))
    assert mine.status_code == 200 and mine.json()["data"][0]["input"]["name"] == "CAE Inc."
    replay_csv = client.get(f"/v1/screenings/{screening_id}?format=csv", headers=_as(tokens["fund-a"]))
    assert _rows(replay_csv.text)[0]["name"] == "CAE Inc." and _rows(replay_csv.text)[0]["firm_id"] == "cae"
    theirs = client.get(f"/v1/screenings/{screening_id}", headers=_as(tokens["fund-b"]))
    assert theirs.status_code == 404  # not 403: another fund cannot even learn that it exists
    assert client.get(f"/v1/screenings/{screening_id}", headers=_as(tokens["ops"])).status_code == 200
    listed_a = client.get("/v1/screenings", headers=_as(tokens["fund-a"])).json()
    listed_b = client.get("/v1/screenings", headers=_as(tokens["fund-b"])).json()
    assert screening_id in {s["screening_id"] for s in listed_a["data"]}
    assert screening_id not in {s["screening_id"] for s in listed_b["data"]}
    everything = client.get("/v1/screenings", headers=_as(tokens["ops"])).json()
    assert everything["count"] >= listed_a["count"] + listed_b["count"]


def test_neither_json_csv_nor_an_upload_is_415(served: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = served
    response = client.post(
        "/v1/screen", content="name=Roshel", headers=_as(tokens["fund-a"], **{"Content-Type": "text/plain"})
    )
    assert response.status_code == 415 and "text/csv" in response.json()["detail"]


def test_a_body_that_is_not_json_is_400_and_a_non_number_score_limit_is_422(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = served
    broken = client.post(
        "/v1/screen", content=b"{not json", headers=_as(tokens["fund-a"], **{"Content-Type": "application/json"})
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]
    for limit in (False, "50"):
        sent = {"items": [{"name": "Roshel"}], "policy": {"max_score": limit}}
        refused = client.post("/v1/screen", json=sent, headers=_as(tokens["fund-a"]))
        assert refused.status_code == 422 and "max_score" in refused.json()["detail"], limit
    fine = {"items": [{"name": "Roshel"}], "policy": {"max_score": 50}}
    assert client.post("/v1/screen", json=fine, headers=_as(tokens["fund-a"])).status_code == 200


def test_columns_the_screening_does_not_use_are_ignored_and_said(served: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = served
    body = "ref,name,weight_pct\nh-1,Roshel,2.5\n"
    response = client.post("/v1/screen", content=body, headers=_as(tokens["fund-a"], **{"Content-Type": "text/csv"}))
    assert response.status_code == 200 and response.headers["X-Exposure-Ignored-Columns"] == "weight_pct"
    assert response.json()["data"][0]["match"]["firm_id"] == "roshel"
