"""The HTTP API through the test client, on a store built from the bundled data: every endpoint, every
export format, pagination, screening under a policy and its replay, and problem+json on the error paths."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from datasets.sources.usaspending.load import SEARCH_EXPORT
from service.app import SNAPSHOT_HEADER, create_app
from service.cli import main
from service.settings import Settings
from tests.conftest import build_store, ingest_and_score, serve, write_csv

PROBLEM = "application/problem+json"
ROSHEL_AWARD = "CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("api") / "exposure.duckdb", "2025-12-31", "2026-11-22")


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, page_size_default=5, anonymous_scopes="read,screen"))) as test_client:
        yield test_client


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"] and body["title"] and body["type"] and body["instance"]
    return body


def all_pages(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    firms: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = client.get("/v1/firms", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        firms += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return firms


# --- meta ---------------------------------------------------------------------------------------------


def test_healthz_and_readyz_name_the_snapshot(client: TestClient) -> None:
    health = client.get("/healthz")
    body = health.json()
    assert body["status"] == "ok" and body["snapshot"]["as_of"] == "2026-11-22" and body["firms"] > 20
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["snapshot_id"] == health.headers[SNAPSHOT_HEADER]


def test_every_response_names_the_snapshot(client: TestClient) -> None:
    for path in ("/healthz", "/v1/firms", "/v1/firms/roshel", "/v1/agencies", "/v1/sources", "/v1/nothing"):
        assert len(client.get(path).headers[SNAPSHOT_HEADER]) == 16, path


def test_methodology_names_its_version_and_weights(client: TestClient) -> None:
    body = client.get("/v1/methodology").json()
    assert body["version"] == client.get("/healthz").json()["snapshot"]["methodology_version"]
    assert body["in_force_for_snapshot"]
    severities = {c["category"]: c["severity"] for c in body["categories"]}
    assert severities["armoured_vehicles"] > severities["clothing"]
    assert body["agency_weights"]["7012"] >= body["agency_weights"]["7014"] >= body["default_agency_weight"]


def test_agencies_list_the_dhs_hierarchy_with_exposure(client: TestClient) -> None:
    body = client.get("/v1/agencies").json()
    agencies = {a["agency_code"]: a for a in body["data"]}
    assert agencies["070"]["level"] == "department"
    assert agencies["7012"]["name"] == "U.S. Immigration and Customs Enforcement"
    assert agencies["7061"]["name"] == "Cybersecurity and Infrastructure Security Agency"
    assert agencies["7012"]["firms_exposed"] > 0 and agencies["7012"]["dollars"] > 313_000_000


def test_sources_account_for_every_bundled_file(client: TestClient) -> None:
    body = client.get("/v1/sources").json()
    kinds = {s["kind"] for s in body["data"]}
    assert {"registry_firms", "registry_agencies", "evidence", "registry_key_awards"} <= kinds
    for source in body["data"]:
        parts = ("rows_inserted", "rows_updated", "rows_duplicate", "rows_quarantined")
        assert source["rows_read"] == sum(source[k] for k in parts)
        assert source["publisher"] and source["licence"]


# --- the list -----------------------------------------------------------------------------------------


def test_firms_lists_roshel_with_its_ice_award(client: TestClient) -> None:
    firms = all_pages(client)
    roshel = next(f for f in firms if f["firm_id"] == "roshel")
    assert roshel["ice_total"] == pytest.approx(7_234_926.20)
    award = roshel["top_awards"][0]
    assert award["award_key"] == ROSHEL_AWARD and award["agency_code"] == "7012"
    assert award["url"] == f"https://www.usaspending.gov/award/{ROSHEL_AWARD}/"
    scores = [f["score"] for f in firms]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("sort", ["score", "-score", "name", "-name", "-obligated", "ice", "-cbp", "weighted"])
def test_pages_cover_the_list_without_gaps_or_repeats(client: TestClient, sort: str) -> None:
    pages = all_pages(client, sort=sort, limit=3)
    whole = client.get("/v1/firms", params={"sort": sort, "limit": 500}).json()
    assert [f["firm_id"] for f in pages] == [f["firm_id"] for f in whole["data"]]
    assert len(pages) == whole["count"] == len({f["firm_id"] for f in pages})


def test_firms_filter_by_agency_tier_category_province_and_name(client: TestClient) -> None:
    cbp = {f["firm_id"] for f in all_pages(client, agency="CBP")}
    assert "roshel" not in cbp and {"opentext", "cae"} <= cbp
    assert {f["tier"] for f in all_pages(client, tier="severe")} == {"severe"}
    assert all(f["score"] >= 50 for f in all_pages(client, min_score=50))
    armoured = {f["firm_id"] for f in all_pages(client, category="armoured_vehicles")}
    assert armoured == {"roshel"}
    assert {f["province"] for f in all_pages(client, province="QC")} == {"QC"}
    named = client.get("/v1/firms", params={"q": "garda"}).json()
    assert [f["firm_id"] for f in named["data"]] == ["gardaworld"]


def test_list_etag_and_if_none_match(client: TestClient) -> None:
    first = client.get("/v1/firms", params={"tier": "high"})
    etag = first.headers["ETag"]
    again = client.get("/v1/firms", params={"tier": "high"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/v1/firms", params={"tier": "low"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_csv_export_streams_the_whole_filtered_list(client: TestClient) -> None:
    response = client.get("/v1/firms", params={"format": "csv", "limit": 1})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == client.get("/v1/firms").json()["count"]
    assert rows[0]["firm_id"] == "gardaworld" and rows[0]["as_of"] == "2026-11-22"
    by_accept = client.get("/v1/firms", headers={"Accept": "text/csv"}, params={"tier": "severe"})
    assert next(iter(csv.DictReader(io.StringIO(by_accept.text))))["tier"] == "severe"


def test_ndjson_and_parquet_exports(client: TestClient) -> None:
    ndjson = client.get("/v1/firms", params={"format": "ndjson"})
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    parquet = client.get("/v1/firms", headers={"Accept": "application/vnd.apache.parquet"})
    assert parquet.headers["content-type"].startswith("application/vnd.apache.parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == len(lines) == client.get("/v1/firms").json()["count"]
    assert table.column("firm_id").to_pylist() == [line["firm_id"] for line in lines]
    empty = client.get("/v1/firms", params={"format": "csv", "q": "no firm has this name"})
    assert empty.text.startswith("firm_id,") and len(empty.text.splitlines()) == 1


def test_csv_export_neutralises_spreadsheet_formulas(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "formula.duckdb"
    copy.write_bytes(db.read_bytes())
    names = {
        "roshel": '=HYPERLINK("http://x")',
        "cae": "\t=1+1 CANADA LTD",  # issue #15: a TAB first, then a formula
        "cgi": "\r=1+1",
        "gardaworld": "+1-1",
        "opentext": "-2+3",
        "hootsuite": "@SUM(A1)",
        "wsp": "Ordinary Name = Fine",
    }
    con = duckdb.connect(str(copy))
    for firm_id, name in names.items():
        con.execute("UPDATE firms SET name = ? WHERE firm_id = ?", [name, firm_id])
    con.execute("UPDATE scores SET firm_name = '@SUM(A1)' WHERE firm_id = 'roshel'")
    con.close()
    with TestClient(create_app(Settings(db=copy, anonymous_scopes="read,screen"))) as client:
        rows = list(csv.DictReader(io.StringIO(client.get("/v1/firms", params={"format": "csv"}).text, newline="")))
        exported = {r["firm_id"]: r["name"] for r in rows}
        for firm_id, name in names.items():
            assert exported[firm_id] == (name if firm_id == "wsp" else f"'{name}"), firm_id
        ndjson = [json.loads(line) for line in client.get("/v1/firms", params={"format": "ndjson"}).text.splitlines()]
        # Only CSV, which a spreadsheet opens, is altered.
        assert {r["firm_id"]: r["name"] for r in ndjson if r["firm_id"] in names} == names


# --- one firm -----------------------------------------------------------------------------------------


def test_firm_profile_shows_subsidiaries_breakdown_and_links_with_permalinks(client: TestClient) -> None:
    body = client.get("/v1/firms/thomson-reuters").json()
    assert body["firm"]["name"].startswith("Thomson Reuters")
    assert {"thomson-reuters-special-services", "west-publishing"} <= {s["firm_id"] for s in body["subsidiaries"]}
    assert "ticker" in {i["scheme"] for i in body["identifiers"]}
    assert body["contributions"] and body["contributions_total"] >= len(body["contributions"])
    for link in body["contributions"]:
        if link["link_kind"] in ("transaction", "award"):
            assert link["url"] == f"https://www.usaspending.gov/award/{link['award_key']}/"
    total = body["score"]["weighted_total"]
    for breakdown in ("by_agency", "by_category", "by_subsidiary"):
        assert abs(sum(b["weighted"] for b in body[breakdown]) - total) < 0.05 * len(body[breakdown]) + 0.01
    assert body["snapshot"]["as_of"] == "2026-11-22"


def test_profile_shows_evidence_with_the_company_response(client: TestClient) -> None:
    body = client.get("/v1/firms/roshel").json()
    assert any("sell to the U.S. government" in (e["company_response"] or "") for e in body["evidence"])
    assert all(e["url"].startswith("http") for e in body["evidence"])


def test_history_holds_each_as_of_date(client: TestClient) -> None:
    body = client.get("/v1/firms/gardaworld/history").json()
    assert [p["as_of"] for p in body["data"]] == ["2025-12-31", "2026-11-22"]
    assert body["data"][0]["obligated_total"] < body["data"][1]["obligated_total"]  # the 2026 award came later


def test_unknown_firm_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/firms/no-such-firm"), 404)
    assert "no-such-firm" in body["detail"] and body["instance"] == "/v1/firms/no-such-firm"
    assert_problem(client.get("/v1/firms/no-such-firm/history"), 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "extreme"}, "tier"),
        ({"min_score": "-1"}, "min_score"),
        ({"limit": "0"}, "limit"),
        ({"sort": "random"}, "sort"),
        ({"agency": "NASA"}, "agency"),
        ({"category": "socks"}, "category"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_parameters_are_422_problems_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    assert assert_problem(client.get("/v1/firms", params=params), 422)["detail"].startswith(f"{field}:")


def test_unknown_route_is_a_problem_too(client: TestClient) -> None:
    assert_problem(client.get("/v2/nothing"), 404)
    assert_problem(client.delete("/v1/firms/roshel"), 405)


# --- screening ----------------------------------------------------------------------------------------


def test_screen_keeps_the_callers_order_and_applies_the_policy(client: TestClient) -> None:
    items = [
        {"ref": "a", "name": "GARDAWORLD FEDERAL SERVICES LLC"},
        {"ref": "b", "ticker": "TRI", "exchange": "TSX"},
        {"ref": "c", "name": "Maple Leaf Foods"},
        {"ref": "d", "name": "roshel"},
        {"ref": "e", "name": "Hootsuite Inc."},
    ]
    response = client.post("/v1/screen", json={"items": items, "policy": {"max_tier": "moderate"}})
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["data"]
    assert [r["ref"] for r in results] == ["a", "b", "c", "d", "e"]
    garda, tri, maple, roshel, hootsuite = results
    assert garda["match"]["firm_id"] == "gardaworld" and garda["match"]["via_firm_id"] == "gardaworld-federal-services"
    assert garda["verdict"] == "exclude" and "above the policy's max_tier moderate" in garda["reason"]
    assert tri["match"]["method"] == "identifier:ticker" and tri["verdict"] == "exclude"
    # A listed issuer the registry does not hold: known, its name checked against the records, nothing found.
    assert maple["match"]["issuer_id"] == "tsx-mfi" and maple["match"]["firm_id"] is None
    assert maple["verdict"] == "pass" and maple["coverage"]["issuer_id"] == "tsx-mfi"
    assert roshel["match"]["method"] == "alias" and roshel["verdict"] == "exclude"
    assert hootsuite["verdict"] == "flag" and hootsuite["tier"] in ("low", "moderate")
    assert body["policy"] == {"max_score": None, "max_tier": "moderate", "agencies": None}
    assert body["snapshot"]["methodology_version"] and body["snapshot_id"] == response.headers[SNAPSHOT_HEADER]


def test_screen_policy_by_agency_scores_only_that_agencys_exposure(client: TestClient) -> None:
    items = [{"ref": "roshel", "name": "Roshel"}, {"ref": "cae", "name": "CAE Inc."}]  # CAE's records are CBP's
    body = client.post("/v1/screen", json={"items": items, "policy": {"max_score": 10, "agencies": ["ICE"]}}).json()
    roshel, cae = body["data"]
    assert roshel["verdict"] == "exclude" and "(agencies 7012)" in roshel["reason"]
    assert cae["match"]["firm_id"] == "cae" and cae["score"] == 0 and cae["verdict"] == "pass"


def test_a_screening_is_replayed_exactly(client: TestClient) -> None:
    first = client.post("/v1/screen", json={"items": [{"ref": "x", "name": "CGI Inc."}]})
    screening_id = first.json()["screening_id"]
    replay = client.get(f"/v1/screenings/{screening_id}")
    assert replay.status_code == 200 and replay.content == first.content
    assert_problem(client.get("/v1/screenings/" + "0" * 32), 404)


def test_a_screen_of_ten_thousand_items(client: TestClient) -> None:
    items = [{"ref": str(i), "name": ["Roshel", "CGI Inc.", "Nobody Ltd"][i % 3]} for i in range(10_000)]
    body = client.post("/v1/screen", json={"items": items}).json()
    assert body["count"] == 10_000 and [r["ref"] for r in body["data"][:4]] == ["0", "1", "2", "3"]


def test_screen_error_paths_are_problems(client: TestClient) -> None:
    too_many = {"items": [{"name": "x"}] * 10_001}
    assert "at most 10,000" in assert_problem(client.post("/v1/screen", json=too_many), 413)["detail"]
    as_text = client.post("/v1/screen", content=b"name=Roshel", headers={"Content-Type": "text/plain"})
    assert_problem(as_text, 415)
    # A bad identifier is that item's error; the rest of the batch is answered.
    items = [{"ref": "1", "isin": "CA0000000001"}, {"lei": "5493001KJTIIGC8Y1R13"}, {"ref": "3", "name": "Roshel"}]
    bad_isin, bad_lei, fine = client.post("/v1/screen", json={"items": items}).json()["data"]
    assert bad_isin["verdict"] == "error" and bad_isin["error"]["field"] == "items[0].isin"
    assert bad_isin["error"]["detail"].startswith("items[0].isin:") and bad_isin["match"] is None
    assert bad_lei["verdict"] == "error" and "LEI" in bad_lei["error"]["detail"]
    assert fine["match"]["firm_id"] == "roshel"
    bad_field = client.post("/v1/screen", json={"items": [{"nam": "typo"}]})
    assert "items.0.nam" in assert_problem(bad_field, 422)["detail"]
    bad_policy = client.post("/v1/screen", json={"items": [], "policy": {"agencies": ["NASA"]}})
    assert assert_problem(bad_policy, 422)["detail"].startswith("policy.agencies[0]:")
    assert_problem(client.post("/v1/screen", content=b"{not json", headers={"Content-Type": "application/json"}), 400)
    huge = client.post("/v1/screen", content=b"x" * 9_000_000, headers={"Content-Type": "application/json"})
    assert_problem(huge, 413)


def test_vendor_check_gives_match_verdict_and_three_strongest_evidence(client: TestClient) -> None:
    body = client.get("/v1/vendor-check", params={"name": "Roshel LLC"}).json()
    assert body["result"]["match"]["firm_id"] == "roshel" and body["result"]["verdict"] in ("flag", "exclude")
    assert 0 < len(body["evidence"]) <= 3 and body["evidence"][0]["confidence"] == "high"
    assert body["top_contributions"][0]["award_key"] == ROSHEL_AWARD
    nobody = client.get("/v1/vendor-check", params={"name": "Acme Widgets"}).json()
    assert nobody["result"]["verdict"] == "not_covered" and nobody["evidence"] == []
    assert_problem(client.get("/v1/vendor-check"), 422)
    assert_problem(client.get("/v1/vendor-check", params={"uei": "short"}), 422)


def test_a_firm_whose_name_others_share_is_found_only_by_its_exact_name(client: TestClient) -> None:
    """Fortis Inc. takes exact names only (firms.csv name_matching): FORTIS CONSTRUCTION is a near miss to
    review, never a clean bill or an exposure of Fortis's."""
    exact = client.get("/v1/vendor-check", params={"name": "Fortis Inc."}).json()["result"]
    assert exact["match"]["firm_id"] == "fortis" and exact["verdict"] == "pass"
    other = client.get("/v1/vendor-check", params={"name": "FORTIS CONSTRUCTION INC"}).json()["result"]
    assert other["match"] is None and other["verdict"] == "review"
    assert [c["firm_id"] for c in other["candidates"]][:1] == ["fortis"]


def test_the_review_queue_is_served_as_a_list(client: TestClient) -> None:
    response = client.get("/v1/candidates", params={"limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "count", "snapshot"} and body["count"] >= len(body["data"])
    amounts = [c["amount"] for c in body["data"]]
    assert amounts == sorted(amounts, reverse=True)
    assert all(c["reasons"] for c in body["data"])
    assert (
        client.get("/v1/candidates", params={"limit": 0}).headers["content-type"].startswith("application/problem+json")
    )


def test_the_review_queue_filters_by_reason_in_the_api_and_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = [*SEARCH_EXPORT.required_names, "Transaction Description"]
    rows = [  # Agency, Award ID, Recipient Name, Obligation, Action Date, Modification, Generated Award ID, text
        ["ICE", "P1", "ROSHELL LLC", "900", "2026-01-05", "0", "CONT_AWD_P1_7012_-NONE-_-NONE-", "HAULING"],
        [
            "CBP",
            "P2",
            "WINDSOR CLEANERS LIMITED",
            "500",
            "2026-02-05",
            "0",
            "CONT_AWD_P2_7014_-NONE-_-NONE-",
            "JANITORIAL SERVICES & HST TAX",
        ],
        ["CBP", "P3", "OCTAGON RADIO US INC.", "300", "2026-03-05", "0", "CONT_AWD_P3_7014_-NONE-_-NONE-", "RADIOS"],
    ]
    export = write_csv(tmp_path / "export.csv", header, rows)
    db = ingest_and_score(build_store(tmp_path / "queue.duckdb", scored=False), [export], "2026-11-22")
    with serve(db) as client:
        everything = client.get("/v1/candidates").json()
        assert [c["recipient_name"] for c in everything["data"]] == [r[2] for r in rows]
        taxed = client.get("/v1/candidates", params={"reason": "canadian_tax"}).json()
        assert taxed["count"] == 1 and [c["rank"] for c in taxed["data"]] == [2]  # the whole queue's rank
        assert taxed["data"][0]["reasons"][0].startswith("canadian_tax: ")
        near = client.get("/v1/candidates", params={"reason": "near_miss"}).json()["data"]
        assert [c["recipient_name"] for c in near] == ["ROSHELL LLC"]
        wrong = client.get("/v1/candidates", params={"reason": "maple"})
        assert wrong.status_code == 422 and wrong.headers["content-type"].startswith("application/problem+json")
        assert "us_arm_name" in wrong.json()["detail"]
    assert main(["--db", str(db), "candidates", "--reason", "us_arm_name"]) == 0
    printed = capsys.readouterr().out
    assert "top 1 of 1 with reason us_arm_name" in printed and "OCTAGON RADIO US INC." in printed
    assert "ROSHELL" not in printed


def test_a_pilot_known_only_by_its_month_is_dated_and_scored(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute(
            "SELECT event_date, event_date_precision FROM evidence WHERE evidence_id = 'hootsuite-ice-pilot-2025-09'"
        ).fetchall()
        scored = con.execute(
            "SELECT link_date, agency_code FROM contributions WHERE source_key = 'hootsuite-ice-pilot-2025-09' "
            "AND as_of = '2026-11-22'"
        ).fetchall()
    finally:
        con.close()
    assert stored == [(date(2025, 9, 1), "month")]
    assert scored == [(date(2025, 9, 1), "7012")]  # so an ICE filter finds it


# --- conventions users expect -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["score", "obligated", "ice", "cbp", "weighted"])
def test_every_sort_field_goes_both_ways_and_minus_is_highest_first(client: TestClient, field: str) -> None:
    key = {"score": "score", "obligated": "obligated_total", "ice": "ice_total", "cbp": "cbp_total"}.get(
        field, "weighted_total"
    )
    ascending = [f[key] for f in all_pages(client, sort=field)]
    descending = [f[key] for f in all_pages(client, sort=f"-{field}")]
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert descending[0] > ascending[0]
    default = [f["score"] for f in all_pages(client)]
    assert default == sorted(default, reverse=True)  # no sort given: highest score first


def test_repeated_filters_combine(client: TestClient) -> None:
    tiers = {t: {f["firm_id"] for f in all_pages(client, tier=t)} for t in ("high", "severe", "moderate")}
    both = client.get("/v1/firms", params=[("tier", "high"), ("tier", "moderate"), ("limit", "500")]).json()
    assert {f["firm_id"] for f in both["data"]} == tiers["high"] | tiers["moderate"]
    assert tiers["high"] and tiers["moderate"]
    agencies = client.get("/v1/firms", params=[("agency", "ICE"), ("agency", "CBP"), ("limit", "500")]).json()
    ice, cbp = ({f["firm_id"] for f in all_pages(client, agency=a)} for a in ("ICE", "CBP"))
    assert {f["firm_id"] for f in agencies["data"]} == ice | cbp and ice - cbp and cbp - ice


def test_q_finds_a_firm_by_a_subsidiarys_name(client: TestClient) -> None:
    found = {f["firm_id"] for f in all_pages(client, q="West Publishing")}
    assert found == {"thomson-reuters"}  # the subsidiary is rolled up; its parent is what is listed
    assert {f["firm_id"] for f in all_pages(client, q="ROSHEL LLC")} == {"roshel"}  # an alias


def test_firm_ids_are_case_insensitive(client: TestClient) -> None:
    upper, lower = client.get("/v1/firms/Roshel"), client.get("/v1/firms/roshel")
    assert upper.status_code == 200 and upper.json() == lower.json()
    assert client.get("/v1/firms/ROSHEL/history").json()["firm_id"] == "roshel"


def test_the_list_varies_by_accept_and_if_none_match_star_is_not_modified(client: TestClient) -> None:
    first = client.get("/v1/firms")
    assert "Accept" in [v.strip() for v in first.headers["Vary"].split(",")]
    assert client.get("/v1/firms", headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/v1/firms", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_firms_contributions_are_paged_and_add_up_to_its_score(client: TestClient) -> None:
    profile = client.get("/v1/firms/thomson-reuters").json()
    pages, offset = [], 0
    while offset is not None:
        body = client.get("/v1/firms/thomson-reuters/contributions", params={"limit": 2, "offset": offset}).json()
        assert len(body["data"]) <= 2
        pages += body["data"]
        offset = body["next_offset"]
    assert len(pages) == body["count"] == profile["contributions_total"] > 2
    assert len({c["link_id"] for c in pages}) == len(pages)
    assert sum(c["contribution"] for c in pages) == pytest.approx(profile["score"]["weighted_total"], rel=1e-6)
    assert client.get("/v1/firms/nobody/contributions").status_code == 404


def test_head_on_get_routes_gives_the_headers_without_a_body(client: TestClient) -> None:
    for path in ("/v1/firms", "/v1/firms/roshel", "/healthz", "/v1/firms?format=csv"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
    assert client.head("/v1/firms/nobody").status_code == 404


def test_large_answers_are_gzipped_when_asked_and_small_ones_not(client: TestClient) -> None:
    large = client.get("/v1/firms?limit=500", headers={"Accept-Encoding": "gzip"})
    assert large.headers["content-encoding"] == "gzip" and large.json()["count"] > 0  # decoded by the client
    assert "Accept-Encoding" in large.headers["vary"]
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    plain = client.get("/v1/firms?limit=500", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_cors_is_off_unless_configured(db: Path) -> None:
    preflight = {"Origin": "https://intranet.example.ca", "Access-Control-Request-Method": "GET"}
    with serve(db) as closed:
        assert "access-control-allow-origin" not in closed.get("/v1/firms", headers=preflight).headers
    settings = Settings(db=db, anonymous_scopes="read", cors_origins="https://intranet.example.ca")
    with TestClient(create_app(settings)) as open_to_one:
        answer = open_to_one.options("/v1/firms", headers=preflight)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://intranet.example.ca"
        other = open_to_one.get("/v1/firms", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        got = open_to_one.get("/v1/firms", headers={"Origin": "https://intranet.example.ca"})
        assert "X-Exposure-Snapshot" in got.headers["access-control-expose-headers"]


def test_the_vendor_check_takes_a_policy_and_states_the_default(client: TestClient) -> None:
    default = client.get("/v1/vendor-check", params={"name": "Roshel"}).json()
    assert default["policy_is_default"] and default["policy"]["max_tier"] == "high"
    assert "US$100 million" in default["policy_statement"]  # the default in words and dollars, not field names
    assert default["result"]["verdict"] == "flag"  # Roshel is high: flagged, not excluded, under the default
    strict = client.get("/v1/vendor-check", params={"name": "Roshel", "max_tier": "low"}).json()
    assert not strict["policy_is_default"] and strict["result"]["verdict"] == "exclude"
    cbp_only = client.get("/v1/vendor-check", params={"name": "Roshel", "max_tier": "low", "agency": "CBP"}).json()
    assert cbp_only["policy"]["agencies"] == ["CBP"] and cbp_only["result"]["verdict"] != "exclude"  # ICE-only firm
    bad = client.get("/v1/vendor-check", params={"name": "Roshel", "max_tier": "extreme"})
    assert bad.status_code == 422
