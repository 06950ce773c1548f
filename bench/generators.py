"""Deterministic record generators for the benchmarks.

``candidate_like(i)``: a Candidate with ~60 of its 185 fields populated, realistic names, emails,
phones, addresses, dates, skill lists, custom fields and one long free-text field; ~2.5 kB of JSON.
``small(i)``: a Candidate with a handful of fields (~150 bytes).
Both depend only on the seed and the index, so every run (and every baseline) sees the same data.
"""
from __future__ import annotations

import random
from typing import Callable, Dict, Iterator

import orjson

FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Charles Karen Priya Wei Olu Ana Mateo Sofia Yuki Omar Fatima Lars").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
        "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Kumar Chen Okafor").split()
CITIES = ("Boston Chicago Denver Austin Seattle Portland Atlanta Miami Phoenix Dallas Houston Raleigh Nashville "
          "Columbus Detroit Tampa Orlando Omaha").split()
STATES = ("MA IL CO TX WA OR GA FL AZ NC TN OH MI NE").split()
SKILLS = ("python java sql excel forklift nursing welding accounting sales recruiting payroll cad autocad "
          "javascript react cloud aws azure logistics scheduling customer-service spanish bilingual cdl "
          "phlebotomy icu er pediatrics warehouse machining plc hvac electrical").split()
WORDS = ("experienced reliable team player shift lead availability immediately weekend overtime certified "
         "licensed customer facing warehouse operations inventory management strong communication skills "
         "previous placement excellent references relocation open remote hybrid onsite prefers contract "
         "permanent temp to hire salary expectations negotiable interview scheduled follow up notes from "
         "recruiter call candidate mentioned interest in healthcare manufacturing finance technology roles "
         "the and with for has was is of to in on at").split()
STATUSES = ("Active", "Passive", "Placed", "New Lead", "Do Not Contact", "Interviewing")
SOURCES = ("LinkedIn", "Indeed", "Referral", "Website", "Job Fair", "Monster", "CareerBuilder")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1960, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _datetime(rng: random.Random) -> str:
    return (f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00:00")


def _phone(rng: random.Random) -> str:
    return f"({rng.randint(200, 989)}) 555-{rng.randint(0, 9999):04d}"


def candidate_like(i: int, seed: int = 7) -> Dict:
    rng = random.Random(seed * 1_000_003 + i)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    record = {
        "id": str(100000 + i),
        "first_name": first, "last_name": last, "nick_name": first[:3],
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "email2": f"{first[0].lower()}{last.lower()}{rng.randint(1, 999)}@mail.example",
        "mobile_phone": _phone(rng), "home_phone": _phone(rng), "work_phone": _phone(rng),
        "address1": f"{rng.randint(1, 9999)} {rng.choice(LAST)} {rng.choice(('St', 'Ave', 'Rd', 'Blvd'))}",
        "address2": f"Apt {rng.randint(1, 400)}", "city": rng.choice(CITIES), "state": rng.choice(STATES),
        "zipcode": f"{rng.randint(10000, 99999)}", "country": "US",
        "status": rng.choice(STATUSES), "source": rng.choice(SOURCES), "title": " ".join(rng.choices(WORDS, k=3)),
        "gender": rng.choice(("F", "M", "X")), "ethnicity": rng.choice(("A", "B", "C", "D")),
        "office": rng.choice(CITIES), "preferred_contact_method": rng.choice(("email", "sms", "phone")),
        "date_of_birth": _date(rng), "date_added": _datetime(rng), "date_last_modified": _datetime(rng),
        "date_last_activity": _datetime(rng),
        "active": rng.random() < 0.8, "is_deleted": False, "is_archived": rng.random() < 0.05,
        "opt_out_email": rng.random() < 0.1, "opt_out_sms": rng.random() < 0.1,
        "internal_user_id": str(rng.randint(1, 500)), "internal_user_id2": str(rng.randint(1, 500)),
        "skills": rng.sample(SKILLS, rng.randint(2, 7)), "categories": rng.sample(SKILLS, 2),
        "specialties": rng.sample(SKILLS, 2), "industries": rng.sample(("Healthcare", "Light Industrial", "IT", "Finance", "Engineering"), 2),
        "custom_text_block1": " ".join(rng.choices(WORDS, k=rng.randint(60, 110))),
        "custom_array1": rng.sample(SKILLS, 3),
        "custom_boolean1": rng.random() < 0.5, "custom_boolean2": rng.random() < 0.5,
        "custom_float1": round(rng.uniform(10, 120), 2), "custom_float2": round(rng.uniform(0, 1), 3),
        "custom_integer1": rng.randint(0, 40), "custom_integer2": rng.randint(1000, 250000),
        "custom_date1": _date(rng), "custom_date2": _date(rng), "custom_datetime1": _datetime(rng),
    }
    for n in range(1, 16):
        record[f"custom_text{n}"] = " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))
    return record


def small(i: int, seed: int = 7) -> Dict:
    rng = random.Random(seed * 1_000_003 + i)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {"id": str(i), "first_name": first, "last_name": last, "email": f"{first.lower()}{i}@example.com",
            "status": rng.choice(STATUSES), "date_added": _datetime(rng)}


GENERATORS: Dict[str, Callable[[int], Dict]] = {"candidate": candidate_like, "small": small}


def airbyte_lines(kind: str, count: int, stream: str = "candidates", state_every: int = 0) -> Iterator[bytes]:
    """Airbyte RECORD lines (and STATE lines every ``state_every`` records, and one at the end)."""
    make = GENERATORS[kind]
    emitted_at = 1_764_000_000_000
    head = b'{"type":"RECORD","record":{"stream":"' + stream.encode() + b'","emitted_at":' + str(emitted_at).encode() + b',"data":'
    for i in range(count):
        yield head + orjson.dumps(make(i)) + b"}}\n"
        if state_every and (i + 1) % state_every == 0 and i + 1 < count:
            yield orjson.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"position": i + 1}}}}) + b"\n"
    yield orjson.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"position": count}}}}) + b"\n"
