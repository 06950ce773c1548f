"""deploy/: the compose file and the Kubernetes manifests refer only to what exists: commands the image
runs, settings the receiver and forwarder read, probe paths the app serves, secrets that are declared."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from sense_writeback.cli import parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KNOWN_ENV = re.compile(r"SENSE_WRITEBACK_(DATABASE_URL|TOKENS|READ_TOKENS|BULLHORN_(CLIENT_ID|CLIENT_SECRET|"
                       r"REFRESH_TOKEN|USERNAME|PASSWORD))(_FILE)?$|SENSE_WRITEBACK_(FORWARDED_ALLOW_IPS|STATE_FILE|DB|"
                       r"HOST|PORT|LOG_LEVEL|ACCESS_LOG)$")


def _documents(name: str):
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def _check_command(args):
    parser().parse_args(list(args))  # SystemExit when the image would not know it


def test_kubernetes_manifests():
    secret = _documents("kubernetes/secret.example.yaml")[0]
    keys = set(secret["stringData"])
    containers = []
    for name in ("kubernetes/receiver.yaml", "kubernetes/forwarder.yaml", "kubernetes/retention.yaml"):
        for doc in _documents(name):
            spec = doc.get("spec", {})
            pod = (spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get("template") or {}).get("spec")
            if pod:
                containers += pod["containers"]
                for volume in pod.get("volumes", []):
                    if "secret" in volume:
                        assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    assert len(containers) == 3
    for container in containers:
        _check_command(container["args"])
        for env in container["env"]:
            assert KNOWN_ENV.match(env["name"]), env["name"]
            if env["name"].endswith("_FILE") and "/run/secrets/" in env["value"]:
                assert env["value"].rsplit("/", 1)[1] in keys
    receiver = next(c for c in containers if c["args"] == ["serve"])
    assert receiver["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert receiver["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_compose_file():
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "receiver-1", "receiver-2", "forwarder", "proxy"} <= set(services)
    for name, service in services.items():
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], (name, secret)
        if service.get("command"):
            _check_command(service["command"])
        for variable, value in (service.get("environment") or {}).items():
            if variable.startswith("SENSE_WRITEBACK_"):
                assert KNOWN_ENV.match(variable), variable
            if variable.endswith("_FILE"):
                assert value.rsplit("/", 1)[1] in service["secrets"], (name, variable)
    upstreams = re.findall(r"server (receiver-\d):8088", (DEPLOY / "compose" / "proxy" / "nginx.conf").read_text())
    assert sorted(upstreams) == ["receiver-1", "receiver-2"]
