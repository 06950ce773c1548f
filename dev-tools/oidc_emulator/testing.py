"""Start ``oidc-emulator`` as a subprocess and drive its admin surface (for tests and sandboxes).

    with start_oidc_emulator(clients=[("sense", "s3cret")], audience="my-receiver") as idp:
        idp.discovery_url                      # give this to the receiver
        token = idp.client_token("sense", "s3cret")
        idp.admin.rotate(keep_previous=False)
        idp.admin.mint(alg="none")["token"]
        idp.admin.counters()["jwks"]

No pytest import here.
"""
from __future__ import annotations

import os
import subprocess
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import requests

from console_scripts.finder import console_command
from console_scripts.server_process import read_log, start_server, stop_process
from oidc_emulator.cli import CLIENTS_ENV


class OidcAdmin:
    """A small client of ``/_admin`` (returns parsed JSON; raises on HTTP errors)."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        response = self.session.request(method, f"{self.base_url}/_admin/{path}", json=body, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def health(self) -> bool:
        return self._call("GET", "health").get("ok") is True

    def config(self) -> dict:
        return self._call("GET", "config")

    def configure(self, **settings: Any) -> dict:
        """Change ``token_ttl``, ``token_alg`` or ``jwks_max_age``; returns the configuration."""
        return self._call("POST", "config", settings)

    def keys(self) -> dict:
        return self._call("GET", "keys")

    def rotate(self, algs: Sequence[str] = ("RS256", "ES256"), keep_previous: bool = True) -> dict:
        """New current keys; ``{"rotated": {alg: kid}, "current": ..., "retired": ...}``."""
        return self._call("POST", "rotate", {"algs": list(algs), "keep_previous": keep_previous})

    def mint(self, **spec: Any) -> dict:
        """A test token (``claims``, ``lifetime``, ``not_before``, ``alg``, ``kid``, ``untrusted``,
        ``hmac_key``, ``tamper``, ``header``); returns ``{"token", "kid", "alg", "claims"}``."""
        return self._call("POST", "tokens", spec)

    def token(self, **spec: Any) -> str:
        return self.mint(**spec)["token"]

    def counters(self) -> Dict[str, int]:
        return self._call("GET", "counters")

    def reset_counters(self) -> dict:
        return self._call("POST", "counters/reset", {})

    def faults(self, **counts: int) -> dict:
        """The next ``n`` requests to ``token``, ``jwks`` or ``discovery`` answer 503."""
        return self._call("POST", "faults", counts)


def emulator_command() -> List[str]:
    """The ``oidc-emulator`` console script of the running interpreter's environment."""
    return console_command("oidc-emulator", "oidc_emulator")


class OidcProcess:
    """A running ``oidc-emulator`` and its URLs."""

    def __init__(self, proc: subprocess.Popen, base_url: str, clients: List[Tuple[str, str]], log_path: str):
        self.proc = proc
        self.base_url = base_url
        self.issuer = base_url
        self.discovery_url = f"{base_url}/.well-known/openid-configuration"
        self.jwks_url = f"{base_url}/jwks"
        self.token_url = f"{base_url}/oauth2/token"
        self.clients = clients
        self.log_path = log_path
        self.admin = OidcAdmin(base_url)

    def client_token(self, client_id: Optional[str] = None, secret: Optional[str] = None, **form: str) -> dict:
        """A token response for a client (the first registered one by default), via client_secret_basic."""
        if client_id is None:
            client_id, secret = self.clients[0]
        response = requests.post(self.token_url, data={"grant_type": "client_credentials", **form},
                                 auth=(client_id, secret or ""), timeout=30)
        response.raise_for_status()
        return response.json()

    def log(self) -> str:
        return read_log(self.log_path)

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        code = stop_process(self.proc, timeout)
        self.admin.session.close()
        return code

    def __enter__(self) -> "OidcProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_oidc_emulator(
    *,
    clients: Iterable[Tuple[str, str]] = (("sandbox-client", "sandbox-secret"),),
    audience: Optional[str] = None,
    scopes: Iterable[str] = (),
    token_ttl: Optional[int] = None,
    token_alg: Optional[str] = None,
    extra_args: Iterable[str] = (),
    startup_timeout: float = 15.0,
) -> OidcProcess:
    """Start ``oidc-emulator --port 0`` on 127.0.0.1 (client secrets via the environment)."""
    clients = list(clients)
    args = emulator_command() + ["--host", "127.0.0.1", "--port", "0"]
    if audience is not None:
        args += ["--audience", audience]
    for scope in scopes:
        args += ["--scope", scope]
    if token_ttl is not None:
        args += ["--token-ttl", str(token_ttl)]
    if token_alg is not None:
        args += ["--token-alg", token_alg]
    args += list(extra_args)
    env = dict(os.environ, **{CLIENTS_ENV: ",".join(f"{c}:{s}" for c, s in clients)})
    proc, base_url, log_path = start_server("oidc-emulator", args, env, startup_timeout)
    return OidcProcess(proc, base_url, clients, log_path)
