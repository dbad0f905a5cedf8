#!/bin/sh
# Runs once, when the postgres image initialises an empty data directory (/docker-entrypoint-initdb.d):
# creates the service's own role, neither superuser nor able to create roles or databases, and hands
# it the database and its public schema. The service connects as that role; the superuser
# (POSTGRES_USER) stays for administration only.
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=role="$DB_USER" --set=password="$DB_PASSWORD" --set=db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'password';
ALTER DATABASE :"db" OWNER TO :"role";
ALTER SCHEMA public OWNER TO :"role";
SQL
