"""The published string formats of the Sense API: ISO 8601 dates and date-times.

``is_iso_date`` / ``is_iso_date_time`` check one value; ``DATE_STRICT`` / ``DATE_TIME_STRICT`` are
the same rules (calendar and ranges included) as regular expressions, which the compiled schema
uses to check a whole column of values in one match.
"""
from __future__ import annotations

import re
from datetime import date

_DATE_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|[+-](\d{2})(?::?(\d{2}))?)?\Z",
    re.ASCII,
)


def is_iso_date(value: str) -> bool:
    # YYYY-MM-DD in ASCII digits on a real calendar day: the shape is checked here and
    # ``date.fromisoformat`` (C, strict about digits) checks the digits and the calendar.
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not value.isascii():
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_iso_date_time(value: str) -> bool:
    m = _DATE_TIME_RE.match(value)
    if not m:
        return False
    h, mi, s, oh, om = m.group(4, 5, 6, 9, 10)
    if int(h) > 23 or int(mi) > 59 or (s is not None and int(s) > 59):
        return False
    try:
        date.fromisoformat(value[:10])  # the regex matched YYYY-MM-DD there; this checks the calendar
    except ValueError:
        return False
    if oh is not None and (int(oh) > 23 or (om is not None and int(om) > 59)):
        return False
    return True


# The same rules as ``is_iso_date`` / ``is_iso_date_time``, calendar and ranges included, as
# regular expressions, to check a whole column of values in one C-level match (see ``_column_check``).
DATE_STRICT = (
    r"(?!0000)(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
)
DATE_TIME_STRICT = (
    DATE_STRICT + r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
)
