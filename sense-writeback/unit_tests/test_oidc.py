"""sense_writeback.oidc: which JWK may verify which algorithm, and the scope claim forms."""
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from sense_writeback.oidc import _fits, _scopes, looks_like_jwt


def _jwk(private_key, **extra):
    if isinstance(private_key, rsa.RSAPrivateKey):
        public = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    else:
        public = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    public.update(extra)
    return jwt.PyJWK(public), public


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
P256_KEY = ec.generate_private_key(ec.SECP256R1())
P384_KEY = ec.generate_private_key(ec.SECP384R1())


@pytest.mark.parametrize("key, extra, alg, fits", [
    (RSA_KEY, {}, "RS256", True),
    (RSA_KEY, {}, "PS256", True),
    (RSA_KEY, {}, "ES256", False),  # an EC algorithm with an RSA key
    (RSA_KEY, {"alg": "RS512"}, "RS256", False),  # the key is published for another algorithm
    (P256_KEY, {}, "ES256", True),
    (P256_KEY, {}, "RS256", False),
    (P384_KEY, {}, "ES256", False),  # wrong curve
    (P384_KEY, {}, "ES384", True),
])
def test_a_key_verifies_only_the_algorithms_it_fits(key, extra, alg, fits):
    pyjwk, data = _jwk(key, **extra)
    assert _fits(pyjwk, data, alg) is fits


def test_scopes_from_scope_and_scp_claims():
    assert _scopes({"scope": "a b"}) == {"a", "b"}
    assert _scopes({"scp": ["c", 1]}) == {"c"}
    assert _scopes({"scp": "d e"}) == {"d", "e"}
    assert _scopes({}) == set()


def test_jwt_shape():
    assert looks_like_jwt("a.b.c") and not looks_like_jwt("a-long-pre-shared-token")
