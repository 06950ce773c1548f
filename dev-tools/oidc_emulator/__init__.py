"""A local OpenID Connect provider for tests and sandboxes (console script ``oidc-emulator``).

It stands in for a customer's identity provider in the OAuth2 client-credentials mode of Sense
write-backs: a discovery document, a JWKS with RS256 and ES256 keys that can be rotated, a
client-credentials token endpoint, and an unauthenticated ``/_admin`` surface that mints arbitrary
(also invalid) tokens and counts requests. See ``docs/oidc-emulator.md``. The modules:

- ``keys``: the signing keys (current and retired) and the JWKS built from them;
- ``tokens``: building and signing JWTs (the token endpoint's and the admin's test tokens);
- ``clients``: the registered clients and how a token request authenticates;
- ``provider``: the routes and their behaviour, independent of the HTTP transport;
- ``server``: the HTTP/1.1 server; ``cli``: the command line;
- ``testing``: a subprocess starter and an admin client.
"""
