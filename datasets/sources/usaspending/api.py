"""The client of USAspending's bulk download API (https://api.usaspending.gov/docs/endpoints):

1. `POST /api/v2/bulk_download/awards/` with the filters answers at once with `file_name`, `status_url` and
   `file_url`;
2. `GET status_url` answers `status` ready | running | finished | failed, with `message` when it failed and
   `total_size` (the zip's size in kilobytes of 1,000 bytes) once finished;
3. `GET file_url` serves the zip of `Contracts_PrimeTransactions_*.csv` files (see `download`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import tenacity

from datasets.errors import FetchError
from datasets.sources.usaspending.retries import ProgressCallback, RetryPolicy, Transient, is_transient, transient_from

USASPENDING_API = "https://api.usaspending.gov"
AWARDS_ENDPOINT = "/api/v2/bulk_download/awards/"
STATUS_ENDPOINT = "/api/v2/download/status"
USER_AGENT = "exposure-screen/0.1 (USAspending bulk contract download)"

# Contracts and indefinite-delivery vehicles: every award type whose transactions land in
# Contracts_PrimeTransactions. Grants, loans and other assistance are left out.
CONTRACT_AWARD_TYPES: tuple[str, ...] = (
    "A",
    "B",
    "C",
    "D",
    "IDV_A",
    "IDV_B",
    "IDV_B_A",
    "IDV_B_B",
    "IDV_B_C",
    "IDV_C",
    "IDV_D",
    "IDV_E",
)
DHS_NAME = "Department of Homeland Security"

# The cap on the interval between two status checks, which grows by half each time.
MAX_POLL_SECONDS = 30.0
_STILL_GENERATING = ("ready", "running")


@dataclass(frozen=True)
class Agency:
    """An awarding agency as the bulk download's `agencies` filter names it."""

    code: str
    name: str
    tier: str  # "toptier" or "subtier"

    def as_filter(self) -> dict[str, str]:
        entry = {"type": "awarding", "tier": self.tier, "name": self.name}
        if self.tier == "subtier":  # the API needs the parent's name with a sub-tier agency
            entry["toptier_name"] = DHS_NAME
        return entry


AGENCIES: Mapping[str, Agency] = {
    "DHS": Agency("DHS", DHS_NAME, "toptier"),
    "ICE": Agency("ICE", "U.S. Immigration and Customs Enforcement", "subtier"),
    "CBP": Agency("CBP", "U.S. Customs and Border Protection", "subtier"),
}


def agency_filter(agency: str) -> Agency:
    """The filter for `DHS`, `ICE` or `CBP` (case-insensitive)."""
    found = AGENCIES.get(agency.strip().upper())
    if found is None:
        raise FetchError(f"unknown agency {agency!r}; expected one of {', '.join(AGENCIES)}")
    return found


def fiscal_year_dates(fiscal_year: int) -> tuple[date, date]:
    """U.S. federal fiscal year N runs from 1 October of N-1 to 30 September of N."""
    if fiscal_year < 2001:
        raise FetchError(f"fiscal year {fiscal_year}: USAspending's award data starts with FY2001")
    return date(fiscal_year - 1, 10, 1), date(fiscal_year, 9, 30)


def download_request(fiscal_year: int, agency: str) -> dict[str, Any]:
    """The JSON body of the bulk download request: one fiscal year of an agency's contract transactions."""
    start, end = fiscal_year_dates(fiscal_year)
    return {
        "filters": {
            "prime_award_types": list(CONTRACT_AWARD_TYPES),
            "date_type": "action_date",
            "date_range": {"start_date": start.isoformat(), "end_date": end.isoformat()},
            "agencies": [agency_filter(agency).as_filter()],
        },
        "file_format": "csv",
    }


@contextlib.contextmanager
def http_client(
    client: httpx.Client | None, user_agent: str = USER_AGENT, read_seconds: float = 60.0
) -> Iterator[httpx.Client]:
    """The client given, or one of our own (closed on exit) with sane timeouts and our User-Agent."""
    if client is not None:
        yield client
        return
    timeout = httpx.Timeout(read_seconds, connect=30.0)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": user_agent}) as owned:
        yield owned


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    what: str,
    policy: RetryPolicy,
    step: ProgressCallback,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One API call answering a JSON object; transient failures retried by `policy`, others refused."""

    def attempt() -> httpx.Response:
        try:
            response = client.request(method, url, json=body)
        except httpx.TransportError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        if is_transient(response.status_code):
            raise transient_from(response)
        return response

    response: httpx.Response = policy.retrying(what, step)(attempt)
    if response.status_code >= 400:
        raise FetchError(f"{what}: USAspending answered HTTP {response.status_code}: {response_detail(response)}")
    try:
        payload = response.json()
    except ValueError:
        raise FetchError(f"{what}: the answer is not JSON ({response.text[:200]!r})") from None
    if not isinstance(payload, dict):
        raise FetchError(f"{what}: expected a JSON object, got {type(payload).__name__}")
    return payload


def response_detail(response: httpx.Response) -> str:
    """What an error answer says went wrong, in a few hundred characters."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300].strip() or "(empty body)"
    if isinstance(payload, dict):
        for key in ("detail", "message", "error", "messages"):
            if payload.get(key):
                return str(payload[key])
    return str(payload)[:300]


def safe_file_name(value: object) -> str:
    """The file name USAspending gave, refused when it could escape the download folder or clash with ours."""
    name = Path(str(value or "")).name
    if not name or name in (".", "..") or name.endswith(".part"):
        raise FetchError(f"USAspending returned an unusable file name {value!r}")
    return name


def wait_until_finished(
    client: httpx.Client,
    status_url: str,
    file_name: str,
    policy: RetryPolicy,
    poll_seconds: float,
    timeout_seconds: float,
    step: ProgressCallback,
) -> dict[str, Any]:
    """Poll the status until the file is finished, every `poll_seconds` at first and half as long again each
    time; refuse a failed generation, and give up once `timeout_seconds` would pass."""

    def check() -> dict[str, Any]:
        status = request_json(client, "GET", status_url, f"checking {file_name}", policy, step)
        state = _state(status)
        if state == "failed":
            reason = status.get("message") or status.get("error") or "no reason given"
            raise FetchError(f"USAspending could not generate {file_name}: {reason}")
        if state != "finished" and state not in _STILL_GENERATING:
            raise FetchError(f"{file_name}: unexpected download status {state!r}")
        return status

    def last_state(retry: tenacity.RetryCallState) -> tuple[str, float]:
        assert retry.outcome is not None
        return _state(retry.outcome.result()), retry.seconds_since_start or 0.0

    def still(retry: tenacity.RetryCallState) -> None:
        state, elapsed = last_state(retry)
        step(f"USAspending is generating {file_name}: {state} ({elapsed:.0f} s)")

    def timed_out(retry: tenacity.RetryCallState) -> dict[str, Any]:
        state, elapsed = last_state(retry)
        raise FetchError(f"{file_name} is still {state} after {elapsed:.0f} s; try again later (same request)")

    poll = tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda status: _state(status) in _STILL_GENERATING),
        wait=tenacity.wait_exponential(multiplier=poll_seconds, exp_base=1.5, max=max(poll_seconds, MAX_POLL_SECONDS)),
        stop=tenacity.stop_before_delay(timeout_seconds),
        before_sleep=still,
        retry_error_callback=timed_out,
    )
    result: dict[str, Any] = poll(check)
    return result


def _state(status: dict[str, Any]) -> str:
    return str(status.get("status") or "")


def expected_bytes(total_size: object) -> int | None:
    """The file size the status declares: `total_size` is bytes / 1000; None (or 0) when not known."""
    if isinstance(total_size, bool) or not isinstance(total_size, int | float) or total_size <= 0:
        return None
    return round(total_size * 1000)
