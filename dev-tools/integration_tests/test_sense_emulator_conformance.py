"""Conformance of the emulator to the published OpenAPI document (a walker, no extra dependency).

For every documented path and method the walker builds requests from the document itself (entity
bodies with every documented property, the documented examples), sends them to the emulator over
HTTP, and checks that the status is one the document lists for the operation and that the body
validates against the documented response schema. It also checks that the emulator serves exactly
the documented routes, and that the documented resume-upload error examples are answered verbatim.

The document is looked for at ``<repo>/../shared/reference/sense-openapi.json``; absent, the module
is skipped.
"""
from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path

import jsonschema
import orjson
import pytest
import requests

from sense_emulator.app import routes

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "sense-openapi.json"
if not SPEC_PATH.exists():
    pytest.skip(f"no OpenAPI reference at {SPEC_PATH}", allow_module_level=True)

SPEC = json.loads(SPEC_PATH.read_text())
COMPONENTS = SPEC["components"]["schemas"]
TOKEN_PATH = "/oauth2/token"


def api_path(spec_path: str) -> str:
    """The emulator's path of a documented path: the API paths live under /v1."""
    return spec_path if spec_path == TOKEN_PATH else "/v1" + spec_path


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**COMPONENTS[node["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in extra.items() if k != "type"}}
    return node


def to_json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema: refs inlined, ``nullable`` as a ``null`` type."""
    node = resolve(node)
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties",):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in ("items",):
            out[key] = to_json_schema(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [to_json_schema(v) for v in value]
        elif key in ("nullable", "example", "examples", "description", "format"):
            continue
        else:
            out[key] = copy.deepcopy(value)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("nullable") and "oneOf" in out:
        out["oneOf"].append({"type": "null"})
    return out


def operations():
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            yield path, method.upper(), op


def check_response(response, op, expected_status=None, complete=True):
    """The status is documented for the operation and the body matches its documented schema
    (with ``complete``, every documented top-level property is present, too)."""
    documented = op["responses"]
    status = str(response.status_code)
    assert status in documented, f"{op['operationId']}: {status} is not a documented response ({sorted(documented)})"
    if expected_status is not None:
        assert response.status_code == expected_status, response.text
    content = documented[status].get("content", {})
    if "application/json" in content:
        assert response.headers["Content-Type"].startswith("application/json")
        schema = to_json_schema(content["application/json"]["schema"])
        body = response.json()
        jsonschema.validate(body, schema)
        if complete:
            missing = set(schema.get("properties", {})) - set(body)
            assert not missing, f"{op['operationId']} {status}: documented properties missing: {missing}"
    return response


def example_value(prop):
    prop = resolve(prop)
    if "anyOf" in prop:
        return "2020-04-01"
    kind = prop.get("type", "string")
    if kind == "string":
        return {"date": "2020-04-01", "date-time": "2020-04-01T10:30:00+0000"}.get(prop.get("format"), "text")
    return {"integer": 7, "number": 2.5, "boolean": True, "array": ["a", "b"]}[kind]


def full_entity(component_name, entity_id):
    """An entity with every documented property set to a valid value."""
    props = COMPONENTS[component_name]["properties"]
    entity = {name: example_value(p) for name, p in props.items()}
    entity["id"] = entity_id
    entity["is_deleted"] = False
    return entity


def component_of(op):
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    ref = schema["items"]["$ref"] if schema.get("type") == "array" else schema["$ref"]
    return ref.rsplit("/", 1)[1]


@pytest.fixture
def http(sense_emulator):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sense_emulator.token()}"
    yield session
    session.close()


def test_the_emulator_serves_exactly_the_documented_routes():
    documented = {(method, api_path(path)) for path, method, _ in operations()}
    served = set(routes())
    assert served == documented, {"undocumented": served - documented, "missing": documented - served}


def test_token_operation(sense_emulator):
    op = SPEC["paths"][TOKEN_PATH]["post"]
    form_schema = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    fields = set(resolve(form_schema)["properties"])
    form = {"client_id": sense_emulator.client_id, "client_secret": sense_emulator.client_secret,
            "grant_type": "client_credentials"}
    assert set(form) == fields
    check_response(requests.post(sense_emulator.base_url + TOKEN_PATH, data=form), op, 200)


@pytest.mark.parametrize("path, method, op", [o for o in operations() if o[1] == "POST" and o[0].count("/") == 1],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_batch_upsert_operations(sense_emulator, http, path, method, op):
    url = sense_emulator.base_url + api_path(path)
    name = component_of(op)
    body_schema = to_json_schema(op["requestBody"]["content"]["application/json"]["schema"])
    items = [full_entity(name, "e1"), {"id": "e2"}]
    jsonschema.validate(items, body_schema)
    check_response(http.post(url, json=items), op, 201)
    check_response(http.post(url, json=[{"id": "e3", "not_a_documented_field": 1}]), op, 400)
    check_response(http.post(url, json=[{"id": str(i)} for i in range(body_schema["maxItems"] + 1)]), op, 400)
    check_response(http.post(url, json=[]), op, 400)
    big = gzip.compress(orjson.dumps([{"id": "e4", "id_padding": os.urandom(300_000).hex()}]))
    check_response(http.post(url, data=big, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}), op, 413)
    assert sense_emulator.admin.entity(path.strip("/"), "e1") == items[0]


@pytest.mark.parametrize("path, method, op", [o for o in operations() if o[0].endswith("/{id}")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_single_entity_operations(sense_emulator, http, path, method, op):
    collection = path.split("/")[1]
    post_op = SPEC["paths"]["/" + collection]["post"]
    entity = full_entity(component_of(post_op), "42")
    assert http.post(f"{sense_emulator.api_url}/{collection}", json=[entity]).status_code == 201
    url = sense_emulator.base_url + api_path(path)
    if method == "GET":
        found = check_response(http.get(url.replace("{id}", "42")), op, 200)
        assert found.json()["data"] == entity and found.json()["resource_id"] == "42"
        check_response(http.get(url.replace("{id}", "404")), op, 404)
    else:
        schema = resolve(op["requestBody"]["content"]["application/json"]["schema"])
        some = sorted(n for n, p in schema["properties"].items() if resolve(p).get("type") == "string" and n != "id")[0]
        check_response(http.patch(url.replace("{id}", "42"), json={some: "patched"}), op, 201)
        assert sense_emulator.admin.entity(collection, "42")[some] == "patched"
        check_response(http.patch(url.replace("{id}", "42"), json={"not_a_documented_field": 1}), op, 400)


@pytest.mark.parametrize("path, method, op", [o for o in operations() if "possible-values" in o[0]],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_possible_values_operations(sense_emulator, http, path, method, op):
    collection = path.split("/")[1]
    props = COMPONENTS[component_of(SPEC["paths"]["/" + collection]["post"])]["properties"]
    field = "status" if "status" in props else sorted(n for n, p in props.items() if p.get("type") == "string")[0]
    url = (sense_emulator.base_url + api_path(path)).replace("{fieldName}", field)
    if method == "GET":
        check_response(http.get(url), op, 200)
        check_response(http.get(url.replace(f"/{field}", "/not_a_field")), op, 400)
    else:
        example = op["requestBody"]["content"]["application/json"]["example"]
        put = check_response(http.put(url, json=example), op, 200)
        assert put.json()["data"]["possibleValues"] == example
        check_response(http.put(url, json=[{"label": "no value"}]), op, 400)
        get_op = SPEC["paths"][path]["get"]
        got = check_response(http.get(url), get_op, 200).json()["data"]["values"]
        assert [{"label": v["label"], "value": v["value"]} for v in got] == example


def test_resume_operation_and_its_documented_errors(sense_emulator, http):
    path = "/candidates/{id}/resume"
    op = SPEC["paths"][path]["post"]
    assert http.post(f"{sense_emulator.api_url}/candidates", json=[{"id": "7"}]).status_code == 201
    url = sense_emulator.base_url + api_path(path).replace("{id}", "7")
    content = op["requestBody"]["content"]["multipart/form-data"]
    form = {k: v for k, v in content["example"].items() if k != "file"}
    assert set(content["schema"]["required"]) <= set(form) | {"file"}
    files = {"file": (form["file_name"], b"%PDF-1.4 example", "application/pdf")}
    check_response(http.post(url, data=form, files=files), op, 201)

    examples = op["responses"]["400"]["content"]["application/json"]["examples"]
    requests_for = {
        "invalid_content_type": lambda: http.post(url, json=form),
        "invalid_extension": lambda: http.post(url, data=dict(form, file_extension="exe"), files=files),
        "missing_file": lambda: http.post(url, data=form, files={"other": ("x", b"x")}),
        "missing_file_extension": lambda: http.post(
            url, data={k: v for k, v in form.items() if k != "file_extension"}, files=files),
    }
    assert set(requests_for) == set(examples), "a documented example is not exercised"
    for name, send in requests_for.items():
        response = check_response(send(), op, 400, complete=False)  # the examples have no "warnings"
        assert response.json() == examples[name]["value"], name
