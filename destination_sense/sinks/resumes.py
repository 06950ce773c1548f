"""Resume files: each file record becomes ``POST /v1/candidates/{id}/resume`` (multipart/form-data).

A stream is a resume stream when its ``destination_object_name`` (or, without one, its name) is
``resumes`` or ``candidate_resumes``, or when the ``source_preset`` names it in its ``resumes``
section (``bullhorn``: source-ats's ``candidate_files``, whose fields the preset maps).

Record (Sense names): ``candidate_id``, ``resume_id``, ``file_extension`` (else taken from the file
name), ``date_created``, ``date_updated`` (either stands in for the other), optional ``file_name``.
The file is, in this order of preference:
1. Airbyte file transfer: the record's ``file_reference.staging_file_url`` (a file the source staged);
   it is deleted once Sense answered 201. A staged file that is missing or cannot be read is no
   property of the record but of the deployment (the source staged it where the destination cannot
   see it): the sync fails (``StagedFileUnreadable``) before the STATE after the record is echoed, so
   the next sync reads the file again; it is never a rejection;
2. ``file_path``: a local file the destination can read (never deleted);
3. ``file_base64``: the content, base64-encoded (decoded to a temporary file, deleted after use).
Checks before anything is sent: the candidate and resume ids, an extension Sense accepts, a
non-empty file of at most 4 MB, ISO 8601 dates (epoch numbers in the config's ``epoch_unit``). A record failing one
is rejected with the reason; so is a file Sense answers 400, 404 (unknown candidate) or 413 to.

Uploads wait in the sink until a group is full, a STATE comes or the input ends; the scheduler
sends the open batch of candidates before them, so a candidate's own upsert is accepted before its
resume is sent. A group is uploaded
``UPLOAD_CONCURRENCY`` files at a time, each streamed from disk by requests-toolbelt's
``MultipartEncoder`` (a fresh one per attempt; retries as for batches); a STATE after a file record
is echoed only after its upload was answered.
"""
from __future__ import annotations

import base64
import binascii
import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote


from destination_sense.catalog import StreamKey, stream_label
from destination_sense.errors import ConfigError, SenseError
from destination_sense.ledger import RecordRef
from destination_sense.mapping_expressions import MISSING, ExpressionError, Getter, compile_expression
from destination_sense.normalize import CoercionError, to_datetime
from destination_sense.send.http_client import parse_entity_errors, request_id_of
from sense_api.entities import squash_name
from sense_api.limits import MAX_RESUME_BYTES, RESUME_EXTENSIONS

OBJECT_NAMES = ("resumes", "candidate_resumes")
STATS_KEY = "resumes"
#: Uploads in flight at once.
UPLOAD_CONCURRENCY = 4
#: Uploads handed over together.
GROUP_SIZE = 16
#: Record fields (after any preset mapping).
FIELDS = ("candidate_id", "resume_id", "file_name", "file_extension", "date_created", "date_updated", "file_path", "file_base64")

Problem = Tuple[Optional[str], str]


class StagedFileUnreadable(SenseError):
    """A file the source staged (Airbyte file transfer) is missing or unreadable here: a failed sync."""

    def __init__(self, route_label: str, position: int, record_id: Optional[str], path: str, exc: OSError):
        ident = f" (id '{record_id}')" if record_id else ""
        super().__init__(
            f"Stream '{route_label}' record #{position}{ident}: the staged file {path!r} cannot be read "
            f"({exc.strerror or exc}). The source stages each file in its AIRBYTE_STAGING_DIRECTORY and the destination "
            f"reads it from the same path: run both with the same staging directory (the platform does this). "
            f"The sync stops before the state after this record, so the next sync reads the file again."
        )


def is_resume_name(name: Optional[str]) -> bool:
    return bool(name) and squash_name(name) in {squash_name(n) for n in OBJECT_NAMES}


@dataclass(frozen=True)
class ResumeRoute:
    key: StreamKey
    getters: Optional[Tuple[Tuple[str, Getter], ...]] = None  # a preset's field mapping
    epoch_unit: str = "reject"  # how numeric dates are read (the config's ``epoch_unit``)

    @property
    def label(self) -> str:
        return stream_label(self.key)

    def fields(self, data: Mapping[str, Any]) -> Dict[str, Any]:
        if self.getters is None:
            return {name: data.get(name) for name in FIELDS}
        out = {}
        for name, getter in self.getters:
            value = getter(data)
            out[name] = None if value is MISSING else value
        return out


def routes_from_catalog(catalog: Mapping[str, Any], preset_name: str, preset: Mapping[str, Any], epoch_unit: str = "reject") -> Dict[StreamKey, ResumeRoute]:
    section = preset.get("resumes") or {}
    preset_stream = section.get("stream")
    getters = None
    if preset_stream:
        try:
            getters = tuple((name, compile_expression(expr)) for name, expr in (section.get("fields") or {}).items())
        except ExpressionError as exc:  # a packaging fault
            raise ConfigError(f"The {preset_name} preset's resume mapping is invalid: {exc}") from exc
    out: Dict[StreamKey, ResumeRoute] = {}
    for configured in catalog.get("streams") or []:
        stream = configured.get("stream") or {}
        key: StreamKey = (stream.get("namespace") or None, stream.get("name") or "")
        object_name = configured.get("destination_object_name")
        if object_name:
            if is_resume_name(object_name):
                out[key] = ResumeRoute(key, epoch_unit=epoch_unit)
        elif preset_stream and squash_name(key[1]) == squash_name(preset_stream):
            out[key] = ResumeRoute(key, getters, epoch_unit)
        elif is_resume_name(key[1]):
            out[key] = ResumeRoute(key, epoch_unit=epoch_unit)
    return out


@dataclass
class Upload:
    stream: StreamKey
    position: int
    candidate_id: str
    resume_id: str
    file_name: str
    extension: str
    date_created: str
    date_updated: str
    path: str
    size: int
    delete_after_upload: bool = False  # a staged file (file transfer)
    temporary: bool = False  # decoded from base64: deleted whatever happens

    @property
    def record_id(self) -> str:
        return f"{self.candidate_id}/{self.resume_id}"

    def form(self) -> Dict[str, Any]:
        fields: Dict[str, Any] = {
            "resume_id": self.resume_id,
            "file_extension": self.extension,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
        }
        if self.file_name:
            fields["file_name"] = self.file_name
        return fields


def _text(value: Any) -> Optional[str]:
    if value is None or value.__class__ is bool or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _extension(value: Any, *names: Optional[str]) -> Optional[str]:
    text = _text(value)
    if text is None:
        for name in names:
            if name and "." in os.path.basename(name):
                text = name.rsplit(".", 1)[1]
                break
    return text.lstrip(".").lower() if text else None


def _date(value: Any, epoch_unit: str) -> Tuple[Optional[str], Optional[str]]:
    if value is None or value == "":
        return None, None
    try:
        return to_datetime(value, epoch_unit), None
    except (CoercionError, ValueError, TypeError) as exc:
        return None, f"is not a date-time ({exc})"


def prepare(route: ResumeRoute, position: int, record: Mapping[str, Any], temp_dir: Optional[str] = None) -> Tuple[Optional[Upload], List[Problem], Optional[str]]:
    """An ``Upload`` for a file record, or the problems that reject it (and the record id)."""
    data = record.get("data")
    if data.__class__ is not dict:
        return None, [(None, "the record has no data object")], None
    values = route.fields(data)
    candidate_id, resume_id = _text(values.get("candidate_id")), _text(values.get("resume_id"))
    record_id = f"{candidate_id}/{resume_id}" if candidate_id or resume_id else None
    problems: List[Problem] = []
    if candidate_id is None:
        problems.append(("candidate_id", "is missing: the candidate the resume belongs to"))
    if resume_id is None:
        problems.append(("resume_id", "is missing"))
    reference = record.get("file_reference")
    staged = reference.get("staging_file_url") if isinstance(reference, dict) else None
    file_path = _text(values.get("file_path"))
    encoded = values.get("file_base64")
    file_name = _text(values.get("file_name")) or ""
    extension = _extension(values.get("file_extension"), file_name, staged, file_path)
    if extension is None:
        problems.append(("file_extension", "is missing and the file name has none"))
    elif extension not in RESUME_EXTENSIONS:
        problems.append(("file_extension", f"'{extension}' is not accepted by Sense (allowed: {', '.join(RESUME_EXTENSIONS)})"))
    created, created_problem = _date(values.get("date_created"), route.epoch_unit)
    updated, updated_problem = _date(values.get("date_updated"), route.epoch_unit)
    for name, problem in (("date_created", created_problem), ("date_updated", updated_problem)):
        if problem:
            problems.append((name, problem))
    if not created_problem and not updated_problem:
        created, updated = created or updated, updated or created
        if created is None:
            problems.append(("date_created", "is missing (and so is date_updated)"))
    path, size, temporary = None, 0, False
    if staged:
        path = staged
    elif file_path:
        path = file_path
    elif isinstance(encoded, str) and encoded:
        size = (len(encoded) * 3) // 4
        if size > MAX_RESUME_BYTES + 3:
            problems.append(("file_base64", f"the file is about {size:,} bytes; Sense accepts at most {MAX_RESUME_BYTES:,}"))
        elif not problems:
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                problems.append(("file_base64", f"is not valid base64 ({exc})"))
            else:
                fd, path = tempfile.mkstemp(prefix="sense-resume-", suffix=f".{extension}", dir=temp_dir)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(content)
                temporary = True
    else:
        problems.append((None, "the record has no file: no file_reference (file transfer), file_path or file_base64"))
    if staged:  # whatever else is wrong with the record: a staged file we cannot read fails the sync
        try:
            _check_readable(staged)
        except OSError as exc:
            raise StagedFileUnreadable(route.label, position, record_id, staged, exc) from None
    if path and not problems:
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            problems.append((None, f"the file {path!r} cannot be read ({exc.strerror or exc})"))
        else:
            if size == 0:
                problems.append((None, "the file is empty"))
            elif size > MAX_RESUME_BYTES:
                problems.append((None, f"the file is {size:,} bytes; Sense accepts resumes of at most {MAX_RESUME_BYTES:,} bytes (4 MB)"))
    if problems:
        if temporary:
            os.unlink(path)
        return None, problems, record_id
    upload = Upload(route.key, position, candidate_id, resume_id, file_name or os.path.basename(path), extension,
                    created, updated, path, size, delete_after_upload=bool(staged), temporary=temporary)
    return upload, [], record_id


def _check_readable(path: str) -> None:
    """Raise the ``OSError`` that opening ``path`` for reading raises (missing, not readable, a directory)."""
    with open(path, "rb"):
        pass


class ResumeSink:
    """Checks file records and groups the uploads."""

    precedes_records = False  # uploads go after the candidates received before them

    def __init__(self, routes: Dict[StreamKey, ResumeRoute], ledger, warn: Callable[[str], None] = lambda message: None):
        self.routes = routes
        self.streams = tuple(routes)
        self.ledger = ledger
        self.warn = warn
        for key in routes:
            ledger.open_stream(key, STATS_KEY)
        self.pending: List[Upload] = []
        self.pool: Optional[ThreadPoolExecutor] = None

    def add(self, key: StreamKey, position: int, record: Mapping[str, Any], line: Optional[bytes] = None) -> bool:
        """Queue the upload of a file record; False when it was rejected."""
        upload, problems, record_id = prepare(self.routes[key], position, record)
        if upload is None:
            self.ledger.reject(key, position, record_id, problems, line)
            return False
        self.pending.append(upload)
        return True

    @property
    def full(self) -> bool:
        return len(self.pending) >= GROUP_SIZE

    def due_before(self, collection: str) -> List["ResumeUploads"]:
        return []

    def take(self) -> List["ResumeUploads"]:
        if not self.pending:
            return []
        if self.pool is None:
            self.pool = ThreadPoolExecutor(UPLOAD_CONCURRENCY, thread_name_prefix="sense-resume")
        uploads, self.pending = self.pending, []
        return [ResumeUploads(uploads, self.pool, self.ledger, self.warn)]


@dataclass
class ResumeUploads:
    uploads: List[Upload]
    pool: ThreadPoolExecutor
    ledger: Any
    warn: Callable[[str], None] = lambda message: None
    collection: str = field(default="candidates")

    def deliver(self, sender) -> None:
        if sender.dry_run:
            for upload in self.uploads:
                self.accepted(upload)
            return
        futures = [self.pool.submit(self._upload, sender, upload) for upload in self.uploads]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error

    def _upload(self, sender, upload: Upload) -> None:
        try:
            response, retries = send(sender, upload)
            self.ledger.retried(STATS_KEY, retries)
            status = response.status_code
            if 200 <= status < 300:
                self.accepted(upload, request_id_of(response.content))
                if upload.delete_after_upload:
                    try:
                        os.unlink(upload.path)
                    except OSError as exc:
                        self.warn(f"Could not delete the staged file {upload.path!r} after its upload: {exc.strerror or exc}")
                return
            if status == 404:
                reason = f"Sense knows no candidate '{upload.candidate_id}' (404): the resume was not stored"
            elif status == 413:
                reason = "Sense answered 413: the file is too large"
            elif status == 400:
                reason = "Sense refused the file: " + ("; ".join([e.message for e in parse_entity_errors(response.content)]) or response.text[:300])
            else:
                raise SenseError(f"POST /candidates/{{id}}/resume answered unexpected HTTP {status}: {response.text[:300]}")
            self.ledger.reject(upload.stream, upload.position, upload.record_id, [(None, reason)])
        finally:
            if upload.temporary:
                try:
                    os.unlink(upload.path)
                except OSError:
                    pass

    def accepted(self, upload: Upload, request_id: Optional[str] = None) -> None:
        self.ledger.sent(STATS_KEY, (RecordRef(upload.stream, upload.position, upload.record_id),), "sent", request_id, raw=upload.size)


def send(sender, upload: Upload):
    """POST the file, streamed from disk: a new encoder (and open file) per attempt, one boundary."""
    from requests_toolbelt.multipart.encoder import MultipartEncoder  # only syncs with files pay the import

    boundary = f"sense-resume-{uuid.uuid4().hex}"
    opened: List[Any] = []

    def body():
        for handle in opened:
            handle.close()
        try:
            handle = open(upload.path, "rb")
        except OSError as exc:  # it went away after it was checked
            if upload.delete_after_upload:
                raise StagedFileUnreadable(stream_label(upload.stream), upload.position, upload.record_id, upload.path, exc) from None
            raise
        opened.append(handle)
        fields = dict(upload.form())
        fields["file"] = (upload.file_name, handle, "application/octet-stream")
        return MultipartEncoder(fields=fields, boundary=boundary)

    path = f"/candidates/{quote(upload.candidate_id, safe='')}/resume"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    try:
        return sender.request("POST", path, headers, body, f"POST {path} ({upload.size:,} bytes)")
    finally:
        for handle in opened:
            handle.close()


#: The operation ``discover`` offers (data activation): one record per resume file.
OPERATION: Dict[str, Any] = {
    "object_name": OBJECT_NAMES[0],
    "sync_mode": "append",
    "json_schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["candidate_id", "resume_id"],
        "properties": {
            "candidate_id": {"type": "string"},
            "resume_id": {"type": "string"},
            "file_name": {"type": "string"},
            "file_extension": {"type": "string", "enum": list(RESUME_EXTENSIONS)},
            "date_created": {"type": "string", "format": "date-time"},
            "date_updated": {"type": "string", "format": "date-time"},
            "file_path": {"type": "string", "description": "fallback without file transfer: a local file"},
            "file_base64": {"type": "string", "description": "fallback without file transfer: the file, base64"},
        },
    },
    "matching_keys": [["candidate_id", "resume_id"]],
}
