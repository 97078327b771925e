"""The pages in a real browser: Debian's headless Chromium, driven by Selenium, against a real uvicorn server on
loopback serving a store built from the bundled data. A person's path: type a vendor, submit, read the verdict,
the evidence and the record link, open the record, switch to French, browse the firms, open the API docs.

Each page is saved as a screenshot under var/screenshots/ (git-ignored) for review. Without Chromium and its
driver (`apt-get install chromium chromium-driver`; .ci/run installs them when it can) these tests skip.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO, build_store
from tests.live_server import running_server

# Debian's packages put them at /usr/bin/chromium and /usr/bin/chromedriver.
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = REPO / "var" / "screenshots"
WAIT_SECONDS = 20
RECORD_REFUSALS = (
    "window.refused = [];"
    "document.addEventListener('securitypolicyviolation', event => window.refused.push(event.blockedURI));"
)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "browser tests skipped: no chromium or chromedriver on PATH (apt-get install chromium chromium-driver; "
        ".ci/run does it when it runs as root with apt)",
        allow_module_level=True,
    )

from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = build_store(tmp_path_factory.mktemp("browser") / "exposure.duckdb")
    with running_server(db, anonymous_scopes="read") as base:  # as `make run` serves
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.add_argument("--lang=en-CA")
    # The driver is the system's: Selenium must not try to download one.
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_SECONDS)
    # Every page keeps the addresses its content policy refused, for the tests to read.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_REFUSALS})
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, css: str) -> Any:
    located = expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    return WebDriverWait(driver, WAIT_SECONDS).until(located)


def screenshot(driver: WebDriver, name: str) -> Path:
    """The whole page, not just the window: the window is stretched to the page's height for the picture."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.execute_script("window.scrollTo(0, 0)")
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1280, max(900, min(height, 8000)))
    try:
        assert driver.save_screenshot(str(path)), path
    finally:
        driver.set_window_size(1280, 900)
    assert path.stat().st_size > 10_000, f"{path} looks blank"
    return path


def requested_urls(driver: WebDriver) -> list[str]:
    """Every address the page asked for: the document and each resource the browser tried to load."""
    urls: list[str] = driver.execute_script(
        "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name))"
    )
    return [url for url in urls if not url.startswith(("data:", "blob:", "about:"))]


def elsewhere(driver: WebDriver, base_url: str) -> list[str]:
    """What the page tried to load from any host but this server, less what its content policy refused."""
    here = urlsplit(base_url).netloc
    refused: list[str] = driver.execute_script("return window.refused")
    return [url for url in requested_urls(driver) if urlsplit(url).netloc != here and url not in refused]


def test_a_person_types_a_vendor_and_reads_the_verdict_evidence_and_record(base_url: str, browser: WebDriver) -> None:
    browser.get(f"{base_url}/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.CSS_SELECTOR, "label[for=name]").text == "Company name"
    # By keyboard alone: the skip link comes first, then the name field.
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    browser.switch_to.active_element.send_keys(Keys.TAB)
    field = browser.switch_to.active_element
    assert field.get_attribute("id") == "name"
    screenshot(browser, "01-check-form")
    field.send_keys("Roshel", Keys.ENTER)

    verdict = wait_for(browser, "#verdict")
    assert verdict.text == "Flag"
    assert re.fullmatch(r"/checks/[0-9a-f]{32}", urlsplit(browser.current_url).path)
    policy = browser.find_element(By.ID, "policy").text
    assert "default" in policy and "US$100 million" in policy and "max_tier" not in policy
    agencies = browser.find_element(By.ID, "by-agency").text
    assert "U.S. Immigration and Customs Enforcement (ICE)" in agencies and "7012" not in agencies
    assert "Armoured and tactical vehicles" in browser.find_element(By.ID, "by-category").text
    source = browser.find_element(By.CSS_SELECTOR, ".evidence-item a.source")
    assert (source.get_attribute("href") or "").startswith("https://toronto.citynews.ca/")
    assert "We don't sell to ICE" in browser.find_element(By.CSS_SELECTOR, ".evidence-item .response").text
    assert "2026-11-22" in browser.find_element(By.ID, "record-snapshot").text
    # The print button is shown by the page's one local script (allowed by its content policy).
    assert browser.find_element(By.CSS_SELECTOR, "[data-print]").is_displayed()
    record_link = browser.find_element(By.ID, "record-link").get_attribute("href")
    record_id = browser.find_element(By.ID, "record-id").text.split()[1]
    assert record_link == f"{base_url}/checks/{record_id}"
    assert {urlsplit(url).netloc for url in requested_urls(browser)} == {urlsplit(base_url).netloc}
    screenshot(browser, "02-check-record")

    browser.get(record_link)  # the permanent page, opened afresh, replays the same check
    assert wait_for(browser, "#verdict").text == "Flag"
    assert browser.find_element(By.ID, "record-id").text.split()[1] == record_id
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "header.site nav.main").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "[data-print]").is_displayed()
        screenshot(browser, "03-check-record-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    browser.get(f"{record_link}?lang=fr")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert wait_for(browser, "#verdict").text == "Signaler"
    assert browser.find_element(By.ID, "evidence-heading").text == "Preuves les plus solides"
    assert "Politique appliquée" in browser.find_element(By.ID, "policy").text
    assert "Véhicules blindés et tactiques" in browser.find_element(By.ID, "by-category").text
    screenshot(browser, "04-check-record-fr")


def test_the_french_form_checks_a_vendor_in_french(base_url: str, browser: WebDriver) -> None:
    browser.get(f"{base_url}/?lang=fr")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=name]").text == "Nom de l'entreprise"
    browser.find_element(By.ID, "name").send_keys("Apple Inc")
    browser.find_element(By.ID, "check-submit").click()
    assert wait_for(browser, "#verdict").text == "Non couvert"
    assert "ce n'est pas un résultat favorable" in browser.find_element(By.ID, "content").text.lower()
    screenshot(browser, "05-check-not-covered-fr")


def test_a_person_browses_the_scored_firms_and_opens_one(base_url: str, browser: WebDriver) -> None:
    browser.get(f"{base_url}/firms")
    rows = browser.find_elements(By.CSS_SELECTOR, "#firms tbody tr")
    assert len(rows) > 10
    screenshot(browser, "06-firms")
    browser.find_element(By.LINK_TEXT, "Roshel").click()
    assert wait_for(browser, "h1").text == "Roshel"
    assert "U.S. Immigration and Customs Enforcement (ICE)" in browser.find_element(By.ID, "by-agency").text
    assert {urlsplit(url).netloc for url in requested_urls(browser)} == {urlsplit(base_url).netloc}
    screenshot(browser, "07-firm-roshel")
    browser.get(f"{base_url}/firms/cgi?lang=fr")
    assert browser.find_element(By.ID, "exposure-heading").text == "Exposition à l'ICE, au CBP et au reste du DHS"
    screenshot(browser, "08-firm-cgi-fr")


@pytest.mark.parametrize(("path", "rendered"), [("/docs", ".swagger-ui .info .title"), ("/redoc", ".api-info h1")])
def test_the_api_docs_render_from_local_files(base_url: str, browser: WebDriver, path: str, rendered: str) -> None:
    browser.get(f"{base_url}{path}")
    assert "exposure-screen" in wait_for(browser, rendered).text
    # ReDoc's footer asks its maker's site for a logo: the page's content policy refuses it, so nothing leaves.
    assert elsewhere(browser, base_url) == []
    screenshot(browser, f"09-api{path.replace('/', '-')}")
