"""Seeded, deterministic Bullhorn-like data with references that are consistent across entities.

Every entity is a list of plain dicts holding *every* field the emulator knows for it. To-one
associations are stored as ``{"id": n}`` and resolved against the referenced entity when a query
asks for sub-fields (``owner(id,firstName)``). Composite fields (``address``) are stored as dicts.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

# Seeded records are dated inside this fixed window so a seed always yields the same data.
EPOCH_START_MS = 1_609_459_200_000  # 2021-01-01T00:00:00Z
EPOCH_END_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z

FIRST_NAMES = [
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Elijah", "Mia", "Lucas", "Amelia", "Mateo", "Sofia",
    "Aiden", "Chloe", "Ethan", "Priya", "Kenji", "Fatima", "Diego", "Ingrid", "Kwame", "Yara",
    "Tomasz", "Aisha", "Hiro", "Lena", "Omar", "Grace", "Ravi", "Zoe", "Marco",
]
LAST_NAMES = [
    "Smith", "Johnson", "Garcia", "Brown", "Nguyen", "Patel", "Kowalski", "Okafor", "Rossi",
    "Müller", "Tanaka", "Silva", "O'Brien", "Dubois", "Haddad", "Larsen", "Kim", "Mensah",
    "Fischer", "Cohen", "Ivanova", "Moreau", "Singh", "Lopez", "Walker",
]
CITIES = [
    ("Boston", "MA", "02110"), ("Austin", "TX", "73301"), ("Chicago", "IL", "60601"),
    ("Denver", "CO", "80202"), ("Seattle", "WA", "98101"), ("Atlanta", "GA", "30303"),
    ("London", "", "EC1A 1BB"), ("Manchester", "", "M1 1AE"), ("Toronto", "ON", "M5H 2N2"),
]
COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
                 "Cyberdyne", "Soylent", "Tyrell", "Wonka", "Gringotts", "Oscorp", "Aperture"]
COMPANY_SUFFIX = ["Inc", "LLC", "Group", "Partners", "Holdings", "Labs", "Systems", "Ltd"]
INDUSTRIES = ["Healthcare", "Finance", "Manufacturing", "Technology", "Logistics", "Retail", "Energy"]
JOB_TITLES = ["Software Engineer", "Registered Nurse", "Forklift Operator", "Accountant",
              "Project Manager", "Data Analyst", "Warehouse Associate", "Java Developer",
              "Customer Service Rep", "Electrician", "HR Generalist", "Welder"]
SKILLS = ["Java", "Python", "SQL", "Excel", "Forklift", "CPR", "AutoCAD", "Payroll", "SAP",
          "Salesforce", "Welding", "Nursing", "Logistics", "Kubernetes"]
CERTS = ["RN License", "CPA", "PMP", "OSHA 30", "Forklift Certification", "AWS Solutions Architect",
         "CDL Class A", "BLS", "Six Sigma Green Belt"]


def _custom(prefix: str, n: int) -> List[Tuple[str, str]]:
    kind = {
        "customText": "ctext",
        "customTextBlock": "cblock",
        "customDate": "cdate",
        "customFloat": "cfloat",
        "customInt": "cint",
    }[prefix]
    return [(f"{prefix}{i}", kind) for i in range(1, n + 1)]


def _customs(text: int, block: int, date: int, flt: int, inte: int) -> List[Tuple[str, str]]:
    return (_custom("customText", text) + _custom("customTextBlock", block) + _custom("customDate", date)
            + _custom("customFloat", flt) + _custom("customInt", inte))


# Field catalogue per entity: (field name, generator kind). Kinds starting with "ref:" are to-one
# associations to another entity; "obj:" are to-one associations to an entity the emulator does
# not serve (only ``id`` and ``name`` are stored).
ENTITY_FIELDS: Dict[str, List[Tuple[str, str]]] = {
    "CorporateUser": [
        ("id", "id"), ("firstName", "first"), ("lastName", "last"), ("middleName", "none"),
        ("name", "fullname"), ("nickName", "none"), ("username", "username"), ("email", "email"),
        ("email2", "none"), ("phone", "phone"), ("mobile", "phone"), ("occupation", "user_occupation"),
        ("status", "user_status"), ("enabled", "bool_true"), ("isDeleted", "deleted"),
        ("isHidden", "bool_false"), ("isLockedOut", "bool_false"), ("timeZoneOffsetEST", "tz"),
        ("userDateAdded", "added"), ("dateLastComment", "ts_opt"), ("dateLastModified", "modified"),
        ("address", "address"), ("primaryDepartment", "obj:Department"), ("userType", "obj:UserType"),
        ("externalEmail", "email"),
    ] + _customs(20, 0, 3, 3, 3),
    "ClientCorporation": [
        ("id", "id"), ("name", "company"), ("status", "corp_status"), ("phone", "phone"),
        ("companyURL", "url"), ("industryList", "industry"), ("businessSectorList", "industry"),
        ("numEmployees", "employees"), ("numOffices", "small_int"), ("annualRevenue", "money_big"),
        ("companyDescription", "sentence"), ("externalID", "external"), ("dateFounded", "ts_old"),
        ("dateAdded", "added"), ("dateLastModified", "modified"), ("address", "address"),
        ("billingAddress", "address"), ("billingPhone", "phone"), ("feeArrangement", "pct"),
        ("parentClientCorporation", "ref_opt:ClientCorporation"),
    ] + _customs(20, 5, 3, 3, 3),
    "ClientContact": [
        ("id", "id"), ("firstName", "first"), ("lastName", "last"), ("middleName", "none"),
        ("name", "fullname"), ("namePrefix", "none"), ("nickName", "none"), ("email", "email"),
        ("email2", "none"), ("phone", "phone"), ("mobile", "phone"), ("occupation", "contact_title"),
        ("status", "contact_status"), ("type", "contact_type"), ("division", "division"),
        ("preferredContact", "pref_contact"), ("source", "source"), ("address", "address"),
        ("clientCorporation", "ref:ClientCorporation"), ("owner", "ref:CorporateUser"),
        ("dateAdded", "added"), ("dateLastModified", "modified"), ("dateLastVisit", "ts_opt"),
        ("isDeleted", "deleted"), ("massMailOptOut", "bool_false"), ("externalID", "external"),
        ("comments", "sentence"),
    ] + _customs(20, 5, 3, 3, 3),
    "Candidate": [
        ("id", "id"), ("firstName", "first"), ("lastName", "last"), ("middleName", "none"),
        ("name", "fullname"), ("nickName", "none"), ("namePrefix", "none"), ("email", "email"),
        ("email2", "none"), ("phone", "phone"), ("mobile", "phone"), ("workPhone", "phone_opt"),
        ("address", "address"), ("status", "cand_status"), ("source", "source"),
        ("occupation", "job_title"), ("companyName", "company"), ("dateOfBirth", "ts_old"),
        ("dateAvailable", "ts_opt"), ("dateAdded", "added"), ("dateLastModified", "modified"),
        ("employmentPreference", "employment_type"), ("employeeType", "employee_type"),
        ("salary", "money"), ("salaryLow", "money"), ("hourlyRate", "rate"), ("hourlyRateLow", "rate"),
        ("dayRate", "rate"), ("experience", "small_int"), ("skillSet", "skills"),
        ("primarySkills", "obj_none"), ("gender", "gender"), ("willRelocate", "bool"),
        ("isDeleted", "deleted"), ("isAnonymized", "bool_false"), ("massMailOptOut", "bool_false"),
        ("owner", "ref:CorporateUser"), ("externalID", "external"), ("comments", "sentence"),
        ("description", "resume"),
    ] + _customs(40, 10, 13, 23, 23),
    "JobOrder": [
        ("id", "id"), ("title", "job_title"), ("status", "job_status"), ("isOpen", "bool"),
        ("isDeleted", "deleted"), ("isPublic", "zero_one"), ("employmentType", "employment_type"),
        ("numOpenings", "small_int"), ("salary", "money"), ("salaryUnit", "salary_unit"),
        ("payRate", "rate"), ("clientBillRate", "rate"), ("feeArrangement", "pct"),
        ("startDate", "ts_opt"), ("dateEnd", "ts_opt"), ("dateClosed", "ts_opt"),
        ("dateAdded", "added"), ("dateLastModified", "modified"), ("address", "address"),
        ("clientCorporation", "ref:ClientCorporation"), ("clientContact", "ref:ClientContact"),
        ("owner", "ref:CorporateUser"), ("publicDescription", "sentence"), ("description", "resume"),
        ("onSite", "onsite"), ("yearsRequired", "small_int"), ("durationWeeks", "weeks"),
        ("hoursPerWeek", "hours"), ("source", "source"), ("type", "small_int"),
        ("skillList", "skills"), ("externalID", "external"), ("willRelocate", "bool"),
    ] + _customs(40, 5, 3, 3, 8),
    "JobSubmission": [
        ("id", "id"), ("candidate", "ref:Candidate"), ("jobOrder", "ref:JobOrder"),
        ("status", "sub_status"), ("source", "source"), ("dateAdded", "added"),
        ("dateLastModified", "modified"), ("dateWebResponse", "ts_opt"), ("isDeleted", "deleted"),
        ("isHidden", "bool_false"), ("sendingUser", "ref:CorporateUser"), ("billRate", "rate"),
        ("payRate", "rate"), ("salary", "money"), ("startDate", "ts_opt"), ("endDate", "ts_opt"),
        ("comments", "sentence"),
    ] + _customs(25, 5, 5, 5, 5),
    "Placement": [
        ("id", "id"), ("candidate", "ref:Candidate"), ("jobOrder", "ref:JobOrder"),
        ("jobSubmission", "ref:JobSubmission"), ("status", "placement_status"),
        ("employmentType", "employment_type"), ("employeeType", "employee_type"),
        ("dateBegin", "ts_any"), ("dateEnd", "ts_opt"), ("dateEffective", "ts_any"),
        ("dateAdded", "added"), ("dateLastModified", "modified"), ("salary", "money"),
        ("salaryUnit", "salary_unit"), ("payRate", "rate"), ("clientBillRate", "rate"),
        ("overtimeRate", "rate"), ("fee", "pct"), ("hoursPerDay", "hours_day"),
        ("daysGuaranteed", "small_int"), ("durationWeeks", "weeks"), ("costCenter", "none"),
        ("owner", "ref:CorporateUser"), ("billingClientContact", "ref:ClientContact"),
        ("comments", "sentence"), ("reportTo", "fullname"),
    ] + _customs(60, 10, 13, 23, 23),
    "Lead": [
        ("id", "id"), ("firstName", "first"), ("lastName", "last"), ("middleName", "none"),
        ("name", "fullname"), ("email", "email"), ("phone", "phone"), ("mobile", "phone"),
        ("occupation", "contact_title"), ("status", "lead_status"), ("type", "lead_type"),
        ("companyName", "company"), ("companyURL", "url"), ("leadSource", "lead_source"),
        ("priority", "priority"), ("role", "contact_title"), ("division", "division"),
        ("preferredContact", "pref_contact"), ("address", "address"), ("owner", "ref:CorporateUser"),
        ("clientCorporation", "ref_opt:ClientCorporation"), ("dateAdded", "added"),
        ("dateLastModified", "modified"), ("dateLastComment", "ts_opt"), ("isDeleted", "deleted"),
        ("salary", "money"), ("comments", "sentence"),
    ] + _customs(20, 5, 3, 3, 3),
    "CandidateCertification": [
        ("id", "id"), ("candidate", "ref:Candidate"), ("certification", "obj:Certification"),
        ("name", "cert"), ("boardCertification", "none"), ("licenseNumber", "license"),
        ("licenseType", "license_type"), ("issuedBy", "issuer"), ("location", "state"),
        ("status", "cert_status"), ("displayStatus", "cert_status"), ("dateCertified", "ts_any"),
        ("dateExpiration", "ts_future"), ("dateAdded", "added"), ("dateLastModified", "modified"),
        ("isDeleted", "deleted"), ("isComplete", "bool"), ("comments", "sentence"),
        ("modifyingUser", "ref:CorporateUser"), ("results", "none"),
    ] + _custom("customText", 10) + _custom("customTextBlock", 10) + _custom("customDate", 10),
    "Appointment": [
        ("id", "id"), ("subject", "subject"), ("type", "appt_type"), ("description", "sentence"),
        ("location", "location"), ("communicationMethod", "comm_method"), ("dateBegin", "ts_any"),
        ("dateEnd", "ts_any"), ("dateAdded", "added"), ("dateLastModified", "modified"),
        ("isAllDay", "bool_false"), ("isDeleted", "deleted"), ("isPrivate", "bool_false"),
        ("notificationMinutes", "notify"), ("owner", "ref:CorporateUser"),
        ("candidateReference", "ref_opt:Candidate"), ("clientContactReference", "ref_opt:ClientContact"),
        ("jobOrder", "ref_opt:JobOrder"), ("placement", "ref_opt:Placement"), ("lead", "ref_opt:Lead"),
        ("appointmentUUID", "uuid"),
    ],
}

# Generation order: referenced entities come first.
GENERATION_ORDER = [
    "CorporateUser", "ClientCorporation", "ClientContact", "Candidate", "JobOrder", "JobSubmission",
    "Placement", "Lead", "CandidateCertification", "Appointment",
]

DEFAULT_COUNTS: Dict[str, int] = {
    "CorporateUser": 25,
    "ClientCorporation": 60,
    "ClientContact": 150,
    "Candidate": 400,
    "JobOrder": 120,
    "JobSubmission": 300,
    "Placement": 80,
    "Lead": 60,
    "CandidateCertification": 150,
    "Appointment": 150,
}

# First id per entity, so ids of different entities do not collide (as in a real tenant).
ID_BASE: Dict[str, int] = {
    "CorporateUser": 1000,
    "ClientCorporation": 20000,
    "ClientContact": 30000,
    "Candidate": 100000,
    "JobOrder": 40000,
    "JobSubmission": 50000,
    "Placement": 60000,
    "Lead": 70000,
    "CandidateCertification": 80000,
    "Appointment": 90000,
}

CHOICES: Dict[str, List[Any]] = {
    "user_occupation": ["Recruiter", "Account Manager", "Recruiting Manager", "Sales Director"],
    "user_status": ["Active", "Active", "Active", "Inactive"],
    "corp_status": ["Active", "Prospect", "Passive", "Archive"],
    "contact_title": ["HR Manager", "Hiring Manager", "VP Engineering", "Talent Lead", "COO"],
    "contact_status": ["Active", "Prospect", "New Lead", "Passive"],
    "contact_type": ["Primary", "Secondary", "Target", "Gatekeeper"],
    "division": ["Engineering", "Operations", "Finance", "Clinical", None],
    "pref_contact": ["Email", "Phone", "Mobile"],
    "source": ["LinkedIn", "Referral", "Indeed", "Website", "Job Board", None],
    "cand_status": ["New Lead", "Active", "Available", "Placed", "Passive", "DNU"],
    "employment_type": ["Contract", "Permanent", "Contract to Hire", "Temp"],
    "employee_type": ["W2", "1099", "C2C"],
    "gender": ["M", "F", "U", None],
    "job_status": ["Accepting Candidates", "Covered", "Offer Out", "Placed", "Closed", "Lost"],
    "salary_unit": ["Per Hour", "Per Year", "Per Day"],
    "onsite": ["On-Site", "Remote", "Hybrid"],
    "sub_status": ["Submitted", "Client Submission", "Interview Scheduled", "Offer Extended",
                   "Placed", "Client Rejected", "Candidate Rejected"],
    "placement_status": ["Submitted", "Approved", "Active", "Completed", "Terminated"],
    "lead_status": ["New Lead", "Contacted", "Qualified", "Converted", "Archive"],
    "lead_type": ["Staffing", "RFP/VOR", "Partner"],
    "lead_source": ["LinkedIn", "Website", "Event", "Referral", "Marketing"],
    "priority": ["High", "Medium", "Low"],
    "cert_status": ["Active", "Expired", "Pending", "Verified"],
    "license_type": ["State", "National", "Vendor"],
    "issuer": ["State Board", "AICPA", "PMI", "OSHA", "AWS", "DMV", "American Heart Association"],
    "appt_type": ["Interview", "Call", "Meeting", "Lunch", "Reference Check"],
    "comm_method": ["Phone", "On-site", "Video", "Off-site"],
    "notify": [0, 15, 30, 60],
}


@dataclass
class Store:
    """All seeded records, by entity name, plus a lookup by id."""

    records: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    by_id: Dict[str, Dict[int, Dict[str, Any]]] = field(default_factory=dict)
    ref_targets: Dict[str, Dict[str, str]] = field(default_factory=dict)

    def get(self, entity: str, record_id: int) -> Optional[Dict[str, Any]]:
        return self.by_id.get(entity, {}).get(record_id)


def _gen_value(rng: random.Random, kind: str, ctx: Dict[str, Any], store: Store, added: int) -> Any:
    if kind in CHOICES:
        return rng.choice(CHOICES[kind])
    if kind == "none" or kind == "obj_none":
        return None
    if kind == "first":
        return ctx.setdefault("first", rng.choice(FIRST_NAMES))
    if kind == "last":
        return ctx.setdefault("last", rng.choice(LAST_NAMES))
    if kind == "fullname":
        return f"{ctx.setdefault('first', rng.choice(FIRST_NAMES))} {ctx.setdefault('last', rng.choice(LAST_NAMES))}"
    if kind == "username":
        return f"{ctx.get('first', 'user').lower()}.{ctx.get('last', 'x').lower()}{ctx['id']}".replace("'", "")
    if kind == "email":
        first = ctx.get("first", "info").lower()
        last = ctx.get("last", "x").lower().replace("'", "").replace("ü", "u")
        return f"{first}.{last}{ctx['id'] % 1000}@example.com"
    if kind in ("phone", "phone_opt"):
        if kind == "phone_opt" and rng.random() < 0.5:
            return None
        return f"({rng.randint(200, 989)}) 555-{rng.randint(0, 9999):04d}"
    if kind == "company":
        return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIX)}"
    if kind == "url":
        return f"https://www.{rng.choice(COMPANY_WORDS).lower()}.example.com"
    if kind == "industry":
        return ",".join(rng.sample(INDUSTRIES, rng.randint(1, 2)))
    if kind == "employees":
        return rng.choice([12, 45, 120, 800, 2500, 15000])
    if kind == "small_int":
        return rng.randint(0, 12)
    if kind == "zero_one":
        return rng.randint(0, 1)
    if kind == "money_big":
        return round(rng.uniform(1, 5000), 2)
    if kind == "money":
        return float(rng.randrange(30000, 180000, 500))
    if kind == "rate":
        return round(rng.uniform(18, 140), 2)
    if kind == "pct":
        return round(rng.uniform(0.1, 0.3), 3)
    if kind == "weeks":
        return float(rng.choice([4, 8, 13, 26, 52]))
    if kind == "hours":
        return float(rng.choice([20, 32, 40, 45]))
    if kind == "hours_day":
        return float(rng.choice([4, 8, 10, 12]))
    if kind == "tz":
        return rng.choice([0, -1, -2, -3, 5])
    if kind == "sentence":
        return rng.choice([
            "Great communicator; prefers email.", "Follow up next quarter.", "",
            "Met at the regional job fair.", "Strong references on file.", None,
        ])
    if kind == "resume":
        skills = ", ".join(rng.sample(SKILLS, 3))
        return f"Experienced professional. Skills: {skills}."
    if kind == "skills":
        return ", ".join(rng.sample(SKILLS, rng.randint(1, 4)))
    if kind == "external":
        return None if rng.random() < 0.7 else f"EXT-{rng.randint(10000, 99999)}"
    if kind == "job_title":
        return rng.choice(JOB_TITLES)
    if kind == "cert":
        return rng.choice(CERTS)
    if kind == "license":
        return f"L{rng.randint(100000, 999999)}"
    if kind == "state":
        return rng.choice(CITIES)[1] or None
    if kind == "location":
        return rng.choice(["Conference Room A", "Zoom", "Client site", "Phone", ""])
    if kind == "subject":
        return f"{rng.choice(['Interview', 'Intro call', 'Check-in', 'Client meeting'])} #{ctx['id']}"
    if kind == "uuid":
        return "%08x-%04x-%04x-%04x-%012x" % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16),
            rng.getrandbits(48))
    if kind == "address":
        city, state, zip_code = rng.choice(CITIES)
        return {
            "address1": f"{rng.randint(1, 999)} {rng.choice(['Main', 'High', 'Oak', 'Market'])} St",
            "address2": None,
            "city": city,
            "state": state or None,
            "zip": zip_code,
            "countryID": 1 if state and len(state) == 2 and city != "Toronto" else (2216 if not state else 2),
        }
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "bool_true":
        return True
    if kind == "bool_false":
        return False
    if kind == "deleted":
        return rng.random() < 0.04
    if kind == "added":
        return added
    if kind == "modified":
        modified = added + rng.randint(0, 400) * 86_400_000 + rng.randint(0, 86_399_999)
        return modified if modified < EPOCH_END_MS else EPOCH_END_MS - rng.randint(1, 30 * 86_400_000)
    if kind in ("ts_opt", "ts_any", "ts_old", "ts_future"):
        if kind == "ts_opt" and rng.random() < 0.4:
            return None
        if kind == "ts_old":
            return rng.randint(-315_619_200_000, 946_684_800_000)  # 1960..2000
        if kind == "ts_future":
            return rng.randint(EPOCH_END_MS, EPOCH_END_MS + 3 * 365 * 86_400_000)
        return rng.randint(EPOCH_START_MS, EPOCH_END_MS)
    if kind.startswith("ref:") or kind.startswith("ref_opt:"):
        target = kind.split(":", 1)[1]
        if kind.startswith("ref_opt:") and rng.random() < 0.5:
            return None
        pool = store.records.get(target) or []
        if not pool:
            return None
        # Prefer consistency between related references (a submission's job order ↔ candidate).
        return {"id": rng.choice(pool)["id"]}
    if kind.startswith("obj:"):
        target = kind.split(":", 1)[1]
        if target == "Certification":
            name = ctx.get("name") or rng.choice(CERTS)
            return {"id": 500 + CERTS.index(name) if name in CERTS else 599, "name": name}
        return {"id": rng.randint(1, 9), "name": f"{target} {rng.randint(1, 9)}"}
    if kind == "ctext":
        return None
    raise ValueError(f"unknown generator kind {kind}")


def _custom_value(rng: random.Random, name: str, kind: str, index: int) -> Any:
    # A deployment uses a handful of its custom fields; the rest stay null.
    if index > 3 or rng.random() < 0.35:
        return None
    if kind == "ctext":
        return rng.choice(["Gold", "Silver", "Bronze", "Yes", "No", "Net 30", "Requires clearance"])
    if kind == "cblock":
        return rng.choice(["Long-form note about this record.", "Multi-line\ncustom text."])
    if kind == "cdate":
        return rng.randint(EPOCH_START_MS, EPOCH_END_MS)
    if kind == "cfloat":
        return round(rng.uniform(0, 1000), 2)
    if kind == "cint":
        return rng.randint(0, 500)
    raise ValueError(kind)


def generate(seed: int, counts: Dict[str, int]) -> Store:
    """Generate every entity, deterministically for a given seed and counts."""
    store = Store()
    for entity in GENERATION_ORDER:
        rng = random.Random(f"{seed}:{entity}")
        n = counts.get(entity, DEFAULT_COUNTS[entity])
        fields = ENTITY_FIELDS[entity]
        store.ref_targets[entity] = {
            name: kind.split(":", 1)[1] for name, kind in fields if kind.startswith(("ref:", "ref_opt:"))
        }
        rows: List[Dict[str, Any]] = []
        for i in range(n):
            record_id = ID_BASE[entity] + i + 1
            added = rng.randint(EPOCH_START_MS, EPOCH_END_MS - 30 * 86_400_000)
            ctx: Dict[str, Any] = {"id": record_id}
            rec: Dict[str, Any] = {}
            for name, kind in fields:
                if kind == "id":
                    rec[name] = record_id
                elif kind in ("ctext", "cblock", "cdate", "cfloat", "cint"):
                    index = int("".join(ch for ch in name if ch.isdigit()) or 0)
                    rec[name] = _custom_value(rng, name, kind, index)
                else:
                    rec[name] = _gen_value(rng, kind, ctx, store, added)
                    if name == "name":
                        ctx["name"] = rec[name]
            _make_consistent(entity, rec, store, rng)
            if rows and rng.random() < 0.1:
                # Mass updates give many records the same dateLastModified; paging must cope.
                rec["dateLastModified"] = max(rows[-1]["dateLastModified"], rec.get("dateAdded") or rec.get("userDateAdded") or 0)
            rows.append(rec)
        store.records[entity] = rows
        store.by_id[entity] = {r["id"]: r for r in rows}
    return store


def _make_consistent(entity: str, rec: Dict[str, Any], store: Store, rng: random.Random) -> None:
    """Tie references together the way a real tenant would."""
    if entity == "JobOrder" and rec.get("clientContact"):
        contact = store.get("ClientContact", rec["clientContact"]["id"])
        if contact and contact.get("clientCorporation"):
            rec["clientCorporation"] = {"id": contact["clientCorporation"]["id"]}
    if entity == "Placement":
        subs = store.records.get("JobSubmission") or []
        if subs:
            sub = rng.choice(subs)
            rec["jobSubmission"] = {"id": sub["id"]}
            rec["candidate"] = dict(sub["candidate"]) if sub.get("candidate") else None
            rec["jobOrder"] = dict(sub["jobOrder"]) if sub.get("jobOrder") else None
        if rec.get("jobOrder"):
            job = store.get("JobOrder", rec["jobOrder"]["id"])
            if job and job.get("clientContact"):
                rec["billingClientContact"] = {"id": job["clientContact"]["id"]}
    if entity == "ClientCorporation" and rec.get("parentClientCorporation"):
        if rec["parentClientCorporation"]["id"] >= rec["id"]:
            rec["parentClientCorporation"] = None
    if entity in ("JobSubmission", "Placement", "Appointment", "CandidateCertification"):
        # Activity on a record happens after the records it refers to exist.
        for ref_field in ("candidate", "jobOrder", "candidateReference"):
            ref = rec.get(ref_field)
            target = {"candidate": "Candidate", "candidateReference": "Candidate"}.get(ref_field, "JobOrder")
            if ref:
                other = store.get(target, ref["id"])
                if other and other.get("dateAdded") and other["dateAdded"] > rec["dateAdded"]:
                    rec["dateAdded"] = other["dateAdded"] + 3_600_000
                    rec["dateLastModified"] = max(rec["dateLastModified"], rec["dateAdded"])
    if rec.get("dateEnd") is not None and rec.get("dateBegin") is not None and rec["dateEnd"] < rec["dateBegin"]:
        rec["dateEnd"] = rec["dateBegin"] + 3_600_000
