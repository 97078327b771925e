"""The people's pages through the test client, on a store built from the bundled data: the vendor check and its
permanent record, the firms list and profiles, English and French, the pages' errors and access, and that no
page loads anything from another host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from scoring.exposure import score_from_weighted
from scoring.methodology import TIER_NAMES, load_methodology
from service.app import create_app
from service.models import Verdict
from service.pages import records
from service.pages.i18n import CATALOGUE, CATEGORY_FR, Messages, choose_language
from service.pages.present import tier_floors
from service.settings import Settings
from service.state import ServiceState
from tests.conftest import build_store

PROBLEM = "application/problem+json"
RECORD_PATH = re.compile(r"^/checks/([0-9a-f]{32})\?lang=(en|fr)$")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("pages") / "exposure.duckdb")


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    settings = Settings(db=db, anonymous_scopes="read", page_size_default=5)  # as `make run` lets people read
    with TestClient(create_app(settings)) as test_client:
        yield test_client


class Page(HTMLParser):
    """What a page is made of: its language, its text, and every address it loads or links to."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.loads: list[str] = []  # fetched by the browser on its own: scripts, styles, images, icons, frames
        self.links: list[str] = []  # followed only when a person clicks: anchors and form targets
        self.labels: set[str] = set()
        self.inputs: set[str] = set()
        self.text: list[str] = []
        self._skip = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = found.get("lang")
        if tag in ("script", "img", "iframe", "source", "audio", "video") and "src" in found:
            self.loads.append(found["src"])
        if tag == "link" and "href" in found:
            self.loads.append(found["href"])
        if tag == "a" and "href" in found:
            self.links.append(found["href"])
        if tag == "form":
            self.links.append(found.get("action", ""))
        if tag == "label":
            self.labels.add(found.get("for", ""))
        if tag in ("input", "select") and found.get("type") != "hidden":
            self.inputs.add(found.get("id", ""))
        self._skip = tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(re.sub(r"[ \t\r\n]+", " ", data).strip())  # no-break spaces are kept: French uses them

    @property
    def words(self) -> str:
        return " ".join(self.text)


def page(response: Any, status: int = 200) -> Page:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def check(client: TestClient, lang: str = "en", **fields: str) -> tuple[str, Page]:
    """Submit the vendor-check form as a browser does; follow it to the record. Returns the record id and page."""
    answer = client.post(f"/checks?lang={lang}", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    found = RECORD_PATH.match(answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found.group(1), page(client.get(answer.headers["location"]))


# --- the catalogue -----------------------------------------------------------------------------------


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for key, (english, french) in CATALOGUE.items():
        assert english and french, key
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", french)), key


def test_every_verdict_tier_and_category_has_words_in_both_languages() -> None:
    methodology = load_methodology()
    for verdict in Verdict.__args__:  # type: ignore[attr-defined]
        assert f"verdict.{verdict}" in CATALOGUE
    for tier in TIER_NAMES:
        assert f"tier.{tier}" in CATALOGUE and f"form.policy.{tier}" in CATALOGUE
    assert set(CATEGORY_FR) == set(methodology.categories)


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        (None, None, "en"),
        ("fr", None, "fr"),
        ("FR-ca", None, "fr"),
        ("de", "fr-CA,fr;q=0.9", "fr"),
        ("en", "fr-CA", "en"),
        (None, "de-DE, fr;q=0.4, en;q=0.6", "en"),
        (None, "fr;q=0, de", "en"),
        (None, "fr;q=bogus, en;q=0.1", "en"),
    ],
)
def test_the_language_comes_from_lang_then_accept_language(requested: str, header: str, expected: str) -> None:
    assert choose_language(requested, header) == expected


def test_money_and_numbers_are_written_as_each_language_writes_them() -> None:
    english, french = Messages("en", {}), Messages("fr", {})
    assert english.money(7234926.2) == "US$7,234,926"
    assert french.money(7234926.2) == "7\u202f234\u202f926\u00a0$\u00a0US"
    assert english.number(57.15, 2) == "57.15" and french.number(57.15, 2) == "57,15"
    assert english.money_round(31_612.8) == "US$31,600"
    assert english.money_round(999_990) == "US$1 million"
    assert french.money_round(99_999_990) == "100\u00a0millions\u00a0$\u00a0US"
    assert english.percent(0.97) == "97%" and french.percent(0.97) == "97\u202f%"


def test_tier_floors_are_the_dollars_where_each_tier_starts() -> None:
    methodology = load_methodology()
    floors = tier_floors(methodology)
    for tier in ("moderate", "high", "severe"):  # "low" starts at cents, below the score's rounding
        assert score_from_weighted(floors[tier] * 1.001, methodology) >= methodology.tiers[tier]
        assert score_from_weighted(floors[tier] * 0.99, methodology) < methodology.tiers[tier]
    # The README's round figures.
    assert Messages("en", {}).money_round(floors["severe"]) == "US$100 million"


# --- the vendor check ----------------------------------------------------------------------------------


def test_the_form_has_a_label_for_every_field_and_states_the_default_policy(client: TestClient) -> None:
    form = page(client.get("/"))
    assert form.lang == "en"
    assert form.inputs == {"name", "bn", "uei", "max_tier"} and form.inputs <= form.labels
    assert "Service default: exclude severe exposure, flag the rest" in form.words
    assert "/checks?lang=en" in form.links
    prefilled = client.get("/", params={"name": "CGI Inc.", "max_tier": "moderate"}).text
    assert 'value="CGI Inc."' in prefilled and '<option value="moderate" selected>' in prefilled


def test_a_check_answers_in_plain_words_with_names_evidence_and_coverage(client: TestClient) -> None:
    record_id, record = check(client, name="Roshel")
    words = record.words
    assert "Vendor check: Roshel" in words and f"Record {record_id}" in words
    assert "Verdict: Flag" in words
    assert "Exposure was found, within the policy" in words
    assert "Exposure tier: high (score 57.15 out of 100)" in words
    # The default policy, said as a buyer would say it.
    assert "Policy used: the service's default, because none was chosen" in words
    assert "US$100 million or more of weighted exposure (tier severe)" in words
    assert "max_tier" not in words
    assert "Recognised by its name, “ROSHEL”" in words and "97% sure" in words
    # Agencies by name, categories by label; codes only inside award keys.
    assert "U.S. Immigration and Customs Enforcement (ICE) US$7,234,926" in words
    assert "Armoured and tactical vehicles US$7,234,926" in words
    assert " 7012 " not in f" {words} " and "armoured_vehicles" not in words
    assert "The company's response" in words and "We don't sell to ICE" in words
    assert "https://toronto.citynews.ca/2025/12/04/ice-says-armoured-vehicles-ordered-from-roshel-produced-in-u-s/" in (
        record.links
    )
    assert any(link.startswith("https://www.usaspending.gov/award/CONT_AWD_70CMSW26FR") for link in record.links)
    assert "Checked: Roshel, its 0 known subsidiaries" in words
    assert "Loaded records: U.S. federal contract records from 2004-10-01 to 2026-08-18" in words
    assert "Not checked:" in words and "customers other than the U.S. Department of Homeland Security" in words
    assert "scores as of 2026-11-22" in words
    assert f"http://testserver/checks/{record_id}" in record.links  # the permanent link, printed in full


def test_a_chosen_policy_is_stated_as_chosen_and_decides_the_verdict(client: TestClient) -> None:
    _, record = check(client, name="Roshel", max_tier="moderate")
    assert "Verdict: Exclude" in record.words
    assert "Policy you chose: exclude a firm with US$1 million or more of weighted exposure (tier high" in record.words
    _, never = check(client, name="Roshel", max_tier="severe")
    assert "Verdict: Flag" in never.words and "Policy you chose: never exclude; flag any exposure" in never.words


@pytest.mark.parametrize(
    ("fields", "verdict", "says"),
    [
        ({"name": "Apple Inc"}, "Not covered", "This is not a pass: the vendor was not checked."),
        ({"name": "Royal Bank of Canada"}, "Pass", "no ICE or DHS exposure was found"),
        ({"name": "Roshell"}, "Review", "the names that resemble it are listed below"),
    ],
)
def test_each_verdict_is_explained(client: TestClient, fields: dict[str, str], verdict: str, says: str) -> None:
    _, record = check(client, **fields)
    assert f"Verdict: {verdict}" in record.words and says in record.words


def test_a_near_miss_lists_what_it_resembles(client: TestClient) -> None:
    _, record = check(client, name="Roshell")
    assert "Names that resemble it" in record.words and "Roshel:" in record.words


def test_the_record_is_a_screening_the_api_replays(db: Path, client: TestClient) -> None:
    record_id, _ = check(client, name="Roshel")
    settings = Settings(db=db, anonymous_scopes="read,screen")
    with TestClient(create_app(settings)) as auditor:
        replayed = auditor.get(f"/v1/screenings/{record_id}").json()
    assert replayed["screening_id"] == record_id and replayed["count"] == 1
    assert replayed["data"][0]["verdict"] == "flag" and replayed["data"][0]["match"]["firm_id"] == "roshel"
    assert replayed["vendor_check"]["query"] == {"name": "Roshel"}
    assert replayed["vendor_check"]["policy_is_default"] is True


def test_the_record_page_replays_what_was_stored_not_the_current_snapshot(db: Path, client: TestClient) -> None:
    record_id, _ = check(client, name="Roshel")
    store = ServiceState(Settings(db=db).state_path)
    try:
        stored = records.load(store, record_id)
        assert stored is not None
        evidence = stored.vendor_check.evidence[0].model_copy(update={"summary": "As it was read that day."})
        changed = stored.model_copy(
            update={
                "screening_id": "0" * 32,
                "vendor_check": stored.vendor_check.model_copy(update={"evidence": [evidence]}),
            }
        )
        records.save(store, changed, None)
    finally:
        store.close()
    replay = page(client.get(f"/checks/{'0' * 32}"))
    assert "As it was read that day." in replay.words and "Verdict: Flag" in replay.words


def test_the_record_in_french(client: TestClient) -> None:
    record_id, _ = check(client, name="Roshel")
    french = page(client.get(f"/checks/{record_id}", params={"lang": "fr"}))
    words = french.words
    assert french.lang == "fr"
    assert "Vérification du fournisseur : Roshel" in words and "Verdict : Signaler" in words
    assert "Politique appliquée : celle du service par défaut" in words and "100\u00a0millions\u00a0$\u00a0US" in words
    assert "Véhicules blindés et tactiques" in words and "Réponse de l'entreprise" in words
    assert "Ce qui a été vérifié, et ce qui ne l'a pas été" in words
    by_header = client.get(f"/checks/{record_id}", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert Page(by_header.text).lang == "fr" and by_header.headers["content-language"] == "fr"
    assert "Accept-Language" in by_header.headers["vary"]


def test_a_french_check_keeps_its_language_through_the_redirect(client: TestClient) -> None:
    _, record = check(client, lang="fr", name="Apple Inc")
    assert record.lang == "fr" and "Verdict : Non couvert" in record.words


def test_the_form_says_what_is_wrong_and_keeps_what_was_typed(client: TestClient) -> None:
    empty = page(client.post("/checks", data={"name": "  "}), 422)
    assert "Type a name, a Business Number or a UEI." in empty.words
    bad_bn = client.post("/checks?lang=fr", data={"name": "Roshel", "bn": "123"})
    words = page(bad_bn, 422).words
    assert "Numéro d'entreprise (NE) :" in words and "items[0].bn" in words
    assert 'value="Roshel"' in bad_bn.text
    tier = page(client.post("/checks", data={"name": "Roshel", "max_tier": "extreme"}), 422)
    assert "unknown tier 'extreme'" in tier.words


def test_a_check_must_come_as_a_form(client: TestClient) -> None:
    refused = client.post("/checks", json={"name": "Roshel"})
    assert refused.status_code == 415 and refused.headers["content-type"].startswith(PROBLEM)


def test_unknown_records_are_a_page_that_says_so(client: TestClient) -> None:
    missing = page(client.get(f"/checks/{'f' * 32}"), 404)
    assert f"No vendor check record has the number “{'f' * 32}”." in missing.words
    assert page(client.get("/checks/not-a-record"), 404).lang == "en"


def test_a_batch_screened_through_the_api_is_not_shown_as_a_vendor_check(db: Path) -> None:
    with TestClient(create_app(Settings(db=db, anonymous_scopes="read,screen"))) as api:
        batch = api.post("/v1/screen", json={"items": [{"name": "Roshel"}]}).json()
        assert api.get(f"/checks/{batch['screening_id']}").status_code == 404


# --- the firms ---------------------------------------------------------------------------------------


def test_the_firms_list_pages_filters_and_links_each_profile(client: TestClient) -> None:
    first = page(client.get("/firms"))
    assert "87 match" in first.words
    assert first.words.index("Garda World Security Corporation") < first.words.index("Roshel")
    assert "/firms/roshel?lang=en" in first.links
    following = [link for link in first.links if "cursor=" in link]
    assert len(following) == 1
    second = page(client.get(following[0]))
    assert "Open Text Corporation" in second.words and "Garda World" not in second.words
    high = page(client.get("/firms", params={"tier": "high", "lang": "fr"}))
    assert "4 correspondent" in high.words and "élevée" in high.words
    export = next(link for link in high.links if link.startswith("/v1/firms"))
    assert urlsplit(export).query == "format=csv&sort=-score&tier=high"
    assert client.get(export).text.count("\n") == 5  # the header and the four firms


def test_the_firms_list_refuses_an_unknown_tier_or_cursor_in_words(client: TestClient) -> None:
    assert "unknown tier 'extreme'" in page(client.get("/firms?tier=extreme"), 422).words
    assert "not a cursor this API gave out" in page(client.get("/firms?cursor=zzz"), 422).words


def test_a_firm_profile_names_agencies_subsidiaries_and_responses(client: TestClient) -> None:
    cgi = page(client.get("/firms/cgi"))
    words = cgi.words
    assert "CGI Inc." in words and "Score 45.64 out of 100, tier moderate." in words
    assert "U.S. Immigration and Customs Enforcement (ICE)" in words
    assert "IT, software and telecom" in words
    assert "Subsidiaries" in words and "CGI Federal" in words
    assert "No response from the company is recorded." in words
    assert "/?name=CGI%20Inc.&lang=en" in cgi.links and "/v1/firms/cgi" in cgi.links
    assert "Exposition à l'ICE, au CBP et au reste du DHS" in page(client.get("/firms/cgi?lang=fr")).words
    missing = page(client.get("/firms/acme"), 404)
    assert "No company with the id “acme”." in missing.words


# --- what pages load, and who may read them -------------------------------------------------------------


def test_no_page_loads_anything_from_another_host(client: TestClient) -> None:
    record_id, _ = check(client, name="Roshel")
    paths = ["/", "/?lang=fr", f"/checks/{record_id}", "/firms", "/firms/roshel", "/firms/cgi", "/firms/acme"]
    for path in paths:
        response = client.get(path)
        loaded = Page(response.text).loads
        assert loaded, path
        assert all(url.startswith("/") and not url.startswith("//") for url in loaded), (path, loaded)
        # Outside links are the evidence's sources, never resources; the content policy forbids loading any.
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        assert response.headers["referrer-policy"] == "no-referrer"
    for asset in ("/static/pages.css", "/static/print.js", "/static/favicon.svg"):
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize(("path", "assets"), [("/docs", 2), ("/redoc", 1)])
def test_the_api_docs_reference_only_files_this_server_serves(client: TestClient, path: str, assets: int) -> None:
    response = client.get(path)
    docs = Page(response.text)
    local = [url for url in docs.loads if url.startswith("/docs/assets/")]
    assert len(local) == assets, docs.loads
    assert all(url.startswith("/") and not url.startswith("//") for url in docs.loads), docs.loads
    for url in local:
        served = client.get(url)
        assert served.status_code == 200 and len(served.content) > 100_000, url
    # No CDN, no web fonts, no online validator.
    for host in ("cdn.jsdelivr.net", "fonts.googleapis.com", "fastapi.tiangolo.com", "unpkg.com"):
        assert host not in response.text, (path, host)
    assert "img-src 'self' data:" in response.headers["content-security-policy"]
    if path == "/docs":
        assert '"validatorUrl": null' in response.text


def test_the_pages_ask_what_the_firms_api_asks(db: Path, tmp_path: Path) -> None:
    settings = Settings(db=db, anonymous_scopes="", state_db=tmp_path / "state.sqlite")
    state = ServiceState(settings.state_path)
    try:
        _, reader = state.create_key("reader", ["read"], 60, 1000)
        _, screener = state.create_key("screener", ["screen"], 60, 1000)
    finally:
        state.close()
    with TestClient(create_app(settings)) as keyed:
        assert keyed.get("/v1/firms").status_code == 401  # what the pages answer below, the API answers too
        for path in ("/", "/firms", "/firms/roshel", f"/checks/{'f' * 32}"):
            refused = keyed.get(path)
            assert refused.status_code == 401 and refused.headers["content-type"].startswith(PROBLEM), path
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert keyed.get(path, headers={"Authorization": f"Bearer {screener}"}).status_code == 403, path
        assert keyed.post("/checks", data={"name": "Roshel"}).status_code == 401
        allowed = keyed.get("/firms/roshel", headers={"Authorization": f"Bearer {reader}"})
        assert allowed.status_code == 200
        # The API's description and the pages' own files stay open, as /docs always was.
        for path in ("/docs", "/redoc", "/static/pages.css", "/docs/assets/swagger-ui.css"):
            assert keyed.get(path).status_code == 200, path
