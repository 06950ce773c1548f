#!/bin/sh
# Random secrets for a local compose deployment (files in ./secrets, mode 0600; existing ones are kept).
set -eu
cd "$(dirname "$0")/secrets"
umask 077
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
[ -s postgres_password ] || random >postgres_password
[ -s database_url ] || printf 'postgresql://postgres:%s@postgres:5432/writebacks\n' "$(cat postgres_password)" >database_url
[ -s sense_tokens ] || random >sense_tokens
for name in bullhorn_client_id bullhorn_client_secret bullhorn_refresh_token; do [ -e "$name" ] || : >"$name"; done
echo "secrets in $(pwd); give Sense the token in sense_tokens"
