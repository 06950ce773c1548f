"""The source's entity streams, in Sense's dependency order, the Bullhorn entity each one reads, and its other streams."""

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
#: Streams that are not entity records: picklist options (read first) and candidates' files (last).
PICKLIST_STREAM = "picklist_options"
FILES_STREAM = "candidate_files"
