"""The HTTP API through the test client, on a store built from the bundled data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import main
from service.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("api") / "exposure.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    with TestClient(create_app(Settings(db=Path(db)))) as test_client:
        yield test_client


def test_healthz_names_the_snapshot(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["snapshot"]["as_of"] == "2026-11-22" and body["snapshot"]["methodology_version"]
    assert body["firms"] > 20


def test_firms_lists_roshel_with_its_ice_award(client: TestClient) -> None:
    response = client.get("/v1/firms", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["data"])
    roshel = next(f for f in body["data"] if f["firm_id"] == "roshel")
    assert roshel["ice_total"] == pytest.approx(7_234_926.20)
    award = roshel["top_awards"][0]
    assert award["award_key"] == "CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732"
    assert award["agency_code"] == "7012"
    assert award["url"] == f"https://www.usaspending.gov/award/{award['award_key']}/"
    scores = [f["score"] for f in body["data"]]
    assert scores == sorted(scores, reverse=True)


def test_firms_filters_by_agency_tier_and_name(client: TestClient) -> None:
    cbp = client.get("/v1/firms", params={"agency": "CBP"}).json()["data"]
    assert cbp and all(f["cbp_total"] != 0 or f["evidence_count"] > 0 for f in cbp)
    assert "roshel" not in {f["firm_id"] for f in cbp}
    severe = client.get("/v1/firms", params={"tier": "severe"}).json()["data"]
    assert {f["tier"] for f in severe} <= {"severe"}
    named = client.get("/v1/firms", params={"q": "garda"}).json()
    assert [f["firm_id"] for f in named["data"]] == ["gardaworld"]


def test_pages_do_not_overlap(client: TestClient) -> None:
    first = client.get("/v1/firms", params={"limit": 5, "offset": 0}).json()
    second = client.get("/v1/firms", params={"limit": 5, "offset": 5}).json()
    ids = [f["firm_id"] for f in first["data"] + second["data"]]
    assert len(ids) == len(set(ids)) == 10
    assert first["count"] == second["count"]


def test_firm_profile_shows_subsidiaries_and_links_with_source_keys(client: TestClient) -> None:
    body = client.get("/v1/firms/thomson-reuters").json()
    assert body["firm"]["name"].startswith("Thomson Reuters")
    assert {"thomson-reuters-special-services", "west-publishing"} <= {s["firm_id"] for s in body["subsidiaries"]}
    assert {"ticker"} <= {i["scheme"] for i in body["identifiers"]}
    assert body["contributions"] and body["contributions_total"] >= len(body["contributions"])
    for link in body["contributions"]:
        assert link["source_key"]
        if link["link_kind"] in ("transaction", "award"):
            assert link["url"] == f"https://www.usaspending.gov/award/{link['award_key']}/"
    vias = {b["key"] for b in body["by_subsidiary"]}
    assert "thomson-reuters-special-services" in vias


def test_profile_shows_evidence_with_the_company_response(client: TestClient) -> None:
    body = client.get("/v1/firms/roshel").json()
    responses = [e["company_response"] for e in body["evidence"] if e["company_response"]]
    assert any("sell to the U.S. government" in r for r in responses)
    assert all(e["url"].startswith("http") for e in body["evidence"])


def test_unknown_firm_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/v1/firms/no-such-firm")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 404 and "no-such-firm" in body["detail"] and body["instance"] == "/v1/firms/no-such-firm"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "extreme"}, "tier"),
        ({"min_score": "-1"}, "min_score"),
        ({"limit": "0"}, "limit"),
        ({"sort": "random"}, "sort"),
        ({"agency": "NASA"}, "agency"),
    ],
)
def test_bad_parameters_are_422_problems_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/v1/firms", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["detail"].startswith(f"{field}:")


def test_unknown_route_is_a_problem_too(client: TestClient) -> None:
    response = client.get("/v2/nothing")
    assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)


def test_methodology_names_its_version_and_weights(client: TestClient) -> None:
    body = client.get("/v1/methodology").json()
    health = client.get("/healthz").json()
    assert body["version"] == health["snapshot"]["methodology_version"] and body["in_force_for_snapshot"]
    severities = {c["category"]: c["severity"] for c in body["categories"]}
    assert severities["armoured_vehicles"] > severities["clothing"]
    assert body["agency_weights"]["7012"] >= body["agency_weights"]["7014"] >= body["default_agency_weight"]
    assert body["rule_counts"]["psc"] > 100


def test_profile_breakdown_adds_up_to_the_score_totals(client: TestClient) -> None:
    body = client.get("/v1/firms/thomson-reuters").json()
    total = body["score"]["weighted_total"]
    for breakdown in ("by_agency", "by_category", "by_subsidiary"):
        assert abs(sum(b["weighted"] for b in body[breakdown]) - total) < 0.05 * len(body[breakdown]) + 0.01
