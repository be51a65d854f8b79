#!/usr/bin/env bash
# One database per service, each owned by a login role of its own that can do nothing else: no
# superuser, no CREATEDB or CREATEROLE, and CONNECT revoked from PUBLIC, so no other service's role
# can even connect to it (the distributed mode's least privilege, tools/cli/src/least-privilege.ts).
#
# For every variable EMPORIUM_ROLE_<SERVICE>=<SCRAM-SHA-256 verifier> it makes (or brings up to
# date) the role and the database `<system>_<service>` (system: EMPORIUM_SYSTEM, default emporium).
# The server gets the verifier only; the password stays in the service's DATABASE_URL.
#
# The PostgreSQL image runs it once, on an empty data directory (/docker-entrypoint-initdb.d).
# It may be run again at any time: after new secrets were made for a system that has data,
#   docker compose -f deploy/compose/compose.yaml up -d postgres
#   docker compose -f deploy/compose/compose.yaml exec postgres /docker-entrypoint-initdb.d/10-emporium.sh
# gives every role its new verifier. Outside the image: PGHOST, PGPORT, PGUSER and POSTGRES_USER
# say where and as whom (a role that may create roles and databases).
set -euo pipefail

system="${EMPORIUM_SYSTEM:-emporium}"
admin="${POSTGRES_USER:-postgres}"
roles="$(compgen -e | grep '^EMPORIUM_ROLE_' || true)"
if [ -z "$roles" ]; then
  echo "init.sh: no EMPORIUM_ROLE_<SERVICE> variable: no service database made (see deploy/compose/README.md)" >&2
  exit 1
fi

for variable in $roles; do
  service="$(printf '%s' "${variable#EMPORIUM_ROLE_}" | tr 'A-Z' 'a-z')"
  name="${system}_${service}"
  verifier="${!variable}"
  if ! [[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
    echo "init.sh: $name is not a valid role name" >&2
    exit 1
  fi
  # A plain password here would be stored as given and seen in any statement log: refuse it.
  if ! [[ "$verifier" =~ ^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$ ]]; then
    echo "init.sh: $variable is not a SCRAM-SHA-256 verifier (make one with npm run compose:secrets)" >&2
    exit 1
  fi
  # psql variables (:'x' a literal, :"x" an identifier) keep the values out of the SQL text's quoting.
  psql -v ON_ERROR_STOP=1 -q --no-psqlrc --username "$admin" --dbname postgres \
    --set=name="$name" --set=verifier="$verifier" <<'SQL'
SELECT format('CREATE ROLE %I', :'name') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
ALTER ROLE :"name" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS PASSWORD :'verifier';
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
ALTER DATABASE :"name" OWNER TO :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "init.sh: role and database $name ready"
done
