"""Small, consistent sample records for all ten Sense entities, in the shapes sources send."""
from __future__ import annotations

from typing import Dict, List

# stream name as a source would call it → records (raw, before the destination normalises them)
SAMPLES: Dict[str, List[dict]] = {
    "internal_users": [
        {"id": 1, "first_name": "Ace", "last_name": "Owner", "email": "ace@agency.example", "date_added": "2024-01-02T03:04:05Z", "active": True},
        {"id": 2, "first_name": "Bea", "last_name": "Recruiter", "date_last_modified": 1704164645000, "custom_text1": "east"},
    ],
    "Candidate": [
        {"id": 10, "first_name": "Linus", "last_name": "Kerns", "email": "linus@example.com", "internal_user_id": 1,
         "date_of_birth": "1990-05-06", "date_added": "2024-02-01 09:00:00", "skills": ["python", "sql"], "custom_float1": "2.5",
         "custom_boolean1": "true", "custom_date1": 1706745600000, "status": "Active"},
        {"id": "11", "first_name": "Ada", "last_name": "Lovelace", "internal_user_id2": 2.0, "opt_out_sms": 0},
    ],
    "client-contacts": [
        {"id": 20, "first_name": "Carl", "company_id": 30, "internal_user_id": 1, "email": "carl@client.example"},
    ],
    "Companies": [
        {"id": 30, "company_name": "Client Corp", "client_contact_id": 20, "internal_user_id": 2, "custom_integer1": "7"},
    ],
    "JobOrder": [
        {"id": 40, "title": "Engineer", "company_id": 30, "client_contact_id": 20, "date_start": "2024-03-01",
         "salary": 120000, "description": "Build things", "is_public": True},
    ],
    "submissions": [
        {"id": 50, "candidate_id": 10, "job_order_id": 40, "sending_user_id": 1, "date_start": "2024-03-05T10:00:00+01:00", "status": "Submitted"},
    ],
    "placements": [
        {"id": 60, "candidate_id": 10, "job_order_id": 40, "submission_id": 50, "date_start": "2024-04-01", "fee": 0.2, "guarantee_days": 90},
    ],
    "leads": [
        {"id": 70, "first_name": "Lee", "owner_id": 1, "company_id": 30, "no_of_employees": "250"},
    ],
    "certifications": [
        {"id": 80, "candidate_id": 10, "name": "RN", "date_expiration": "2027-01-01T00:00:00Z"},
    ],
    "appointments": [
        {"id": 90, "candidate_id": 10, "placement_id": 60, "owner_id": 2, "date_start": 1712000000000, "subject": "Kick-off", "is_all_day": False},
    ],
}

STREAM_TO_COLLECTION = {
    "internal_users": "internal-users", "Candidate": "candidates", "client-contacts": "client-contacts",
    "Companies": "companies", "JobOrder": "job-orders", "submissions": "submissions", "placements": "placements",
    "leads": "leads", "certifications": "certifications", "appointments": "appointments",
}
