"""Signing keys: one current key per algorithm, retired keys kept in the JWKS until dropped.

Keys are generated at start (RSA 2048 for RS256, P-256 for ES256) and never leave the process
except as public JWKs. ``untrusted`` keys sign tokens with a key the JWKS never publishes.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: The asymmetric algorithms the provider signs with.
ALGORITHMS = ("RS256", "ES256")


def generate(alg: str):
    """A new private key for ``alg``."""
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported algorithm {alg!r} (one of {', '.join(ALGORITHMS)})")


@dataclass
class SigningKey:
    kid: str
    alg: str
    private_key: object

    def public_jwk(self) -> dict:
        """The public key as a JWK (RFC 7517) with ``kid``, ``alg`` and ``use``."""
        algorithm = jwt.algorithms.RSAAlgorithm if self.alg == "RS256" else jwt.algorithms.ECAlgorithm
        jwk = algorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return jwk

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_key(alg: str) -> SigningKey:
    return SigningKey(kid=f"{alg.lower()}-{uuid.uuid4().hex[:12]}", alg=alg, private_key=generate(alg))


class KeyRing:
    """Current and retired keys per algorithm; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._current: Dict[str, SigningKey] = {alg: new_key(alg) for alg in ALGORITHMS}
        self._retired: List[SigningKey] = []

    def current(self, alg: str) -> SigningKey:
        with self._lock:
            if alg not in self._current:
                raise ValueError(f"unsupported algorithm {alg!r} (one of {', '.join(ALGORITHMS)})")
            return self._current[alg]

    def find(self, kid: str) -> Optional[SigningKey]:
        with self._lock:
            for key in list(self._current.values()) + self._retired:
                if key.kid == kid:
                    return key
        return None

    def rotate(self, algs=ALGORITHMS, keep_previous: bool = True) -> Dict[str, str]:
        """A new current key for each of ``algs``; the previous one stays published if ``keep_previous``.

        ``keep_previous=False`` also drops every retired key of those algorithms from the JWKS.
        Returns ``{alg: new kid}``.
        """
        for alg in algs:
            if alg not in ALGORITHMS:
                raise ValueError(f"unsupported algorithm {alg!r} (one of {', '.join(ALGORITHMS)})")
        fresh = {alg: new_key(alg) for alg in algs}
        with self._lock:
            for alg, key in fresh.items():
                old = self._current[alg]
                if keep_previous:
                    self._retired.append(old)
                else:
                    self._retired = [k for k in self._retired if k.alg != alg]
                self._current[alg] = key
        return {alg: key.kid for alg, key in fresh.items()}

    def published(self) -> List[SigningKey]:
        with self._lock:
            return list(self._current.values()) + list(self._retired)

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in self.published()]}

    def describe(self) -> dict:
        with self._lock:
            return {
                "current": {alg: key.kid for alg, key in self._current.items()},
                "retired": [{"kid": k.kid, "alg": k.alg} for k in self._retired],
            }
