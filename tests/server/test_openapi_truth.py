"""What /openapi.json promises is what the server does: checked on a few requests a client
really makes (the schemathesis run checks every operation)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.server.conftest import RunningServer


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def test_405_lists_every_method_of_the_path(server: RunningServer) -> None:
    user = server.new_user()
    for path, methods in (
        ("/v1/session", "DELETE, GET, POST"),
        ("/v1/drafts/0a", "DELETE, GET, PATCH, PUT"),
        ("/v1/messages/0a", "DELETE, GET, PATCH"),
    ):
        answer = user.client.request("OPTIONS", path)
        assert answer.status_code == 405
        assert answer.headers["Allow"] == methods
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_schema_documents_errors_preconditions_and_the_nul_rule(server: RunningServer) -> None:
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    put = document["paths"]["/v1/drafts/{draft_id}"]["put"]
    patch = document["paths"]["/v1/messages/{email_id}"]["patch"]
    for operation in (put, patch):
        for status in ("400", "401", "413", "422", "428"):
            content = operation["responses"][status]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
    headers = {p["name"]: p["required"] for p in put["parameters"] if p["in"] == "header"}
    assert headers == {"If-Match": False, "If-None-Match": False}
    headers = {p["name"]: p["required"] for p in patch["parameters"] if p["in"] == "header"}
    assert headers == {"If-Match": True}
    login = document["components"]["schemas"]["LoginRequest"]["properties"]
    assert login["password"]["pattern"] == "^[^\\u0000]*$"
    mutation = document["components"]["schemas"]["Mutation"]["properties"]
    assert mutation["mutationId"]["maximum"] == 2**62
    assert "HTTPValidationError" not in document["components"]["schemas"]
    # The rule holds: a NUL in the password is refused before any check.
    refused = httpx.post(
        f"{server.url}/v1/session", json={"name": "a", "password": "x\u0000y"}, timeout=30
    )
    assert refused.status_code == 422 and "NUL" in refused.text


def test_an_integral_json_number_is_an_integer(server: RunningServer) -> None:
    user = server.new_user()
    mutation = {"mutationId": 1.0, "type": "mailbox.create"}
    mutation["args"] = {"mailboxId": "m1", "name": "Travel"}
    answer = user.client.post("/v1/sync", json={"clientId": "c", "mutations": [mutation]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "applied"
    mutation["mutationId"] = 1.5
    assert (
        user.client.post("/v1/sync", json={"clientId": "c", "mutations": [mutation]}).status_code
        == 422
    )
