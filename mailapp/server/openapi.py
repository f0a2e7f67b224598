"""The OpenAPI document, corrected where FastAPI's generated one would not tell the truth.

FastAPI documents what the route signatures say; the server does more, centrally:

- every error is `application/problem+json` with the `Problem` schema (FastAPI would announce
  `application/json` and its own `HTTPValidationError` for 422);
- any request can get 400 (unparsable JSON, a bad Content-Length or Content-Type, a value the
  database cannot store), any request with a body 413 (over the size limit or a quota) and
  422, a JSON one 415, and any write 503 (the database stayed busy);
- writes that need `If-Match` (they answer 428 without it) declare the header as required, and
  `PUT` (create with `If-None-Match: *` or replace with `If-Match`) declares both;
- no string the server accepts may contain U+0000: request strings carry a pattern saying so;
- downloads answer with the stored content type, whatever it is (`*/*`);
- integer bounds are integers (pydantic writes `le=2**62` as a float, which a client or fuzzer
  rounds past the real bound).

Applied once, when /openapi.json is first asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

NUL_FREE = "^[^\\u0000]*$"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ERROR_DESCRIPTIONS = {
    400: "Malformed request: unparsable JSON, a bad Content-Length or Content-Type, or a "
    "value the database cannot store",
    413: "Request body too large (see the limits in GET /v1/session)",
    415: "The body is not JSON in UTF-8 (a Content-Type other than application/json)",
    422: "The request does not match the schema (`errors` lists where); strings must not "
    "contain U+0000",
    503: "The database stayed busy; nothing was applied: retry after Retry-After",
}
ETAG = {"type": "string", "pattern": NUL_FREE, "description": 'An ETag: "<updatedModseq>" or *'}


def install_truthful_openapi(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = correct(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def correct(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    request_schemas: list[dict[str, Any]] = []
    for _path, method, operation in _operations(document):
        responses = operation.setdefault("responses", {})
        body = operation.get("requestBody")
        statuses = {400}
        if method != "get":
            statuses.add(503)  # the database stayed busy: nothing applied, retry
        if body is not None:
            statuses |= {413, 422}
            if "application/json" in body.get("content", {}):
                statuses.add(415)
            for media in body.get("content", {}).values():
                if "schema" in media:
                    request_schemas.append(media["schema"])
            if set(body.get("content", {})) == {"application/octet-stream"}:
                body["required"] = False  # an empty body is an empty file
        if operation.get("parameters"):
            statuses.add(422)
        for status in statuses:
            responses.setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status]})
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400:
                response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
                if int(status) == 422:
                    response["description"] = ERROR_DESCRIPTIONS[422]
        ok = responses.get("200", {}).get("content", {})
        if set(ok) == {"application/octet-stream"}:
            responses["200"]["content"] = {
                "*/*": {"schema": {"type": "string", "format": "binary"}}
            }
        if "428" in responses:
            _declare_preconditions(operation, method)
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                request_schemas.append(parameter["schema"])
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for schema in list(_reachable(request_schemas, components)):
        _no_nul(schema)
    if '"#/components/schemas/NulFreeJson"' in repr(document).replace("'", '"'):
        components["NulFreeJson"] = nul_free_json()
    for schema in _all_schemas(document):
        _integer_bounds(schema)
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _declare_preconditions(operation: dict[str, Any], method: str) -> None:
    parameters = operation.setdefault("parameters", [])
    names = {parameter["name"].lower() for parameter in parameters}
    wanted = [("If-Match", method != "put")]
    if method == "put":
        wanted.append(("If-None-Match", False))
    for name, required in wanted:
        if name.lower() not in names:
            parameters.append(
                {"name": name, "in": "header", "required": required, "schema": dict(ETAG)}
            )


def _children(schema: Any) -> Iterator[Any]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "$defs", "definitions"):
                yield from value.values()
            elif key in ("items", "additionalProperties", "not", "propertyNames"):
                yield value
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
                yield from value
    elif isinstance(schema, list):
        yield from schema


def _reachable(roots: list[dict[str, Any]], components: dict[str, Any]) -> Iterator[dict[str, Any]]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        schema = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield schema
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            stack.append(components.get(ref.rsplit("/", 1)[1], {}))
        stack.extend(_children(schema))


def _all_schemas(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "integer":
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _no_nul(schema: dict[str, Any]) -> None:
    if (
        schema.get("type") == "string"
        and "pattern" not in schema
        and "enum" not in schema
        and schema.get("format") not in ("binary", "date-time", "date", "uuid")
    ):
        schema["pattern"] = NUL_FREE
    if schema.get("type") == "object" and schema.get("additionalProperties") not in (None, False):
        schema.setdefault("propertyNames", {"pattern": NUL_FREE})
        if schema["additionalProperties"] is True:
            # Free-form values (mutation arguments): no NUL in any string, at any depth.
            schema["additionalProperties"] = {"$ref": "#/components/schemas/NulFreeJson"}


def nul_free_json() -> dict[str, Any]:
    me = {"$ref": "#/components/schemas/NulFreeJson"}
    return {
        "description": "Any JSON value without U+0000 in any string or key.",
        "anyOf": [
            {"type": "string", "pattern": NUL_FREE},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": me},
            {"type": "object", "propertyNames": {"pattern": NUL_FREE}, "additionalProperties": me},
        ],
    }


def _integer_bounds(schema: dict[str, Any]) -> None:
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = schema.get(key)
        if isinstance(value, float) and value.is_integer():
            schema[key] = int(value)
