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

from scoring.methodology import load_methodology
from service.app import openapi_document
from service.identifiers import INPUT_PATTERNS, VALIDATORS
from service.settings import Settings
from tests.conftest import build_store, serve
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


def undescribed_properties(document: dict[str, Any]) -> dict[str, str]:
    """Every object property without a description in a schema that some operation's 200 answer reaches,
    named `Schema.property`, with the first operation found to reach it. References into the components,
    arrays' items, anyOf/allOf/oneOf members, additionalProperties and the properties themselves are followed."""
    components = document["components"]["schemas"]
    missing: dict[str, str] = {}
    visited: set[str] = set()

    def walk(schema: Any, owner: str, operation: str) -> None:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].removeprefix("#/components/schemas/")
            if name not in visited:
                visited.add(name)
                walk(components[name], name, operation)
        for combinator in ("anyOf", "allOf", "oneOf"):
            for member in schema.get(combinator, []):
                walk(member, owner, operation)
        walk(schema.get("items"), owner, operation)
        walk(schema.get("additionalProperties"), owner, operation)
        for name, prop in schema.get("properties", {}).items():
            if not str(prop.get("description", "")).strip():
                missing.setdefault(f"{owner}.{name}", operation)
            walk(prop, owner, operation)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            named = f"{method.upper()} {path}"
            for content in operation["responses"].get("200", {}).get("content", {}).values():
                walk(content.get("schema"), named, named)
    return missing


def test_every_response_field_is_described() -> None:
    missing = undescribed_properties(openapi_document())
    assert not missing, f"{len(missing)} response fields lack a description: " + "; ".join(
        f"{field} (reached from {operation})" for field, operation in sorted(missing.items())
    )


def test_the_walk_finds_an_undescribed_field_behind_references() -> None:
    """The check above would catch a field left bare however deep it sits: inside an array's items behind a
    reference, a nullable member, or a map's values."""
    document: dict[str, Any] = {
        "paths": {
            "/v1/things": {
                "get": {
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Page": {
                    "properties": {
                        "data": {"description": "the things", "items": {"$ref": "#/components/schemas/Thing"}},
                        "by_key": {
                            "description": "things by key",
                            "additionalProperties": {"$ref": "#/components/schemas/Tally"},
                        },
                    }
                },
                "Thing": {
                    "properties": {
                        "owner": {
                            "description": "who",
                            "anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}],
                        },
                        "amount": {"type": "number", "description": "  "},
                    }
                },
                "Owner": {"properties": {"name": {"type": "string"}}},
                "Tally": {"properties": {"links": {"type": "integer"}}},
                "Unreached": {"properties": {"bare": {"type": "string"}}},
            }
        },
    }
    assert sorted(undescribed_properties(document)) == ["Owner.name", "Tally.links", "Thing.amount"]


def test_money_fields_name_their_currency() -> None:
    schemas = openapi_document()["components"]["schemas"]
    money = {
        f"{model}.{field}": schemas[model]["properties"][field]["description"]
        for model in ("FirmSummary", "HistoryPoint")
        for field in schemas[model]["properties"]
        if field.endswith("_total")
    }
    money |= {
        "AwardRef.dollars": schemas["AwardRef"]["properties"]["dollars"]["description"],
        "Agency.dollars": schemas["Agency"]["properties"]["dollars"]["description"],
        "Contribution.amount": schemas["Contribution"]["properties"]["amount"]["description"],
    }
    assert len(money) > 10
    assert all("U.S. dollars" in description for description in money.values()), money
    revenue = schemas["FirmProfile"]["properties"]["revenue"]["description"]
    assert "percent of annual revenue" in revenue and "not a fraction" in revenue


def parameter_schema(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema: dict[str, Any] = parameter["schema"]
    return schema


def test_the_category_filter_lists_the_methodology_categories(db: Path) -> None:
    """The contract's enum is the methodology's categories, and the server answers exactly those."""
    categories = list(load_methodology().categories)
    schema = parameter_schema(openapi_document(), "/v1/firms", "category")
    [array] = [member for member in schema["anyOf"] if member.get("type") == "array"]
    assert array["items"]["enum"] == categories and len(categories) > 10
    with serve(db) as client:
        for category in categories:
            assert client.get("/v1/firms", params={"category": category}).status_code == 200, category
        refused = client.get("/v1/firms", params={"category": "surveilance"})
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


def test_identifier_formats_are_patterns_where_refused_with_422_and_notes_on_screening_items(db: Path) -> None:
    document = openapi_document()
    for name in ("bn", "uei"):
        assert parameter_schema(document, "/v1/vendor-check", name)["pattern"] == INPUT_PATTERNS[name]
    items = document["components"]["schemas"]["ScreenItem"]["properties"]
    for scheme in ("isin", "cusip", "lei", "bn", "uei", "cage"):
        assert items[scheme]["x-pattern"] == INPUT_PATTERNS[scheme]
        assert "pattern" not in json.dumps({k: v for k, v in items[scheme].items() if k != "x-pattern"})
        assert VALIDATORS[scheme][1] in items[scheme]["description"]
    with serve(db, anonymous_scopes="read,screen") as client:
        assert client.get("/v1/vendor-check", params={"uei": "abcd-efgh-ijk1"}).status_code == 200
        assert client.get("/v1/vendor-check", params={"uei": "abcd-efgh-ijk"}).status_code == 422
        batch = client.post("/v1/screen", json={"items": [{"ref": "a", "isin": "CA88490370"}, {"name": "Roshel"}]})
        assert batch.status_code == 200  # a malformed identifier is its item's error, never the batch's 422
        first, second = batch.json()["data"]
        assert first["error"] is not None and second["error"] is None


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
