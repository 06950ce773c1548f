"""Every preset against sample records shaped like its source's published stream schemas.

Each sample goes through the preset's mapping, the destination's normaliser and the compiled Sense
schema check; there must be no problem at all, and the key fields must carry the expected values.
"""
import importlib.util
import json
import re
from pathlib import Path

import pytest

from bullhorn_emulator.data import generate
from destination_sense.mapping import PRESETS, build_mappings, load_preset
from destination_sense.normalize import RecordNormalizer
from sense_api.compiled_schema import compiled
from sense_api.entities import BY_COLLECTION
from sense_api import bullhorn

ROOT = Path(__file__).resolve().parents[1]
SOURCE_SCHEMAS = ROOT / "source-ats" / "source_ats" / "schemas"


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def to_sense(preset_table, stream, record):
    """Map, normalise and validate one record; returns the Sense record, failing on any problem."""
    mapping = preset_table[stream]
    unknown = []
    normalizer = RecordNormalizer(mapping.entity, on_unknown_field=unknown.append)
    out, problems = normalizer(mapping(record))
    errors = compiled(mapping.collection).errors(out)
    assert problems == [] and errors == [] and unknown == [], (stream, problems, errors, unknown)
    return out


# ---------------------------------------------------------------- all presets


@pytest.mark.parametrize("preset", [p for p in PRESETS if p != "none"])
def test_preset_targets_exist_and_every_stream_maps_id(preset):
    document = load_preset(preset)
    assert document["name"] == preset
    assert document["streams"]
    for stream, spec in document["streams"].items():
        entity = BY_COLLECTION[spec["entity"]]  # presets name entities by their collection path
        assert "id" in spec["fields"], (preset, stream)
        assert set(spec["fields"]) <= set(entity.fields), (preset, stream, set(spec["fields"]) - set(entity.fields))
    assert set(build_mappings(preset)) == set(document["streams"])


def test_presets_constant_matches_the_files():
    files = {p.stem for p in (ROOT / "destination_sense" / "presets").glob("*.json")}
    assert files == set(PRESETS) - {"none", "bullhorn"}  # bullhorn: built from sense_api's correspondence


def test_none_maps_nothing():
    assert build_mappings("none") == {}


# ---------------------------------------------------------------- bullhorn

BULLHORN_TARGET = bullhorn.STREAM_COLLECTION
CUSTOM_FAMILIES = (("customText", "custom_text"), ("customTextBlock", "custom_text_block"),
                   ("customDate", "custom_date"), ("customFloat", "custom_float"), ("customInt", "custom_integer"))
MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def _schema(stream):
    return json.loads((SOURCE_SCHEMAS / f"{stream}.json").read_text())


def _numbered(names, prefix):
    pattern = re.compile(re.escape(prefix) + r"(\d+)\Z")
    return max((int(m.group(1)) for n in names if (m := pattern.match(n))), default=0)


def _full_record(stream):
    """A record with every property of the source-ats stream schema filled with a plausible value."""
    record = {}
    for name, prop in _schema(stream)["properties"].items():
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        kind = next(t for t in types if t != "null")
        if kind == "object":
            record[name] = {sub: (11 if sub == "id" else f"{name}-{sub}") for sub in prop.get("properties", {"id": {}})}
        elif kind == "integer":
            record[name] = MS if name.startswith(("date", "userDate", "customDate", "startDate", "endDate")) else 3
        elif kind == "number":
            record[name] = 7.5
        elif kind == "boolean":
            record[name] = True
        else:
            record[name] = f"{name} text"
    record["id"] = 101
    if "isPublic" in record:
        record["isPublic"] = 1  # Bullhorn allows -1, 0 and 1 only
    return record


def test_bullhorn_covers_every_source_ats_stream_with_the_right_entity():
    table = build_mappings("bullhorn")
    assert {stream: m.collection for stream, m in table.items()} == BULLHORN_TARGET
    # every entity stream; picklist_options and candidate_files are the preset's possible_values and resumes
    assert set(BULLHORN_TARGET) == {p.stem for p in SOURCE_SCHEMAS.glob("*.json")} - {"picklist_options", "candidate_files"}
    document = load_preset("bullhorn")
    assert document["possible_values"]["stream"] == "picklist_options"
    assert document["resumes"]["stream"] == "candidate_files"
    assert set(document["possible_values"]["entities"].values()) == set(BULLHORN_TARGET)


@pytest.mark.parametrize("stream", sorted(BULLHORN_TARGET))
def test_bullhorn_maps_every_custom_field_sense_has_a_slot_for(stream):
    mapping = build_mappings("bullhorn")[stream]
    source_fields = _schema(stream)["properties"]
    for bh_prefix, sense_prefix in CUSTOM_FAMILIES:
        n = min(_numbered(source_fields, bh_prefix), _numbered(mapping.entity.fields, sense_prefix))
        mapped = {f for f in mapping.fields if re.fullmatch(re.escape(sense_prefix) + r"\d+", f)}
        assert mapped == {f"{sense_prefix}{i}" for i in range(1, n + 1)}, (stream, bh_prefix)


def test_bullhorn_preset_is_the_correspondence_in_the_mapping_language():
    """Each field pair compiles to an expression reading its Bullhorn path(s) through its conversion's Bullhorn → Sense form."""
    document = load_preset("bullhorn")
    for pair in bullhorn.streams():
        spec = document["streams"][pair.stream]
        assert spec["entity"] == pair.collection
        assert set(spec["fields"]) == set(pair.fields)
    assert document["possible_values"]["entities"] == {e: s for s, e in bullhorn.STREAM_ENTITY.items()}
    assert set(document["resumes"]["fields"]) == set(bullhorn.file_fields())


# A Bullhorn value per conversion, and the Sense value the destination makes of it.
ROUND_TRIPS = {
    "epoch_ms": (1_700_000_000_123, "2023-11-14T22:13:20.123+00:00"),
    "epoch_ms_date": (1_700_006_400_000, "2023-11-15"),  # midnight UTC: the date goes back to the same instant
    "split": ("Java,SQL", ["Java", "SQL"]),
    "round": (8, 8),
    "public_flag": (1, True),
}


def test_every_conversion_of_the_correspondence_has_a_round_trip_case():
    assert set(ROUND_TRIPS) == set(bullhorn.document()["conversions"])


@pytest.mark.parametrize("pair", [p for s in bullhorn.streams() for p in s.fields.values() if p.conversion]
                         + [p for p in bullhorn.file_fields().values() if p.conversion], ids=lambda p: p.sense)
def test_each_conversion_and_its_inverse_give_back_the_bullhorn_value(pair):
    """Bullhorn → Sense by the destination's compiled expression, Sense → Bullhorn by the forwarder's inverse."""
    from destination_sense.mapping_expressions import compile_expression

    bullhorn_value, sense_value = ROUND_TRIPS[pair.conversion]
    head, _, sub = pair.path.partition(".")
    record = {head: {sub: bullhorn_value} if sub else bullhorn_value}
    mapped = compile_expression(bullhorn.to_sense_expression(pair))(record)
    assert mapped == sense_value
    assert bullhorn.to_bullhorn(pair, mapped) == bullhorn_value


@pytest.mark.parametrize("stream", sorted(BULLHORN_TARGET))
def test_bullhorn_full_records_map_to_valid_sense_records(stream):
    out = to_sense(build_mappings("bullhorn"), stream, _full_record(stream))
    assert out["id"] == "101"
    if "date_last_modified" in out:
        assert out["date_last_modified"] == "2023-11-14T22:13:20+00:00"
    for name, value in out.items():
        if name.startswith("custom_date"):
            assert value == "2023-11-14"
        if name.startswith("custom_text") and not name.startswith("custom_text_block"):
            assert value == "customText" + name[len("custom_text"):] + " text"


@pytest.mark.parametrize("stream", sorted(BULLHORN_TARGET))
def test_bullhorn_emulator_records_map_to_valid_sense_records(stream):
    """Records as source-ats reads them from the Bullhorn emulator (its fields only)."""
    store = generate(11, {entity: 30 for entity in bullhorn.STREAM_ENTITY.values()})
    fields = set(_schema(stream)["properties"])
    table = build_mappings("bullhorn")
    for raw in store.records[bullhorn.STREAM_ENTITY[stream]]:
        record = {k: v for k, v in raw.items() if k in fields}
        out = to_sense(table, stream, record)
        assert out["id"] == str(raw["id"])


def test_bullhorn_key_fields():
    table = build_mappings("bullhorn")
    candidate = to_sense(table, "candidates", {
        "id": 5, "firstName": "Ava", "lastName": "Smith", "owner": {"id": 7, "firstName": "Liam"},
        "dateAdded": MS, "dateOfBirth": 40_000_000_000, "mobile": "555", "phone": "444",
        "address": {"address1": "1 Main St", "city": "Boston", "state": "MA", "zip": "02110", "countryID": 1},
        "skillSet": "Java, SQL", "isDeleted": False, "massMailOptOut": True, "customText7": "Gold",
        "customDate2": MS, "customFloat1": 2.5, "customInt3": 9, "customTextBlock1": "long",
    })
    assert candidate == {
        "id": "5", "first_name": "Ava", "last_name": "Smith", "internal_user_id": "7",
        "date_added": "2023-11-14T22:13:20+00:00", "date_of_birth": "1971-04-08",
        "mobile_phone": "555", "home_phone": "444", "address1": "1 Main St", "city": "Boston", "state": "MA",
        "zipcode": "02110", "skills": ["Java", "SQL"], "is_deleted": False, "opt_out_email": True,
        "custom_text7": "Gold", "custom_date2": "2023-11-14", "custom_float1": 2.5, "custom_integer3": 9,
        "custom_text_block1": "long",
    }
    placement = to_sense(table, "placements", {
        "id": 1, "candidate": {"id": 2}, "jobOrder": {"id": 3}, "jobSubmission": {"id": 4},
        "billingClientContact": {"id": 5}, "hoursPerDay": 7.5, "dateBegin": MS, "clientBillRate": 80.0,
    })
    assert placement == {"id": "1", "candidate_id": "2", "job_order_id": "3", "submission_id": "4",
                         "client_contact_id": "5", "hours_per_day": 8,
                         "date_start": "2023-11-14T22:13:20+00:00", "bill_rate": 80.0}
    job = to_sense(table, "job_orders", {"id": 9, "isPublic": -1, "clientCorporation": {"id": 4}, "skillList": "CPR,BLS"})
    assert job == {"id": "9", "is_public": False, "company_id": "4", "skills": ["CPR", "BLS"]}
    assert to_sense(table, "job_orders", {"id": 9, "isPublic": 1})["is_public"] is True
    submission = to_sense(table, "job_submissions", {"id": 1, "sendingUser": {"id": 8}, "candidate": {"id": 2}, "jobOrder": {"id": 3}})
    assert submission == {"id": "1", "sending_user_id": "8", "candidate_id": "2", "job_order_id": "3"}
    cert = to_sense(table, "candidate_certifications", {"id": 1, "certification": {"id": 3, "name": "CPA"}, "dateExpiration": MS})
    assert cert == {"id": "1", "name": "CPA", "date_expiration": "2023-11-14"}
    # CDC deletes still arrive as is_deleted
    assert to_sense(table, "leads", {"id": 1, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}) == {"id": "1", "is_deleted": True}


# ---------------------------------------------------------------- greenhouse (Harvest v3 stream schemas)


def test_greenhouse_samples():
    table = build_mappings("greenhouse")
    user = to_sense(table, "users", {
        "id": 11, "first_name": "Ana", "last_name": "Ruiz", "primary_email": "ana@co.io", "emails": ["ana@co.io", "a2@co.io"],
        "deactivated": False, "job_title": "Recruiter", "created_at": "2024-01-02T03:04:05.000Z", "updated_at": "2024-02-02T03:04:05.000Z",
        "site_admin": True, "department_ids": [1], "custom_fields": {},
    })
    assert user["id"] == "11" and user["email"] == "ana@co.io" and user["email2"] == "a2@co.io"
    assert user["active"] is True and user["title"] == "Recruiter"
    assert user["date_added"] == "2024-01-02T03:04:05.000Z"
    candidate = to_sense(table, "candidates", {
        "id": 21, "first_name": "Kai", "last_name": "Ng", "preferred_name": "K", "title": "Engineer", "company": "Acme",
        "email_addresses": [{"type": "personal", "value": "kai@me.io"}, {"type": "work", "value": "kai@acme.io"}],
        "phone_numbers": [{"type": "home", "value": "111"}, {"type": "mobile", "value": "222"}],
        "addresses": [{"type": "home", "value": "1 Main St, Boston"}], "can_email": False, "tags": ["java", "remote"],
        "created_at": "2024-01-02T03:04:05.000Z", "updated_at": "2024-03-02T03:04:05.000Z",
        "last_activity_at": "2024-03-03T00:00:00.000Z", "private": False, "linked_user_ids": [],
        "custom_fields": {"desired_salary": {"name": "Desired salary", "type": "number", "value": 1}},
    })
    assert candidate["email"] == "kai@me.io" and candidate["email2"] == "kai@acme.io"
    assert candidate["mobile_phone"] == "222" and candidate["home_phone"] == "111" and "work_phone" not in candidate
    assert candidate["opt_out_email"] is True and candidate["custom_array1"] == ["java", "remote"]
    assert candidate["address1"] == "1 Main St, Boston" and candidate["nick_name"] == "K"
    # the v1 shape: recruiter as an object, last_activity instead of last_activity_at
    v1 = to_sense(table, "candidates", {"id": 22, "recruiter": {"id": 5, "name": "R"}, "coordinator": None, "last_activity": "2020-01-01T00:00:00Z"})
    assert v1 == {"id": "22", "internal_user_id": "5", "date_last_activity": "2020-01-01T00:00:00Z"}
    job = to_sense(table, "jobs", {"id": 31, "name": "Backend Engineer", "status": "open", "requisition_id": "REQ-1",
                                   "opened_at": "2024-01-01T00:00:00.000Z", "closed_at": None, "notes": "<p>hi</p>"})
    assert job["title"] == "Backend Engineer" and job["custom_text1"] == "REQ-1" and job["date_end"] is None
    application = to_sense(table, "applications", {
        "id": 41, "candidate_id": 21, "job_id": 31, "status": "active", "recruiter_id": 11, "coordinator_id": None,
        "stage_name": "Phone Screen", "created_at": "2024-01-05T00:00:00.000Z", "updated_at": "2024-01-06T00:00:00.000Z",
        "prospect": False, "source_id": 7,
    })
    assert application["candidate_id"] == "21" and application["job_order_id"] == "31"
    assert application["internal_user_id"] == "11" and application["custom_text1"] == "Phone Screen"
    assert application["date_application"] == "2024-01-05T00:00:00.000Z"
    offer = to_sense(table, "offers", {"id": 51, "application_id": 41, "candidate_id": 21, "job_id": 31, "status": "Accepted",
                                       "starts_on": "2024-05-01", "sent_on": "2024-04-01", "version": 2,
                                       "created_at": "2024-04-01T00:00:00.000Z"})
    assert offer["submission_id"] == "41" and offer["date_start"] == "2024-05-01" and offer["status"] == "Accepted"
    interview = to_sense(table, "interviews", {
        "id": 61, "application_id": 41, "job_id": 31, "organizer_id": 11, "location": None,
        "video_conferencing_url": "https://meet.example/x", "starts_at": "2024-01-07T15:00:00.000Z",
        "ends_at": "2024-01-07T16:00:00.000Z", "all_day_start_on": None, "status": "scheduled",
    })
    assert interview["application_id"] == "41" and interview["owner_id"] == "11" and interview["type"] == "Interview"
    assert interview["location"] == "https://meet.example/x" and interview["is_all_day"] is False
    assert interview["date_start"] == "2024-01-07T15:00:00.000Z"


# ---------------------------------------------------------------- lever


def test_lever_samples():
    table = build_mappings("lever")
    active = to_sense(table, "users", {"id": "u-1", "name": "Ana Maria Ruiz", "email": "ana@co.io", "accessRole": "admin",
                                       "createdAt": MS, "deactivatedAt": None, "jobTitle": "Recruiter"})
    assert active == {"id": "u-1", "first_name": "Ana", "last_name": "Maria Ruiz", "email": "ana@co.io", "type": "admin",
                      "title": "Recruiter", "active": True, "date_added": "2023-11-14T22:13:20+00:00"}
    gone = to_sense(table, "users", {"id": "u-2", "name": "Bo", "deactivatedAt": MS})
    assert gone["active"] is False and gone["first_name"] == "Bo" and gone["last_name"] is None
    opportunity = to_sense(table, "opportunities", {
        "id": "o-1", "name": "Kai Ng", "contact": "c-1", "headline": "Engineer", "location": "Boston",
        "phones": [{"type": "mobile", "value": "222"}], "emails": ["kai@me.io"], "tags": ["java"], "sources": ["LinkedIn"],
        "owner": "u-1", "archived": {"reason": "r", "archivedAt": MS}, "createdAt": MS, "updatedAt": MS,
        "lastInteractionAt": MS, "stageChanges": [], "followers": ["u-1"], "applications": ["a-1"], "isAnonymized": False,
    })
    assert opportunity["first_name"] == "Kai" and opportunity["mobile_phone"] == "222" and opportunity["email"] == "kai@me.io"
    assert opportunity["is_archived"] is True and opportunity["internal_user_id"] == "u-1" and opportunity["source"] == "LinkedIn"
    assert to_sense(table, "opportunities", {"id": "o-2", "archived": None})["is_archived"] is False
    application = to_sense(table, "applications", {"id": "a-1", "type": "posting", "candidateId": "o-1", "opportunityId": "o-1",
                                                   "posting": "p-1", "postingOwner": "u-1", "postingHiringManager": "u-2",
                                                   "user": None, "createdAt": MS, "archived": None})
    assert application["candidate_id"] == "o-1" and application["job_order_id"] == "p-1" and application["owner_id"] == "u-1"
    offer = to_sense(table, "offers", {"id": "f-1", "posting": "p-1", "status": "signed", "creator": "u-1", "createdAt": MS,
                                       "fields": [{"text": "Salary", "identifier": "salary_amount", "value": 120000},
                                                  {"text": "Start", "identifier": "anticipated_start_date", "value": MS}]})
    assert offer["salary"] == 120000 and offer["date_start"] == "2023-11-14T22:13:20+00:00"
    interview = to_sense(table, "interviews", {"id": "i-1", "subject": "Onsite", "note": "bring laptop", "date": MS, "duration": 60,
                                               "interviewers": [{"id": "u-1", "email": "a@co.io"}, {"id": "u-2"}],
                                               "user": "u-3", "postings": ["p-1"], "createdAt": MS, "location": "HQ"})
    assert interview["internal_user_id"] == "u-1" and interview["internal_user_id2"] == "u-2" and interview["job_order_id"] == "p-1"
    assert interview["date_start"] == "2023-11-14T22:13:20+00:00" and "internal_user_id3" not in interview


# ---------------------------------------------------------------- ashby


def test_ashby_samples():
    table = build_mappings("ashby")
    user = to_sense(table, "users", {"id": "u1", "firstName": "Ana", "lastName": "Ruiz", "email": "a@co.io",
                                     "globalRole": "Admin", "isEnabled": True, "updatedAt": "2024-01-01T00:00:00.000Z"})
    assert user["active"] is True and user["type"] == "Admin"
    candidate = to_sense(table, "candidates", {
        "id": "c1", "name": "Kai Ng", "position": "Engineer", "company": "Acme",
        "primaryEmailAddress": {"value": "kai@me.io", "type": "Personal", "isPrimary": True},
        "emailAddresses": [{"value": "kai@me.io", "type": "Personal", "isPrimary": True},
                           {"value": "kai@acme.io", "type": "Work", "isPrimary": False}],
        "primaryPhoneNumber": {"value": "222", "type": "Personal", "isPrimary": True},
        "phoneNumbers": [{"value": "222", "type": "Personal", "isPrimary": True}, {"value": "333", "type": "Work", "isPrimary": False}],
        "tags": [{"id": "t1", "title": "Java", "isArchived": False}], "createdAt": "2024-01-01T00:00:00.000Z",
        "creditedToUser": {"id": "u1", "firstName": "Ana"}, "source": {"id": "s1", "title": "Referral"},
    })
    assert candidate["first_name"] == "Kai" and candidate["email"] == "kai@me.io" and candidate["email2"] == "kai@acme.io"
    assert candidate["mobile_phone"] == "222" and candidate["work_phone"] == "333" and candidate["custom_array1"] == ["Java"]
    assert candidate["internal_user_id"] == "u1" and candidate["source"] == "Referral"
    job = to_sense(table, "jobs", {"id": "j1", "title": "Engineer", "status": "Open", "employmentType": "FullTime",
                                   "hiringTeam": [{"userId": "u1", "role": "Recruiter"}, {"userId": "u2", "role": "Hiring Manager"}],
                                   "customRequisitionId": "R-1", "updatedAt": "2024-01-01T00:00:00.000Z"})
    assert job["internal_user_id"] == "u1" and job["internal_user_id2"] == "u2" and job["custom_text1"] == "R-1"
    application = to_sense(table, "applications", {"id": "a1", "candidate": {"id": "c1", "name": "Kai Ng"}, "job": {"id": "j1"},
                                                   "status": "Active", "currentInterviewStage": {"id": "s", "title": "Onsite"},
                                                   "createdAt": "2024-01-02T00:00:00.000Z"})
    assert application["candidate_id"] == "c1" and application["job_order_id"] == "j1" and application["custom_text1"] == "Onsite"
    offer = to_sense(table, "offers", {"id": "f1", "applicationId": "a1", "acceptanceStatus": "Accepted", "decidedAt": None,
                                       "latestVersion": {"id": "v", "startDate": "2024-05-01", "salary": {"value": 100000, "currencyCode": "USD"}}})
    assert offer["submission_id"] == "a1" and offer["date_start"] == "2024-05-01" and offer["salary"] == 100000
    schedule = to_sense(table, "interview_schedules", {"id": "s1", "status": "Scheduled", "applicationId": "a1", "interviewEvents": [
        {"id": "e1", "interviewerUserIds": ["u1", "u2"], "startTime": "2024-01-03T15:00:00.000Z", "endTime": "2024-01-03T16:00:00.000Z",
         "location": None, "meetingLink": "https://meet.example/y", "createdAt": "2024-01-02T00:00:00.000Z"},
        {"id": "e2", "interviewerUserIds": [], "startTime": "2024-01-03T16:00:00.000Z", "endTime": "2024-01-03T17:00:00.000Z"}]})
    assert schedule["application_id"] == "a1" and schedule["internal_user_id2"] == "u2"
    assert schedule["date_end"] == "2024-01-03T17:00:00.000Z" and schedule["location"] == "https://meet.example/y"


# ---------------------------------------------------------------- workable


def test_workable_samples():
    table = build_mappings("workable")
    recruiter = to_sense(table, "recruiters", {"id": "r1", "name": "Ana Ruiz", "email": "a@co.io"})
    assert recruiter == {"id": "r1", "first_name": "Ana", "last_name": "Ruiz", "email": "a@co.io"}
    declared = to_sense(table, "candidates", {"id": "c1", "name": "Kai Ng", "headline": "Engineer", "email": "k@me.io", "role": None})
    assert declared == {"id": "c1", "first_name": "Kai", "last_name": "Ng", "email": "k@me.io", "title": "Engineer"}
    full = to_sense(table, "candidates", {"id": "c2", "name": "Kai Ng", "firstname": "Kai", "lastname": "Ng Lee", "phone": "222",
                                          "stage": "Interview", "disqualified": False, "domain": "linkedin.com",
                                          "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z",
                                          "job": {"shortcode": "ABC", "title": "Eng"}})
    assert full["last_name"] == "Ng Lee" and full["status"] == "Interview" and full["is_archived"] is False
    job = to_sense(table, "jobs", {"id": "j1", "title": "Eng", "full_title": "Eng - X", "shortcode": "ABC", "code": None,
                                   "state": "published", "department": "R&D", "url": "https://x", "department_hierarchy": [],
                                   "location": {"city": "Athens", "region": "Attica", "country": "Greece", "zip_code": "10431",
                                                "telecommuting": False}, "created_at": "2024-01-01T00:00:00Z"})
    assert job["status"] == "published" and job["city"] == "Athens" and job["custom_text1"] == "ABC" and job["custom_text3"] == "R&D"


def test_mapping_doc_tables_are_up_to_date():
    script = _load_script("generate_mapping_docs")
    current = script.DOC.read_text(encoding="utf-8")
    assert script.render_doc(current) == current, "run scripts/generate_mapping_docs.py"
    for preset in PRESETS[1:]:
        assert f"### Preset `{preset}`" in current


# ---------------------------------------------------------------- fields mapped after the check against the real catalogs


def test_greenhouse_v3_and_v1_shapes_of_the_newly_mapped_fields():
    table = build_mappings("greenhouse")
    v3 = to_sense(table, "applications", {"id": 1, "candidate_id": 2, "job_id": 3, "recruiter_id": 4, "coordinator_id": 5,
                                          "source_id": 6, "rejected_at": "2024-05-01T10:00:00.000Z", "stage_name": "Offer",
                                          "created_at": "2024-04-01T00:00:00Z"})
    assert v3["is_archived"] is True and v3["date_end"] == "2024-05-01T10:00:00.000Z"
    assert (v3["internal_user_id"], v3["internal_user_id2"], v3["custom_text2"]) == ("4", "5", "6")
    assert to_sense(table, "applications", {"id": 1, "rejected_at": None})["is_archived"] is False
    v1 = to_sense(table, "applications", {"id": 1, "jobs": [{"id": 9, "name": "Eng"}], "credited_to": {"id": 8},
                                          "source": {"id": 7, "public_name": "LinkedIn"}, "rejection_reason": {"name": "Not a fit"},
                                          "applied_at": "2024-04-01T00:00:00Z"})
    assert (v1["job_order_id"], v1["owner_id"], v1["source"], v1["custom_text2"], v1["comments"]) == ("9", "8", "LinkedIn", "7", "Not a fit")
    assert v1["date_application"] == "2024-04-01T00:00:00Z"
    interview_v1 = to_sense(table, "interviews", {"id": 5, "start": {"date": "2024-01-07"}, "organizer": {"id": 1},
                                                  "interviewers": [{"id": 2}, {"id": 3}]})
    assert interview_v1["is_all_day"] is True and interview_v1["internal_user_id2"] == "2" and interview_v1["internal_user_id3"] == "3"
    timed_v1 = to_sense(table, "interviews", {"id": 6, "start": {"date_time": "2024-01-07T15:00:00Z"}})
    assert timed_v1["is_all_day"] is False and timed_v1["date_start"] == "2024-01-07T15:00:00Z"
    all_day_v3 = to_sense(table, "interviews", {"id": 7, "all_day_start_on": "2024-01-07", "starts_at": None})
    assert all_day_v3["is_all_day"] is True and all_day_v3["date_start"] == "2024-01-07T00:00:00+00:00"
    job_v3 = to_sense(table, "jobs", {"id": 1, "custom_fields": {"employment_type": {"name": "Employment Type", "type": "single_select",
                                                                                     "value": "Full-time"}}})
    assert job_v3["employment_type"] == "Full-time"
    job_v1 = to_sense(table, "jobs", {"id": 1, "keyed_custom_fields": {"employment_type": {"value": "Contract"}},
                                      "hiring_team": {"recruiters": [{"id": 4}], "hiring_managers": [{"id": 5}]},
                                      "offices": [{"name": "Boston", "location": {"name": "Boston, MA"}}]})
    assert (job_v1["employment_type"], job_v1["internal_user_id"], job_v1["internal_user_id2"], job_v1["city"]) == ("Contract", "4", "5", "Boston, MA")
    offer_v1 = to_sense(table, "offers", {"id": 1, "starts_at": "2024-06-01", "sent_at": "2024-05-01", "version": 2})
    assert (offer_v1["date_start"], offer_v1["custom_date1"], offer_v1["custom_integer1"]) == ("2024-06-01", "2024-05-01", 2)
    # nulls inside the tag list are skipped instead of failing the record
    assert to_sense(table, "candidates", {"id": 1, "tags": ["a", None, "b"]})["custom_array1"] == ["a", "b"]


def test_lever_stage_origin_sourced_by_interview_end_and_notes():
    table = build_mappings("lever")
    opportunity = to_sense(table, "opportunities", {"id": "o", "stage": "s-1", "origin": "sourced", "sourcedBy": "u-2",
                                                    "sources": ["LinkedIn", None, "Referral"]})
    assert (opportunity["status"], opportunity["custom_text1"], opportunity["internal_user_id2"]) == ("s-1", "sourced", "u-2")
    assert opportunity["custom_array2"] == ["LinkedIn", "Referral"] and opportunity["source"] == "LinkedIn"
    interview = to_sense(table, "interviews", {"id": "i", "date": MS, "duration": 90, "canceledAt": None})
    assert interview["date_end"] == "2023-11-14T23:43:20+00:00" and interview["is_archived"] is False
    assert to_sense(table, "interviews", {"id": "i", "date": MS, "duration": None})["date_end"] is None
    note = to_sense(table, "notes", {"id": "n", "text": "Called — left a voicemail", "user": "u-1", "secret": True,
                                     "createdAt": MS, "completedAt": None, "deletedAt": None})
    assert note == {"id": "n", "type": "Note", "description": "Called — left a voicemail", "owner_id": "u-1", "internal_user_id": "u-1",
                    "is_private": True, "is_deleted": False, "date_start": "2023-11-14T22:13:20+00:00", "date_task_complete": None,
                    "date_added": "2023-11-14T22:13:20+00:00"}
