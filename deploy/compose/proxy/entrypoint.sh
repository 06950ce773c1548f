#!/bin/sh
# A self-signed certificate for local use at the first start (mount your own cert.pem/key.pem to replace it).
set -eu
TLS=/etc/sense-writeback-proxy/tls
if [ ! -s "$TLS/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=${PROXY_HOSTNAME:-localhost}" \
    -addext "subjectAltName=DNS:${PROXY_HOSTNAME:-localhost},IP:127.0.0.1" \
    -keyout "$TLS/key.pem" -out "$TLS/cert.pem" 2>/dev/null
  chmod 600 "$TLS/key.pem"
fi
exec nginx -g "daemon off;"
