"""Change alerts: each refresh writes what changed (scores, tiers, verdicts, awards new to a firm) with before
and after; GET /v1/changes serves it as JSON and Atom; webhooks hear of it, signed, retried, logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar
from xml.etree import ElementTree as ET

import pytest

from service import pipeline
from service.settings import Settings
from service.state import ServiceState
from service.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, RetryPolicy
from tests.conftest import build_store, serve, write_csv

NEW_AWARD = "CONT_AWD_70CMSD26P00000777_7012_-NONE-_-NONE-"
HEADER = [
    "Agency", "Award ID", "Recipient Name", "Federal Action Obligation", "Action Date", "Modification",
    "Product/Service Description", "NAICS Description", "Transaction Description", "Generated Award ID",
]  # fmt: skip


class Receiver(BaseHTTPRequestHandler):
    """A subscriber on loopback that refuses its first delivery (so the retry is seen), then takes them."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    refuse_first = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.refuse_first:
            Receiver.refuse_first = False
            self.send_response(503)
        else:
            Receiver.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received, Receiver.refuse_first = [], True
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def test_a_refresh_logs_its_changes_serves_them_and_tells_webhooks(tmp_path: Path, receiver: str) -> None:
    db = build_store(tmp_path / "exposure.duckdb")
    settings = Settings(db=db)
    state = ServiceState(settings.state_path)
    key, token = state.create_key("fund", ["read"], 10_000, 1_000_000)
    hook = state.add_webhook(key.key_id, receiver)
    state.close()
    new_award = write_csv(
        tmp_path / "export.csv",
        HEADER,
        [["ICE", "70CMSD26P00000777", "CGI FEDERAL INC.", "2500000.00", "2026-10-01", "0", "IT SERVICES",
          "COMPUTER SYSTEMS DESIGN", "CASE MANAGEMENT", NEW_AWARD]],
    )  # fmt: skip
    outcome = pipeline.refresh(
        db,
        [new_award],
        date(2026, 11, 22),
        notify=settings.state_path,
        webhook_policy=RetryPolicy(attempts=3, first_wait_seconds=0.05),
    )
    assert outcome.changes >= 2 and outcome.delivered == {hook.webhook_id: True}

    with serve(db, anonymous_scopes="") as client:
        auth = {"Authorization": f"Bearer {token}"}
        served = client.get("/v1/changes", params={"firm_id": "cgi"}, headers=auth).json()["data"]
        kinds = {c["kind"]: c for c in served}
        assert kinds["new_award"]["subject_key"] == NEW_AWARD
        moved = kinds.get("score") or kinds["tier"]
        assert moved["after"]["score"] > moved["before"]["score"] and moved["before"]["verdict"] in ("pass", "flag")
        later = client.get("/v1/changes", params={"since": served[-1]["detected_at"]}, headers=auth).json()
        assert later["data"] == []  # `since` is exclusive: nothing after the last seen
        feed = client.get("/v1/changes", headers={**auth, "Accept": "application/atom+xml"})
        assert feed.headers["content-type"].startswith("application/atom+xml")
        entries = ET.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
        assert any(NEW_AWARD in (e.findtext("{http://www.w3.org/2005/Atom}title") or "") for e in entries)
        deliveries = client.get(f"/v1/webhooks/{hook.webhook_id}/deliveries", headers=auth).json()["data"]
        assert [(d["attempt"], d["delivered"], d["status_code"]) for d in reversed(deliveries)] == [
            (1, False, 503),
            (2, True, 204),
        ]
        _, other = ServiceState(settings.state_path).create_key("other", ["read"], 100, 100)
        assert client.get(f"/v1/webhooks/{hook.webhook_id}/deliveries", headers={"Authorization": f"Bearer {other}"})\
            .status_code == 404  # fmt: skip

    ((headers, body),) = Receiver.received
    expected = hmac.new(hook.secret.encode(), headers[TIMESTAMP_HEADER].encode() + b"." + body, hashlib.sha256)
    assert headers[SIGNATURE_HEADER] == f"sha256={expected.hexdigest()}"
    sent = json.loads(body)
    assert sent["refresh_id"] and any(c["subject_key"] == NEW_AWARD for c in sent["changes"])


def test_a_refresh_with_nothing_new_logs_nothing(tmp_path: Path) -> None:
    db = build_store(tmp_path / "exposure.duckdb")
    assert pipeline.refresh(db, [], date(2026, 11, 22)).changes == 0


def test_webhooks_are_registered_listed_and_removed_by_their_key(tmp_path: Path) -> None:
    db = build_store(tmp_path / "exposure.duckdb")
    with serve(db) as client:
        state: ServiceState = client.app.state.service_state  # type: ignore[attr-defined]
        _, mine = state.create_key("a", ["read"], 1000, 1000)
        _, theirs = state.create_key("b", ["read"], 1000, 1000)
        me, them = {"Authorization": f"Bearer {mine}"}, {"Authorization": f"Bearer {theirs}"}
        made = client.post("/v1/webhooks", json={"url": "https://hooks.example.ca/x"}, headers=me)
        assert made.status_code == 201 and len(made.json()["secret"]) > 30
        webhook_id = made.json()["webhook_id"]
        assert [h["webhook_id"] for h in client.get("/v1/webhooks", headers=me).json()["data"]] == [webhook_id]
        assert "secret" not in client.get("/v1/webhooks", headers=me).json()["data"][0]
        assert client.get("/v1/webhooks", headers=them).json()["data"] == []
        assert client.delete(f"/v1/webhooks/{webhook_id}", headers=them).status_code == 404
        assert client.post("/v1/webhooks", json={"url": "ftp://x"}, headers=me).status_code == 422
        assert client.post("/v1/webhooks", json={"url": "https://x.example"}).status_code == 401  # anonymous
        assert client.delete(f"/v1/webhooks/{webhook_id}", headers=me).status_code == 204
        assert client.get("/v1/webhooks", headers=me).json()["data"] == []
