"""bullhorn-emulator: picklist metadata (meta/{Entity}) and candidate file attachments, over real HTTP."""
from __future__ import annotations

import base64
import hashlib
import threading

import pytest
import requests

from bullhorn_emulator import files, picklists
from bullhorn_emulator.data import DEFAULT_COUNTS, ENTITY_FIELDS, generate
from bullhorn_emulator.config import Settings
from bullhorn_emulator.transport import make_server
from sense_api.limits import MAX_RESUME_BYTES, RESUME_EXTENSIONS

pytestmark = [pytest.mark.timeout(60)]

CLIENT = {"client_id": Settings.client_id, "client_secret": Settings.client_secret}


@pytest.fixture(scope="module")
def server():
    srv = make_server(Settings(seed=5, counts={**DEFAULT_COUNTS, "Candidate": 80}))
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    refresh = requests.post(f"{base}/_admin/refresh-token", timeout=10).json()["refresh_token"]
    access = requests.post(f"{base}/oauth/token", data={**CLIENT, "grant_type": "refresh_token", "refresh_token": refresh}, timeout=10).json()["access_token"]
    login = requests.post(f"{base}/rest-services/login", params={"version": "*", "access_token": access}, timeout=10).json()
    yield base, login["restUrl"], {"BhRestToken": login["BhRestToken"]}, srv.state
    srv.shutdown()
    srv.server_close()


def test_every_seeded_picklist_value_is_one_of_its_fields_options():
    store = generate(9, {entity: 60 for entity in ENTITY_FIELDS})
    checked = 0
    for entity, spec in ENTITY_FIELDS.items():
        for name, kind in spec:
            if kind not in picklists.PICKLIST_KINDS:
                continue
            allowed = {option["value"] for option in picklists.options(kind)}
            for record in store.records[entity]:
                if record.get(name) is not None:
                    assert record[name] in allowed, (entity, name, record[name])
                    checked += 1
    assert checked > 1000


def test_meta_serves_options_for_picklists_only(server):
    _, rest, headers, _ = server
    body = requests.get(f"{rest}meta/Candidate", params={"fields": "status,gender,firstName", "meta": "full"}, headers=headers, timeout=10).json()
    assert body["entity"] == "Candidate"
    by_name = {f["name"]: f for f in body["fields"]}
    assert by_name["status"]["inputType"] == "SELECT"
    assert [o["value"] for o in by_name["status"]["options"]] == ["New Lead", "Active", "Available", "Placed", "Passive", "DNU"]
    assert {"value": "M", "label": "Male"} in by_name["gender"]["options"]
    assert "options" not in by_name["firstName"]
    everything = requests.get(f"{rest}meta/JobOrder", params={"fields": "*"}, headers=headers, timeout=10).json()
    assert len(everything["fields"]) == len(ENTITY_FIELDS["JobOrder"])


def test_meta_unknown_entity_or_field_is_404_and_needs_a_session(server):
    _, rest, headers, _ = server
    assert requests.get(f"{rest}meta/Nope", headers=headers, timeout=10).status_code == 404
    assert requests.get(f"{rest}meta/Candidate", params={"fields": "shoeSize"}, headers=headers, timeout=10).status_code == 404
    assert requests.get(f"{rest}meta/Candidate", timeout=10).status_code == 412


def test_seeded_files_include_the_bad_cases():
    store = generate(5, {**DEFAULT_COUNTS, "Candidate": 80})
    attached = [a for group in files.seed_attachments(5, store).values() for a in group]
    assert len(attached) >= 25
    assert {a.extension for a in attached} - set(RESUME_EXTENSIONS), "no attachment of a type Sense refuses"
    assert any(a.size > MAX_RESUME_BYTES for a in attached)
    assert any(a.extension in RESUME_EXTENSIONS and a.size <= MAX_RESUME_BYTES for a in attached)
    again = [a for group in files.seed_attachments(5, store).values() for a in group]
    assert again == attached and again[0].content() == attached[0].content()  # same seed, same files
    assert all(len(a.content()) == a.size for a in attached[:20])


def test_file_endpoints_list_and_download_the_same_bytes(server):
    base, rest, headers, state = server
    candidate_id, attached = next(iter(state.attachments.items()))
    attachment = attached[0]
    listed = requests.get(f"{rest}entityFiles/Candidate/{candidate_id}", headers=headers, timeout=10).json()["EntityFiles"]
    assert [f["id"] for f in listed] == [a.id for a in attached]
    meta = requests.get(f"{rest}entity/Candidate/{candidate_id}/fileAttachments", headers=headers, timeout=10).json()["data"]
    assert meta[0]["fileSize"] == attachment.size and meta[0]["fileExtension"] == f".{attachment.extension}"
    assert meta[0]["candidate"] == {"id": candidate_id} and meta[0]["dateAdded"] > 0
    raw = requests.get(f"{rest}file/Candidate/{candidate_id}/{attachment.id}/raw", headers=headers, timeout=10)
    assert raw.status_code == 200 and raw.headers["Content-Type"] == attachment.content_type
    encoded = requests.get(f"{rest}file/Candidate/{candidate_id}/{attachment.id}", headers=headers, timeout=10).json()["File"]
    assert base64.b64decode(encoded["fileContent"]) == raw.content == attachment.content()
    truth = {f["id"]: f["sha256"] for f in requests.get(f"{base}/_admin/files", timeout=30).json()["files"]}
    assert truth[attachment.id] == hashlib.sha256(raw.content).hexdigest()


def test_file_endpoints_unknown_candidate_or_file_is_404(server):
    _, rest, headers, state = server
    without = next(c["id"] for c in state.store.records["Candidate"] if c["id"] not in state.attachments)
    assert requests.get(f"{rest}entityFiles/Candidate/{without}", headers=headers, timeout=10).json() == {"EntityFiles": []}
    assert requests.get(f"{rest}entityFiles/Candidate/1", headers=headers, timeout=10).status_code == 404
    assert requests.get(f"{rest}file/Candidate/{without}/12345/raw", headers=headers, timeout=10).status_code == 404
