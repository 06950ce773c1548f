"""Every operation of the emulated Sense API and every documented error, through real HTTP."""
from __future__ import annotations

import gzip

import orjson
import pytest
import requests

from sense_api.entities import BY_COLLECTION, COLLECTIONS
from sense_api.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_BATCH_RECORDS, MAX_RESUME_BYTES, RESUME_EXTENSIONS


class Api:
    """requests.Session with a bearer token for the emulator's /v1."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.url = emulator.api_url
        self.session = requests.Session()
        self.token = emulator.token()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def post(self, collection, items, gzip_body=False, headers=None, **kwargs):
        body = orjson.dumps(items) if not isinstance(items, bytes) else items
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if gzip_body:
            body = gzip.compress(body)
            hdrs["Content-Encoding"] = "gzip"
        return self.session.post(f"{self.url}/{collection}", data=body, headers=hdrs, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.session.get(f"{self.url}/{path}", timeout=30, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.session.patch(f"{self.url}/{path}", json=body, timeout=30, **kwargs)

    def put(self, path, body, **kwargs):
        return self.session.put(f"{self.url}/{path}", json=body, timeout=30, **kwargs)


@pytest.fixture
def api(sense_emulator):
    client = Api(sense_emulator)
    yield client
    client.session.close()


def assert_accepted(response):
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"message", "request_id"}
    assert body["request_id"] in body["message"]
    return body


def assert_errors(response, status=400):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["warnings"] == []
    assert body["errors"], body
    for err in body["errors"]:
        assert set(err) == {"entity_id", "message", "path"}
        assert isinstance(err["message"], str) and err["message"]
        assert all(isinstance(p, str) for p in err["path"])
    return body["errors"]


# -- token endpoint ---------------------------------------------------------------------------

def test_token_success_shape(sense_emulator):
    response = requests.post(sense_emulator.token_url, data={
        "client_id": sense_emulator.client_id, "client_secret": sense_emulator.client_secret,
        "grant_type": "client_credentials",
    })
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == sense_emulator.token_ttl
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 20
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("form, status, error", [
    ({"client_id": "sandbox-client", "client_secret": "wrong", "grant_type": "client_credentials"}, 401, "invalid_client"),
    ({"client_id": "someone-else", "client_secret": "sandbox-secret", "grant_type": "client_credentials"}, 401, "invalid_client"),
    ({"client_id": "sandbox-client", "grant_type": "client_credentials"}, 401, "invalid_client"),
    ({"client_id": "sandbox-client", "client_secret": "sandbox-secret", "grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"client_id": "sandbox-client", "client_secret": "sandbox-secret"}, 400, "invalid_request"),
])
def test_token_rejections(sense_emulator, form, status, error):
    response = requests.post(sense_emulator.token_url, data=form)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert sense_emulator.admin.stats()["token_rejected"] == 1


def test_token_accepts_http_basic_client_authentication(sense_emulator):
    response = requests.post(
        sense_emulator.token_url, data={"grant_type": "client_credentials"},
        auth=(sense_emulator.client_id, sense_emulator.client_secret),
    )
    assert response.status_code == 200


def test_token_wants_a_form_body(sense_emulator):
    response = requests.post(sense_emulator.token_url, json={
        "client_id": sense_emulator.client_id, "client_secret": sense_emulator.client_secret,
        "grant_type": "client_credentials",
    })
    assert response.status_code == 400


def test_token_endpoint_only_posts(sense_emulator):
    assert requests.get(sense_emulator.token_url).status_code == 405


# -- bearer check -----------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer "}])
@pytest.mark.parametrize("method, path", [("POST", "candidates"), ("GET", "candidates/1"), ("PATCH", "candidates/1"),
                                          ("GET", "candidates/possible-values/status"),
                                          ("PUT", "candidates/possible-values/status"),
                                          ("POST", "candidates/1/resume"), ("GET", "no-such-collection")])
def test_every_v1_request_needs_a_valid_token(sense_emulator, headers, method, path):
    response = requests.request(method, f"{sense_emulator.api_url}/{path}", headers=headers, data=b"[]")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert sense_emulator.admin.counts()["candidates"] == 0


def test_expired_token_is_refused(sense_emulator_factory):
    import time

    emulator = sense_emulator_factory(token_ttl=1)
    token = emulator.token()
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{emulator.api_url}/candidates/1", headers=headers).status_code == 404
    time.sleep(1.2)
    assert requests.get(f"{emulator.api_url}/candidates/1", headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {emulator.token()}"}
    assert requests.get(f"{emulator.api_url}/candidates/1", headers=fresh).status_code == 404


def test_custom_credentials(sense_emulator_factory):
    emulator = sense_emulator_factory(client_id="acme", client_secret="s3cret!")
    ok = requests.post(emulator.token_url, data={"client_id": "acme", "client_secret": "s3cret!", "grant_type": "client_credentials"})
    assert ok.status_code == 200
    bad = requests.post(emulator.token_url, data={"client_id": "sandbox-client", "client_secret": "sandbox-secret", "grant_type": "client_credentials"})
    assert bad.status_code == 401


# -- POST /v1/{collection} --------------------------------------------------------------------

@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("gzip_body", [False, True])
def test_upsert_every_collection(api, sense_emulator, collection, gzip_body):
    items = [{"id": "a1"}, {"id": "a2", "is_deleted": False}]
    assert_accepted(api.post(collection, items, gzip_body=gzip_body))
    stored = sense_emulator.admin.entities_by_id(collection)
    assert stored == {"a1": {"id": "a1"}, "a2": {"id": "a2", "is_deleted": False}}
    stats = sense_emulator.admin.collection_stats(collection)
    assert stats["records"] == 2 and stats["requests"] == 1 and stats["largest_batch"] == 2
    log = sense_emulator.admin.requests()[-1]
    assert log["content_encoding"] == ("gzip" if gzip_body else "identity")
    assert log["bytes_raw"] == len(orjson.dumps(items))
    assert (log["bytes"] != log["bytes_raw"]) == gzip_body


def test_upsert_replaces_the_whole_entity(api, sense_emulator):
    assert_accepted(api.post("candidates", [{"id": "1", "first_name": "Linus", "last_name": "Kerns"}]))
    assert_accepted(api.post("candidates", [{"id": "1", "first_name": "Lin"}]))
    assert api.get("candidates/1").json()["data"] == {"id": "1", "first_name": "Lin"}
    assert sense_emulator.admin.counts()["candidates"] == 1


def test_soft_delete_is_stored_with_its_flag(api, sense_emulator):
    assert_accepted(api.post("placements", [{"id": "p1", "status": "Active"}]))
    assert_accepted(api.post("placements", [{"id": "p1", "is_deleted": True}]))
    assert sense_emulator.admin.entity("placements", "p1") == {"id": "p1", "is_deleted": True}
    assert api.get("placements/p1").json()["data"]["is_deleted"] is True
    assert sense_emulator.admin.stats()["soft_deleted"]["placements"] == 1


def test_full_batch_of_500_is_accepted_and_501_is_not(api, sense_emulator):
    batch = [{"id": str(i), "first_name": f"n{i}"} for i in range(MAX_BATCH_RECORDS + 1)]
    errors = assert_errors(api.post("candidates", batch, gzip_body=True))
    assert "501" in errors[0]["message"] and str(MAX_BATCH_RECORDS) in errors[0]["message"]
    assert sense_emulator.admin.counts()["candidates"] == 0
    assert_accepted(api.post("candidates", batch[:MAX_BATCH_RECORDS], gzip_body=True))
    assert sense_emulator.admin.counts()["candidates"] == MAX_BATCH_RECORDS
    stats = sense_emulator.admin.collection_stats("candidates")
    assert stats["largest_batch"] == MAX_BATCH_RECORDS
    assert stats["rejected"] == MAX_BATCH_RECORDS + 1 and stats["rejected_requests"] == 1


@pytest.mark.parametrize("item, field, words", [
    ({"id": "1", "favourite_colour": "blue"}, "favourite_colour", ["not a field"]),
    ({"id": "1", "first_name": 7}, "first_name", ["expected string", "integer"]),
    ({"id": "1", "custom_integer1": "7"}, "custom_integer1", ["expected integer", "string"]),
    ({"id": "1", "custom_integer1": 1.5}, "custom_integer1", ["expected integer"]),
    ({"id": "1", "active": "yes"}, "active", ["expected boolean"]),
    ({"id": "1", "custom_array1": "a"}, "custom_array1", ["array"]),
    ({"id": "1", "custom_array1": ["a", 2]}, "custom_array1", ["item 1"]),
    ({"id": "1", "date_added": "04/01/2020"}, "date_added", ["ISO 8601"]),
    ({"id": "1", "date_added": "2020-02-30T10:00:00Z"}, "date_added", ["ISO 8601"]),
    ({"id": "1", "custom_date1": "2020-04-01T10:30:00Z"}, "custom_date1", ["ISO 8601 date"]),
    ({"first_name": "A"}, "id", ["required"]),
    ({"id": ""}, "id", ["empty"]),
    ({"id": 12}, "id", ["expected string"]),
    ({"id": None}, "id", ["expected string"]),
])
def test_invalid_entity_rejects_the_whole_request(api, sense_emulator, item, field, words):
    batch = [{"id": "ok-0"}, {"id": "ok-1"}, {"id": "ok-2"}, item]
    errors = assert_errors(api.post("candidates", batch))
    assert len(errors) == 1
    err = errors[0]
    assert err["path"] == ["3", field]
    assert err["entity_id"] == (item.get("id") if isinstance(item.get("id"), str) and item.get("id") else None)
    assert err["message"].startswith(field)
    for word in words:
        assert word in err["message"], err["message"]
    assert sense_emulator.admin.counts()["candidates"] == 0  # nothing of a rejected request is stored
    assert sense_emulator.admin.collection_stats("candidates")["rejected"] == 4


def test_documented_datetime_examples_are_accepted(api):
    items = [{"id": "1", "date_added": "2020-04-01T10:30:00+0000"}, {"id": "2", "date_added": "2020-04-01T10:30:00-0700"},
             {"id": "3", "date_added": "2020-04-01T10:30:00Z"}, {"id": "4", "date_added": None}]
    assert_accepted(api.post("candidates", items))


def test_every_problem_is_reported(api):
    errors = assert_errors(api.post("candidates", [{"id": "1", "first_name": 1, "bogus": 2}, "not an object", {"id": "3"}]))
    assert [e["path"] for e in errors] == [["0", "first_name"], ["0", "bogus"], ["1"]]
    assert [e["entity_id"] for e in errors] == ["1", "1", None]


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"id": "1"}', b"null", b"[1", b"not json"])
def test_body_must_be_a_non_empty_json_array(api, body):
    errors = assert_errors(api.post("candidates", body))
    assert errors[0]["path"] == []


def test_compressed_body_over_the_limit_is_413(api, sense_emulator):
    import os

    noise = os.urandom(MAX_BATCH_COMPRESSED_BYTES).hex()  # incompressible
    body = gzip.compress(orjson.dumps([{"id": "1", "custom_text1": noise}]))
    assert len(body) > MAX_BATCH_COMPRESSED_BYTES
    response = api.post("candidates", body, headers={"Content-Encoding": "gzip"})
    errors = assert_errors(response, 413)
    assert str(f"{MAX_BATCH_COMPRESSED_BYTES:,}") in errors[0]["message"]
    assert sense_emulator.admin.counts()["candidates"] == 0


def test_compressible_body_just_under_the_limit_is_fine(api):
    items = [{"id": str(i), "description": "x" * 2000} for i in range(MAX_BATCH_RECORDS)]
    raw = orjson.dumps(items)
    assert len(raw) > MAX_BATCH_COMPRESSED_BYTES  # only its compressed size counts
    assert_accepted(api.post("job-orders", items, gzip_body=True))


def test_bad_gzip_and_unknown_encodings(api):
    assert_errors(api.post("candidates", b"\x1f\x8b not gzip", headers={"Content-Encoding": "gzip"}))
    truncated = gzip.compress(orjson.dumps([{"id": "1"}]))[:-6]
    assert_errors(api.post("candidates", truncated, headers={"Content-Encoding": "gzip"}))
    assert_errors(api.post("candidates", [{"id": "1"}], headers={"Content-Encoding": "br"}), 415)
    assert_errors(api.post("candidates", [{"id": "1"}], headers={"Content-Type": "text/csv"}), 415)


def test_unknown_collection_and_wrong_methods(api):
    assert api.session.post(f"{api.url}/employees", json=[{"id": "1"}]).status_code == 404
    response = api.session.get(f"{api.url}/candidates")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert api.session.delete(f"{api.url}/candidates/1").status_code == 405
    assert api.session.post(f"{api.url}/placements/1/resume").status_code == 404


# -- GET /v1/{collection}/{id} ----------------------------------------------------------------

@pytest.mark.parametrize("collection", COLLECTIONS)
def test_get_entity_and_404(api, collection):
    entity = {"id": "x/1 é", "custom_text1": "hello"}
    assert_accepted(api.post(collection, [entity]))
    response = api.get(f"{collection}/{requests.utils.quote(entity['id'], safe='')}")
    assert response.status_code == 200
    assert response.json() == {"data": entity, "errors": [], "resource_id": entity["id"]}
    missing = api.get(f"{collection}/nope")
    assert missing.status_code == 404
    body = missing.json()
    assert body["data"] == {} and body["resource_id"] == "nope"
    assert body["errors"][0]["entity_id"] == "nope"
    assert BY_COLLECTION[collection].name in body["errors"][0]["message"]


# -- PATCH /v1/{collection}/{id} --------------------------------------------------------------

def test_patch_changes_only_the_fields_present(api, sense_emulator):
    assert_accepted(api.post("candidates", [{"id": "123", "first_name": "Linus", "status": "Active"}]))
    assert_accepted(api.patch("candidates/123", {"status": "InActive", "city": None}))
    assert api.get("candidates/123").json()["data"] == {"id": "123", "first_name": "Linus", "status": "InActive", "city": None}
    assert sense_emulator.admin.collection_stats("candidates")["records"] == 2
    assert sense_emulator.admin.requests()[-2]["operation"] == "patch"


def test_patch_may_repeat_the_id_but_not_change_it(api):
    assert_accepted(api.post("companies", [{"id": "c1", "company_name": "Acme"}]))
    assert_accepted(api.patch("companies/c1", {"id": "c1", "company_name": "Acme Inc"}))
    errors = assert_errors(api.patch("companies/c1", {"id": "c2"}))
    assert errors[0]["path"] == ["id"]
    assert api.get("companies/c1").json()["data"]["company_name"] == "Acme Inc"


@pytest.mark.parametrize("body, field", [({"favourite_colour": "x"}, "favourite_colour"), ({"date_added": "yesterday"}, "date_added"),
                                         ({"first_name": 3}, "first_name"), ([{"first_name": "A"}], None)])
def test_patch_validation(api, body, field):
    assert_accepted(api.post("candidates", [{"id": "1", "first_name": "Linus"}]))
    errors = assert_errors(api.patch("candidates/1", body))
    assert errors[0]["entity_id"] == "1"
    assert errors[0]["path"] == ([field] if field else [])
    assert api.get("candidates/1").json()["data"] == {"id": "1", "first_name": "Linus"}


def test_patch_of_unknown_id_is_404_by_default(api, sense_emulator):
    response = api.patch("candidates/ghost", {"first_name": "Boo"})
    assert response.status_code == 404
    assert response.json()["resource_id"] == "ghost"
    assert sense_emulator.admin.counts()["candidates"] == 0


def test_patch_of_unknown_id_with_missing_entity_accept(sense_emulator_factory):
    emulator = sense_emulator_factory(missing_entity="accept")
    api = Api(emulator)
    assert_accepted(api.patch("candidates/ghost", {"first_name": "Boo"}))
    assert emulator.admin.counts()["candidates"] == 0


# -- possible values --------------------------------------------------------------------------

def test_possible_values_roundtrip(api):
    empty = api.get("job-orders/possible-values/employment_type")
    assert empty.status_code == 200
    assert empty.json() == {"data": {"field_name": "employment_type", "object_name": "JobOrder", "values": None},
                            "resource_id": "employment_type"}
    values = [{"label": "Hourly", "value": "hourly"}, {"label": "Days", "value": 1.5}, {"label": "Yes", "value": True}]
    put = api.put("job-orders/possible-values/employment_type", values)
    assert put.status_code == 200
    assert put.json() == {"data": {"field_name": "employment_type", "object_name": "JobOrder", "possibleValues": values,
                                   "updated": True}, "resource_id": "employment_type"}
    again = api.put("job-orders/possible-values/employment_type", values)
    assert again.json()["data"]["updated"] is False
    got = api.get("job-orders/possible-values/employment_type").json()["data"]["values"]
    assert got == [dict(v, associationValue=None) for v in values]
    # other collections and fields are separate
    assert api.get("placements/possible-values/employment_type").json()["data"]["values"] is None
    assert api.get("job-orders/possible-values/status").json()["data"]["values"] is None


@pytest.mark.parametrize("body, path", [
    ({"label": "a", "value": "b"}, []),
    ([{"label": "a"}], ["0", "value"]),
    ([{"value": "a"}], ["0", "label"]),
    ([{"label": 1, "value": "a"}], ["0", "label"]),
    ([{"label": "a", "value": None}], ["0", "value"]),
    ([{"label": "a", "value": ["x"]}], ["0", "value"]),
    (["hourly"], ["0"]),
])
def test_possible_values_put_validation(api, body, path):
    errors = assert_errors(api.put("candidates/possible-values/status", body))
    assert errors[0]["path"] == path
    assert api.get("candidates/possible-values/status").json()["data"]["values"] is None


def test_possible_values_of_an_unknown_field(api):
    assert_errors(api.get("candidates/possible-values/favourite_colour"))
    assert_errors(api.put("candidates/possible-values/favourite_colour", [{"label": "a", "value": "a"}]))


# -- resume upload ----------------------------------------------------------------------------

RESUME_FORM = {"resume_id": "RES-1", "file_extension": "pdf", "date_created": "2026-01-20T08:00:00Z",
               "date_updated": "2026-03-15T10:30:00Z", "file_name": "linus.pdf"}


def _resume_errors(response):
    assert response.status_code == 400, response.text
    return [e["message"] for e in response.json()["errors"]]


def test_resume_upload(api, sense_emulator):
    assert_accepted(api.post("candidates", [{"id": "42"}]))
    content = b"%PDF-1.4 resume"
    response = api.session.post(f"{api.url}/candidates/42/resume", data=RESUME_FORM,
                                files={"file": ("cv.pdf", content, "application/pdf")})
    assert_accepted(response)
    (resume,) = sense_emulator.admin.resumes("42")
    assert resume["resume_id"] == "RES-1" and resume["file_name"] == "linus.pdf" and resume["size"] == len(content)
    assert resume["file_extension"] == "pdf" and resume["content_type"] == "application/pdf"
    import hashlib

    assert resume["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("extension", RESUME_EXTENSIONS)
def test_resume_every_documented_extension(api, extension):
    assert_accepted(api.post("candidates", [{"id": "42"}]))
    form = dict(RESUME_FORM, file_extension=extension)
    form.pop("file_name")
    assert_accepted(api.session.post(f"{api.url}/candidates/42/resume", data=form, files={"file": ("cv", b"x")}))


def test_resume_wrong_content_type(api):
    response = api.session.post(f"{api.url}/candidates/42/resume", json=RESUME_FORM)
    assert _resume_errors(response) == ["Content-Type must be multipart/form-data"]


@pytest.mark.parametrize("extension", ["exe", "PDFX", "", "jpg"])
def test_resume_bad_extension(api, extension):
    assert_accepted(api.post("candidates", [{"id": "42"}]))
    form = dict(RESUME_FORM, file_extension=extension)
    response = api.session.post(f"{api.url}/candidates/42/resume", data=form, files={"file": ("cv", b"x")})
    expected = ("Missing required form field: file_extension" if not extension else
                "Invalid file_extension. Allowed: " + ", ".join(sorted(RESUME_EXTENSIONS)))
    assert _resume_errors(response) == [expected]


@pytest.mark.parametrize("missing", ["file", "resume_id", "file_extension", "date_updated", "date_created"])
def test_resume_missing_field(api, missing):
    assert_accepted(api.post("candidates", [{"id": "42"}]))
    form = {k: v for k, v in RESUME_FORM.items() if k != missing}
    files = {} if missing == "file" else {"file": ("cv.pdf", b"x")}
    if missing == "file":
        files = {"other": ("x.txt", b"x")}  # still multipart
    response = api.session.post(f"{api.url}/candidates/42/resume", data=form, files=files)
    assert _resume_errors(response) == [f"Missing required form field: {missing}"]


def test_resume_too_large_bad_dates_and_unknown_candidate(api):
    assert_accepted(api.post("candidates", [{"id": "42"}]))
    url = f"{api.url}/candidates/42/resume"
    big = api.session.post(url, data=RESUME_FORM, files={"file": ("cv.pdf", b"x" * (MAX_RESUME_BYTES + 1))})
    assert "4 MB" in _resume_errors(big)[0]
    exact = api.session.post(url, data=RESUME_FORM, files={"file": ("cv.pdf", b"x" * MAX_RESUME_BYTES)})
    assert_accepted(exact)
    bad_date = api.session.post(url, data=dict(RESUME_FORM, date_created="yesterday"), files={"file": ("cv.pdf", b"x")})
    assert "date_created" in _resume_errors(bad_date)[0]
    unknown = api.session.post(f"{api.url}/candidates/404/resume", data=RESUME_FORM, files={"file": ("cv.pdf", b"x")})
    assert unknown.status_code == 404


def test_chunked_request_body(api, sense_emulator):
    chunks = iter([b'[{"id": "ch', b'unk"}]'])
    response = api.session.post(f"{api.url}/companies", data=chunks, headers={"Content-Type": "application/json"})
    assert_accepted(response)
    assert sense_emulator.admin.entity("companies", "chunk") == {"id": "chunk"}
    assert sense_emulator.admin.requests()[-1]["bytes"] == len(b'[{"id": "chunk"}]')


def test_concurrent_clients(sense_emulator):
    from concurrent.futures import ThreadPoolExecutor

    token = sense_emulator.token()

    def worker(n):
        with requests.Session() as s:
            s.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            statuses = []
            for k in range(10):
                batch = [{"id": f"w{n}-{k}-{i}", "first_name": str(n)} for i in range(50)]
                statuses.append(s.post(f"{sense_emulator.api_url}/candidates", data=gzip.compress(orjson.dumps(batch)),
                                       headers={"Content-Encoding": "gzip"}).status_code)
                statuses.append(s.patch(f"{sense_emulator.api_url}/candidates/w{n}-{k}-0", json={"last_name": "L"}).status_code)
            return statuses

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(worker, range(6)))
    assert all(code == 201 for statuses in results for code in statuses)
    assert sense_emulator.admin.counts()["candidates"] == 6 * 10 * 50
    stats = sense_emulator.admin.collection_stats("candidates")
    assert stats["requests"] == 6 * 10 * 2 and stats["records"] == 6 * 10 * 51
    assert sense_emulator.admin.entity("candidates", "w3-7-0") == {"id": "w3-7-0", "first_name": "3", "last_name": "L"}
