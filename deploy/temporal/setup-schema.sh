#!/bin/sh
# One-shot (temporal-schema service): create Temporal's two PostgreSQL databases and
# bring their schemas to the versions this server image ships, with Temporal's own
# temporal-sql-tool. Safe to run again: an existing database keeps its schema and
# update-schema applies only the versions it lacks.
set -eu
: "${POSTGRES_SEEDS:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"  # SQL_PASSWORD: read by the tool
SCHEMA=/etc/temporal/schema/postgresql/v12
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p 5432 -u "$SQL_USER" "$@"; }
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  if sql --db "$db" create; then
    sql --db "$db" setup-schema -v 0.0
  else
    echo "database $db exists; keeping its schema"
  fi
  sql --db "$db" update-schema -d "$SCHEMA/$dir/versioned"
  echo "schema of $db is current"
done
