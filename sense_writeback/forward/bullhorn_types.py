"""Which Bullhorn entity a ``SenseEntityType`` is, and which destination-sense collection it syncs to.

The collection names are the ``entity`` values of destination-sense's presets; the Bullhorn names
are the REST entities source-ats reads them from.
"""
from __future__ import annotations

from typing import Dict

#: SenseEntityType → (destination-sense collection, Bullhorn REST entity)
ENTITY_TYPES: Dict[str, tuple] = {
    "AE_CANDIDATE": ("candidates", "Candidate"),
    "AE_CLIENT_CONTACT": ("client-contacts", "ClientContact"),
    "AE_COMPANY": ("companies", "ClientCorporation"),
    "AE_INTERNAL_USER": ("internal-users", "CorporateUser"),
    "AE_JOB_ORDER": ("job-orders", "JobOrder"),
    "AE_PLACEMENT": ("placements", "Placement"),
    "AE_SUBMISSION": ("submissions", "JobSubmission"),
    "AE_CERTIFICATION": ("certifications", "CandidateCertification"),
    "AE_APPOINTMENT": ("appointments", "Appointment"),
}


def bullhorn_entity(sense_type: str):
    entry = ENTITY_TYPES.get(sense_type)
    return entry[1] if entry else None


def collection(sense_type: str):
    entry = ENTITY_TYPES.get(sense_type)
    return entry[0] if entry else None
