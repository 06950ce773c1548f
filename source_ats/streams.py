"""The source's streams, in Sense's dependency order, and the Bullhorn entity each one reads."""

STREAM_ENTITY = {
    "corporate_users": "CorporateUser",
    "candidates": "Candidate",
    "client_contacts": "ClientContact",
    "client_corporations": "ClientCorporation",
    "job_orders": "JobOrder",
    "job_submissions": "JobSubmission",
    "placements": "Placement",
    "leads": "Lead",
    "candidate_certifications": "CandidateCertification",
    "appointments": "Appointment",
}
STREAM_ORDER = list(STREAM_ENTITY)
