"""The ``destination-sense`` command line: ``spec``, ``check``, ``discover`` and ``write``, without the Airbyte CDK.

Every command answers in Airbyte protocol messages on stdout. Nothing here imports the CDK (importing
it costs ~2 s and pulls in pandas and numpy), so each command starts in a fraction of a second and the
connector image needs only what the destination itself imports.

Usage errors (no command, an unknown one, a missing option) are one line on stderr and exit code 1; a
config or catalog file that is missing, unreadable, not JSON or not a JSON object is one TRACE error
(``config_error``) on stdout and exit code 1. Neither prints a traceback.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List, NoReturn, Optional

import orjson

from destination_sense.output import ProtocolOutput

PROG = "destination-sense"
DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/destinations/sense"
COMMANDS = {
    "spec": "print the connector's specification (SPEC)",
    "check": "check that the config can reach Sense (CONNECTION_STATUS)",
    "discover": "print the operations Sense offers for data activation (DESTINATION_CATALOG)",
    "write": "write the Airbyte messages on stdin to Sense",
}


class UsageError(Exception):
    """A command line that names no known command or lacks an option."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + error, exit 1 instead of 2
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Airbyte destination for the Sense partner API.")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="{" + ",".join(COMMANDS) + "}")
    for name, help_text in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name != "spec":
            command.add_argument("--config", required=True, help="path to the JSON configuration file")
        if name == "write":
            command.add_argument("--catalog", required=True, help="path to the configured catalog JSON file")
    return parser


class FileProblem(Exception):
    """A config or catalog file that cannot be used; the message names the file and the reason."""


def read_json_object(path: str, what: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as f:
            value = orjson.loads(f.read())
    except FileNotFoundError:
        raise FileProblem(f"The {what} file '{path}' does not exist.") from None
    except OSError as exc:
        raise FileProblem(f"The {what} file '{path}' cannot be read: {exc.strerror or exc}.") from None
    except orjson.JSONDecodeError as exc:
        raise FileProblem(f"The {what} file '{path}' is not JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise FileProblem(f"The {what} file '{path}' must hold a JSON object, not {type(value).__name__}.")
    return value


def spec_message() -> Dict[str, Any]:
    from destination_sense.catalog import SUPPORTED_MODES
    from destination_sense.config import CONNECTION_SPECIFICATION

    return {
        "type": "SPEC",
        "spec": {
            "documentationUrl": DOCUMENTATION_URL,
            "connectionSpecification": CONNECTION_SPECIFICATION,
            "supportsIncremental": True,
            "supportsNormalization": False,
            "supportsDBT": False,
            "supported_destination_sync_modes": list(SUPPORTED_MODES),
        },
    }


def _check(config: Dict[str, Any], output: ProtocolOutput) -> int:
    from destination_sense.connection_check import check_connection

    ok, reason = check_connection(config)
    status: Dict[str, Any] = {"status": "SUCCEEDED" if ok else "FAILED"}
    if reason:
        status["message"] = output.redact(reason)
    output.raw({"type": "CONNECTION_STATUS", "connectionStatus": status})
    return 0


def _discover(config: Dict[str, Any], output: ProtocolOutput) -> int:
    from destination_sense.config import SenseConfig
    from destination_sense.discover import destination_catalog
    from destination_sense.errors import SenseError

    try:
        SenseConfig.from_mapping(config).mapping_table()
    except SenseError as exc:
        output.trace_error(str(exc), exc.failure_type, exc)
        return 1
    output.raw(destination_catalog())
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"no command given; use one of {', '.join(COMMANDS)}")
    except UsageError as exc:
        print(f"{PROG}: {exc} (see '{PROG} --help').", file=sys.stderr)
        return 1
    output = ProtocolOutput()
    if args.command == "spec":
        output.raw(spec_message())
        return 0
    try:
        config = read_json_object(args.config, "config")
        secret = config.get("client_secret")
        output.add_secret(secret if isinstance(secret, str) else None)
        from destination_sense.outcomes.settings import secrets_of

        for storage_secret in secrets_of(config):
            output.add_secret(storage_secret)
        catalog = read_json_object(args.catalog, "catalog") if args.command == "write" else None
    except FileProblem as exc:
        output.trace_error(str(exc), "config_error")
        return 1
    if args.command == "check":
        return _check(config, output)
    if args.command == "discover":
        return _discover(config, output)
    from destination_sense.sync import write_lines

    exit_code = write_lines(config, catalog, sys.stdin.buffer, output)
    sys.stdout.flush()
    return exit_code
