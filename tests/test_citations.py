"""Every bundled citation names the publisher or the primary document: its domain is on the reviewed list in
`datasets/citation_domains.csv`, and no mirror or scraper site that re-posts other publishers' work is on it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from tests.conftest import REPO

ALLOWLIST = REPO / "datasets" / "citation_domains.csv"
KINDS = {
    "government",
    "registry",
    "company",
    "newspaper",
    "wire",
    "press_release_distributor",
    "research",
    "trade_press",
    "code_repository",
}
# Sites once cited that re-post others' articles or filings: they must never come back.
MIRRORS = {
    "todaysstocks.com",
    "torontoer.com",
    "webjosh.com",
    "urbanmag.ca",
    "infernalsplitter.com",
    "quantisnow.com",
    "stocktitan.net",
    "newsbeep.com",
    "techwire24.com",
    "news.alayham.com",
    "thegentlelight-web.pages.dev",
    "archive.fo",
    "us.kabutan.jp",
    "financelooker.com",
    "fbireform.com",
    "rbc.ua",
    "cetient.com",
    "ih.advfn.com",
    "cdn.financialreports.eu",
}
URL = re.compile(r"https?://[^\s,;|\"')]+")
CITATION_COLUMNS = ("source_url", "url")  # an issuer's `website` is a fact about it, not a citation


def _bundled_csvs() -> list[Path]:
    return (
        sorted((REPO / "datasets" / "data").glob("*.csv"))
        + sorted((REPO / "datasets" / "sources").glob("*/*.csv"))
        + sorted((REPO / "scoring" / "methodology").glob("*.csv"))  # the export-control rules cite their sources
    )


def _domain(url: str) -> str:
    host = url.split("/")[2].lower().split(":")[0]
    return host.removeprefix("www.")


def _cited() -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for path in _bundled_csvs():
        with path.open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                for column in CITATION_COLUMNS:
                    for url in URL.findall(row.get(column) or ""):
                        where.setdefault(_domain(url), []).append(f"{path.name}:{line}")
    return where


def _allowlist() -> dict[str, dict[str, str]]:
    with ALLOWLIST.open(encoding="utf-8", newline="") as handle:
        return {row["domain"]: row for row in csv.DictReader(handle)}


def test_every_bundled_citation_is_on_the_reviewed_allowlist() -> None:
    allowed = _allowlist()
    cited = _cited()
    assert cited, "no citations found: the test is reading the wrong files"
    unreviewed = {domain: rows[:3] for domain, rows in cited.items() if domain not in allowed}
    assert not unreviewed, f"cited domains not on {ALLOWLIST.name}: {unreviewed}"


def test_the_allowlist_is_reviewed_and_holds_no_mirror() -> None:
    allowed = _allowlist()
    assert not MIRRORS & set(allowed)
    for domain, row in allowed.items():
        assert row["kind"] in KINDS, row
        assert len(row["reason"]) > 20, f"{domain}: say why it is a primary or established source"
    # Every entry is in use, so the list stays a record of what was reviewed.
    assert set(allowed) <= set(_cited())


def test_no_bundled_row_cites_a_mirror() -> None:
    assert not MIRRORS & set(_cited())
