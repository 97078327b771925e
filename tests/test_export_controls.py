"""The export-control lens: each kind of rule on the smallest frame that shows it, the loader's checks, the rules
against GSA's PSC list, the contributions the pipeline writes, and GET /v1/export-controls on the bundled data."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from scoring import load_methodology, score
from scoring.export_controls import INPUTS, export_control_items
from scoring.methodology import METHODOLOGY_DIR, MethodologyError
from service.models import ExportControlEntry
from service.routers.export_controls import _csv
from tests.builders import frames as _frames
from tests.builders import tx
from tests.conftest import SHARED, build_store, serve

PROBLEM = "application/problem+json"
ROSHEL_AWARD = "CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732"
PSC_REFERENCE = SHARED / "data" / "reference" / "psc_gsa_2025-04.csv"


def decide(**record: str | None) -> dict[str, Any]:
    """The ECL columns the lens gives one record (unset inputs are null)."""
    frame = pl.LazyFrame([{column: record.get(column) for column in INPUTS}], schema=dict.fromkeys(INPUTS, pl.String))
    row: dict[str, Any] = export_control_items(frame, load_methodology()).collect().to_dicts()[0]
    return {k: row[k] for k in ("ecl_rule_id", "ecl_item", "wassenaar_item", "ecl_label")}


# --- one test per kind of rule ---------------------------------------------------------------------------


def test_a_keyword_in_the_records_own_description_wins_over_its_product_code() -> None:
    row = decide(psc_code="2320", description="THIS AWARD PROVIDES CELL SITE SIMULATOR (CSS) VEHICLES")
    assert row["ecl_item"] == "1-5.A.1.f" and row["wassenaar_item"] == "5.A.1.f"
    assert row["ecl_rule_id"] == "kw-cell-site-simulator"
    intercept = decide(psc_code="7030", description="TELECOMMUNICATIONS ANALYSIS AND INTERCEPT SOFTWARE FOR ICE/HSI")
    assert intercept["ecl_item"] == "1-5.D.1.e"


def test_a_psc_prefix_gives_its_item() -> None:
    row = decide(psc_code="1005", psc_description="GUNS, THROUGH 30MM", description="DUTY PISTOLS AND MAGAZINES")
    assert row == {
        "ecl_rule_id": "psc-1005",
        "ecl_item": "2-1",
        "wassenaar_item": "ML1",
        "ecl_label": "Small arms (calibre 12.7 mm or less) and their accessories",
    }
    assert decide(psc_code="2355")["ecl_item"] == "2-6"
    assert decide(psc_code="1305")["wassenaar_item"] == "ML3"


def test_a_psc_description_gives_the_item_when_the_record_has_no_code() -> None:
    row = decide(psc_description="  Armor,   Personal ", description="BODY ARMOR")
    assert (row["ecl_rule_id"], row["ecl_item"], row["wassenaar_item"]) == ("psc-desc-8470", "2-13", "ML13")
    assert decide(psc_description="UNMANNED AIRCRAFT")["ecl_item"] == "2-10"


def test_a_naics_prefix_counts_only_when_the_record_names_no_product() -> None:
    assert decide(naics_code="336992")["ecl_rule_id"] == "naics-336992"
    assert decide(naics_code="336992")["ecl_item"] == "2-6"
    # The vendor makes small arms, but this record bought "miscellaneous weapons" (batons, at DHS): no item.
    assert decide(psc_code="1095", naics_code="332994")["ecl_rule_id"] is None


def test_a_naics_description_gives_the_item_when_the_record_has_no_code() -> None:
    row = decide(naics_description="Small Arms Ammunition Manufacturing")
    assert (row["ecl_rule_id"], row["ecl_item"]) == ("naics-desc-332992", "2-3")


def test_a_category_places_a_document_that_carries_no_product_code() -> None:
    row = decide(category="armoured_vehicles", description="ICE said the Senator vehicles' production ...")
    assert (row["ecl_rule_id"], row["ecl_item"], row["wassenaar_item"]) == ("category-armoured-vehicles", "2-6", "ML6")
    assert decide(category="weapons")["ecl_item"] is None  # too mixed to name one item


def test_a_service_code_vetoes_the_description() -> None:
    repair = decide(psc_code="J023", description="ARMORED VEHICLE REPAIR")
    assert repair["ecl_rule_id"] == "psc-service-J" and repair["ecl_item"] is None and repair["ecl_label"] is None
    install = decide(
        psc_description="INSTALLATION OF EQUIPMENT- GROUND EFFECT VEHICLES, MOTOR VEHICLES, TRAILERS, AND CYCLES",
        description="INSTALLATION OF GFE ON ARMORED VEHICLES",
    )
    assert install["ecl_rule_id"] == "psc-desc-equipment-services" and install["ecl_item"] is None
    translation = decide(
        psc_description="SUPPORT- ADMINISTRATIVE: TRANSLATION AND INTERPRETING",
        description="TITLE III INTERCEPT SYSTEM TRANSLATION",
    )
    assert translation["ecl_item"] is None
    # IT and telecom services are not vetoed: intercept systems are bought under them.
    assert decide(psc_code="D304", description="TITLE III DIGITAL COLLECTION SYSTEMS")["ecl_item"] == "1-5.D.1.e"


def test_a_keyword_rule_without_an_item_says_no_item() -> None:
    row = decide(psc_code="2310", description="ARMORED CAR SERVICE FOR DEPOSIT PICK UP")
    assert row["ecl_rule_id"] == "kw-cash-in-transit" and row["ecl_item"] is None


@pytest.mark.parametrize(
    "record",
    [
        {"psc_code": "7030", "description": "MICROSOFT OFFICE 365 LICENSES", "category": "it_software"},
        {"psc_code": "DA01", "naics_code": "541512", "description": "CASE MANAGEMENT SYSTEM DEVELOPMENT"},
        {"psc_code": "7A20", "description": "ANTI-SPYWARE AND ENDPOINT ENCRYPTION SOFTWARE RENEWAL"},
        {"psc_description": "IT AND TELECOM - BUSINESS APPLICATION SOFTWARE (PERPETUAL LICENSE SOFTWARE)"},
        {"psc_description": "INFORMATION TECHNOLOGY SOFTWARE", "naics_description": "SOFTWARE PUBLISHERS"},
        {"category": "it_software", "description": "SOCIAL MEDIA MANAGEMENT PLATFORM"},
    ],
)
def test_generic_it_and_software_get_no_item(record: dict[str, str]) -> None:
    assert decide(**record) == dict.fromkeys(("ecl_rule_id", "ecl_item", "wassenaar_item", "ecl_label"))


# --- the loader ------------------------------------------------------------------------------------------


def _methodology_with(tmp_path: Path, replace: tuple[str, str]) -> Path:
    folder = tmp_path / "methodology"
    shutil.copytree(METHODOLOGY_DIR, folder)
    table = folder / "export_control_rules.csv"
    text = table.read_text(encoding="utf-8")
    assert replace[0] in text
    table.write_text(text.replace(replace[0], replace[1], 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("category,armoured_vehicles,", "category,tanks,"), r"rules name unknown categories \[.tanks.\]"),
        (("2,2-13,ML13", "2,2-13,ML6"), "ECL 2-13 parallels Wassenaar ML13, not ML6"),
        (("2,2-13,ML13", "1,2-13,ML13"), "is not an item of ECL group 1"),
        (("psc_prefix,8470,", "psc_prefix,84-70,"), "a PSC prefix is 1-4 upper-case letters or digits"),
        (("keyword,\\bSTANAG", "keyword,(\\bSTANAG"), "is not a regular expression"),
        (("psc-1005,psc_prefix", "psc-1010,psc_prefix"), r"repeat a rule_id"),
        (("psc-1005,psc_prefix,1005", "psc-1005,other_code,1005"), r"export_control_rules\.\d+\.match_on"),
    ],
)
def test_an_inconsistent_export_control_table_is_refused(
    tmp_path: Path, replace: tuple[str, str], message: str
) -> None:
    with pytest.raises(MethodologyError, match=message):
        load_methodology(_methodology_with(tmp_path, replace))


def test_the_table_is_versioned_and_counted() -> None:
    methodology = load_methodology()
    assert methodology.rule_counts["export_control"] == len(methodology.export_control_rules) > 50
    changelog = (METHODOLOGY_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {methodology.version} " in changelog
    introduced = [section for section in changelog.split("\n## ") if "export_control_rules.csv" in section]
    assert introduced and introduced[-1].startswith("2026.12.3 ")  # the version that introduced the table


# --- the rules against GSA's PSC list ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def active_psc() -> pl.DataFrame:
    if not PSC_REFERENCE.exists():
        pytest.skip(f"GSA PSC list not found at {PSC_REFERENCE} (CI provides ../shared/data/reference)")
    return (
        pl.read_csv(PSC_REFERENCE, infer_schema=False)
        .filter((pl.col("psc_code").str.len_chars() == 4) & pl.col("end_date").is_null() & pl.col("name").is_not_null())
        .select("psc_code", pl.col("name").alias("psc_description"))
    )


def _by_description(active_psc: pl.DataFrame) -> pl.DataFrame:
    """What the lens says of each active code's name alone (a search export carries no code)."""
    frame = active_psc.rename({"psc_code": "code"}).with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in INPUTS if c != "psc_description"]
    )
    decided = export_control_items(frame.lazy(), load_methodology()).collect()
    return decided.select(pl.col("code").alias("psc_code"), "psc_description", "ecl_rule_id", "ecl_item")


def test_each_mapped_psc_code_and_its_gsa_name_give_the_same_item(active_psc: pl.DataFrame) -> None:
    by_name = {r["psc_code"]: r["ecl_item"] for r in _by_description(active_psc).iter_rows(named=True)}
    coded = [r for r in load_methodology().export_control_rules if r.match_on == "psc_prefix" and r.ecl_item]
    assert coded
    for rule in coded:
        assert by_name[rule.value] == rule.ecl_item, rule.rule_id


def test_service_names_are_vetoed_and_product_names_never(active_psc: pl.DataFrame) -> None:
    decided = _by_description(active_psc)
    veto = pl.col("ecl_rule_id").str.starts_with("psc-desc-") & pl.col("ecl_item").is_null()
    first = pl.col("psc_code").str.slice(0, 1)
    # Services other than IT (D, never vetoed) and medical (Q: its names carry no family word) are all vetoed.
    services = decided.filter(first.str.contains("^[A-Z]$") & ~first.is_in(["D", "Q"]))
    assert services.height > 1500 and services.filter(~veto.fill_null(False)).height == 0
    products = decided.filter(first.str.contains("^[0-9]$"))
    assert products.height > 500 and products.filter(veto.fill_null(False)).height == 0


# --- through the pipeline -----------------------------------------------------------------------------------


def test_every_contribution_carries_its_item() -> None:
    frames = _frames(
        transactions=[
            tx("t1", "A1", "500.00", date(2026, 1, 1), "MAPLE FEDERAL LLC", product_or_service_code="2355"),
            tx("t2", "A2", "100.00", date(2026, 1, 1), "MAPLE FEDERAL LLC", product_or_service_code="7030"),
        ],
        firms=[
            {"firm_id": "parent", "name": "Maple Holdings Inc.", "country_code": "CAN"},
            {"firm_id": "us-sub", "name": "Maple Federal LLC", "country_code": "USA"},
        ],
        ownership=[{"child_firm_id": "us-sub", "parent_firm_id": "parent", "relation": "wholly_owned"}],
    )
    c = score(frames, load_methodology(), date(2026, 11, 22)).contributions.sort("award_key")
    assert c["ecl_item"].to_list() == ["2-6", None]
    assert c["wassenaar_item"].to_list() == ["ML6", None]
    assert c["ecl_rule_id"].to_list() == ["psc-2355", None]
    assert c["ecl_label"][0].startswith("Ground vehicles")


# --- GET /v1/export-controls on the bundled data -------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("ecl") / "exposure.duckdb")


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with serve(db) as test_client:
        yield test_client


def _entry(body: dict[str, Any], firm_id: str, item: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [e for e in body["data"] if e["firm_id"] == firm_id and e["ecl_item"] == item]
    assert len(found) == 1, body["data"]
    return found[0]


def test_roshel_is_listed_under_ml6_with_its_award(client: TestClient) -> None:
    response = client.get("/v1/export-controls")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["data"]) and body["snapshot"]["as_of"] == "2026-11-22"
    roshel = _entry(body, "roshel", "2-6")
    assert roshel["wassenaar_item"] == "ML6" and roshel["ecl_group"] == "2"
    assert roshel["award_keys"] == [ROSHEL_AWARD]
    assert roshel["award_urls"] == [f"https://www.usaspending.gov/award/{ROSHEL_AWARD}/"]
    assert roshel["amount"] == pytest.approx(7234926.20)
    assert roshel["agency_codes"] == ["7012"] and roshel["agencies"] == ["U.S. Immigration and Customs Enforcement"]
    assert roshel["first_date"] == "2025-11-28" and roshel["last_date"] >= roshel["first_date"]
    # The cited report has ICE saying the vehicles' production originates in the United States.
    assert roshel["made_in_canada"] is False and roshel["reported_origins"] == ["USA"]
    assert roshel["origin_sources"] == [
        "https://toronto.citynews.ca/2025/12/04/ice-says-armoured-vehicles-ordered-from-roshel-produced-in-u-s/"
    ]
    # JSI Telecom's Title III collection systems; its award that only de-obligated is no supply.
    jsi = _entry(body, "jsi-telecom", "1-5.D.1.e")
    assert jsi["made_in_canada"] is None and jsi["reported_origins"] == []
    assert "CONT_AWD_HSCETC14C00001_7012_-NONE-_-NONE-" not in jsi["award_keys"] and jsi["amount"] > 0
    assert all(e["amount"] > 0 and e["award_keys"] for e in body["data"])
    assert [e["amount"] for e in body["data"]] == sorted((e["amount"] for e in body["data"]), reverse=True)


def test_filters_by_item_and_agency(client: TestClient) -> None:
    for item in ("2-6", "ML6", "ml6"):
        body = client.get("/v1/export-controls", params={"ecl_item": item}).json()
        assert body["count"] >= 1 and {e["ecl_item"] for e in body["data"]} == {"2-6"}, item
    assert client.get("/v1/export-controls", params={"ecl_item": "1-5.D.1.e"}).json()["data"][0]["firm_id"] == (
        "jsi-telecom"
    )
    ice = client.get("/v1/export-controls", params={"agency": "ICE"}).json()
    assert any(e["firm_id"] == "roshel" for e in ice["data"])
    cbp = client.get("/v1/export-controls", params={"agency": "CBP"}).json()
    assert all("7014" in e["agency_codes"] for e in cbp["data"])
    assert not any(e["firm_id"] == "roshel" for e in cbp["data"])


def test_unknown_filters_are_problems(client: TestClient) -> None:
    for params, field in (({"ecl_item": "ML99"}, "ecl_item"), ({"agency": "NASA"}, "agency")):
        response = client.get("/v1/export-controls", params=params)
        assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["detail"].startswith(field)


def test_csv_by_parameter_or_accept_header(client: TestClient) -> None:
    by_param = client.get("/v1/export-controls", params={"format": "csv"})
    by_accept = client.get("/v1/export-controls", headers={"Accept": "text/csv"})
    for response in (by_param, by_accept):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment;")
    assert by_param.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(by_param.text)))
    roshel = next(r for r in rows if r["firm_id"] == "roshel")
    assert roshel["wassenaar_item"] == "ML6" and roshel["award_keys"] == ROSHEL_AWARD
    assert roshel["made_in_canada"] == "false" and roshel["reported_origins"] == "USA"
    assert len(rows) == client.get("/v1/export-controls").json()["count"]


def test_csv_cells_cannot_run_as_formulas() -> None:
    entry = ExportControlEntry(
        firm_id='=HYPERLINK("https://example.org")',
        firm_name="+SUM(A1:A9)",
        ecl_group="2",
        ecl_item="2-6",
        wassenaar_item="ML6",
        ecl_label="-2+3",
        amount=-5.0,
        award_keys=["@A1", "B2"],
        award_urls=[],
        documents=["\tcmd"],
        first_date=None,
        last_date=None,
        agency_codes=["7012"],
        agencies=["\r=1"],
        via_firm_ids=["ok"],
        records=1,
        rule_ids=[],
        made_in_canada=None,
        reported_origins=[],
        origin_sources=[],
    )
    row = next(csv.DictReader(io.StringIO(_csv([entry]))))
    assert row["firm_id"] == '\'=HYPERLINK("https://example.org")' and row["firm_name"] == "'+SUM(A1:A9)"
    assert row["ecl_label"] == "'-2+3" and row["award_keys"] == "'@A1; B2"
    assert row["documents"] == "'\tcmd" and row["agencies"] == "'\r=1"
    assert row["amount"] == "-5.0" and row["via_firm_ids"] == "ok" and row["made_in_canada"] == ""


def test_it_needs_the_read_scope_like_the_firm_list(db: Path) -> None:
    with serve(db, anonymous_scopes="") as locked:
        assert locked.get("/v1/export-controls").status_code == 401
        state = locked.app.state.service_state  # type: ignore[attr-defined]
        _, reader = state.create_key("fund", ["read"], 1000, 1000)
        _, screener = state.create_key("procurement", ["screen"], 1000, 1000)
        assert locked.get("/v1/export-controls", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
        assert locked.get("/v1/export-controls", headers={"Authorization": f"Bearer {screener}"}).status_code == 403


def test_the_profile_shows_the_items_and_each_contribution_its_own(client: TestClient) -> None:
    profile = client.get("/v1/firms/roshel").json()
    [entry] = [e for e in profile["export_controls"] if e["ecl_item"] == "2-6"]
    listed = _entry(client.get("/v1/export-controls").json(), "roshel", "2-6")
    assert entry == listed  # the profile lists what GET /v1/export-controls lists
    award = [c for c in profile["contributions"] if c["award_key"] == ROSHEL_AWARD]
    assert award and all((c["ecl_item"], c["wassenaar_item"]) == ("2-6", "ML6") for c in award)
    assert all(c["ecl_label"] for c in award)
    cgi = client.get("/v1/firms/cgi").json()
    assert all(c["ecl_item"] is None for c in cgi["contributions"] if c["category"] == "it_software")


def test_the_firm_page_and_the_vendor_check_show_the_item(client: TestClient) -> None:
    from tests.test_pages import check, page

    for words in (page(client.get("/firms/roshel")).words, check(client, name="Roshel")[1].words):
        assert "Goods on Canada's Export Control List" in words
        assert "2-6 (ML6)" in words and ROSHEL_AWARD in words and "reported made elsewhere" in words
    assert "Marchandises de la Liste des marchandises d'exportation contrôlée" in (
        page(client.get("/firms/roshel?lang=fr")).words
    )
    assert "Export Control List" not in page(client.get("/firms/cgi")).words
