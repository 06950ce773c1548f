"""Secrets from the environment or from files (as Docker and Kubernetes mount secrets).

``secret(env, "SENSE_WRITEBACK_DATABASE_URL")`` is the variable's value, else the content of the file
that ``SENSE_WRITEBACK_DATABASE_URL_FILE`` names (one trailing newline removed), else ``None``. A
named file that cannot be read is an error naming the variable and the path, never the content.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional


class SecretFileError(ValueError):
    pass


def read_secret_file(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretFileError(f"cannot read {what} file {path}: {exc.strerror}") from None


def secret(env: Mapping[str, str], name: str) -> Optional[str]:
    if env.get(name):
        return env[name]
    path = env.get(name + "_FILE")
    if not path:
        return None
    value = read_secret_file(path, name)
    return value[:-1] if value.endswith("\n") else value
