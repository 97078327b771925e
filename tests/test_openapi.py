"""The committed OpenAPI contract matches the app, and schemathesis finds no server error and no response
that breaks it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import openapi_document
from service.settings import Settings
from tests.conftest import build_store
from tests.live_server import running_server

CONTRACT = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_contract_matches_the_app() -> None:
    committed = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), (
        "openapi/openapi.json is out of date: run `make openapi` and commit it"
    )


def test_every_route_declares_its_response_and_errors() -> None:
    document = openapi_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = next((code for code in ("200", "201", "204") if code in responses), None)
            assert success is not None, f"{method.upper()} {path}"
            if success != "204":  # 204 No Content has, by definition, no body
                assert "application/json" in responses[success].get("content", {}), f"{method.upper()} {path}"
            if path.startswith("/v1/") and (operation.get("parameters") or operation.get("requestBody")):
                assert "422" in responses, f"{method.upper()} {path} declares no 422"


OPERATIONS = [(method.upper(), path) for path, ops in openapi_document()["paths"].items() for method in ops]
# Server errors, responses that break the declared schema, undeclared status codes or content types.
# (Positive-data acceptance is left out on purpose: the schema cannot list every unknown agency or cursor
# that the API rightly answers with a 422.)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def served_contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    """The contract as uvicorn serves it on 127.0.0.1, and a key that may do everything: real HTTP, real
    middleware and access checks, one server for every operation."""
    from service.state import ServiceState

    db = build_store(tmp_path_factory.mktemp("schema") / "exposure.duckdb")
    state = ServiceState(Settings(db=db).state_path)
    _key, token = state.create_key("schemathesis", ["admin"], 1_000_000, 10_000_000)
    state.close()
    with running_server(db, anonymous_scopes="") as base:
        yield schemathesis.openapi.from_url(f"{base}/openapi.json"), token


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_input_breaks_the_api(served_contract: tuple[schemathesis.BaseSchema, str], method: str, path: str) -> None:
    contract, token = served_contract
    operation = contract[path][method]

    @given(operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    check()


def test_every_reference_in_the_contract_resolves() -> None:
    import re

    document = openapi_document()
    named = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert named and not named - set(document["components"]["schemas"])
