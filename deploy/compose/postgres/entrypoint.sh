#!/bin/sh
# First start: initdb with the password of POSTGRES_PASSWORD_FILE and a database "writebacks"; then serve.
set -eu
PGBIN=/usr/lib/postgresql/15/bin
DATA=/var/lib/postgresql/data
if [ ! -s "$DATA/PG_VERSION" ]; then
  "$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$POSTGRES_PASSWORD_FILE" >/dev/null
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$DATA/pg_hba.conf"
  "$PGBIN/pg_ctl" -D "$DATA" -o "-c listen_addresses=''" -w start >/dev/null
  "$PGBIN/psql" -U postgres -c "CREATE DATABASE writebacks" >/dev/null
  "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
fi
exec "$PGBIN/postgres" -D "$DATA" -c listen_addresses='*'
