"""The Sense API's published request limits: the single place they are defined."""

#: Items per POST /v1/{collection} (the spec's ``maxItems``).
MAX_BATCH_RECORDS = 500
#: Body size of one POST after gzip compression, in bytes ("under 256 kb after compression").
MAX_BATCH_COMPRESSED_BYTES = 256_000
#: Resume upload limit (POST /v1/candidates/{id}/resume).
MAX_RESUME_BYTES = 4 * 1024 * 1024
#: File extensions accepted by the resume upload.
RESUME_EXTENSIONS = ("pdf", "doc", "docx", "txt", "rtf", "odt", "html", "htm")
