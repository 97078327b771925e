"""The pipeline's steps on the smallest frames that prove each point."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scoring import ScoreResult, StoreFrames, load_methodology, score
from scoring.candidates import Reason
from scoring.inputs import frame_of
from scoring.normalize import normalize_name
from scoring.resolve import FOREIGN_OWNED_US
from scoring.rollup import ultimate_canadian_parents
from tests.builders import frames as _frames
from tests.builders import tx

AS_OF = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("THOMSON REUTERS SPECIAL SERVICES, LLC", "THOMSON REUTERS SPECIAL SERVICES"),
        ("Thomson Reuters Special Services LLC", "THOMSON REUTERS SPECIAL SERVICES"),
        ("THOMSON COMPANY INC, THE", "THOMSON"),
        ("The Thomson Company Inc.", "THOMSON"),
        ("Groupe CGI inc.", "GROUPE CGI"),
        ("Société Générale Ltée", "SOCIETE GENERALE"),
        ("Garda World Security Corporation", "GARDA WORLD SECURITY"),
        ("BCE Inc. S.E.C.", "BCE"),
        ("WSP E&IS - HDR JOINT VENTURE", "WSP E AND IS HDR JV"),
        ("Aegis Defense Services, LLC d/b/a GardaWorld Federal Services", "AEGIS DEFENSE SERVICES"),
        ("Inc.", None),
    ],
)
def test_normalised_names(raw: str, expected: str | None) -> None:
    assert normalize_name(raw) == expected


def test_rollup_multiplies_shares_across_levels_and_stops_on_cycles() -> None:
    firms = pl.LazyFrame(
        {"firm_id": ["sub", "mid", "top", "loop-a", "loop-b"], "country_code": ["USA", "USA", "CAN", "CAN", "CAN"]}
    )
    ownership = pl.LazyFrame(
        {
            "child_firm_id": ["sub", "mid", "loop-a", "loop-b"],
            "parent_firm_id": ["mid", "top", "loop-b", "loop-a"],
            "share": [1.0, None, 0.6, 0.6],
            "relation": ["wholly_owned", "joint_venture", "majority", "majority"],
        }
    )
    result = ultimate_canadian_parents(firms, ownership, {"joint_venture": 0.5}).collect()
    rows = {r["firm_id"]: r for r in result.to_dicts()}
    assert rows["sub"]["parent_id"] == "top" and rows["sub"]["ownership_share"] == pytest.approx(0.5)
    assert rows["sub"]["path"] == ["sub", "mid", "top"]
    assert rows["top"]["parent_id"] == "top" and rows["top"]["ownership_share"] == 1.0
    assert rows["loop-a"]["parent_id"] == "loop-b" and rows["loop-b"]["parent_id"] == "loop-a"


def test_a_listed_canadian_subsidiary_is_credited_beside_its_canadian_parent() -> None:
    """Great-West Lifeco (listed) under Power Corporation (listed): a U.S. subsidiary's record counts for both, each
    at its own share, so a portfolio holding the listed subsidiary is not given a clean bill. A Canadian
    intermediate that is not listed (a holding company) is not credited."""
    firms: list[dict[str, Any]] = [
        {"firm_id": "empower", "name": "Empower Annuity Insurance Company of America", "country_code": "USA"},
        {"firm_id": "gwo", "name": "Great-West Lifeco Inc.", "country_code": "CAN", "listing_status": "public"},
        {
            "firm_id": "pfc",
            "name": "Power Financial Corporation",
            "country_code": "CAN",
            "listing_status": "subsidiary",
        },
        {"firm_id": "power", "name": "Power Corporation of Canada", "country_code": "CAN", "listing_status": "public"},
    ]
    ownership: list[dict[str, Any]] = [
        {"child_firm_id": "empower", "parent_firm_id": "gwo", "relation": "consolidated"},
        {"child_firm_id": "gwo", "parent_firm_id": "pfc", "share": 0.682, "relation": "majority"},
        {"child_firm_id": "pfc", "parent_firm_id": "power", "relation": "wholly_owned"},
    ]
    rolled = ultimate_canadian_parents(
        frame_of("firms", firms), frame_of("ownership", ownership), load_methodology().default_shares
    ).collect()
    shares = {(r["firm_id"], r["parent_id"]): r["ownership_share"] for r in rolled.to_dicts()}
    assert shares == {
        ("empower", "gwo"): 1.0,
        ("empower", "power"): pytest.approx(0.682),
        ("gwo", "gwo"): 1.0,
        ("gwo", "power"): pytest.approx(0.682),
        ("pfc", "power"): 1.0,
        ("power", "power"): 1.0,
    }
    result = score(
        _frames(
            transactions=[tx("t1", "A1", "1000.00", date(2026, 1, 1), "EMPOWER ANNUITY INSURANCE COMPANY OF AMERICA")],
            firms=firms,
            ownership=ownership,
        ),
        load_methodology(),
        AS_OF,
    )
    credited = dict(zip(result.contributions["parent_id"], result.contributions["share_cents"], strict=True))
    assert credited == {"gwo": 100_000, "power": 68_200}


CANADIAN_PARENT = [
    {"firm_id": "parent", "name": "Maple Holdings Inc.", "country_code": "CAN"},
    {"firm_id": "us-sub", "name": "Maple Federal LLC", "country_code": "USA"},
]
OWNED = [{"child_firm_id": "us-sub", "parent_firm_id": "parent", "relation": "wholly_owned"}]


def score_maple(**records: list[dict[str, Any]]) -> ScoreResult:
    """Score `records` (transactions=, awards=, evidence=, ...) for the Canadian parent and its U.S. subsidiary."""
    return score(_frames(firms=CANADIAN_PARENT, ownership=OWNED, **records), load_methodology(), AS_OF)


def maple_tx(key: str, award: str, amount: str, when: date, **extra: Any) -> dict[str, Any]:
    """A transaction paid to the U.S. subsidiary under its own name."""
    return tx(key, award, amount, when, "MAPLE FEDERAL LLC", **extra)


def test_identifier_beats_name_and_subsidiary_rolls_up() -> None:
    result = score_maple(
        transactions=[
            tx("t1", "A1", "100.00", date(2026, 1, 1), "SOMETHING ELSE ENTIRELY", recipient_uei="UEI000000001"),
            tx("t2", "A2", "50.00", date(2026, 1, 1), "MAPLE FEDERAL, L.L.C."),
        ],
        identifiers=[{"firm_id": "us-sub", "scheme": "uei", "value": "UEI000000001"}],
    )
    c = result.contributions.sort("link_id")
    assert c["parent_id"].to_list() == ["parent", "parent"]
    assert c["via_firm_id"].to_list() == ["us-sub", "us-sub"]
    assert c["matched_by"].to_list() == ["identifier:uei", "alias:name"]
    assert float(result.scores.filter(pl.col("firm_id") == "parent")["direct_total"][0]) == 150.0


def test_a_name_claimed_by_two_firms_attributes_nothing() -> None:
    frames = _frames(
        transactions=[tx("t1", "A1", "100.00", date(2026, 1, 1), "MAPLE LLC")],
        firms=[
            {"firm_id": "a", "name": "Maple Inc", "country_code": "CAN"},
            {"firm_id": "b", "name": "Maple Corporation", "country_code": "CAN"},
        ],
    )
    result = score(frames, load_methodology(), AS_OF)
    assert result.contributions.height == 0
    assert result.unattributed.filter(pl.col("link_kind") == "transaction")["records"][0] == 1


def test_the_same_transaction_in_two_formats_counts_once() -> None:
    when = date(2026, 1, 1)
    bulk = {"source_kind": "usaspending_prime_transactions", "recipient_uei": "UEI000000001"}
    result = score_maple(
        transactions=[
            maple_tx("A1|0|2026-01-01", "A1", "100.00", when),
            maple_tx("7012_-NONE-_A1_0_-NONE-_0", "A1", "100.00", when, **bulk),
            maple_tx("A1|P00001|2026-02-01", "A1", "-30.00", date(2026, 2, 1), mod="P00001"),
        ]
    )
    assert float(result.scores.filter(pl.col("firm_id") == "parent")["direct_total"][0]) == 70.0
    assert sorted(result.contributions["link_id"].to_list()) == [
        "transaction:7012_-NONE-_A1_0_-NONE-_0",
        "transaction:A1|P00001|2026-02-01",
    ]


def test_an_award_summary_adds_only_what_its_transactions_do_not_cover() -> None:
    from decimal import Decimal

    result = score_maple(
        transactions=[maple_tx("A1|0|2026-01-01", "A1", "100.00", date(2026, 1, 1))],
        awards=[
            {
                "contract_award_unique_key": "A1",
                "awarding_sub_agency_code": "7012",
                "award_base_action_date": date(2025, 1, 1),
                "total_obligated_amount": Decimal("250.00"),
                "recipient_name": "MAPLE FEDERAL LLC",
            },
            {
                "contract_award_unique_key": "A2",
                "awarding_sub_agency_code": "7012",
                "award_base_action_date": date(2025, 1, 1),
                "total_obligated_amount": Decimal("40.00"),
                "recipient_name": "MAPLE FEDERAL LLC",
            },
        ],
    )
    assert float(result.scores.filter(pl.col("firm_id") == "parent")["direct_total"][0]) == 290.0


def test_a_canadian_recipient_without_a_registry_entry_is_scored() -> None:
    frames = _frames(
        transactions=[
            tx("t1", "A1", "56923.70", date(2016, 7, 13), "SENDUM WIRELESS CORPORATION", recipient_country_code="CAN")
        ],
    )
    result = score(frames, load_methodology(), AS_OF)
    row = result.scores.to_dicts()[0]
    assert row["firm_id"] == "can-sendum-wireless" and row["in_registry"] is False
    assert result.contributions["matched_by"].to_list() == ["recipient_country:CAN"]
    assert result.discovered_firms["name"].to_list() == ["SENDUM WIRELESS CORPORATION"]


def test_ownership_counts_only_while_it_is_valid() -> None:
    frames = _frames(
        transactions=[maple_tx("t1", "A1", "100.00", date(2020, 1, 1))],
        firms=CANADIAN_PARENT,
        ownership=[{**OWNED[0], "valid_from": date(2027, 1, 1)}],
    )
    result = score(frames, load_methodology(), AS_OF)
    assert result.contributions.height == 0


def test_ownership_is_dated_per_record_bought_then_sold() -> None:
    """Records count for the parent only between the purchase and the sale, whatever the as-of date."""
    frames = _frames(
        transactions=[
            maple_tx("t1", "A1", "100.00", date(2019, 6, 1)),  # before the purchase
            maple_tx("t2", "A2", "200.00", date(2021, 6, 1)),  # while owned
            maple_tx("t3", "A3", "400.00", date(2024, 6, 1)),  # after the sale
        ],
        firms=CANADIAN_PARENT,
        ownership=[{**OWNED[0], "valid_from": date(2020, 1, 1), "valid_to": date(2022, 12, 31)}],
    )
    result = score(frames, load_methodology(), AS_OF)
    assert result.contributions["award_key"].to_list() == ["A2"]
    assert float(result.scores.to_dicts()[0]["obligated_total"]) == 200.0
    paths = result.ownership_paths.filter(result.ownership_paths["firm_id"] == "us-sub").to_dicts()
    assert [(p["valid_from"], p["valid_to"]) for p in paths] == [(date(2020, 1, 1), date(2022, 12, 31))]
    not_scored = dict(zip(result.unattributed["link_kind"], result.unattributed["records"], strict=True))
    assert not_scored["transaction (matched firm had no Canadian parent on its date)"] == 2


def test_a_look_alike_spelling_of_a_short_name_is_not_attributed() -> None:
    firms = [{"firm_id": "roshel", "name": "Roshel", "country_code": "CAN"}]
    frames = _frames(
        transactions=[
            tx("t1", "A1", "100.00", date(2026, 1, 1), "ROSHELL LLC"),
            tx("t2", "A2", "100.00", date(2026, 1, 1), "ROSHELL TRANSPORT LLC"),
            tx("t3", "A3", "100.00", date(2026, 1, 1), "ROSHELL LLC", domestic_or_foreign_entity=FOREIGN_OWNED_US),
            tx("t4", "A4", "50.00", date(2026, 1, 1), "ROSHEL TRANSPORT LLC"),  # the name itself, qualified
        ],
        firms=firms,
    )
    result = score(frames, load_methodology(), AS_OF)
    assert result.contributions["award_key"].to_list() == ["A4"]


def test_a_foreign_owned_us_vendor_needs_less_to_match_than_any_other() -> None:
    def run(flag: str | None) -> list[str]:
        vendor = tx(
            "t1", "A1", "100.00", date(2026, 1, 1), "MAPLE DEFENSE FEDERAL INC", domestic_or_foreign_entity=flag
        )
        return score_maple(transactions=[vendor]).contributions["matched_by"].to_list()

    assert run(None) == []  # a resemblance alone is not enough
    assert run("FOREIGN-OWNED BUSINESS INCORPORATED IN THE U.S.") == ["fuzzy:name"]


def test_fuzzy_matches_carry_their_confidence_into_contributions() -> None:
    typo = tx("t1", "A1", "100.00", date(2026, 1, 1), "MAPLE FEDRAL SYSTEMS")
    row = score_maple(transactions=[typo]).contributions.to_dicts()[0]
    assert row["matched_by"] == "fuzzy:name" and row["matched_value"] == "MAPLE FEDERAL"
    assert 0.9 <= row["match_confidence"] < 1.0


# --- methodology 2026.12.1: each fix fails under the rules it replaced ------------------------------------


def test_a_cancelled_award_nets_to_nothing_instead_of_lowering_the_score() -> None:
    obligated_then_cancelled = [
        maple_tx("t1", "A1", "1000000.00", date(2019, 1, 1)),
        maple_tx("t2", "A1", "-1000000.00", date(2026, 1, 1), mod="1"),
    ]
    other = [maple_tx("t3", "A2", "5000.00", date(2026, 1, 1))]
    with_cancelled = score_maple(transactions=obligated_then_cancelled + other)
    without = score_maple(transactions=other)
    c = with_cancelled.contributions
    assert c.filter(c["award_key"] == "A1")["contribution"].sum() == pytest.approx(0.0, abs=1e-6)
    assert with_cancelled.scores["score"].to_list() == without.scores["score"].to_list()
    # A partial de-obligation still leaves a positive award.
    partly = score_maple(
        transactions=[
            obligated_then_cancelled[0],
            {**obligated_then_cancelled[1], "federal_action_obligation": -400000},
        ]
    )
    assert partly.contributions["contribution"].sum() > 0


def test_a_description_naming_surveillance_wins_over_a_generic_it_code() -> None:
    reader = "LICENSE PLATE READER DATA SUBSCRIPTION"
    c = score_maple(
        transactions=[
            maple_tx(
                "t1", "A1", "100.00", date(2026, 1, 1), product_or_service_code="DA01", transaction_description=reader
            ),
            maple_tx("t2", "A2", "100.00", date(2026, 1, 1), product_or_service_code="DA01"),
        ]
    ).contributions.sort("award_key")
    assert c["category"].to_list() == ["surveillance", "it_software"]
    assert c["category_source"].to_list()[0] == "description_keyword"


def _document(**fields: object) -> dict[str, object]:
    """An evidence row about the test's Canadian parent, ICE, dated 2026-01-01, with `fields` on top."""
    return {
        "evidence_id": "e1",
        "firm_id": "parent",
        "agency_code": "7012",
        "kind": "contract",
        "category": "surveillance",
        "status": "active",
        "channel": "direct",
        "amount": None,
        "currency": None,
        "event_date": date(2026, 1, 1),
        "url": "https://example.org/report",
        "confidence": "high",
        **fields,
    }


def test_cancelled_and_intended_deals_are_shown_but_add_nothing() -> None:
    methodology = load_methodology()
    assert methodology.evidence_status["cancelled"] == 0 and methodology.evidence_status["intended"] == 0
    evidence = [
        _document(
            evidence_id=f"e-{status}",
            kind="property",
            category="detention",
            status=status,
            amount=Decimal("5000000"),
            currency="USD",
        )
        for status in ("cancelled", "intended")
    ]
    result = score_maple(evidence=evidence)
    assert result.contributions.height == 2  # still on the record, with their factors
    assert result.contributions["contribution"].sum() == 0
    assert result.scores["score"].to_list() == [0.0]


def test_evidence_about_an_award_in_the_records_counts_its_obligations_not_the_ceiling() -> None:
    # "up to" US$22 million, as reported
    reseller_deal = _document(channel="reseller", amount=Decimal("22000000"), currency="USD", award_key="A9")
    c = score_maple(
        transactions=[tx("t1", "A9", "1000000.00", date(2026, 1, 1), "SOME RESELLER INC")], evidence=[reseller_deal]
    ).contributions
    assert c["link_kind"].to_list() == ["evidence"]
    assert c["weighted_amount_cents"].to_list() == [100_000_000]  # the award's US$1M actually obligated


def test_the_review_queue_ranks_unattributed_vendors_with_reasons_and_never_scores_them() -> None:
    issuers = pl.LazyFrame({"issuer_id": ["tsx-wcn"], "name": ["Waste Connections, Inc."]})
    firms = [{"firm_id": "roshel", "name": "Roshel", "country_code": "CAN"}]
    base = _frames(
        transactions=[
            tx("t1", "A1", "500.00", date(2026, 1, 1), "ROSHELL LLC"),  # a look-alike: a near miss
            tx("t2", "A2", "9000.00", date(2026, 1, 1), "WASTE CONNECTIONS OF NEW MEXICO, INC."),  # an issuer's name
            tx("t3", "A3", "50.00", date(2026, 1, 1), "ACME WIDGETS INC", domestic_or_foreign_entity=FOREIGN_OWNED_US),
            tx("t4", "A4", "70.00", date(2026, 1, 1), "UNRELATED SUPPLY CO"),  # no reason: not a candidate
        ],
        firms=firms,
    )
    frames = StoreFrames(**{**base.__dict__, "issuers": issuers})
    result = score(frames, load_methodology(), AS_OF)
    queue = result.candidates
    assert queue["recipient_name"].to_list() == [
        "WASTE CONNECTIONS OF NEW MEXICO, INC.",
        "ROSHELL LLC",
        "ACME WIDGETS INC",
    ]
    assert queue["rank"].to_list() == [1, 2, 3]
    reasons = dict(zip(queue["recipient_name"], queue["reasons"].to_list(), strict=True))
    assert reasons["WASTE CONNECTIONS OF NEW MEXICO, INC."][0].startswith("issuer_name: opens with Waste Connections")
    assert reasons["ROSHELL LLC"][0].startswith("near_miss: resembles ROSHEL (roshel")
    assert reasons["ACME WIDGETS INC"] == ["foreign_owned: foreign-owned business incorporated in the U.S."]
    assert queue["award_keys"].to_list()[0] == ["A2"]
    assert result.contributions.height == 0 and result.scores["score"].to_list() == [0.0]


def test_the_review_queue_offers_a_vendor_that_keeps_only_an_issuers_coined_first_word() -> None:
    """HAIVISION NETWORK VIDEO keeps only the coined first word of Haivision Systems (TSX, software), and
    REDISHRED ACQUISITION that of RediShred Capital (TSX Venture, commercial services): both are queued. A mining
    junior's first word (ZEPHYR) opens unrelated vendors' names, so outside the DHS-selling industries the rule does
    not apply; nor to an everyday word (NORTHERN) or one that opens two issuers' names (DUPLEXA)."""
    issuers = pl.LazyFrame(
        {
            "issuer_id": ["tsx-hai", "tsxv-kut", "tsxv-zfr", "tsx-nor", "tsx-dpa", "cse-dpb"],
            "name": [
                "Haivision Systems Inc.",
                "RediShred Capital Corp.",
                "Zephyr Minerals Ltd.",
                "Northern Software Inc.",
                "Duplexa Software",
                "Duplexa Networks",
            ],
            "industry": [
                "Software",
                "Commercial Services & Supplies",
                "Metals & Mining",
                "Software",
                "Software",
                "Software",
            ],
            "primary_exchange": ["TSX", "TSXV", "TSXV", "TSX", "TSX", "CSE"],
        }
    )
    names = [
        "HAIVISION NETWORK VIDEO INC",
        "REDISHRED ACQUISITION INC",
        "ZEPHYR AVIATION, LLC",
        "NORTHERN MANAGEMENT LLC",
        "DUPLEXA LABS INC",
    ]
    amounts = ["200.00", "100.00", "100.00", "100.00", "100.00"]
    base = _frames(
        transactions=[
            tx(f"t{i}", f"A{i}", amount, date(2026, 1, 1), n)
            for i, (n, amount) in enumerate(zip(names, amounts, strict=True))
        ]
    )
    queue = score(StoreFrames(**{**base.__dict__, "issuers": issuers}), load_methodology(), AS_OF).candidates
    assert queue["recipient_name"].to_list() == ["HAIVISION NETWORK VIDEO INC", "REDISHRED ACQUISITION INC"]
    assert queue["suggested_issuer_id"].to_list() == ["tsx-hai", "tsxv-kut"]
    reasons = [r[0] for r in queue["reasons"].to_list()]
    assert reasons[0].startswith("issuer_name: opens with HAIVISION, the coined first word")
    assert reasons[1].startswith("issuer_name: opens with REDISHRED, the coined first word of RediShred Capital")


def test_the_review_queue_reads_canadian_country_tax_foreign_flags_and_us_arm_names() -> None:
    """The signals besides names: the record's country, Canadian sales tax in a description, the foreign-entity
    flags, and a name marking a U.S. arm, which a record saying "U.S. owned" overrules."""
    foreign = "FOREIGN-OWNED BUSINESS NOT INCORPORATED IN THE U.S."

    def on(n: int, amount: str, name: str, **extra: str) -> dict[str, object]:
        return tx(f"t{n}", f"A{n}", amount, date(2026, 1, 1), name, **extra)

    transactions = [
        # One record places it in Canada (a discovered Canadian firm); its other record gives no country.
        tx("t0", "A0", "50.00", date(2025, 1, 1), "MAPLE WIDGETS LTD", recipient_country_code="CAN"),
        on(1, "900.00", "MAPLE WIDGETS LTD"),
        on(2, "800.00", "WINDSOR CLEANERS LIMITED", transaction_description="JANITORIAL SERVICES & HST TAX"),
        on(3, "700.00", "OFFSHORE TOOLS CORP", domestic_or_foreign_entity=foreign),
        on(4, "600.00", "OCTAGON RADIO US INC."),
        on(5, "500.00", "PRAIRIE SOFTWARE (USA) LLC"),
        # Not candidates: a U.S.-owned business whose name ends in "USA"; "USA" opening a name; "…OF AMERICA";
        # a tax that is not Canada's.
        on(6, "400.00", "HOMEGROWN USA INC", domestic_or_foreign_entity="U.S. OWNED BUSINESS"),
        on(7, "300.00", "USA COURIERS, INC."),
        on(8, "200.00", "CORRECTIONS CORPORATION OF AMERICA"),
        on(9, "100.00", "TEXAS SUPPLY", transaction_description="STATE SALES TAX"),
    ]
    result = score(_frames(transactions=transactions), load_methodology(), AS_OF)
    reasons = {name: [r.split(":")[0] for r in rs] for name, rs in zip(
        result.candidates["recipient_name"], result.candidates["reasons"].to_list(), strict=True
    )}  # fmt: skip
    assert reasons == {
        "MAPLE WIDGETS LTD": [Reason.CANADIAN_RECIPIENT],
        "WINDSOR CLEANERS LIMITED": [Reason.CANADIAN_TAX],
        "OFFSHORE TOOLS CORP": [Reason.FOREIGN_ENTITY],
        "OCTAGON RADIO US INC.": [Reason.US_ARM_NAME],
        "PRAIRIE SOFTWARE (USA) LLC": [Reason.US_ARM_NAME],
    }
    assert result.candidates["rank"].to_list() == [1, 2, 3, 4, 5]  # most dollars first
    assert result.contributions["award_key"].to_list() == ["A0"]  # only the record located in Canada is scored


def test_an_8a_joint_ventures_other_partner_is_credited_at_most_49_percent() -> None:
    methodology = load_methodology()
    assert methodology.default_shares["joint_venture_8a"] == 0.49 < methodology.default_shares["joint_venture"]
    frames = _frames(
        transactions=[tx("t1", "A1", "1000.00", date(2026, 1, 1), "ONEIDA-STANTEC JV, LLC")],
        firms=[
            {"firm_id": "stantec", "name": "Stantec Inc.", "country_code": "CAN"},
            {"firm_id": "jv", "name": "Oneida-Stantec JV, LLC", "country_code": "USA"},
        ],
        ownership=[{"child_firm_id": "jv", "parent_firm_id": "stantec", "relation": "joint_venture_8a"}],
    )
    row = score(frames, methodology, AS_OF).contributions.to_dicts()[0]
    assert row["ownership_share"] == 0.49 and row["share_cents"] == 49_000


def test_an_inconsistent_methodology_is_refused_with_the_field_named(tmp_path: Path) -> None:
    import shutil

    from scoring.methodology import METHODOLOGY_DIR, MethodologyError

    folder = tmp_path / "methodology"
    shutil.copytree(METHODOLOGY_DIR, folder)
    toml = folder / "methodology.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"7012" = 1.0', '"7012" = 1.5'), encoding="utf-8")
    with pytest.raises(MethodologyError, match=r"agency_weights\.7012: Input should be less than or equal to 1"):
        load_methodology(folder)
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('"7012" = 1.5', '"7012" = 1.0').replace("high = 50", "high = 20"),
        encoding="utf-8",
    )
    with pytest.raises(MethodologyError, match="tier thresholds must increase"):
        load_methodology(folder)


def test_evidence_about_an_award_that_netted_to_zero_counts_nothing() -> None:
    cancelled_award_deal = _document(award_key="A9")  # the report gives no figure
    c = score_maple(
        transactions=[
            tx("t1", "A9", "250000.00", date(2026, 1, 1), "SOME VENDOR INC"),
            tx("t2", "A9", "-250000.00", date(2026, 2, 1), "SOME VENDOR INC"),
        ],
        evidence=[cancelled_award_deal],
    ).contributions
    assert c["weighted_amount_cents"].to_list() == [0]  # not the nominal US$100,000 of a document with no figure
    assert c["contribution"].to_list() == [0.0]


def test_the_review_queue_offers_a_curated_lead_for_its_issuer_until_an_analyst_rules_on_it() -> None:
    """UNIFIRE, INC. has no reason of its own to be queued (no Canadian country, flag or name of an issuer), but the
    subsidiary research left it as a lead for Mission Ready Solutions: the queue offers it for that issuer, and an
    analyst's "is not" ruling takes it out. A lead adds nothing to a score."""
    names = ["UNIFIRE, INC.", "UNIFIED FIRE PROTECTION LLC"]
    base = _frames(transactions=[tx(f"t{i}", f"A{i}", "100.00", date(2026, 1, 1), n) for i, n in enumerate(names)])
    leads = pl.LazyFrame(
        {"recipient_name": ["UNIFIRE INC"], "issuer_id": ["tsxv-mrs"], "lead": ["named as the payee of its contracts"]}
    )
    frames = StoreFrames(**{**base.__dict__, "review_leads": leads})
    result = score(frames, load_methodology(), AS_OF)
    queue = result.candidates
    assert queue["recipient_name"].to_list() == ["UNIFIRE, INC."]  # matched on the normalised name
    assert queue["suggested_issuer_id"].to_list() == ["tsxv-mrs"]
    assert queue["reasons"].to_list() == [["curated_lead: named as the payee of its contracts (tsxv-mrs)"]]
    assert result.contributions.height == 0 and result.scores.height == 0
    ruled = pl.LazyFrame(  # `exposure overrides add --name ... --decision is_not`: no firm
        {"scheme": ["name"], "value": [normalize_name("UNIFIRE, INC.")], "firm_id": [None],
         "decision": ["is_not"], "override_id": [1]},
        schema_overrides={"firm_id": pl.String},
    )  # fmt: skip
    after = score(StoreFrames(**{**frames.__dict__, "overrides": ruled}), load_methodology(), AS_OF).candidates
    assert after.height == 0
