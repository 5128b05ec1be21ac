#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (docker-entrypoint-initdb.d). Creates the roles the stack logs in with; each
# password comes from the environment, never from this file.
#
#   temporal       - Temporal's own databases (temporal, temporal_visibility), created
#                    by the temporal-schema job with Temporal's temporal-sql-tool.
#   loyalty_owner  - owns the loyalty database; the init job's `loyalty migrate` applies
#                    the schema as this role and creates the application's login role
#                    (loyalty_service, a member of loyalty_app: INSERT/SELECT only on
#                    the append-only tables), hence CREATEROLE.
set -eu
: "${TEMPORAL_DB_PASSWORD:?}" "${LOYALTY_OWNER_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" -v owner_password="$LOYALTY_OWNER_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE loyalty_owner LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE DATABASE loyalty OWNER loyalty_owner;
SQL
