"""The ``destination-sense`` command line itself, through the real console script: help, usage errors,
config files that cannot be used, and ``check`` taking the config ``write`` takes."""
import json
import subprocess

import pytest

from sense_testing.destination_harness import DESTINATION, RunResult, config_for, run_command
from sense_demo.pipe import connector_env


def _run(*args: str) -> RunResult:
    proc = subprocess.run([DESTINATION, *args], capture_output=True, timeout=60, env=connector_env(), stdin=subprocess.DEVNULL)
    return RunResult(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def test_help_lists_every_command():
    result = _run("--help")
    assert result.returncode == 0
    for command in ("spec", "check", "discover", "write"):
        assert command in result.stdout.split("commands:")[1]


@pytest.mark.parametrize(
    "args, says",
    [
        ((), "no command given"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("check",), "--config"),
        (("write", "--config", "c.json"), "--catalog"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_1(args, says):
    result = _run(*args)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("destination-sense: ") and says in line and "--help" in line


def _bad_files(tmp_path):
    (tmp_path / "not-json.json").write_text("client_id = abc\n")
    (tmp_path / "list.json").write_text("[1, 2]")
    return [
        (tmp_path / "missing.json", "does not exist"),
        (tmp_path / "not-json.json", "is not JSON"),
        (tmp_path / "list.json", "must hold a JSON object, not list"),
    ]


@pytest.mark.parametrize("command", ["check", "discover", "write"])
def test_a_config_file_that_cannot_be_used_is_one_trace_line_and_exit_1(tmp_path, command):
    good = tmp_path / "catalog.json"
    good.write_text(json.dumps({"streams": []}))
    for path, reason in _bad_files(tmp_path):
        args = [command, "--config", str(path)] + (["--catalog", str(good)] if command == "write" else [])
        result = _run(*args)
        assert result.returncode == 1, (path, result.stdout)
        assert "Traceback" not in result.stdout + result.stderr
        (message,) = result.messages
        error = message["trace"]["error"]
        assert error["failure_type"] == "config_error"
        assert error["message"] == f"The config file '{path}' {reason}." or error["message"].startswith(f"The config file '{path}' {reason}")
        assert error["stack_trace"] == ""


def test_a_catalog_file_that_cannot_be_used_names_the_catalog(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": "a", "client_secret": "b"}))
    result = _run("write", "--config", str(config), "--catalog", str(tmp_path / "nope.json"))
    assert result.returncode == 1
    (error,) = result.errors
    assert error["message"] == f"The catalog file '{tmp_path / 'nope.json'}' does not exist."


def _status(result):
    assert result.returncode == 0, result.stderr[-2000:]
    (message,) = result.of_type("CONNECTION_STATUS")
    return message["connectionStatus"]


def test_check_takes_mappings_as_an_object_as_write_does(sense_emulator, tmp_path):
    # PyAirbyte passes the config as a Python dict: mappings arrive as an object, not as JSON text.
    mappings = {"candidates": {"fields": {"first_name": "firstName"}}}
    status = _status(run_command(tmp_path, "check", config_for(sense_emulator, source_preset="bullhorn", mappings=mappings)))
    assert status == {"status": "SUCCEEDED"}
    bad = {"candidates": {"fields": {"shoe_size": "shoeSize"}}}
    status = _status(run_command(tmp_path, "check", config_for(sense_emulator, source_preset="bullhorn", mappings=bad)))
    assert status["status"] == "FAILED" and "shoe_size" in status["message"]


def test_a_check_failure_never_shows_the_secret(sense_emulator, tmp_path):
    secret = "not-the-right-secret-9f3a"
    status = _status(run_command(tmp_path, "check", config_for(sense_emulator, client_secret=secret, api_url=f"http://x/{secret}")))
    assert status["status"] == "FAILED" and secret not in json.dumps(status)
