"""Properties of the score that must hold for any input (hypothesis), and what-was-sold ordering."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scoring import ScoreResult, load_methodology, score
from scoring.exposure import FACTORS, score_from_weighted
from tests.builders import frames, tx

METHODOLOGY = load_methodology()
AS_OF = date(2026, 11, 22)
FIRMS = [
    {"firm_id": "parent", "name": "Maple Holdings Inc.", "country_code": "CAN"},
    {"firm_id": "us-sub", "name": "Maple Federal LLC", "country_code": "USA"},
]
OWNED = [{"child_firm_id": "us-sub", "parent_firm_id": "parent", "relation": "wholly_owned"}]
# Real PSC codes from clothing (low severity) to armoured vehicles and guard services (high).
PSC_BY_SEVERITY = ["8440", "7510", "R408", "D307", "2355", "S206"]

link = st.fixed_dictionaries(
    {
        "cents": st.integers(min_value=-5_000_000_00, max_value=50_000_000_000_00),
        "days_ago": st.integers(min_value=-400, max_value=6000),
        "psc": st.sampled_from(PSC_BY_SEVERITY),
        "agency": st.sampled_from(["7012", "7014", "7003", "7022"]),
    }
)


def _positive(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "cents": abs(int(d["cents"])) + 1}


positive_link = link.map(_positive)
# Derandomised: CI sees the same examples every run; a failure found once stays found.
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _run(links: list[dict[str, Any]], as_of: date = AS_OF) -> ScoreResult:
    rows = [
        tx(
            f"t{i}",
            f"A{i}",
            str(Decimal(d["cents"]) / 100),
            AS_OF - timedelta(days=d["days_ago"]),
            "MAPLE FEDERAL LLC",
            product_or_service_code=d["psc"],
            awarding_sub_agency_code=d["agency"],
        )
        for i, d in enumerate(links)
    ]
    return score(frames(transactions=rows, firms=FIRMS, ownership=OWNED), METHODOLOGY, as_of)


def _parent(result: ScoreResult) -> dict[str, Any]:
    rows: list[dict[str, Any]] = result.scores.filter(pl.col("firm_id") == "parent").to_dicts()
    return rows[0]


@SETTINGS
@given(st.lists(link, max_size=12))
@example([{"cents": 46752325, "days_ago": 0, "psc": "8440", "agency": "7012"}])  # half a cent: rounds either way
def test_score_is_bounded_never_nan_and_contributions_add_up(links: list[dict[str, Any]]) -> None:
    result = _run(links)
    firm = _parent(result)
    assert not math.isnan(firm["score"]) and 0 <= firm["score"] < 100
    c = result.contributions
    assert c["contribution"].is_nan().sum() == 0
    # weighted_total is the sum rounded to the cent
    assert abs(c["contribution"].sum() - firm["weighted_total"]) <= 0.005 + 1e-9 * abs(firm["weighted_total"])
    assert Decimal(int(c["share_cents"].sum())) / 100 == Decimal(str(firm["obligated_total"])).quantize(Decimal("0.01"))
    for factor in ("category_severity", "agency_weight", "recency_weight", "ownership_share", "channel_weight"):
        assert c[factor].is_between(0, 1).all(), factor
    factors = c["weighted_amount_cents"].cast(pl.Float64) / 100
    for factor in FACTORS:
        factors = factors * c[factor]
    tolerance = 1e-9 * (c["contribution"].abs() + 1)
    assert ((factors - c["contribution"]).abs() <= tolerance).all()


@SETTINGS
@given(st.lists(link, max_size=12))
def test_as_of_excludes_later_records(links: list[dict[str, Any]]) -> None:
    result = _run(links)
    later = sum(1 for d in links if d["days_ago"] < 0)
    assert result.contributions.filter(pl.col("link_date") > AS_OF).height == 0
    assert result.contributions.height == len(links) - later


def test_no_links_scores_zero_and_tier_none() -> None:
    firm = _parent(_run([]))
    assert (firm["score"], firm["tier"], firm["link_count"], firm["obligated_total"]) == (0.0, "none", 0, 0.0)


@SETTINGS
@given(st.lists(positive_link, min_size=1, max_size=8), st.integers(min_value=1, max_value=10**12), st.data())
def test_monotone_in_amount(links: list[dict[str, Any]], extra_cents: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(links) - 1))
    bigger = [dict(d) for d in links]
    bigger[index]["cents"] += extra_cents
    assert _parent(_run(bigger))["score"] >= _parent(_run(links))["score"]


@SETTINGS
@given(st.lists(positive_link, min_size=1, max_size=8), st.data())
def test_monotone_in_severity(links: list[dict[str, Any]], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(links) - 1))
    current = PSC_BY_SEVERITY.index(links[index]["psc"])
    harsher = [dict(d) for d in links]
    harsher[index]["psc"] = PSC_BY_SEVERITY[data.draw(st.integers(min_value=current, max_value=5))]
    assert _parent(_run(harsher))["score"] >= _parent(_run(links))["score"]


def test_severity_table_orders_what_was_sold() -> None:
    severities = [
        METHODOLOGY.categories[c].severity
        for c in ("clothing", "general_supplies", "it_software", "surveillance", "armoured_vehicles", "detention")
    ]
    assert severities == sorted(severities)


def test_equal_dollars_of_armoured_vehicles_or_detention_outscore_office_supplies_or_clothing() -> None:
    when = 30

    def one(psc: str) -> float:
        return float(_parent(_run([{"cents": 7_234_926_20, "days_ago": when, "psc": psc, "agency": "7012"}]))["score"])

    armoured, detention, office, clothing = one("2355"), one("S206"), one("7510"), one("8440")
    assert min(armoured, detention) > max(office, clothing)


def test_large_contracts_still_rank_apart() -> None:
    def one(dollars: int) -> float:
        return score_from_weighted(dollars, METHODOLOGY)

    assert one(300_000_000) < one(3_000_000_000) < one(30_000_000_000) < 100
    assert one(3_000_000_000) - one(300_000_000) > 1


def test_scoring_is_deterministic_to_the_cent() -> None:
    links = [
        {"cents": 123_456_789 * (i + 1), "days_ago": 10 * i, "psc": PSC_BY_SEVERITY[i % 6], "agency": "7012"}
        for i in range(30)
    ]
    first, second = _run(links), _run(links)
    assert first.scores.equals(second.scores)
    assert first.contributions.sort("link_id").equals(second.contributions.sort("link_id"))


def test_ten_times_the_weighted_exposure_is_ten_points_across_the_whole_range() -> None:
    points = METHODOLOGY.score_points_per_decade
    assert points == 10
    for weighted in (1_000, 31_600, 1_000_000, 250_000_000, 5_000_000_000):
        step = score_from_weighted(10 * weighted, METHODOLOGY) - score_from_weighted(weighted, METHODOLOGY)
        assert abs(step - points) < 0.05, (weighted, step)
    # The tiers sit at stated dollars: moderate US$31,600, high US$1 million, severe US$100 million weighted.
    assert score_from_weighted(1_000_000, METHODOLOGY) == pytest.approx(METHODOLOGY.tiers["high"], abs=0.01)
    assert score_from_weighted(100_000_000, METHODOLOGY) == pytest.approx(METHODOLOGY.tiers["severe"], abs=0.01)
