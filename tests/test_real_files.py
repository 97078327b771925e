"""End to end on the real public files in ../shared/data/real: every loader, the accounting, idempotency,
and the exposure the files must show. Figures are lower bounds: the search exports are top-N extracts."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from datasets.catalogue import KINDS, expected_rows
from datasets.db import scalar
from datasets.frames import read_frames, write_result
from datasets.ingest import LoadReport, ingest_paths
from datasets.store import connect, load_bundled, table_counts
from scoring import ScoreResult, load_methodology, score
from scoring.candidates import Reason
from service.cli import main
from tests.conftest import REPO, read_only

AS_OF = date(2026, 11, 22)
EXPECTED_KIND = {
    "CBP_ICE_FY": "usaspending_search_export",
    "PrimeAwardSummaries": "usaspending_award_summaries",
    "Subawards": "usaspending_subawards",
    "tornapart": "usaspending_transactions_2018",
}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScoreResult, list[LoadReport]]:
    from tests.conftest import real_usaspending_files

    files = real_usaspending_files()
    if not all(f.exists() for f in files):
        pytest.skip("real USAspending files not found under ../shared/data/real (CI provides them)")
    db = tmp_path_factory.mktemp("real") / "exposure.duckdb"
    con = connect(db)
    try:
        load_bundled(con)
        reports = ingest_paths(con, files, KINDS)
        result = score(read_frames(con), load_methodology(), AS_OF)
        write_result(con, result, AS_OF, load_methodology().version)
    finally:
        con.close()
    return db, result, reports


def _firm(result: ScoreResult, firm_id: str) -> dict[str, object]:
    rows = result.scores.filter(result.scores["firm_id"] == firm_id).to_dicts()
    assert rows, f"{firm_id} was not scored"
    return rows[0]


def test_every_real_file_loads_with_accounting_that_adds_up(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    _db, _result, reports = scored
    assert len(reports) == 9
    for report in reports:
        assert report.balanced, report
        assert report.rows_quarantined == 0, report
        assert report.rows_read == expected_rows(report.file_name), report
        assert report.unknown_columns == [], report
        kind = next(k for marker, k in EXPECTED_KIND.items() if marker in report.file_name)
        assert report.kind == kind
    # The search exports repeat 126 transactions across pages: counted as duplicates, not loaded twice.
    exports = [r for r in reports if r.kind == "usaspending_search_export"]
    assert sum(r.rows_duplicate for r in exports) == 126
    assert sum(r.rows_read for r in exports) == 57_476


def test_a_second_ingest_of_the_same_files_adds_nothing(
    scored: tuple[Path, ScoreResult, list[LoadReport]], real_files: list[Path]
) -> None:
    db, _result, _reports = scored
    con = connect(db)
    try:
        before = table_counts(con)
        again = ingest_paths(con, real_files, KINDS)
        assert all(r.already_loaded and r.rows_inserted == 0 and r.rows_updated == 0 for r in again)
        assert table_counts(con) == before
    finally:
        con.close()


def test_the_cli_ingests_the_real_files_and_prints_the_accounting(
    real_files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "ingest", *map(str, real_files[-3:])]) == 0
    out = capsys.readouterr().out
    assert "total: read 7,523 = inserted 7,523 + updated 0 + duplicate 0 + quarantined 0" in out
    assert main(["--db", db, "ingest", *map(str, real_files[-3:])]) == 0
    assert "duplicate 7,523" in capsys.readouterr().out


def test_canadian_parents_are_scored_with_their_ice_and_cbp_dollars(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    _db, result, _reports = scored
    assert float(_firm(result, "gardaworld")["ice_total"]) >= 313_357_612.46  # type: ignore[arg-type]
    assert float(_firm(result, "roshel")["ice_total"]) >= 7_234_926.20  # type: ignore[arg-type]
    assert float(_firm(result, "thomson-reuters")["ice_total"]) >= 34_179_835.73  # type: ignore[arg-type]
    assert float(_firm(result, "cgi")["ice_total"]) >= 1_541_757.15  # type: ignore[arg-type]
    assert float(_firm(result, "opentext")["cbp_total"]) >= 3_913_052.61  # type: ignore[arg-type]
    assert float(_firm(result, "thomson-reuters")["indirect_total"]) >= 9_205_427.00  # type: ignore[arg-type]
    assert _firm(result, "gardaworld")["tier"] == "severe"


def test_every_dollar_traces_to_an_award_key_and_the_subsidiary_it_came_through(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    _db, result, _reports = scored
    c = result.contributions
    money = c.filter(c["link_kind"] != "evidence")
    assert money["award_key"].null_count() == 0
    assert money["via_firm_id"].null_count() == 0
    assert money.filter(money["link_kind"] != "subaward")["award_key"].str.starts_with("CONT_AWD_").all()
    trss = c.filter((c["parent_id"] == "thomson-reuters") & (c["via_firm_id"] == "thomson-reuters-special-services"))
    assert trss.filter(trss["agency_code"] == "7012")["share_cents"].sum() / 100 >= 34_179_835.73
    roshel = c.filter(c["parent_id"] == "roshel")
    assert set(roshel["award_key"].to_list()) == {"CONT_AWD_70CMSW26FR0000002_7012_47QSWA22D001R_4732"}
    assert set(roshel["category"].to_list()) == {"armoured_vehicles"}


def test_west_publishing_resolves_to_thomson_reuters_under_all_three_parent_names(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    db, result, _reports = scored
    c = result.contributions
    west = c.filter((c["via_firm_id"] == "west-publishing") & c["award_key"].is_not_null())
    assert set(west["parent_id"].to_list()) == {"thomson-reuters"}
    with read_only(db) as con:
        parents = scalar(
            con,
            "SELECT list(DISTINCT recipient_parent_uei ORDER BY recipient_parent_uei) FROM awards "
            "WHERE recipient_name = 'WEST PUBLISHING CORPORATION' AND source_kind = 'usaspending_award_summaries'",
        )
        assert parents == ["ED9YLAED15Z3", "ERQ7UKKC3791", "GUMLELLJ6193"]
        mn_keys = [
            r[0]
            for r in con.execute(
                "SELECT contract_award_unique_key FROM awards WHERE recipient_name = 'WEST PUBLISHING CORPORATION' "
                "AND source_kind = 'usaspending_award_summaries'"
            ).fetchall()
        ]
    on_mn_awards = west.filter(west["award_key"].is_in(mn_keys))
    # Each award counts once: transactions seen plus the remainder of the lifetime total.
    assert on_mn_awards["share_cents"].sum() / 100 >= 49_175_841.69


def test_recipients_located_in_canada_are_canadian_without_a_parent_lookup(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    _db, result, _reports = scored
    c = result.contributions
    sendum = c.filter(c["recipient_name"] == "SENDUM WIRELESS CORPORATION")
    assert sendum.height > 0
    assert set(sendum["parent_id"].to_list()) == {"sendum-wireless"}
    assert float(_firm(result, "sendum-wireless")["ice_total"]) >= 56_923.70  # type: ignore[arg-type]
    # No recipient with country CAN is left unattributed.
    assert c.filter(c["recipient_country_code"] == "CAN")["parent_id"].null_count() == 0


def test_every_code_and_description_in_the_real_files_maps_to_a_category(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    _db, result, _reports = scored
    assert result.unmapped_categories.height == 0, result.unmapped_categories.head(10)


def test_ownership_counts_only_on_the_days_it_held(scored: tuple[Path, ScoreResult, list[LoadReport]]) -> None:
    """WSP bought Wood's E&IS business, its partner in the WSP E&IS-HDR joint venture, on 2022-09-23: the
    venture's CBP rows before that date are not WSP's. OpenText's Micro Focus Government Solutions row predates
    the Micro Focus acquisition (2023-01-31), so it is not OpenText's either."""
    db, result, _reports = scored
    c = result.contributions
    jv = c.filter((c["parent_id"] == "wsp") & (c["via_firm_id"] == "wsp-eis-hdr-jv"))
    assert jv.height and (jv["link_date"] >= date(2022, 9, 23)).all()
    with read_only(db) as con:
        before = scalar(
            con,
            "SELECT count(*) FROM transactions WHERE recipient_name ILIKE 'WSP E&IS%HDR%' "
            "AND action_date < '2022-09-23'",
        )
        rows = con.execute(
            "SELECT valid_from FROM ownership_paths WHERE firm_id = 'wsp-eis-hdr-jv' AND parent_id = 'wsp'"
        ).fetchall()
    assert int(before) > 0, "the JV's early rows are in the real files"
    assert rows == [(date(2022, 9, 23),)]  # the persisted roll-up carries the date the server reads
    micro_focus = c.filter(c["via_firm_id"] == "micro-focus-government-solutions")
    assert micro_focus.height == 0 or (micro_focus["link_date"] >= date(2023, 1, 31)).all()
    guidance = c.filter(c["via_firm_id"] == "guidance-software")
    assert (guidance["link_date"] >= date(2017, 9, 14)).all()


def test_the_review_queue_on_the_real_files(
    scored: tuple[Path, ScoreResult, list[LoadReport]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, result, _reports = scored
    queue = result.candidates
    assert queue.height >= 50  # 86 vendor names carry a reason in these files
    assert {"MAGNET FORENSICS USA INC", "WASTE CONNECTIONS OF NEW MEXICO, INC."} <= set(queue["recipient_name"])
    codes = {
        name: {r.split(":")[0] for r in reasons}
        for name, reasons in zip(queue["recipient_name"], queue["reasons"].to_list(), strict=True)
    }
    # Records of the search export carry no ownership flag: the name, or what a description charges, is the hint.
    assert codes["AMBASSADOR BUILDING MAINTENANCE LIMITED"] == {"canadian_tax"}  # "... & HST TAX"
    assert codes["FOSTER & FREEMAN USA INC"] == {"us_arm_name"}
    assert codes["DEMUS ENTERPRISE CORP."] == {"foreign_entity"}  # "FOREIGN-OWNED BUSINESS NOT INCORPORATED ..."
    assert "USA COURIERS, INC." not in codes and "CORRECTIONS CORPORATION OF AMERICA" in codes  # flagged, not named
    # Every lead the subsidiary research left (review_leads.csv) is queued for its issuer, its reason first.
    with (REPO / "datasets" / "data" / "review_leads.csv").open(encoding="utf-8", newline="") as handle:
        leads = {row["recipient_name"]: row["issuer_id"] for row in csv.DictReader(handle)}
    suggested = dict(zip(queue["recipient_name"], queue["suggested_issuer_id"], strict=True))
    assert {name: suggested.get(name) for name in leads} == leads
    assert all(Reason.CURATED_LEAD in codes[name] for name in leads)
    assert queue["amount"].is_sorted(descending=True) and (queue["amount"] > 0).all()
    assert all(reasons for reasons in queue["reasons"].to_list())
    assert all(keys for keys in queue["award_keys"].to_list())
    names = set(queue["recipient_name"].to_list())
    assert "ROSHELL TRANSPORT LLC" not in set(result.contributions["recipient_name"].drop_nulls().to_list())
    # Queued vendors add nothing: none of them is in the contributions.
    assert not names & set(result.contributions["recipient_name"].drop_nulls().to_list())
    assert main(["--db", str(db), "candidates", "--limit", "50"]) == 0
    printed = capsys.readouterr().out
    assert f"top {min(50, queue.height)} of {queue.height}" in printed and queue["recipient_name"][0] in printed


def test_checkpoint_systems_cbp_award_counts_for_ccl_industries(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    """CBP's RFID-tracking order from CHECKPOINT SYSTEMS INC (2024-05-29, after the 2018-08-09 start of CCL's
    edge) is CCL Industries' exposure, its dollars exactly as recorded."""
    _db, result, _reports = scored
    c = result.contributions
    ccl = c.filter(c["parent_id"] == "tsx-ccl-b")
    assert ccl["award_key"].to_list() == ["CONT_AWD_70B03C24P00000190_7014_-NONE-_-NONE-"]
    assert ccl["share_cents"].to_list() == [5_709_500] and ccl["via_firm_id"].to_list() == ["checkpoint-systems"]


def test_every_prime_award_attributed_on_the_real_files_is_bundled(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    """`datasets/data/awards.csv` holds every prime award of a registry vendor found in the real files, so the
    bundled default data (`make run`) shows the same awards the real files give each firm."""
    _db, result, _reports = scored
    c = result.contributions
    attributed = set(c.filter((c["link_kind"] != "evidence") & c["is_direct"])["award_key"].drop_nulls().to_list())
    with (REPO / "datasets" / "data" / "awards.csv").open(encoding="utf-8", newline="") as handle:
        bundled = {row["contract_award_unique_key"] for row in csv.DictReader(handle)}
    assert len(attributed) > 100 and sorted(attributed - bundled) == []


def test_canadian_products_sold_through_resellers_count_the_recorded_obligations(
    scored: tuple[Path, ScoreResult, list[LoadReport]],
) -> None:
    """ICE's BlackBerry UEM and AtHoc orders are awards to resellers (Akira, Anacapa, Four Points): the resellers
    stay unattributed, and BlackBerry's evidence rows count each award's net obligations in the records, at
    the reseller channel's weight."""
    _db, result, _reports = scored
    c = result.contributions
    blackberry = c.filter(c["parent_id"] == "tsx-bb")
    assert set(blackberry["link_kind"]) == {"evidence"} and blackberry.height == 6
    assert blackberry["amount_cents"].sum() == 1_782_462_745  # US$17,824,627.45 over the six awards
    assert set(blackberry["channel_weight"]) == {0.5}
    resellers = {"AKIRA TECHNOLOGIES INC.", "ANACAPA MICRO PRODUCTS, INC.", "FOUR POINTS TECHNOLOGY, L.L.C."}
    # Open Text's software and BRP's Can-Am vehicles bought from resellers, the same way.
    opentext = c.filter((c["parent_id"] == "opentext") & (c["link_kind"] == "evidence"))
    # US$2,941,140.58 over four awards: Micro Focus renewal, EnCase Forensic, Network Automation, SiteScope.
    assert opentext["amount_cents"].sum() == 294_114_058
    brp = c.filter(c["parent_id"] == "tsx-doo")
    assert brp["amount_cents"].to_list() == [5_916_400] and brp["category"].to_list() == ["vehicles_transport_other"]
    resellers |= {"BLUE TECH INC.", "DISTRIBUTED TECHNOLOGY GROUP LLC", "NEW TECH SOLUTIONS, INC.", "LOGISTICS365 INC"}
    assert not resellers & set(c["recipient_name"].drop_nulls().to_list())
