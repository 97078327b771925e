"""Name matching: measured on labelled real names (targets asserted), explained, and safe on look-alikes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.name_sets import AUDIT, GOC, audited_goc_spellings, goc_own_grouping, labelled_usaspending_names
from datasets.catalogue import BUNDLED_DATA
from scoring.evaluation import evaluate_audited_sample, read_audit, read_vendor_normalization_lines, registry_from_csv
from scoring.matching import ACCEPT, NameMatcher, is_ordinary_word
from scoring.normalize import normalize_names
from scoring.resolve import registry_matcher


@pytest.fixture(scope="module")
def registry() -> tuple[NameMatcher, dict[str, str]]:
    """The matcher the scoring builds from the bundled registry (firms marked for exact names only included)."""
    _pairs, parent_of = registry_from_csv(BUNDLED_DATA)
    firms = pl.read_csv(BUNDLED_DATA / "firms.csv", infer_schema=False).lazy()
    aliases = pl.read_csv(BUNDLED_DATA / "firm_aliases.csv", infer_schema=False).lazy()
    return registry_matcher(firms, aliases), parent_of


def test_every_registry_name_of_a_subsidiary_identifies_it_and_rolls_up_to_a_listed_parent(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Each legal name and vendor spelling on file for a U.S. subsidiary is attributed to that subsidiary and rolls
    up to a Canadian parent, unless two firms share the name (then it identifies neither: the safe direction)."""
    matcher, parent_of = registry
    firms = pl.read_csv(BUNDLED_DATA / "firms.csv", infer_schema=False)
    aliases = pl.read_csv(BUNDLED_DATA / "firm_aliases.csv", infer_schema=False)
    subsidiaries = set(firms.filter(pl.col("listing_status") == "subsidiary")["firm_id"].to_list())
    names = aliases.filter(pl.col("alias_kind").is_in(["legal", "vendor_record"]))
    keys = normalize_names(names["alias"].to_list())
    owners: dict[str | None, set[str]] = {}
    for key, firm_id in zip(keys, names["firm_id"].to_list(), strict=True):
        owners.setdefault(key, set()).add(firm_id)
    checked = 0
    for alias, key, firm_id in zip(names["alias"].to_list(), keys, names["firm_id"].to_list(), strict=True):
        if firm_id not in subsidiaries or len(owners[key]) > 1:
            continue
        match = matcher.match_many([alias])[0]
        assert match.firm_id == firm_id, (alias, match)
        assert parent_of.get(firm_id) not in (None, firm_id), f"{firm_id} rolls up to no Canadian parent"
        checked += 1
    assert checked >= 90


def test_usaspending_names_meet_the_targets(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    matcher, parent_of = registry
    metrics = labelled_usaspending_names(matcher, parent_of, "usaspending")
    assert metrics.true_positive >= 55, metrics.summary()
    assert metrics.precision >= 0.99 and metrics.recall >= 0.95, (metrics.summary(), metrics.mistakes)
    assert metrics.foreign_to_canadian == 0, metrics.mistakes


def test_canadian_vendor_spellings_audited_sample(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    if not GOC.exists():
        pytest.skip(f"{GOC} not found (CI provides ../shared/data/real)")
    audit = read_audit(AUDIT)
    assert len(audit) == 600 and {a.relation for a in audit} == {"variant", "related", "unclear"}
    metrics, unclear = audited_goc_spellings("goc audited")
    assert unclear == 6
    # Floors that guard against regressions; the targets (0.99 / 0.95) are not met on this set (see README).
    assert metrics.precision >= 0.98, (metrics.summary(), metrics.mistakes)
    assert metrics.recall >= 0.86, (metrics.summary(), metrics.mistakes)


def test_audit_labels_point_at_the_rows_they_name(tmp_path: Path) -> None:
    vendor_file = tmp_path / "vendors.csv"
    vendor_file.write_text("parent_company,company_name\nACME,ACME CORP\nACME,ACME LIMITED\n", encoding="utf-8")
    labels = tmp_path / "audit.csv"
    labels.write_text("line,company_name,relation,note\n3,ACME CORPORATION,variant,typo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        evaluate_audited_sample(read_vendor_normalization_lines(vendor_file), read_audit(labels), "moved")


def test_canadian_vendor_file_with_its_own_grouping(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    if not GOC.exists():
        pytest.skip(f"{GOC} not found (CI provides ../shared/data/real)")
    metrics = goc_own_grouping("goc")
    assert metrics.precision >= 0.99, metrics.summary()
    # That project also groups dealerships, resellers and firms bought under other names, which a screen must
    # not attribute on a name alone; this floor guards against regressions.
    assert metrics.recall >= 0.80, metrics.summary()


@pytest.mark.parametrize(
    "name",
    [
        "KATHERINE J THOMSON",
        "TELEDYNE FLIR DEFENSE, INC.",
        "LIGHTSPEED AVIATION INC",
        "MAGNET YOUR EVENT LLC",
        "IRON MOUNTAIN INFORMATION MANAGEMENT LLC",
        "COUNTY OF SENECA",
        "SENECA STRATEGIC PARTNERS, LLC",
        "ONEIDA ENGINEERING SOLUTIONS LLC",
        "ABSOLUTE STORAGE, LLC",
        "FAIRFAX COLLISION CENTER, LLC",
        # A registry name that is one ordinary word ("THOMSON", from "THOMSON COMPANY INC, THE") opens these:
        "THOMSON PLUMBING & HEATING, INC.",
        "CGI AUTOMATED MANUFACTURING, INC.",
        "WEST TEXAS GAS, INC.",
        "ROSHELL TRANSPORT LLC",  # a respelt short name no longer opens a longer one
        # Three letters opening a longer name: a business CAE sold (CAE Healthcare, 2023) is not CAE's today.
        "CAE HEALTHCARE INC",
        # Vendors in the CBP/ICE files whose names open like a registry name: not TECO Energy, not Emera.
        "TECOLOTE RESEARCH, INC.",
        "EMERALD CITY MOVING & STORAGE LLC",
        # Registry names that are also other businesses' (marked name_matching=exact in firms.csv).
        "FORTIS CONSTRUCTION, INC.",
        "FORTIS COLLEGE",
        "TAMPA ELECTRIC SUPPLY CO",
        "WEST TAMPA ELECTRIC",
        # NFI Group and its Motor Coach Industries are exact-only: the bare initials belong to other businesses
        # (NFI Industries is a U.S. logistics firm, MCI a U.S. telecom brand), and "MOTOR COACH INDUSTRIES" alone
        # may be MCI's Canadian arm.
        "NFI",
        "NFI INDUSTRIES, INC.",
        "MCI",
        "MCI COMMUNICATIONS SERVICES, INC.",
        "MOTOR COACH INDUSTRIES",
        # Husky and Lima are other businesses' names too (Husky Energy and Lima Refining are exact-only).
        "HUSKY CORPORATION",
        "HUSKY ENERGY SERVICES LLC",
        "LIMA REFINING SERVICES INC",
        # The S&P/TSX 60 financials' U.S. subsidiaries are exact-only: their names open like other businesses'.
        # In the CBP/ICE files:
        "BEACON TELECOM INC",
        "EMPOWER AI, INC.",
        "EMPOWER VIRTUAL CONNECT LLC",
        "COLUMBIA WEATHER SYSTEMS, INC",
        "COLUMBIA SOUTHERN EDUCATION GROUP, INC.",
        "CHIMES DISTRICT OF COLUMBIA INC",
        "DENTRUST DENTAL INTERNATIONAL, INC.",
        # Plausible ones, not in the files:
        "BEACON INSURANCE GROUP",
        "ONE BEACON STREET LLC",
        "COLUMBIA GAS OF OHIO",
        "COLUMBIA PIPELINE SERVICES LLC",
        "COMMERCE BANK",
        "ZENITH INSURANCE AGENCY",
        "ZENITH NATIONAL BANK",
        "ODYSSEY SYSTEMS CONSULTING GROUP",
        "ODYSSEY RE SERVICES INC",
        "HANCOCK COUNTY",
        "JOHN HANCOCK HIGH SCHOOL",
        "FAIRFAX COUNTY",
        "FAIRFAX FINANCIAL SERVICES LLC",
        "DENTAQUEST DENTAL CARE CENTERS",
        "CIBC BANK USA MORTGAGE CORP",
        # TFI and its TForce Worldwide are exact-only: "TFI" is initials other businesses use, and TFI gives the
        # TForce name to units bought on different days (TForce Freight, the former UPS Freight, is now its own
        # registry firm, see test_tforce_freight_is_its_own_firm_not_tforce_worldwide); TFORCE FINAL MILE, a
        # vendor in the GoC files, is not TForce Worldwide either.
        "TFI",
        "TFI INC",
        "TFI GROUP",
        "TFORCE",
        "TFORCE FINAL MILE",
        "TFORCE WORLDWIDE LOGISTICS",
        # Vendors in the files whose names open with the same letters: not TFI's.
        "TESTFORCE SYSTEMS",
        # Vendors in the CBP/ICE files under a U.S. or foreign arm's name whose owner is not Canadian (checked in
        # the U.S.-arms pass; see CURATION_NOTES.md): Daniels is Codan's (Australia) since 2012, the others have
        # British, New Zealand or U.S. owners or no Canadian parent in any source read.
        "DANIELS ELECTRONICS LTD",
        "LIGHTFORCE USA, INCORPORATED",
        "DIGITAL BARRIERS USA INC",
        "CELLHIRE USA LLC",
        "PATHFINDER LABS LIMITED",
        "COSTCONTROL USA, LLC",
        "BEAVERFIT NORTH AMERICA LLC",
        # Great-West Lifeco's Empower insurer, Canadian National's U.S. railroads and Fairfax's Crum & Forster and
        # Allied World are exact-only. In the files (besides EMPOWER AI and EMPOWER VIRTUAL CONNECT above):
        "GREAT WESTERN TIRE, INC",
        "ALLIED WASTE SYSTEMS INC",
        "ALLIED WASTE TRANSPORTATION INC",
        "ALLIED WINGS FLIGHT TRAINING SERVICES",
        "TIG ITEX",
        "GRAND TOY",
        "EMPOWERED NETWORKS",
        "NEW TECH CENTRAL LLC",  # an ICE vendor the review queue now shows as resembling WISCONSIN CENTRAL
        # Plausible ones, not in the files:
        "EMPOWER FEDERAL CREDIT UNION",
        "GREAT WEST CASUALTY COMPANY",
        "CANADIAN NATIONAL INSTITUTE FOR THE BLIND",
        "CANADIAN NATIONAL EXHIBITION",
        "ILLINOIS CENTRAL COLLEGE",
        "ILLINOIS CENTRAL SCHOOL BUS LLC",
        "WISCONSIN CENTRAL CREDIT UNION",
        "GRAND TRUNK PACIFIC CONSTRUCTION",
        "CRUM ELECTRIC SUPPLY",
        "ALLIED WORLD TRAVEL",
        # WSP's Parsons Brinckerhoff and Louis Berger (Berger Group Holdings) are exact-only: Parsons is also
        # Parsons Corporation, a large U.S. federal contractor, and Berger is many businesses' name. In the files
        # (CBP, and the ICE award summaries):
        "BERGER ENTERPRISES LLC",
        "BERGER TRANSFER & STORAGE, INC.",
        # GoC vendor spellings of Parsons Brinckerhoff's Canadian units, not the U.S. entities WSP bought:
        "PARSONS BRINCKERHOFF HALSALL",
        "PARSONS BRINCKERHOFF ENGINEERING",
        # Plausible ones, not in the files:
        "PARSONS CORPORATION",
        "PARSONS GOVERNMENT SERVICES INC.",
        "PARSONS TRANSPORTATION GROUP INC.",
        "BERGER HOLDINGS LLC",
        "BERGER GROUP",
        # BlackBerry and BRP are exact-only: "BlackBerry" and "BRP" are other businesses' names too.
        "BLACKBERRY FARM LLC",
        "BLACKBERRY SYSTEMS INC",
        "BRP HOLDINGS LLC",
        "BRP ENTERPRISES LLC",
        "BRP GROUP INC",
        # OpenText's Zix Corporation (from 2021-12-23) is exact-only: "Zix" is a short coined word that opens other
        # names. In the files (CBP/ICE):
        "ZISTOS CORPORATION",
        # Plausible ones, not in the files (Zixi is an unrelated video-transport company):
        "ZIXI, LLC",
        "ZIX ENTERPRISES LLC",
        "ZIX TECHNOLOGIES INC",
        # FirstService and its Global Restoration Holdings (dated 2019-06-21): two CBP/ICE vendors that open
        # like the new name, and plausible ones.
        "GLOBAL RESOURCE SOLUTIONS INC",
        "GLOBAL REACH PETROLEUM LLC",
        "GLOBAL RESTORATION SERVICES INC",
        "GLOBAL RESTORATION LLC",
        "GLOBAL RESTORATION GROUP LLC",
        "FIRST SERVICE CORP",
        "FIRST SERVICES INC",
        "FIRSTSERVICE HOLDINGS LLC",
        # Kinross and its Fairbanks Gold Mining are exact-only: Kinross is also a Scottish town and a Michigan
        # township, and Fairbanks opens many Alaskan and other businesses' names. Neither opens a vendor name in
        # the files. Plausible ones, not in the files (Fairbanks Morse is an unrelated U.S. defense contractor):
        "KINROSS CORRECTIONAL FACILITY",
        "KINROSS CHARTER TOWNSHIP",
        "FAIRBANKS MORSE, LLC",
        "FAIRBANKS MORSE DEFENSE",
        "FAIRBANKS SCALES INC",
        "FAIRBANKS GOLD LLC",
        "FAIRBANKS GOLD MINING SERVICES INC",
        "FAIRBANKS NORTH STAR BOROUGH",
        # Shopify and its former U.S. subsidiaries Deliverr (2022-07-08 to 2023) and 6 River Systems (2019-10-17 to
        # 2023) are exact-only. None of the three names occurs in the files. Plausible ones, one letter off or
        # sharing the words:
        "DELIVER INC",
        "DELIVERRX LLC",
        "DELIVERR LOGISTICS LLC",
        "6 RIVERS SYSTEMS LLC",
        "RIVER SYSTEMS INC",
        "SHOPIFI LLC",
        # Magna International has no registry row; this CBP vendor opens like its name and is unrelated:
        "MAGNASYNC/MOVIOLA CORPORATION",
        # Technology second pass: Lightspeed's ShopKeep and Upserve, BlackBerry's Cylance, Docebo's Circles
        # Collective (PeerBoard), Descartes' Flagship Customs Services and Sangoma's StarBlue and NetFortris, with
        # their parents, are exact-only. In the files (CBP):
        "CIRCLE ARROW HOLDINGS L.L.C.",
        # Plausible ones, not in the files (Descartes Labs and LightSPEED Technologies are unrelated U.S. firms):
        "DESCARTES LABS INC",
        "LIGHTSPEED TECHNOLOGIES INC",
        "SHOP KEEP LLC",
        "SHOPKEEPER SUPPLY INC",
        "UPSERVE SOLUTIONS LLC",
        "AL DENTE PASTA COMPANY",
        "CYLANCE SECURITY LLC",
        "CIRCLE COLLECTIVE INC",
        "FLAGSHIP CUSTOMS BROKERS INC",
        "FLAGSHIP SERVICES GROUP INC",
        "STAR BLUE LLC",
        "NETFORTRESS INC",
        "SANGOMA LLC",
        # Algonquin, its Liberty Utilities Co. and Empire District Electric, and Teck and its Teck Alaska are
        # exact-only: Liberty, Empire and Algonquin open many unrelated names. In the files (CBP/ICE, and the GoC
        # vendor files for Algonquin College):
        "LIBERTY COMMUNICATIONS OF PUERTO RICO LLC",
        "ISLAND EMPIRE TECHNOLOGY SYSTEMS LLC",
        "ALGONQUIN COLLEGE",
        # Plausible ones, not in the files:
        "LIBERTY UTILITY SERVICES LLC",
        "LIBERTY UTILITIES SUPPLY INC",
        "LIBERTY MUTUAL INSURANCE COMPANY",
        "EMPIRE ELECTRIC COMPANY",
        "EMPIRE DISTRICT SERVICES LLC",
        "ALGONQUIN POWER SYSTEMS INC",
        "TECH ALASKA INC",
        "TECK ALASKA TOURS LLC",
        "TECK INDUSTRIES INC",
        # Alithya's Edgewater Technology, Enerflex's Exterran Corporation and Cogeco's Atlantic Broadband
        # (Breezeline) are exact-only: "Edgewater", "Atlantic" and "Breeze" open many other businesses' names, and
        # Exterran's former parent and sister companies carry the name too. In the files (CBP/ICE award summaries):
        "GULF BREEZE PROPERTIES, II L.L.C.",
        # Plausible ones, not in the files:
        "EDGEWATER CONSULTING GROUP LLC",
        "EDGEWATER TECHNOLOGIES LLC",
        "EDGEWATER NETWORKS INC",
        "ATLANTIC BROADBAND SOLUTIONS LLC",
        "ATLANTIC BROADCASTING CORP",
        "MID-ATLANTIC BROADBAND COOPERATIVE",
        "BREEZELINE CONSTRUCTION LLC",
        "EXTERRAN HOLDINGS INC",
        "EXTERRAN PARTNERS LP",
        # The TSX aerospace, transport, vehicles, machinery and services pass (RB Global, Black Diamond, Ballard,
        # ATS, Savaria, Linamar, Martinrea, Caldwell): all exact-only. In the files (CBP/ICE, ICE extracts):
        "BLACK DIAMOND GUN CLUB",
        "THE BLACK DIAMOND GUN CLUB",
        "BLACK DIAMOND BGWB14 INC",
        "VANGUARD INDUSTRIES EAST, INC.",
        "VANGUARD TRUCK CENTER OF EL PASO, LLC",
        "VANGUARD ARCHIVES LLC",
        "ATS INLAND NW LLC",
        # Plausible ones, not in the files (ATS Corporation is ATS's current name, kept out of matching):
        "ATS CORPORATION",
        "ATS CORP",
        "IAA CONSULTING LLC",
        "PROTONEX LLC",
        "NORTEX INC",
        "BALLARD INDUSTRIES",
        "SP INDUSTRIAL SUPPLY LLC",
        "CALDWELL PARTNERS",
        "BOXX TECHNOLOGIES LLC",
        "SPAN CONSTRUCTION AND ENGINEERING INC",
        "UNION IRON WORKS INC",
        "UNION IRONWORKERS LOCAL 1",
        # Quarterhill's Electronic Transaction Consultants (from 2021-09-01) is exact-only: "ETC" and "Electronic
        # Transaction" open other businesses' names. Not in the files; plausible ones:
        "ELECTRONIC TRANSACTIONS CONSULTANTS LLC",
        "ELECTRONIC TRANSACTION CONSULTANTS CORPORATION OF AMERICA",
        "ETC CONSULTANTS LLC",
        "QUARTERHILL CONSULTING LLC",
        # Avcorp Composite Fabrication (from 2015-12-18) and PyroGenesis's Drosrite International (from 2024-07-08)
        # are exact-only too; neither is in the files. Plausible ones:
        "COMPOSITE FABRICATION INC",
        "AVCORP COMPOSITE FABRICATORS LLC",
        "DROSRITE LLC",
        "PYROGENESIS USA INC",
        # Restaurant Brands International's Popeyes Louisiana Kitchen (from 2017-03-27) and Firehouse Restaurant
        # Group (from 2021-12-16) are exact-only: their restaurants are mostly franchisee-owned businesses that
        # trade under the brand, and "Firehouse" opens many unrelated names. Neither opens a vendor name in the
        # files. Plausible ones, not in the files:
        "POPEYES LOUISIANA KITCHEN OF TEXAS LLC",
        "POPEYES FRANCHISEE GROUP INC",
        "FIREHOUSE RESTAURANT LLC",
        "FIREHOUSE SUBS OF JACKSONVILLE INC",
        "FIREHOUSE TECHNOLOGY INC",
        "FIREHOUSE RESTAURANTS GROUP",
        "BURGER KING #4512",
        "BURGER KING OF PUERTO RICO LLC",
        # Couche-Tard's CST Brands (from 2017-06-28), The Pantry (from 2015-03-16) and Holiday Stationstores (from
        # 2017-12-31, year only) are exact-only: "Holiday", "Pantry" and "CST" open many unrelated names, and Holiday
        # stations are often franchisee-run. In the files "HOLIDAY" occurs only in award descriptions and an
        # address (300 HOLIDAY SQUARE BLVD). Plausible ones, not in the files:
        "HOLIDAY INN EXPRESS",
        "HOLIDAY COMPANIES",
        "HOLIDAY STATIONSTORES FRANCHISEE LLC",
        "THE PANTRY RESTAURANT",
        "PANTRY PLUS MARKETS INC",
        "CST INDUSTRIES INC",
        "CST BRANDS HOLDINGS LLC",
        "CIRCLE K #2701",
        "CIRCLE K FOOD MART LLC",
        "CIRCLE K CONVENIENCE STORE 4412",
        # Gildan's HanesBrands (from 2025-12-01) is exact-only: "Hanes" is also a surname (a Timothy A Hanes occurs as
        # a contractor's officer in the ICE subaward file). Plausible ones, not in the files:
        "HANES CONSTRUCTION INC",
        "HANES SUPPLY INC",
        "GILDAN TRADING LLC",
        # Saputo's Morningstar Foods, LLC (from 2013-01-31, month only) is exact-only: Morningstar is also the U.S.
        # investment-research firm and many other businesses. Not in the files; plausible ones:
        "MORNINGSTAR, INC.",
        "MORNINGSTAR CREDIT RATINGS LLC",
        "MORNING STAR PACKING CO",
        "MORNINGSTAR FARMS",
        # Left-out subsidiaries retried (issue #11): all exact-only. None opens a vendor name in the files (the
        # only TERRAFORM hits are HashiCorp licence descriptions). Plausible look-alikes, not in the files:
        "TERRAFORM INDUSTRIES LLC",
        "TERRAFORM GLOBAL INC",
        "CARBONITE SOLUTIONS LLC",
        "NEVADA GOLD CORP",
        "SUNCOR ENERGY SERVICES INC",
        "HUSKY REFINING LLC",
        "TFORCE LOGISTICS INC",
        "UPS FREIGHT SERVICES INC",
        "UPS SUPPLY CHAIN SOLUTIONS INC",
        "BROOKFIELD RENEWABLE ENERGY GROUP LLC",
        "BARRICK GOLD EXPLORATION INC",
        # Aecon's and Colliers' U.S. subsidiaries (infra2 pass) are exact-only. XTREME LOGISTIX LLC is an ICE vendor
        # in the files opening like Xtreme Powerline; the rest are plausible names other businesses use.
        "XTREME LOGISTIX LLC",
        "XTREME POWER LLC",
        "XTREME POWERLINE SERVICES INC",
        "UNITED ENGINEERS INC",
        "UNITED ENGINEERING CONSTRUCTORS LLC",
        "UNITED CONSTRUCTORS INC",
        "MASER INC",
        "MASER CONSULTING ENGINEERS LLC",
        "BERGMANN ASSOCIATES LLC",
        "BERGMANN CONSTRUCTION INC",
        "ROCKWOOD CAPITAL PARTNERS LLC",
        "ROCKWOOD HOLDINGS INC",
        "ROCKWOOD COMPANY",
        "AECON INC",
        "COLLIERS ENGINEERING SERVICES LLC",
        "COLLIER COUNTY",
        # BSR REIT's BSR Trust, LLC is exact-only: "BSR" is a short acronym other businesses use. Not in the files
        # (the only "BSR" there is inside ICE account codes such as MBSRAWAQ9559):
        "BSR TRUST LLC SERVICES",
        "BSR TECHNOLOGIES LLC",
        "BSR SOLUTIONS INC",
        "BRS TRUST LLC",
        # Trilogy International Partners LLC (Trilogy International Partners Inc.'s) and CMG Holdings (USA) Inc.
        # (Computer Modelling Group's) are exact-only: "Trilogy" and "CMG Holdings" open other businesses' names
        # (CMG Holdings Group, Inc. is an unrelated Chicago company). None is in the files; plausible ones:
        "TRILOGY FEDERAL LLC",
        "TRILOGY INTERNATIONAL INC",
        "TRILOGY PARTNERS LLC",
        "TRILOGY INTERNATIONAL PARTNERS HOLDINGS LLC",
        "CMG HOLDINGS GROUP, INC.",
        "CMG HOLDINGS INC",
        # Tucows' eNom, Incorporated, Ting Fiber, Inc. and Ting Virginia, LLC are exact-only: "Ting" and "eNom" are
        # short words inside other names. None is in the files; plausible ones:
        "ENOMIA INC",
        "XENOM LLC",
        "TING INTERNET INC",
        "TING FIBER NETWORKS LLC",
        "TING VIRGINIA FIBER LLC",
        "TUCOWS DOMAINS INC",
    ],
)
def test_look_alikes_are_never_attributed(registry: tuple[NameMatcher, dict[str, str]], name: str) -> None:
    matcher, _ = registry
    match = matcher.match_many([name])[0]
    assert match.firm_id is None, (name, match)
    # Below the bar, or a firm that takes exact names only (offered for review, never taken).
    assert all(c.confidence < ACCEPT or c.firm_id in matcher.exact_only for c in match.candidates)


def test_tforce_freight_is_its_own_firm_not_tforce_worldwide(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    # TForce Freight (the former UPS Freight, TFI's from 2021-04-30) and TForce Worldwide (the former DLS
    # Worldwide, from 2020-11-02) are two TFI units with their own dated edges: a name of one is never the other.
    matcher, _ = registry
    freight, worldwide = matcher.match_many(["TFORCE FREIGHT, INC.", "TFORCE WORLDWIDE, INC."])
    assert freight.firm_id == "tforce-freight" and worldwide.firm_id == "tforce-worldwide"


def test_matches_say_why(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    matcher, _ = registry
    exact, typo, suffix = matcher.match_many(
        ["Roshel, L.L.C.", "THOMSON REUTERS SPECAIL SERVICES LLC", "CGI FEDERAL SERVICES INC"]
    )
    assert (exact.method, exact.firm_id) == ("alias", "roshel")
    assert typo.method == "fuzzy" and typo.firm_id == "thomson-reuters-special-services"
    assert typo.features["reason"] == "near-identical spelling" and float(typo.features["char_ratio"]) >= 92
    assert suffix.method == "fuzzy" and suffix.firm_id == "cgi-federal"
    assert suffix.features["extra_words"] == "SERVICES"


def test_near_misses_are_candidates_not_matches(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    matcher, _ = registry
    match = matcher.match_many(["KATHERINE J THOMSON"])[0]
    assert match.firm_id is None and match.candidates
    assert match.candidates[0].firm_id == "thomson-company"


def test_a_name_two_firms_share_matches_neither() -> None:
    matcher = NameMatcher([("a", "Maple Inc."), ("b", "Maple Corporation"), ("c", "Birch Ltd")])
    shared, other = matcher.match_many(["MAPLE LLC", "Birch Limited"])
    assert shared.firm_id is None and other.firm_id == "c"


def test_a_coined_registry_name_opening_a_longer_name_is_that_firm() -> None:
    matcher = NameMatcher([("stantec", "Stantec Inc."), ("thomson", "THOMSON COMPANY INC, THE")])
    branch, surname = matcher.match_many(["STANTEC ARCHITECTURE LTD", "THOMSON PLUMBING SUPPLY"])
    assert branch.firm_id == "stantec"
    assert branch.features["reason"] == "registry name opens the name, qualified by other words"
    assert branch.features["extra_words"] == "ARCHITECTURE"
    # "THOMSON" is a common surname: it stays a candidate.
    assert surname.firm_id is None and surname.candidates[0].firm_id == "thomson"
    assert is_ordinary_word("THOMSON") and not is_ordinary_word("STANTEC")


def test_joint_ventures_resellers_and_two_firm_names_are_not_attributed() -> None:
    matcher = NameMatcher([("stantec", "STANTEC"), ("carahsoft", "CARAHSOFT TECHNOLOGY"), ("adobe", "ADOBE SYSTEMS")])
    jv, reseller, both = matcher.match_many(
        ["STANTEC KAVIK JOINT VENTURE", "STANTEC RESELLER NORTHWARE", "CARAHSOFT TECHNOLOGY ADOBE SYSTEMS"]
    )
    assert jv.firm_id is None and reseller.firm_id is None
    assert both.firm_id is None and {c.firm_id for c in both.candidates} >= {"carahsoft", "adobe"}


def test_spacing_truncation_and_places_in_registry_names() -> None:
    matcher = NameMatcher(
        [
            ("aris", "ARISGLOBAL"),
            ("maple", "MAPLE REINDERS CONSTRUCTORS LTD"),
            ("ca", "COMPUTER ASSOCIATES CANADA"),
            ("alberta", "GOVERNMENT OF ALBERTA"),
        ]
    )
    spaced, cut, no_place, province = matcher.match_many(
        ["ARIS GLOBAL LLC", "MAPLE REINDERS", "COMPUTER ASSOCIATES INC", "GOVERNMENT OF SASKATCHEWAN"]
    )
    assert (spaced.firm_id, spaced.features["reason"]) == ("aris", "near-identical spelling")
    assert cut.firm_id == "maple" and "cut short" in str(cut.features["reason"])
    assert no_place.firm_id == "ca"
    assert province.firm_id is None  # places are what tells two governments apart


def test_normalisation_of_glued_legal_forms_and_joint_ventures() -> None:
    assert normalize_names(["GEORGE COUREYINC", "BLACKBERRYLIMITED", "PROVINC", "ZINC INC"]) == [
        "GEORGE COUREY",
        "BLACKBERRY",
        "PROVINC",
        "ZINC",
    ]
    assert normalize_names(["Calian DWP Solutions in Joint Venture", "TEAM DALIAN J V"]) == [
        "CALIAN DWP SOLUTIONS JV",
        "TEAM DALIAN JV",
    ]


def test_tforce_worldwide_takes_its_exact_name_and_rolls_up(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    """TForce Worldwide (the former DLS Worldwide, TFI's from 2020-11-02) is exact-only: its own name is
    attributed and rolls up to TFI International; a longer TForce name is offered for review, never taken."""
    matcher, parent_of = registry
    exact, longer = matcher.match_many(["TFORCE WORLDWIDE, INC.", "TFORCE WORLDWIDE LOGISTICS"])
    assert (exact.firm_id, exact.method) == ("tforce-worldwide", "alias")
    assert parent_of["tforce-worldwide"] == "tfi-international"
    assert longer.firm_id is None


@pytest.mark.parametrize(
    ("name", "firm_id", "parent_id"),
    [
        # Empower's insurer under its current and its former legal name (one SEC registrant, CIK 744455).
        ("EMPOWER ANNUITY INSURANCE COMPANY OF AMERICA", "empower-annuity-insurance-company-of-america", "tsx-gwo"),
        ("GREAT-WEST LIFE & ANNUITY INSURANCE COMPANY", "empower-annuity-insurance-company-of-america", "tsx-gwo"),
        ("ILLINOIS CENTRAL RAILROAD COMPANY", "illinois-central-railroad", "tsx-cnr"),
        ("WISCONSIN CENTRAL LTD", "wisconsin-central", "tsx-cnr"),
        ("GRAND TRUNK WESTERN RAILROAD COMPANY", "grand-trunk-western-railroad", "tsx-cnr"),
        ("CRUM & FORSTER HOLDINGS CORP", "crum-forster-holdings", "tsx-ffh"),
        ("ALLIED WORLD ASSURANCE COMPANY HOLDINGS, AG", "allied-world", "tsx-ffh"),
    ],
)
def test_the_exact_only_subsidiaries_of_the_fourth_pass_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]], name: str, firm_id: str, parent_id: str
) -> None:
    """The U.S. subsidiaries added for Great-West Lifeco, Canadian National and Fairfax are exact-only: their own
    legal names are attributed and roll up to the listed parent; EMPOWER AI, ALLIED WASTE and the like are not."""
    matcher, parent_of = registry
    match = matcher.match_many([name])[0]
    assert (match.firm_id, match.method) == (firm_id, "alias")
    assert parent_of[firm_id] == parent_id


def test_wsp_us_acquisitions_take_their_exact_names_and_roll_up(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    """Parsons Brinckerhoff (WSP's from 2014-10-31) and Berger Group Holdings, the parent of Louis Berger (from
    2018-12-18), are exact-only: their own names are attributed and roll up to WSP Global; a longer name is
    offered for review, never taken."""
    matcher, parent_of = registry
    pb, berger, louis, longer = matcher.match_many(
        ["PARSONS BRINCKERHOFF, INC.", "BERGER GROUP HOLDINGS, INC.", "LOUIS BERGER", "PARSONS BRINCKERHOFF GROUP INC"]
    )
    assert (pb.firm_id, pb.method) == ("parsons-brinckerhoff", "alias")
    assert (berger.firm_id, louis.firm_id) == ("berger-group-holdings", "berger-group-holdings")
    assert parent_of["parsons-brinckerhoff"] == parent_of["berger-group-holdings"] == "wsp"
    assert longer.firm_id is None and longer.candidates[0].firm_id == "parsons-brinckerhoff"


def test_opentext_zix_takes_its_exact_name_and_rolls_up(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    """Zix Corporation (OpenText's from 2021-12-23, SEC EDGAR) is exact-only: its own name is attributed and rolls
    up to Open Text; a longer Zix name is offered for review, never taken."""
    matcher, parent_of = registry
    exact, longer = matcher.match_many(["ZIX CORPORATION", "ZIX ENTERPRISES LLC"])
    assert (exact.firm_id, exact.method) == ("zix-corporation", "alias")
    assert parent_of["zix-corporation"] == "opentext"
    assert longer.firm_id is None


def test_firstservice_global_restoration_takes_its_exact_name_and_rolls_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Global Restoration Holdings, LLC (about 95% FirstService's from 2019-06-21, FirstService's release on SEC
    EDGAR) is exact-only: its own name is attributed and rolls up to FirstService; a shorter or longer Global
    Restoration name is offered for review, never taken."""
    matcher, parent_of = registry
    exact, parent, shorter = matcher.match_many(
        ["GLOBAL RESTORATION HOLDINGS, LLC", "FIRSTSERVICE CORPORATION", "GLOBAL RESTORATION LLC"]
    )
    assert (exact.firm_id, exact.method) == ("global-restoration-holdings", "alias")
    assert parent.firm_id == "tsx-fsv"
    assert parent_of["global-restoration-holdings"] == "tsx-fsv"
    assert shorter.firm_id is None


def test_checkpoint_systems_is_ccls_and_check_point_software_is_not(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """CHECKPOINT SYSTEMS INC (a CBP vendor in the files) is CCL Industries' subsidiary, exact-only: Check Point
    Software Technologies (Israeli, unrelated) and other "Checkpoint" businesses are not."""
    matcher, parent_of = registry
    own, software, spaced, other = matcher.match_many(
        ["CHECKPOINT SYSTEMS INC", "CHECK POINT SOFTWARE TECHNOLOGIES LTD", "CHECK POINT SYSTEMS INC", "CHECKPOINT LLC"]
    )
    assert (own.firm_id, parent_of["checkpoint-systems"]) == ("checkpoint-systems", "tsx-ccl-b")
    assert (software.firm_id, other.firm_id) == (None, None)
    assert spaced.firm_id is None


def test_shopify_former_us_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Deliverr, Inc. (Shopify's from 2022-07-08) and 6 River Systems, Inc. (from 2019-10-17), both sold in 2023
    (Shopify's filings on SEC EDGAR), are exact-only: their own names are attributed and roll up to Shopify; a
    longer Deliverr name is offered for review, never taken."""
    matcher, parent_of = registry
    deliverr, six_river, parent, longer = matcher.match_many(
        ["DELIVERR, INC.", "6 RIVER SYSTEMS, INC.", "SHOPIFY INC.", "DELIVERR LOGISTICS LLC"]
    )
    assert (deliverr.firm_id, deliverr.method) == ("deliverr", "alias")
    assert (six_river.firm_id, six_river.method) == ("6-river-systems", "alias")
    assert parent.firm_id == "tsx-shop"
    assert parent_of["deliverr"] == parent_of["6-river-systems"] == "tsx-shop"
    assert longer.firm_id is None


def test_technology_second_pass_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """ShopKeep Inc. (Lightspeed's from 2020-11-25), Cylance Inc. (BlackBerry's 2019-02-21 to 2025-02-03), Circles
    Collective Inc. (Docebo's from 2023-04-03), Flagship Customs Services, Inc. (Descartes' from 2006-06-30) and
    NetFortris Corporation (Sangoma's from 2022-03-28), all from SEC EDGAR, are exact-only: their own names are
    attributed and roll up; a longer name is offered for review, never taken."""
    matcher, parent_of = registry
    names = [
        "SHOPKEEP INC.",
        "CYLANCE INC.",
        "CIRCLES COLLECTIVE INC.",
        "FLAGSHIP CUSTOMS SERVICES, INC.",
        "NETFORTRIS CORPORATION",
        "FLAGSHIP CUSTOMS SERVICES GROUP LLC",
    ]
    *exact, longer = matcher.match_many(names)
    expected = {
        "shopkeep-inc": "tsx-lspd",
        "cylance-inc": "tsx-bb",
        "circles-collective-inc": "tsx-dcbo",
        "flagship-customs-services": "tsx-dsg",
        "netfortris-corporation": "tsxv-stc",
    }
    assert [(m.firm_id, m.method) for m in exact] == [(firm, "alias") for firm in expected]
    assert all(parent_of[firm] == parent for firm, parent in expected.items())
    assert longer.firm_id is None


def test_dhs_tsx_software_telecom_and_energy_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Edgewater Technology (Alithya's from 2018-11-01), Exterran Corporation (Enerflex's from 2022-10-13) and
    Atlantic Broadband / Breezeline (Cogeco Communications', above Cogeco inc.) are exact-only: their own names are
    attributed and roll up; a longer Edgewater or Atlantic Broadband name is offered for review, never taken."""
    matcher, parent_of = registry
    edgewater, exterran, atlantic, breezeline, longer, other = matcher.match_many(
        [
            "EDGEWATER TECHNOLOGY, INC.",
            "EXTERRAN CORPORATION",
            "ATLANTIC BROADBAND",
            "BREEZELINE",
            "EDGEWATER TECHNOLOGY SERVICES LLC",
            "ATLANTIC BROADBAND SOLUTIONS LLC",
        ]
    )
    assert (edgewater.firm_id, edgewater.method) == ("edgewater-technology", "alias")
    assert exterran.firm_id == "exterran-corporation"
    assert atlantic.firm_id == breezeline.firm_id == "atlantic-broadband"
    assert parent_of["edgewater-technology"] == "tsx-alya"
    assert parent_of["exterran-corporation"] == "tsx-efx"
    assert parent_of["atlantic-broadband"] == "tsx-cca"
    # A listed Canadian subsidiary names itself as the nearest Canadian parent; Cogeco inc. is one level up.
    assert parent_of["tsx-cca"] == "tsx-cca"
    assert longer.firm_id is None and other.firm_id is None


def test_restaurant_brands_us_acquisitions_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Popeyes Louisiana Kitchen, Inc. (from 2017-03-27, SEC EDGAR), Firehouse Restaurant Group, Inc. (from
    2021-12-16, trade press) and Burger King Worldwide, Inc. (from 2014-12-31, month only) are exact-only: their own
    names are attributed and roll up to Restaurant Brands International; a franchisee-like longer name is offered
    for review, never taken."""
    matcher, parent_of = registry
    popeyes, firehouse, longer, king = matcher.match_many(
        [
            "POPEYES LOUISIANA KITCHEN, INC.",
            "FIREHOUSE RESTAURANT GROUP, INC.",
            "POPEYES LOUISIANA KITCHEN OF TEXAS LLC",
            "BURGER KING WORLDWIDE INC",
        ]
    )
    assert (popeyes.firm_id, popeyes.method) == ("popeyes-louisiana-kitchen", "alias")
    assert (firehouse.firm_id, firehouse.method) == ("firehouse-restaurant-group", "alias")
    assert parent_of["popeyes-louisiana-kitchen"] == parent_of["firehouse-restaurant-group"] == "tsx-qsr"
    assert (king.firm_id, parent_of["burger-king-worldwide"]) == ("burger-king-worldwide", "tsx-qsr")
    assert longer.firm_id is None


def test_couche_tard_us_acquisitions_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """CST Brands Inc. (from 2017-06-28, Couche-Tard's release), The Pantry Inc. (from 2015-03-16) and Holiday
    Stationstores Inc. (from 2017-12-31) are exact-only: their own names are attributed and roll up to
    Alimentation Couche-Tard; a longer Holiday name is offered for review, never taken."""
    matcher, parent_of = registry
    cst, pantry, holiday, longer, circle_k, franchisee = matcher.match_many(
        [
            "CST BRANDS INC",
            "THE PANTRY INC",
            "HOLIDAY STATIONSTORES INC",
            "HOLIDAY STATIONSTORES FRANCHISEE LLC",
            "CIRCLE K STORES INC.",
            "CIRCLE K FOOD MART LLC",
        ]
    )
    assert (cst.firm_id, pantry.firm_id, holiday.firm_id) == ("cst-brands", "the-pantry", "holiday-stationstores")
    assert parent_of["cst-brands"] == parent_of["the-pantry"] == parent_of["holiday-stationstores"] == "tsx-atd"
    assert longer.firm_id is None
    assert (circle_k.firm_id, parent_of["circle-k-stores"]) == ("circle-k-stores", "tsx-atd")
    assert franchisee.firm_id is None


def test_gildan_hanesbrands_takes_its_exact_name_and_rolls_up(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    """HanesBrands Inc. (Gildan's from 2025-12-01, The Canadian Press) is exact-only: its own name is attributed and
    rolls up to Gildan Activewear; another Hanes name is offered for review, never taken."""
    matcher, parent_of = registry
    exact, other = matcher.match_many(["HANESBRANDS INC.", "HANES SUPPLY INC"])
    assert (exact.firm_id, exact.method) == ("hanesbrands", "alias")
    assert parent_of["hanesbrands"] == "tsx-gil"
    assert other.firm_id is None


def test_saputo_morningstar_takes_its_exact_name_and_rolls_up(registry: tuple[NameMatcher, dict[str, str]]) -> None:
    """Morningstar Foods, LLC (Saputo's from 2013-01-31) is exact-only: its own name is attributed and rolls up to
    Saputo; Morningstar, Inc. (investment research) is not."""
    matcher, parent_of = registry
    exact, research = matcher.match_many(["MORNINGSTAR FOODS LLC", "MORNINGSTAR, INC."])
    assert (exact.firm_id, exact.method) == ("morningstar-foods", "alias")
    assert parent_of["morningstar-foods"] == "tsx-sap"
    assert research.firm_id is None


def test_aecon_and_colliers_us_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """United Engineers & Constructors and Xtreme Powerline Construction (Aecon's, 2024 annual report) and Maser
    Consulting, Bergmann and Rockwood Capital (Colliers', 40-F acquisition notes on SEC EDGAR) are exact-only: their
    own names are attributed and roll up to the listed parent; shorter or longer names are never taken."""
    matcher, parent_of = registry
    names = [
        "UNITED ENGINEERS & CONSTRUCTORS INC.",
        "XTREME POWERLINE CONSTRUCTION",
        "MASER CONSULTING P.A.",
        "BERGMANN ASSOCIATES, ARCHITECTS, ENGINEERS, LANDSCAPE ARCHITECTS & SURVEYORS, D.P.C.",
        "ROCKWOOD CAPITAL, LLC",
    ]
    expected = [
        ("united-engineers-constructors", "tsx-are"),
        ("xtreme-powerline-construction", "tsx-are"),
        ("maser-consulting", "tsx-cigi"),
        ("bergmann-associates", "tsx-cigi"),
        ("rockwood-capital", "tsx-cigi"),
    ]
    for match, (firm_id, parent_id) in zip(matcher.match_many(names), expected, strict=True):
        assert match.firm_id == firm_id, match
        assert parent_of[firm_id] == parent_id
    shorter, longer = matcher.match_many(["MASER CONSULTING", "ROCKWOOD CAPITAL ADVISORS LLC"])
    assert shorter.firm_id is None and longer.firm_id is None


def test_bsr_trust_takes_its_exact_name_and_rolls_up_to_bsr_reit(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """BSR Trust, LLC (BSR REIT's U.S. operating company, consolidated from the 2018-05-18 IPO closing) is
    exact-only: its own name is attributed and rolls up to the TSX-listed REIT; a longer name is not taken."""
    matcher, parent_of = registry
    exact, longer = matcher.match_many(["BSR TRUST, LLC", "BSR TRUST PROPERTY SERVICES LLC"])
    assert (exact.firm_id, exact.method) == ("bsr-trust-llc", "alias")
    assert parent_of["bsr-trust-llc"] == "tsx-hom-u"
    assert parent_of["tsx-hom-u"] == "tsx-hom-u"
    assert longer.firm_id is None


def test_small_cap_technology_and_telecom_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """CMG Holdings (USA) Inc. (Computer Modelling Group's, from its 2024-02-07 release) is exact-only: its own name
    is attributed and rolls up, a longer or shorter CMG name is not taken. Trilogy International Partners LLC
    (Trilogy International Partners Inc.'s from 2017-02-07) rolls up to its parent, but the two share a name once the
    legal forms are set aside, so that name identifies neither (the safe direction); a longer one is not taken."""
    matcher, parent_of = registry
    cmg, shorter, trilogy, longer = matcher.match_many(
        [
            "CMG HOLDINGS (USA) INC.",
            "CMG HOLDINGS INC",
            "TRILOGY INTERNATIONAL PARTNERS LLC",
            "TRILOGY INTERNATIONAL PARTNERS HOLDINGS LLC",
        ]
    )
    assert (cmg.firm_id, cmg.method) == ("cmg-holdings-usa", "alias")
    assert parent_of["cmg-holdings-usa"] == "tsx-cmg"
    assert parent_of["trilogy-international-partners-llc"] == "tsx-trl"
    assert trilogy.firm_id is None and trilogy.features["reason"] == "name shared by several registry firms"
    assert shorter.firm_id is None and longer.firm_id is None


def test_tucows_us_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """eNom, Incorporated (bought 2017-01-20), Ting Fiber, Inc. and Ting Virginia, LLC (70% held by Ting Fiber from
    2015-02-27), all from Tucows' 10-K notes on SEC EDGAR, roll up to Tucows Inc. (tsx-tc); longer names are not
    taken."""
    matcher, parent_of = registry
    enom, ting, virginia, longer = matcher.match_many(
        ["ENOM, INCORPORATED", "TING FIBER, INC.", "TING VIRGINIA, LLC", "TING FIBER NETWORKS LLC"]
    )
    assert (enom.firm_id, ting.firm_id, virginia.firm_id) == (
        "enom-incorporated",
        "ting-fiber-inc",
        "ting-virginia-llc",
    )
    assert parent_of["enom-incorporated"] == "tsx-tc"
    assert parent_of["ting-fiber-inc"] == "tsx-tc"
    assert parent_of["ting-virginia-llc"] == "tsx-tc"
    assert longer.firm_id is None


def test_a_firm_marked_for_exact_names_takes_only_its_exact_names() -> None:
    """Fortis Inc. is not FORTIS CONSTRUCTION: a firm whose name other businesses share takes its exact names
    only, and a longer or respelt one is offered for review, never taken."""
    names = [("fortis", "Fortis Inc."), ("stantec", "Stantec Inc.")]
    exact, longer, coined = NameMatcher(names, exact_only=["fortis"]).match_many(
        ["FORTIS INC", "FORTIS CONSTRUCTION INC", "STANTEC CONSULTING"]
    )
    assert (exact.firm_id, exact.method) == ("fortis", "alias")
    assert longer.firm_id is None and longer.candidates[0].firm_id == "fortis"
    assert coined.firm_id == "stantec"
    unmarked = NameMatcher(names).match_many(["FORTIS CONSTRUCTION INC"])[0]
    assert unmarked.firm_id == "fortis"  # what the mark prevents


@pytest.mark.parametrize(
    ("name", "firm_id", "parent_id"),
    [
        ("IRONPLANET, INC.", "ironplanet", "tsx-rba"),
        ("IAA, INC.", "iaa-inc", "tsx-rba"),
        ("RITCHIE BROS. HOLDINGS INC.", "ritchie-bros-holdings", "tsx-rba"),
        ("NORTEX MODULAR LEASING AND CONSTRUCTION COMPANY", "nortex-modular", "tsx-bdi"),
        ("BOXX MODULAR INC", "boxx-modular", "tsx-bdi"),
        ("VANGUARD MODULAR BUILDING SYSTEMS LLC", "vanguard-modular", "tsx-bdi"),
        ("PROTONEX TECHNOLOGY CORPORATION", "protonex-technology", "tsx-bldp"),
        ("SP INDUSTRIES, INC.", "sp-industries", "tsx-ata"),
        ("SPAN-AMERICA MEDICAL SYSTEMS, INC.", "span-america", "tsx-sis"),
        ("LINAMAR STRUCTURES USA INC.", "linamar-structures-usa", "tsx-lnr"),
        ("MARTINREA HOPKINSVILLE LLC", "martinrea-hopkinsville", "tsx-mre"),
        ("IQTALENT PARTNERS, INC.", "iqtalent-partners", "tsx-cwl"),
        ("UNION IRON", "union-iron", "tsx-afn"),
    ],
)
def test_the_tsx_transport_and_machinery_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]], name: str, firm_id: str, parent_id: str
) -> None:
    """The U.S. subsidiaries added for RB Global, Black Diamond, Ballard, ATS, Savaria, Linamar, Martinrea and
    Caldwell are exact-only: their own names are attributed and roll up to the parent; none is in the files."""
    matcher, parent_of = registry
    match = matcher.match_many([name])[0]
    assert (match.firm_id, match.method) == (firm_id, "alias")
    assert parent_of[firm_id] == parent_id


def test_quarterhill_electronic_transaction_consultants_takes_its_exact_name_and_rolls_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Quarterhill's U.S. tolling subsidiary (100% of its equity, closed 2021-09-01) is exact-only: its own name
    is attributed and rolls up to Quarterhill; a longer or respelt name is not."""
    matcher, parent_of = registry
    exact, longer = matcher.match_many(
        ["ELECTRONIC TRANSACTION CONSULTANTS, LLC", "ELECTRONIC TRANSACTION CONSULTANTS GROUP LLC"]
    )
    assert (exact.firm_id, exact.method) == ("electronic-transaction-consultants", "alias")
    assert parent_of["electronic-transaction-consultants"] == "tsx-qtrh"
    assert longer.firm_id is None


@pytest.mark.parametrize(
    ("name", "firm_id", "parent_id"),
    [
        ("AVCORP COMPOSITE FABRICATION INC.", "avcorp-composite-fabrication", "tsx-avp"),
        ("DROSRITE INTERNATIONAL LLC", "drosrite-international", "tsx-pyr"),
    ],
)
def test_avcorp_and_pyrogenesis_us_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]], name: str, firm_id: str, parent_id: str
) -> None:
    """Avcorp's and PyroGenesis's U.S. subsidiaries are exact-only: their own names are attributed and roll up."""
    matcher, parent_of = registry
    match = matcher.match_many([name])[0]
    assert (match.firm_id, match.method) == (firm_id, "alias")
    assert parent_of[firm_id] == parent_id


def test_thinkific_us_contracting_subsidiary_takes_its_exact_name_and_rolls_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Thinkific.com Inc., the subsidiary Thinkific's own terms of service (2021-07-27) name for customers who
    register from within the United States, is exact-only and rolls up to Thinkific Labs Inc. (tsx-thnc); a
    one-letter variant, a longer name and an unsourced short name are not taken."""
    matcher, parent_of = registry
    exact, variant, longer, short = matcher.match_many(
        ["THINKIFIC.COM INC.", "THINKIFY.COM INC.", "THINKIFIC.COM HOLDINGS INC.", "THINKIFIC INC"]
    )
    assert (exact.firm_id, exact.method) == ("thinkific-com-inc", "alias")
    assert parent_of["thinkific-com-inc"] == "tsx-thnc"
    assert variant.firm_id is None and longer.firm_id is None and short.firm_id is None


@pytest.mark.parametrize(
    ("name", "firm_id", "parent_id"),
    [
        ("HYDROGREEN, INC.", "hydrogreen-inc", "tsxv-cub"),
        ("KETAMINE WELLNESS CENTERS ARIZONA LLC", "ketamine-wellness-centers-arizona", "cse-delc"),
    ],
)
def test_cubicfarm_and_delic_us_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]], name: str, firm_id: str, parent_id: str
) -> None:
    """HydroGreen, Inc. (CubicFarm's own release of 2021-04-06) and Ketamine Wellness Centers Arizona LLC (Delic's
    Canada Newswire release of 2021-11-09) are exact-only: their own names are attributed and roll up."""
    matcher, parent_of = registry
    match = matcher.match_many([name])[0]
    assert (match.firm_id, match.method) == (firm_id, "alias")
    assert parent_of[firm_id] == parent_id


@pytest.mark.parametrize(
    "name",
    [
        "HYDROGREN INC",
        "HYDRO GREEN INC",
        "HYDROGREEN ENERGY INC",
        "HYDROGREEN SOLUTIONS LLC",
        "KETAMINE WELLNESS CENTER ARIZONA LLC",
        "KETAMINE WELLNESS CENTERS LLC",
        "KETAMINE WELLNESS CENTERS OF ARIZONA LLC",
        "CUBIC FARM SYSTEMS CORP",
        "DELI HOLDINGS CORP",
    ],
)
def test_cubicfarm_and_delic_look_alikes_are_not_attributed(
    registry: tuple[NameMatcher, dict[str, str]], name: str
) -> None:
    """One-letter and spacing variants, longer names of other businesses using the same words, and the bare
    'Ketamine Wellness Centers' brand without the legal name are not taken."""
    matcher, _parent_of = registry
    assert matcher.match_many([name])[0].firm_id is None


def test_snipp_delaware_subsidiaries_take_their_exact_names_and_roll_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """Snipp Interactive's Delaware subsidiaries (its Form 20-F for 2018 on SEC EDGAR) are exact-only: Hip Digital
    Media, Inc. and the former Consumer Impulse, Inc. roll up to Snipp Interactive Inc. (tsxv-spn), whose own name
    stays with the parent; one-letter variants and longer names of other businesses are not taken."""
    matcher, parent_of = registry
    hip, consumer, parent = matcher.match_many(
        ["HIP DIGITAL MEDIA INC", "CONSUMER IMPULSE INC", "SNIPP INTERACTIVE INC"]
    )
    assert (hip.firm_id, hip.method) == ("hip-digital-media", "alias")
    assert (consumer.firm_id, consumer.method) == ("snipp-interactive-delaware", "alias")
    assert parent.firm_id == "tsxv-spn"
    assert parent_of["hip-digital-media"] == "tsxv-spn"
    assert parent_of["snipp-interactive-delaware"] == "tsxv-spn"
    traps = matcher.match_many(
        [
            "HIP DIGITAL INC",
            "HIPP DIGITAL MEDIA INC",
            "HIP DIGITAL MEDIA GROUP LLC",
            "CONSUMER IMPULSES INC",
            "CONSUMER IMPULSE MARKETING LLC",
            "SNIP INTERACTIVE INC",
        ]
    )
    assert [m.firm_id for m in traps] == [None] * 6


def test_greenpower_west_virginia_plant_subsidiary_takes_its_exact_name_and_rolls_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """GreenPower Manufacturing WV Inc., the West Virginia lessee of GreenPower's South Charleston school-bus plant
    (lease-purchase contract dated as of 2022-05-02, on SEC EDGAR), is exact-only and rolls up to GreenPower Motor
    Company Inc. (tsxv-gpv); a shorter name, a split-word variant and an unrelated "Green Power" firm are not taken."""
    matcher, parent_of = registry
    exact, shorter, split, unrelated = matcher.match_many(
        [
            "GREENPOWER MANUFACTURING WV, INC.",
            "GREENPOWER MANUFACTURING INC",
            "GREEN POWER MANUFACTURING WV INC",
            "GREEN POWER MOTOR COMPANY INC",
        ]
    )
    assert (exact.firm_id, exact.method) == ("greenpower-manufacturing-wv-inc", "alias")
    assert parent_of["greenpower-manufacturing-wv-inc"] == "tsxv-gpv"
    assert shorter.firm_id is None and split.firm_id is None and unrelated.firm_id is None


def test_prostar_operating_subsidiary_takes_its_exact_name_and_rolls_up(
    registry: tuple[NameMatcher, dict[str, str]],
) -> None:
    """ProStar Geocorp Inc., whose merger ProStar Holdings Inc. announced as closed on 2020-12-29, is exact-only and
    rolls up to ProStar Holdings (tsxv-maps); a one-letter variant, a longer name and unrelated businesses sharing
    the word "ProStar" are not taken."""
    matcher, parent_of = registry
    exact, variant, longer, other, bare = matcher.match_many(
        ["PROSTAR GEOCORP INC.", "PROSTAR GEOCORE INC.", "PROSTAR GEOCORP SERVICES LLC", "PROSTAR INC", "PROSTAR LLC"]
    )
    assert (exact.firm_id, exact.method) == ("prostar-geocorp-inc", "alias")
    assert parent_of["prostar-geocorp-inc"] == "tsxv-maps"
    assert variant.firm_id is None and longer.firm_id is None
    assert other.firm_id is None and bare.firm_id is None
