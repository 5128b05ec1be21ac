#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (docker-entrypoint-initdb.d). Creates the roles the stack logs in with; each
# password comes from the environment, never from this file.
#
#   temporal  - Temporal's own databases (temporal, temporal_visibility), created
#               by the temporal-schema job with Temporal's temporal-sql-tool.
#   loyalty   - owns the loyalty database; `loyalty migrate` applies the schema.
#
# Place for the application's least-privilege role (INSERT/SELECT on the ledger,
# never UPDATE/DELETE): add it below with its own *_PASSWORD variable, and point
# the worker's and API's URL at it in docker-compose.yml (x-loyalty-env).
set -eu
: "${TEMPORAL_DB_PASSWORD:?}" "${LOYALTY_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" -v loyalty_password="$LOYALTY_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE loyalty LOGIN PASSWORD :'loyalty_password';
CREATE DATABASE loyalty OWNER loyalty;
SQL
