"""The committed OpenAPI contract matches the app, and schemathesis finds no server error and no response
that breaks it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from scoring.methodology import load_methodology
from service import pagination
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
            if "requestBody" in operation:  # a body that is not UTF-8 is a 400 before any validation
                assert "400" in responses, f"{method.upper()} {path} declares no 400"


def test_every_error_is_documented_as_problem_json() -> None:
    """Every 4xx and 5xx an operation declares is application/problem+json, as the server answers it
    (FastAPI's own 422 documents application/json unless a route says otherwise)."""
    bare = [
        f"{method.upper()} {path} {status}"
        for path, operations in openapi_document()["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status[0] in "45" and "application/problem+json" not in response.get("content", {})
    ]
    assert not bare, bare


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


@dataclass(frozen=True)
class LiveApi:
    """uvicorn serving a store on 127.0.0.1, a key that may do everything, and the file of the key it signs
    page cursors with (beside its state database)."""

    base: str
    token: str
    cursor_key_file: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """Real HTTP, real middleware and access checks, one server for every test of the module."""
    from service.state import ServiceState

    db = build_store(tmp_path_factory.mktemp("schema") / "exposure.duckdb")
    state_path = Settings(db=db).state_path
    state = ServiceState(state_path)
    _key, token = state.create_key("schemathesis", ["admin"], 1_000_000, 10_000_000)
    state.close()
    with running_server(db, anonymous_scopes="") as base:
        yield LiveApi(base, token, state_path.with_name(pagination.KEY_FILE))


@pytest.fixture(scope="module")
def served_contract(live_api: LiveApi) -> tuple[schemathesis.BaseSchema, str]:
    """The contract as the live server serves it, and the key."""
    return schemathesis.openapi.from_url(f"{live_api.base}/openapi.json"), live_api.token


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


def test_every_link_names_an_operation_and_its_parameters() -> None:
    document = openapi_document()
    links = [
        (f"{method.upper()} {path} {status}", link)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 10
    for source, link in links:
        _, target_path, target_method = link["operationRef"].rsplit("/", 2)
        target = document["paths"][target_path.replace("~1", "/").replace("~0", "~")][target_method]
        names = {parameter["name"] for parameter in target.get("parameters", [])}
        assert set(link["parameters"]) <= names, source


def test_linked_calls_break_nothing(served_contract: tuple[schemathesis.BaseSchema, str]) -> None:
    """Schemathesis's stateful run: calls chained by the contract's links (a page's firms and its next_cursor,
    a screening's id, a webhook's id), each answer held to the same checks as above."""
    contract, token = served_contract
    followed: list[tuple[str, int]] = []

    class LinkedCalls(contract.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def step(self, input: Any) -> Any:
            output = super().step(input)
            if input.transition is not None and input.is_applied:
                followed.append((input.transition.id, output.response.status_code))
            return output

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    LinkedCalls.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=5,
            deadline=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    # a transition is named "GET /v1/firms -> [200] next_page -> GET /v1/firms"; which ones a bounded run
    # takes depends on what earlier tests left on the server, so only some of the contract's own are asked for
    answered = {link.split(" -> ")[1].split("] ")[1] for link, status in followed if status < 300}
    assert len(answered & set(contract_links())) >= 3, followed


def contract_links() -> dict[str, dict[str, Any]]:
    """Every link of the contract by name (names repeat across operations with one meaning)."""
    return {
        name: link
        for operations in openapi_document()["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    }


def test_the_next_page_link_continues_the_same_list(live_api: LiveApi) -> None:
    """The next_page link's expressions, resolved by hand on a real answer, give that list's next page."""
    link = contract_links()["next_page"]["parameters"]
    asked = {"sort": "name", "limit": "2", "tier": ["low", "moderate", "high", "severe"]}
    with httpx2.Client(base_url=live_api.base, headers=live_api.auth, timeout=30) as client:
        first = client.get("/v1/firms", params=asked).json()
        resolved = {
            name: first["next_cursor"] if expression == "$response.body#/next_cursor" else asked.get(name)
            for name, expression in link.items()
            if expression == "$response.body#/next_cursor" or expression.removeprefix("$request.query.") in asked
        }
        following = client.get("/v1/firms", params={k: v for k, v in resolved.items() if v is not None})
    assert following.status_code == 200, following.text  # not a 409: the same sort and filters went along
    pages = [{f["firm_id"] for f in page["data"]} for page in (first, following.json())]
    assert len(pages[0]) == len(pages[1]) == 2 and not pages[0] & pages[1]
    assert following.json()["count"] == first["count"]


# What a caller may send as a cursor instead of the one a page gave: each must be a 4xx problem, never a 5xx.
def hostile_cursors(real: str, key: bytes) -> dict[str, str]:
    payload, signature = real.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def signed(value: Any) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return f"{b64(raw)}.{b64(pagination._signature(key, raw))}"

    shapes: dict[str, Any] = {
        "object": {"sort": "score", "after": "roshel"},
        "list": ["score", [1, 2], 3],
        "boolean": True,
        "old format": ["score", "abc", "x"],
        "null": None,
        "wrong types": {**body, "v": "1", "after": 7},
    }
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    return {
        "tampered base64": f"{flipped}.{signature}",
        "cut signature": f"{payload}.{signature[:-4]}",
        "no signature": payload,
        "not base64": "%%%%.$$$$",
        **{f"unsigned {name}": b64(json.dumps(value).encode()) for name, value in shapes.items()},
        **{f"signed {name}": signed(value) for name, value in shapes.items()},
        "signed, of another snapshot": signed({**body, "snapshot": "0" * 16}),
        "signed, of another sort": signed({**body, "sort": "name"}),
        "signed, after SQL": signed({**body, "after": "x' OR 1=1 --"}),
        "overlong": payload * (1 + 600 // len(payload)),
        "far overlong": "A" * 6000,
        "non-ASCII": "é" * 20,
        "right-to-left override": "\u202e" + real,
        "emoji": "\U0001f4a5" * 10,
        "NUL": real + "\x00",
    }


def test_hostile_cursors_are_4xx_problems_on_every_paged_list(live_api: LiveApi) -> None:
    document = openapi_document()
    api_lists = [
        path
        for path, operations in document["paths"].items()
        if any(p["name"] == "cursor" for p in operations.get("get", {}).get("parameters", []))
    ]
    assert api_lists == ["/v1/firms"]
    with httpx2.Client(base_url=live_api.base, headers=live_api.auth, timeout=30) as client:
        first = client.get("/v1/firms", params={"limit": 2})
        assert first.status_code == 200
        cursors = hostile_cursors(first.json()["next_cursor"], live_api.cursor_key_file.read_bytes())
        for path in [*api_lists, "/firms"]:  # the HTML list pages through the same cursors
            for name, cursor in cursors.items():
                answer = client.get(path, params={"limit": 2, "cursor": cursor})
                assert 400 <= answer.status_code < 500, (path, name, answer.status_code, answer.text[:300])
                kind = answer.headers["content-type"]
                if path.startswith("/v1/") or (answer.status_code == 422 and "problem" in kind):
                    assert kind.startswith("application/problem+json"), (path, name, kind)
                    assert answer.json()["status"] == answer.status_code
                else:
                    assert kind.startswith("text/html"), (path, name, kind)
            # bytes that are not UTF-8 at all, percent-encoded as a client might send them
            raw = client.get(f"{path}?limit=2&cursor=%ff%fe%00")
            assert 400 <= raw.status_code < 500, (path, raw.status_code, raw.text[:300])
