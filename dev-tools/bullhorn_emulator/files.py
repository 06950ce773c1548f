"""Seeded file attachments of candidates (resumes, mostly), for ``entityFiles``, ``fileAttachments``
and the file download.

About 40 % of candidates have one attachment, some of those two. Most are of a type Sense accepts
as a resume (pdf, doc, docx, txt, rtf, odt, html, htm); every 10th attachment (from the 5th) is of
another type (png, xlsx, zip) and every 25th (from the 8th) is a pdf just over 4 MB, so the bad
cases of a resume upload occur in any data set of ~20 attachments or more. Contents are generated
on demand from the seed and the file id (the same seed always serves the same bytes); only their
metadata is kept in memory.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Dict, List

from .data import Store

FILE_ID_BASE = 700_000
#: Just over Sense's 4 MB resume limit.
LARGE_FILE_BYTES = 4 * 1024 * 1024 + 4096
#: (extension, content type) of the accepted types, then of the others.
ACCEPTED_TYPES = (
    ("pdf", "application/pdf"), ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("doc", "application/msword"), ("txt", "text/plain"), ("rtf", "application/rtf"),
    ("odt", "application/vnd.oasis.opendocument.text"), ("html", "text/html"), ("htm", "text/html"),
)
OTHER_TYPES = (("png", "image/png"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
               ("zip", "application/zip"))
_TEXT = {"txt", "rtf", "html", "htm"}


@dataclass(frozen=True)
class Attachment:
    id: int
    candidate_id: int
    name: str
    extension: str
    content_type: str
    size: int
    date_added: int
    seed: int

    def content(self) -> bytes:
        """The file's bytes (deterministic for seed and id)."""
        rng = random.Random(f"{self.seed}:file:{self.id}")
        if self.extension in _TEXT:
            line = f"Resume of candidate {self.candidate_id}, file {self.id}. ".encode()
            body = (line * (self.size // len(line) + 1))[: self.size - 8]
            return body + rng.randbytes(4).hex().encode()
        header = {"pdf": b"%PDF-1.4\n", "png": b"\x89PNG\r\n\x1a\n"}.get(self.extension, b"PK\x03\x04")
        return header + rng.randbytes(self.size - len(header))

    def entity_file(self) -> Dict[str, Any]:
        """The shape of ``entityFiles/Candidate/{id}``."""
        major, _, minor = self.content_type.partition("/")
        return {"id": self.id, "type": "Resume", "name": self.name, "description": "Resume file for candidate.",
                "contentType": major, "contentSubType": minor}

    def file_attachment(self) -> Dict[str, Any]:
        """The shape of ``entity/Candidate/{id}/fileAttachments``."""
        major, _, minor = self.content_type.partition("/")
        return {"id": self.id, "name": self.name, "fileExtension": f".{self.extension}", "fileSize": self.size,
                "contentType": major, "contentSubType": minor, "type": "Resume", "description": "Resume file for candidate.",
                "dateAdded": self.date_added, "isDeleted": False, "isPrivate": False, "candidate": {"id": self.candidate_id}}


def seed_attachments(seed: int, store: Store) -> Dict[int, List[Attachment]]:
    """``{candidate id: [attachments]}`` for the store's candidates."""
    rng = random.Random(f"{seed}:files")
    out: Dict[int, List[Attachment]] = {}
    k = 0
    for candidate in store.records.get("Candidate", []):
        if rng.random() >= 0.4:
            continue
        for _ in range(2 if rng.random() < 0.15 else 1):
            k += 1
            if k % 25 == 8:
                extension, content_type = ACCEPTED_TYPES[0]
                size = LARGE_FILE_BYTES
            elif k % 10 == 5:
                extension, content_type = OTHER_TYPES[k // 10 % len(OTHER_TYPES)]
                size = rng.randint(2_000, 40_000)
            else:
                extension, content_type = ACCEPTED_TYPES[rng.randrange(len(ACCEPTED_TYPES))]
                size = rng.randint(1_000, 60_000)
            file_id = FILE_ID_BASE + k
            name = f"{candidate.get('firstName') or 'candidate'}_{candidate.get('lastName') or candidate['id']}_cv{k}.{extension}"
            added = (candidate.get("dateAdded") or 0) + rng.randint(0, 30 * 86_400_000)
            out.setdefault(candidate["id"], []).append(
                Attachment(file_id, candidate["id"], name, extension, content_type, size, added, seed)
            )
    return out


def find(attachments: Dict[int, List[Attachment]], candidate_id: int, file_id: int) -> Attachment:
    for attachment in attachments.get(candidate_id, []):
        if attachment.id == file_id:
            return attachment
    raise LookupError(f"No file {file_id} attached to Candidate {candidate_id}")
