"""The federal step (scoring/federal.py): Government of Canada vendor names put on registry firms by the
scoring's own name resolution, rolled up through dated ownership, near misses to their own review list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from scoring import load_methodology, score
from scoring.federal import (
    GROUP_MEMBER_NOT_OWNED,
    GROUPS_NOT_LOADED,
    NEAR_MISS,
    OWNED_PART_OF_YEAR,
    federal_contracts,
    match_federal_vendors,
    roll_up,
    vendor_records,
)
from scoring.normalize import normalize_names
from scoring.rollup import dated_canadian_parents
from tests.builders import frames

FIRMS = [
    {"firm_id": "cgi", "name": "CGI Inc.", "country_code": "CAN"},
    {"firm_id": "stantec", "name": "Stantec Inc.", "country_code": "CAN"},
    {"firm_id": "roshel", "name": "Roshel", "country_code": "CAN"},
    {"firm_id": "opentext", "name": "Open Text Corporation", "country_code": "CAN"},
    {
        "firm_id": "micro-focus-government-solutions",
        "name": "Micro Focus Government Solutions LLC",
        "country_code": "USA",
    },
]
ALIASES = [
    {"firm_id": "cgi", "alias": "CGI"},
    {"firm_id": "cgi", "alias": "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS"},
    {"firm_id": "stantec", "alias": "STANTEC"},
    {"firm_id": "roshel", "alias": "ROSHEL"},
    {"firm_id": "opentext", "alias": "OPENTEXT"},
]
OWNERSHIP = [
    {
        "child_firm_id": "micro-focus-government-solutions",
        "parent_firm_id": "opentext",
        "share": Decimal("1"),
        "relation": "subsidiary",
        "valid_from": date(2023, 1, 31),
        "valid_to": None,
    }
]


def totals(*rows: tuple[str, str, str]) -> pl.LazyFrame:
    return pl.DataFrame(
        [
            {
                "vendor_total_key": f"{name}|{year}",
                "vendor_name": name,
                "fiscal_year": year,
                "total_cad": Decimal(amount),
                "total_constant_2019_cad": None,
                "source_id": 7,
                "source_line": line,
            }
            for line, (name, year, amount) in enumerate(rows, start=2)
        ],
        schema={
            "vendor_total_key": pl.String,
            "vendor_name": pl.String,
            "fiscal_year": pl.String,
            "total_cad": pl.Decimal(18, 2),
            "total_constant_2019_cad": pl.Decimal(18, 2),
            "source_id": pl.Int32,
            "source_line": pl.Int64,
        },
    ).lazy()


def spellings(groups: dict[str, list[str]]) -> pl.LazyFrame:
    """GoC-Spending's vendor normalisation: each group name with the raw spellings it gathers."""
    rows = [{"group_name": group, "spelling": name} for group, names in groups.items() for name in names]
    return pl.DataFrame(rows, schema={"group_name": pl.String, "spelling": pl.String}).lazy()


def registry() -> tuple[pl.LazyFrame, pl.LazyFrame]:
    store = frames(firms=FIRMS, aliases=ALIASES, ownership=OWNERSHIP)
    return store.firms, store.firm_aliases


def matches(frame: pl.LazyFrame, **kwargs: Any) -> dict[str, tuple[str | None, str | None]]:
    firms, aliases = registry()
    matched = match_federal_vendors(frame, firms, aliases, **kwargs).collect()
    return {row["vendor_name"]: (row["firm_id"], row["matched_by"]) for row in matched.iter_rows(named=True)}


def test_vendor_names_are_resolved_as_the_scoring_resolves_us_vendors() -> None:
    found = matches(
        totals(
            ("CGI", "2021-2022", "61575183.24"),
            (
                "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS INC",
                "2021-2022",
                "10.00",
            ),  # an alias, legal form off
            ("STANTEC CONSULTING SERVICES", "2021-2022", "20.00"),  # every distinctive word, generic ones added
            ("ROSHELL", "2021-2022", "30.00"),  # a look-alike of a short name: not on the name alone
            ("STANTEC KAVIK JV", "2021-2022", "40.00"),  # a joint venture named after a firm is another party
            ("THOMSON PLUMBING", "2021-2022", "50.00"),  # no such registry firm
        )
    )
    assert found == {
        "CGI": ("cgi", "alias:name"),
        "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS INC": ("cgi", "alias:name"),
        "STANTEC CONSULTING SERVICES": ("stantec", "fuzzy:name"),
        "ROSHELL": (None, None),
        "STANTEC KAVIK JV": (None, None),
        "THOMSON PLUMBING": (None, None),
    }


def test_every_record_is_kept_with_its_values_and_line() -> None:
    firms, aliases = registry()
    matched = match_federal_vendors(
        totals(
            ("CGI", "2020-2021", "52113009.51"), ("CGI", "2021-2022", "61575183.24"), ("NOBODY", "2021-2022", "1.00")
        ),
        firms,
        aliases,
    ).collect()
    assert matched.height == 3
    assert matched["record"].to_list() == ["vendor_total"] * 3
    assert matched["record_date"].to_list() == [date(2021, 3, 31), date(2022, 3, 31), date(2022, 3, 31)]
    assert matched["value_cad"].to_list() == [Decimal("52113009.51"), Decimal("61575183.24"), Decimal("1.00")]
    assert matched["source_line"].to_list() == [2, 3, 4]
    assert matched["match_confidence"].to_list() == [0.97, 0.97, None]


def test_analysts_overrides_apply_to_federal_vendors_too() -> None:
    def override(name: str, firm: str, decision: str, n: int) -> dict[str, Any]:
        [key] = normalize_names([name])
        return {"scheme": "name", "value": key, "firm_id": firm, "decision": decision, "override_id": n}

    overrides = pl.DataFrame([override("ROSHELL", "roshel", "is", 1), override("CGI", "cgi", "is_not", 2)])
    found = matches(totals(("ROSHELL", "2021-2022", "30.00"), ("CGI", "2021-2022", "1.00")), overrides=overrides)
    assert found == {"ROSHELL": ("roshel", "override:is"), "CGI": (None, "override:is_not")}


def test_records_roll_up_only_while_the_ownership_held() -> None:
    """Micro Focus Government Solutions became OpenText's on 2023-01-31: its total for 2021-2022 (ended
    2022-03-31) is not OpenText's, nor is 2022-2023's (OpenText's for two of its twelve months), 2023-2024's is."""
    store = frames(
        firms=FIRMS,
        aliases=[
            *ALIASES,
            {"firm_id": "micro-focus-government-solutions", "alias": "MICRO FOCUS GOVERNMENT SOLUTIONS"},
        ],
        ownership=OWNERSHIP,
    )
    rollup = dated_canadian_parents(store.firms, store.ownership, load_methodology().default_shares)
    records = totals(
        ("MICRO FOCUS GOVERNMENT SOLUTIONS", "2021-2022", "100.00"),
        ("MICRO FOCUS GOVERNMENT SOLUTIONS", "2022-2023", "200.00"),
        ("MICRO FOCUS GOVERNMENT SOLUTIONS", "2023-2024", "250.00"),
        ("OPENTEXT", "2022-2023", "300.00"),
    )
    matched = match_federal_vendors(records, store.firms, store.firm_aliases)
    links = roll_up(matched, rollup).collect()
    assert links.select("firm_id", "via_firm_id", "fiscal_year", "value_cad").rows() == [
        ("opentext", "opentext", "2022-2023", Decimal("300.00")),
        ("opentext", "micro-focus-government-solutions", "2023-2024", Decimal("250.00")),
    ]
    assert links.filter(pl.col("via_firm_id") != "opentext")["ownership_path"].to_list() == [
        ["micro-focus-government-solutions", "opentext"]
    ]


def test_near_misses_go_to_their_own_list_with_canadian_dollars() -> None:
    firms, aliases = registry()
    rollup = dated_canadian_parents(firms, frames(ownership=OWNERSHIP).ownership, load_methodology().default_shares)
    links, queue = federal_contracts(
        totals(("ROSHELL", "2020-2021", "30.00"), ("ROSHELL", "2021-2022", "12.50"), ("CGI", "2021-2022", "5.00")),
        None,
        firms,
        aliases,
        rollup,
        spellings=spellings({"CGI": ["CGI GROUP"]}),
    )
    assert links["vendor_name"].to_list() == ["CGI"]
    assert queue.height == 1
    row = queue.row(0, named=True)
    assert (row["rank"], row["vendor_name"], row["total_cad"], row["records"]) == (1, "ROSHELL", Decimal("42.50"), 2)
    assert row["fiscal_years"] == ["2020-2021", "2021-2022"] and row["suggested_firm_id"] == "roshel"
    assert row["reasons"][0].startswith(f"{NEAR_MISS}: resembles ROSHEL (roshel, ")


def test_contract_rows_carry_their_department() -> None:
    contracts = pl.DataFrame(
        {
            "contract_key": ["ssc-spc-C-1"],
            "vendor_name": ["CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS INC."],
            "fiscal_year": ["2021-2022"],
            "contract_date": [date(2021, 12, 31)],
            "owner_org": ["ssc-spc"],
            "owner_org_title": ["Shared Services Canada | Services partagés Canada"],
            "contract_value": [Decimal("13975163.31")],
            "source_id": [3],
            "source_line": [2],
        }
    ).lazy()
    records = vendor_records(None, contracts)
    firms, aliases = registry()
    row = match_federal_vendors(records, firms, aliases).collect().row(0, named=True)
    assert (row["record"], row["department"], row["firm_id"], row["record_date"]) == (
        "contract",
        "ssc-spc",
        "cgi",
        date(2021, 12, 31),
    )


def test_scoring_with_goc_totals_leaves_the_scores_as_they_were() -> None:
    """The Canadian dollars never reach a score: the same store scores the same with or without them."""
    base = frames(firms=FIRMS, aliases=ALIASES, ownership=OWNERSHIP)
    with_goc = frames(firms=FIRMS, aliases=ALIASES, ownership=OWNERSHIP)
    with_goc = type(with_goc)(
        **{
            **with_goc.__dict__,
            "goc_vendor_totals": totals(("CGI", "2021-2022", "61575183.24"), ("ROSHELL", "2021-2022", "1.00")),
            "goc_vendor_spellings": spellings({"CGI": ["CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS"]}),
        }
    )
    methodology = load_methodology()
    plain, federal = score(base, methodology, date(2026, 11, 22)), score(with_goc, methodology, date(2026, 11, 22))
    assert plain.scores.equals(federal.scores) and plain.contributions.equals(federal.contributions)
    assert plain.federal_links.is_empty() and plain.federal_candidates.is_empty()
    assert federal.federal_links.select("firm_id", "vendor_name", "value_cad").rows() == [
        ("cgi", "CGI", Decimal("61575183.24"))
    ]
    assert federal.federal_candidates["vendor_name"].to_list() == ["ROSHELL"]
    assert federal.candidates.equals(plain.candidates)  # the U.S. review queue is untouched


def federal_queue(
    records: pl.LazyFrame, groups: pl.LazyFrame | None, overrides: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    store = frames(
        firms=FIRMS,
        aliases=[*ALIASES, {"firm_id": "micro-focus-government-solutions", "alias": "MICRO FOCUS"}],
        ownership=OWNERSHIP,
    )
    rollup = dated_canadian_parents(store.firms, store.ownership, load_methodology().default_shares)
    return federal_contracts(
        records, None, store.firms, store.firm_aliases, rollup, spellings=groups, overrides=overrides
    )


OPENTEXT_GROUP = {"OPENTEXT": ["OPEN TEXT", "OPEN TEXT CANADA", "MICRO FOCUS", "MICRO FOCUS CANADA", "ATTACHMATE"]}


def test_a_total_grouping_a_business_bought_later_is_reviewed_not_attributed() -> None:
    """GoC-Spending groups MICRO FOCUS spellings under OPENTEXT; OpenText bought Micro Focus on 2023-01-31, so
    OPENTEXT's totals for the years before cannot be shown to be OpenText's alone."""
    links, queue = federal_queue(
        totals(
            ("OPENTEXT", "2020-2021", "100.00"),
            ("OPENTEXT", "2021-2022", "200.00"),
            ("OPENTEXT", "2023-2024", "400.00"),
        ),
        spellings(OPENTEXT_GROUP),
    )
    assert links.select("firm_id", "fiscal_year", "value_cad").rows() == [("opentext", "2023-2024", Decimal("400.00"))]
    [row] = queue.to_dicts()
    assert (row["vendor_name"], row["total_cad"], row["records"]) == ("OPENTEXT", Decimal("300.00"), 2)
    assert row["fiscal_years"] == ["2020-2021", "2021-2022"] and row["suggested_firm_id"] == "opentext"
    reasons = row["reasons"]
    assert len(reasons) == 1 and reasons[0].startswith(f"{GROUP_MEMBER_NOT_OWNED}: ")
    assert "MICRO FOCUS, MICRO FOCUS CANADA under OPENTEXT" in reasons[0]
    assert reasons[0].endswith(
        "the registry puts them on micro-focus-government-solutions, not owned by opentext's Canadian parent "
        "throughout fiscal years 2020-2021, 2021-2022"
    )


def test_a_group_of_the_firms_own_spellings_is_attributed() -> None:
    links, queue = federal_queue(
        totals(("CGI", "2021-2022", "61575183.24")),
        spellings({"CGI": ["CGI GROUP", "CGI INFORMATION SYSTEMS AND MANAGEMENT CONSULTANTS", "CGI INFO SYSTEMS"]}),
    )
    assert links.select("firm_id", "value_cad").rows() == [("cgi", Decimal("61575183.24"))]
    assert queue.is_empty()
    assert links["unverified_spellings"].to_list() == [["CGI INFO SYSTEMS"]]  # the registry puts it on no firm


def test_without_the_spelling_groups_no_total_is_attributed() -> None:
    links, queue = federal_queue(totals(("CGI", "2021-2022", "5.00")), None)
    assert links.is_empty()
    [row] = queue.to_dicts()
    assert row["vendor_name"] == "CGI" and row["suggested_firm_id"] == "cgi"
    assert row["reasons"][0].startswith(f"{GROUPS_NOT_LOADED}: ") and "vendor_normalization" in row["reasons"][0]


def test_a_total_of_a_year_the_firm_changed_hands_in_is_reviewed() -> None:
    links, queue = federal_queue(
        totals(("MICRO FOCUS", "2022-2023", "200.00"), ("MICRO FOCUS", "2023-2024", "250.00")),
        spellings({"MICRO FOCUS": ["MICRO FOCUS CANADA"]}),
    )
    assert links.select("firm_id", "fiscal_year").rows() == [("opentext", "2023-2024")]
    [row] = queue.to_dicts()
    assert row["fiscal_years"] == ["2022-2023"] and row["reasons"][0].startswith(f"{OWNED_PART_OF_YEAR}: ")


def test_a_spelling_an_analyst_ruled_out_holds_the_groups_total_back() -> None:
    [key] = normalize_names(["OPEN TEXT CANADA"])
    ruled_out = pl.DataFrame(
        [{"scheme": "name", "value": key, "firm_id": "opentext", "decision": "is_not", "override_id": 1}]
    )
    links, queue = federal_queue(
        totals(("OPENTEXT", "2023-2024", "400.00")), spellings({"OPENTEXT": ["OPEN TEXT CANADA"]}), ruled_out
    )
    assert links.is_empty()
    assert queue["reasons"].to_list()[0][0].startswith(f"{GROUP_MEMBER_NOT_OWNED}: ")
