#!/usr/bin/env python3
"""Regenerate destination_sense/presets/bullhorn.json from the hand-written table below.

The named fields of each stream are written out here; the custom-field families
(customText1..N → custom_text1..N, customTextBlock, customDate, customFloat, customInt) are
computed from the source-ats stream schemas and the Sense entity schemas, numbered up to the
smaller of the two counts. Run from the repository root:

    python scripts/generate_presets.py           # write the file
    python scripts/generate_presets.py --check   # exit 1 when the file is out of date
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_SCHEMAS = ROOT / "source-ats" / "source_ats" / "schemas"
SENSE_SCHEMAS = ROOT / "sense-api" / "sense_api" / "schemas"
OUTPUT = ROOT / "destination_sense" / "presets" / "bullhorn.json"


def ms(path: str) -> dict:
    """Epoch milliseconds → ISO 8601 date-time."""
    return {"path": path, "convert": "epoch_ms"}


def ms_date(path: str) -> dict:
    """Epoch milliseconds → YYYY-MM-DD (the UTC date)."""
    return {"path": path, "convert": ["epoch_ms", "date"]}


ADDRESS = {
    "address1": "address.address1",
    "address2": "address.address2",
    "city": "address.city",
    "state": "address.state",
    "zipcode": "address.zip",
}
STAMPS = {"date_added": ms("dateAdded"), "date_last_modified": ms("dateLastModified")}

# Bullhorn family prefix → (Sense family prefix, expression builder).
CUSTOM_FAMILIES = (
    ("customText", "custom_text", lambda f: f),
    ("customTextBlock", "custom_text_block", lambda f: f),
    ("customDate", "custom_date", ms_date),
    ("customFloat", "custom_float", lambda f: f),
    ("customInt", "custom_integer", lambda f: f),
)

# source-ats stream → (Sense entity, named fields). Custom families are added below.
STREAMS = {
    "corporate_users": ("internal-users", {
        "id": "id",
        "first_name": "firstName",
        "last_name": "lastName",
        "nick_name": "nickName",
        "email": "email",
        "email2": "email2",
        "email3": "externalEmail",
        "work_phone": "phone",
        "mobile_phone": "mobile",
        "title": "occupation",
        "department": "primaryDepartment.name",
        **ADDRESS,
        "active": "enabled",
        "is_deleted": "isDeleted",
        "date_added": ms("userDateAdded"),
        "date_last_modified": ms("dateLastModified"),
        "date_last_activity": ms("dateLastComment"),
    }),
    "candidates": ("candidates", {
        "id": "id",
        "first_name": "firstName",
        "last_name": "lastName",
        "nick_name": "nickName",
        "email": "email",
        "email2": "email2",
        "home_phone": "phone",
        "mobile_phone": "mobile",
        "work_phone": "workPhone",
        **ADDRESS,
        "status": "status",
        "source": "source",
        "title": "occupation",
        "gender": "gender",
        "date_of_birth": ms_date("dateOfBirth"),
        "skills": {"path": "skillSet", "convert": "split"},
        "opt_out_email": "massMailOptOut",
        "internal_user_id": "owner.id",
        "is_deleted": "isDeleted",
        **STAMPS,
    }),
    "client_contacts": ("client-contacts", {
        "id": "id",
        "first_name": "firstName",
        "last_name": "lastName",
        "nick_name": "nickName",
        "email": "email",
        "email2": "email2",
        "work_phone": "phone",
        "mobile_phone": "mobile",
        "title": "occupation",
        **ADDRESS,
        "status": "status",
        "source": "source",
        "preferred_contact_method": "preferredContact",
        "opt_out_email": "massMailOptOut",
        "company_id": "clientCorporation.id",
        "internal_user_id": "owner.id",
        "is_deleted": "isDeleted",
        **STAMPS,
        "date_last_activity": ms("dateLastVisit"),
    }),
    "client_corporations": ("companies", {
        "id": "id",
        "company_name": "name",
        "status": "status",
        "phone": "phone",
        "billing_phone": "billingPhone",
        "url": "companyURL",
        **ADDRESS,
        **STAMPS,
    }),
    "job_orders": ("job-orders", {
        "id": "id",
        "title": "title",
        "status": "status",
        "type": "type",
        "employment_type": "employmentType",
        "description": "description",
        "source": "source",
        "is_public": {"path": "isPublic", "map": {"1": True, "0": False, "-1": False}},
        "salary": "salary",
        "pay_rate": "payRate",
        "bill_rate": "clientBillRate",
        "date_start": ms("startDate"),
        "date_end": ms("dateEnd"),
        "skills": {"path": "skillList", "convert": "split"},
        **ADDRESS,
        "company_id": "clientCorporation.id",
        "client_contact_id": "clientContact.id",
        "internal_user_id": "owner.id",
        "is_deleted": "isDeleted",
        **STAMPS,
    }),
    "job_submissions": ("submissions", {
        "id": "id",
        "candidate_id": "candidate.id",
        "job_order_id": "jobOrder.id",
        "sending_user_id": "sendingUser.id",
        "status": "status",
        "source": "source",
        "comments": "comments",
        "bill_rate": "billRate",
        "pay_rate": "payRate",
        "salary": "salary",
        "date_application": ms("dateWebResponse"),
        "date_start": ms("startDate"),
        "date_end": ms("endDate"),
        "is_deleted": "isDeleted",
        **STAMPS,
    }),
    "placements": ("placements", {
        "id": "id",
        "candidate_id": "candidate.id",
        "job_order_id": "jobOrder.id",
        "submission_id": "jobSubmission.id",
        "client_contact_id": "billingClientContact.id",
        "internal_user_id": "owner.id",
        "status": "status",
        "employment_type": "employmentType",
        "date_start": ms("dateBegin"),
        "date_end": ms("dateEnd"),
        "salary": "salary",
        "pay_rate": "payRate",
        "bill_rate": "clientBillRate",
        "overtime_pay_rate": "overtimeRate",
        "fee": "fee",
        "hours_per_day": {"path": "hoursPerDay", "convert": "round"},
        "guarantee_days": "daysGuaranteed",
        **STAMPS,
    }),
    "leads": ("leads", {
        "id": "id",
        "first_name": "firstName",
        "last_name": "lastName",
        "full_name": "name",
        "email": "email",
        "phone": "phone",
        "mobile_phone": "mobile",
        "status": "status",
        "type": "type",
        "source": "leadSource",
        "division": "division",
        "website": "companyURL",
        "description": "comments",
        **ADDRESS,
        "company_id": "clientCorporation.id",
        "owner_id": "owner.id",
        "internal_user_id": "owner.id",
        "is_deleted": "isDeleted",
        **STAMPS,
    }),
    "candidate_certifications": ("certifications", {
        "id": "id",
        "candidate_id": "candidate.id",
        "name": {"coalesce": ["name", "certification.name"]},
        "board_certification": "boardCertification",
        "license_number": "licenseNumber",
        "license_type": "licenseType",
        "issued_by": "issuedBy",
        "location": "location",
        "status": "status",
        "comments": "comments",
        "results": "results",
        "date_certified": ms_date("dateCertified"),
        "date_expiration": ms_date("dateExpiration"),
        "is_deleted": "isDeleted",
        **STAMPS,
    }),
    "appointments": ("appointments", {
        "id": "id",
        "subject": "subject",
        "type": "type",
        "description": "description",
        "location": "location",
        "communication_method": "communicationMethod",
        "date_start": ms("dateBegin"),
        "date_end": ms("dateEnd"),
        "is_all_day": "isAllDay",
        "is_private": "isPrivate",
        "owner_id": "owner.id",
        "internal_user_id": "owner.id",
        "candidate_id": "candidateReference.id",
        "client_contact_id": "clientContactReference.id",
        "job_order_id": "jobOrder.id",
        "placement_id": "placement.id",
        "is_deleted": "isDeleted",
        **STAMPS,
    }),
}


def _numbered(properties, prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\Z")
    return max((int(m.group(1)) for name in properties if (m := pattern.match(name))), default=0)


#: Bullhorn entity → the source-ats stream that reads it (for possible values: the Sense field of a
#: picklist is the one that stream's mapping fills from the picklist's Bullhorn field).
ENTITY_STREAMS = {
    "CorporateUser": "corporate_users", "Candidate": "candidates", "ClientContact": "client_contacts",
    "ClientCorporation": "client_corporations", "JobOrder": "job_orders", "JobSubmission": "job_submissions",
    "Placement": "placements", "Lead": "leads", "CandidateCertification": "candidate_certifications",
    "Appointment": "appointments",
}
#: source-ats's candidate_files (Bullhorn fileAttachments) → the resume upload's form fields.
RESUME_FIELDS = {
    "candidate_id": "candidate.id",
    "resume_id": "id",
    "file_name": "name",
    "file_extension": "fileExtension",
    "date_created": ms("dateAdded"),
    "date_updated": ms("dateAdded"),  # Bullhorn does not modify an attachment; a new one replaces it
}


def build() -> dict:
    streams = {}
    for stream, (collection, named) in STREAMS.items():
        source = json.loads((SOURCE_SCHEMAS / f"{stream}.json").read_text())["properties"]
        sense = json.loads((SENSE_SCHEMAS / f"{collection}.json").read_text())["properties"]
        fields = dict(named)
        for bh_prefix, sense_prefix, build_expr in CUSTOM_FAMILIES:
            for i in range(1, min(_numbered(source, bh_prefix), _numbered(sense, sense_prefix)) + 1):
                fields[f"{sense_prefix}{i}"] = build_expr(f"{bh_prefix}{i}")
        streams[stream] = {"entity": collection, "fields": fields}
    return {
        "name": "bullhorn",
        "description": "The streams of source-ats (Bullhorn REST entities, Bullhorn field names, epoch-millisecond dates).",
        "generated_by": "scripts/generate_presets.py",
        "epoch_unit": "milliseconds",
        "streams": streams,
        "possible_values": {"stream": "picklist_options", "entities": ENTITY_STREAMS},
        "resumes": {"stream": "candidate_files", "fields": RESUME_FIELDS},
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date; run scripts/generate_presets.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
